"""A service of the leg's kind with its own database and store, and a client for it."""

import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

from recording_service.catalog import service as catalog_service

from .servers import ServiceProcess, create_postgres_database, drop_postgres_database


@contextmanager
def private_service(leg, tmp_path, *, standard_days: float, object_lock: bool = False, **env: str):
    """A service of the leg's kind with its own database and store (an object-lock bucket on S3
    when asked), the standard retention shortened to `standard_days` and a class `brief` of 1.7 s."""
    catalog = tmp_path / "catalog"
    shutil.copytree(Path(catalog_service.__file__).parent / "data", catalog)
    retention = catalog / "retention.yaml"
    retention.write_text(
        retention.read_text(encoding="utf-8").replace("days: 184", f"days: {standard_days}")
        + "- {code: brief, name_zh: 短期, name_en: Brief (tests), days: 0.00002}\n",
        encoding="utf-8",
    )
    if leg.seaweed is None:
        database_url, storage_url = f"sqlite:///{tmp_path / 'private.db'}", f"file://{tmp_path / 'objects'}"
    else:
        database_url = create_postgres_database()
        bucket = leg.seaweed.create_bucket(f"private-{uuid.uuid4().hex[:12]}", object_lock=object_lock)
        storage_url = f"s3://{bucket}/rs"
    service = ServiceProcess(
        {
            **leg.service.env,
            "RECORDING_DATABASE_URL": database_url,
            "RECORDING_STORAGE_URL": storage_url,
            "RECORDING_CATALOG_DIR": str(catalog),
            **env,
        },
        tmp_path,
    ).start()
    try:
        yield service
    finally:
        service.stop()
        if leg.seaweed is not None:
            drop_postgres_database(database_url)


def client(leg, service, role: str, agency: str):
    http = leg.client(service.token(role, agency))
    http.base_url = service.base_url
    return http
