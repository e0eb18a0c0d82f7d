"""What a server process carries: the libraries only some deployments or some moments need are imported at first use,
so a server on SQLite and the filesystem stays within its memory budget (bench/ingest_chunks.py: peak RSS ≤ 150 MB)."""

import subprocess
import sys

# alembic: migrations run in a child (core/migrate.py); httpx: webhook deliveries;
# Pillow: photos; boto3/botocore clients: the S3 store; psycopg: PostgreSQL; pypinyin: name sorting.
AT_FIRST_USE = ("alembic", "httpx", "PIL", "boto3", "psycopg", "pypinyin", "openpyxl")


def test_the_app_imports_none_of_the_libraries_kept_for_first_use():
    code = f"import sys, recording_service.app, recording_service.cli; print(sorted(m for m in {AT_FIRST_USE!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
