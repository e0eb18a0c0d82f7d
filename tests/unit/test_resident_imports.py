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


def test_a_server_reading_its_signing_key_does_not_load_the_signature_library(tmp_path):
    """The key is read at start (its derived secrets sign forms, play links and cookies); cryptography (~9 MB) is
    loaded only when something is signed or a key is made."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key_file = tmp_path / "signing-key.pem"
    key_file.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    code = (
        "import sys; from pathlib import Path; from recording_service.app import create_app; "
        "from recording_service.core.config import Settings; from recording_service.export.signing import load_signing_key; "
        f"create_app(Settings(signing_key_file=Path({str(key_file)!r}), database_url='sqlite://')); "
        f"load_signing_key(Path({str(key_file)!r})).derived_secret('play-links'); "
        "print('cryptography' in sys.modules)"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path).stdout.strip()
    assert loaded == "False"


def test_importing_the_server_hashes_no_password():
    """The dummy hash that unknown sign-in names are verified against is made by the first sign-in: at import, every
    command and server start paid 64 MiB of argon2 and 0.1 s for it."""
    code = "import recording_service.app, recording_service.cli, recording_service.auth.people as p; print(p._dummy_hash is None)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "True"
