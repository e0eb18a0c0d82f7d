"""A copy of the packaged catalog a test may edit."""

import shutil
from pathlib import Path

from recording_service.catalog import service as catalog_service

DATA = Path(catalog_service.__file__).parent / "data"


def catalog_copy(tmp_path: Path) -> Path:
    directory = tmp_path / "catalog"
    shutil.copytree(DATA, directory)
    return directory
