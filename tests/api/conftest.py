"""The in-process layer: business rules through the HTTP API of the real app, run in the test's process
(tests/support/inprocess.py) against a fresh SQLite database and filesystem store per test. `make test-fast`
runs it. What needs real processes — tus uploads of real files, ffprobe and ffmpeg, kill -9 and fencing,
browsers, S3 and PostgreSQL, the CLI — stays on the legs (tests/conftest.py)."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from ..support.inprocess import in_process, migrated_template


@pytest.fixture(scope="session")
def _scratch(tmp_path_factory):
    """Where the databases live: in memory (tmpfs) where there is one, since the app asks SQLite to sync every commit
    to the disk and the rules under test do not depend on the disk (the legs keep the real one)."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path_factory.mktemp("in-process")
        return
    directory = Path(tempfile.mkdtemp(prefix="rs-in-process-", dir=shm))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def _template(_scratch):
    return migrated_template(_scratch)


@pytest.fixture
def inproc(_scratch, _template):
    """The service in this process with a database and store of this test's own."""
    workdir = Path(tempfile.mkdtemp(prefix="service-", dir=_scratch))
    try:
        # One signing key for the session: made by the first app, read by the others.
        with in_process(workdir, _template, _scratch / "signing-key.pem") as service:
            yield service
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
