"""The in-process layer: business rules through the HTTP API of the real app, run in the test's process
(tests/support/inprocess.py) against a fresh SQLite database and filesystem store per test. `make test-fast`
runs it. What needs real processes — tus uploads of real files, ffprobe and ffmpeg, kill -9 and fencing,
browsers, S3 and PostgreSQL, the CLI — stays on the legs (tests/conftest.py)."""

import pytest

from ..support.inprocess import in_process, migrated_template


@pytest.fixture(scope="session")
def _template(tmp_path_factory):
    return migrated_template(tmp_path_factory.mktemp("in-process-template"))


@pytest.fixture(scope="session")
def _signing_key(tmp_path_factory):
    return tmp_path_factory.mktemp("in-process-keys") / "signing-key.pem"  # made by the first app, read by the others


@pytest.fixture
def inproc(tmp_path, _template, _signing_key):
    """The service in this process with a database and store of this test's own."""
    with in_process(tmp_path / "service", _template, _signing_key) as service:
        yield service
