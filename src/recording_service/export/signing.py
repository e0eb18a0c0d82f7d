"""The key that signs case files (Ed25519), and the signed statement a bag carries.

A forger who rewrites an exported audit event and recomputes every hash, manifest and Payload-Oxum
still cannot produce the signature: it covers the manifest (and so every payload file), bag-info.txt
and the audit excerpt's last event, and only the service holds the private key. The key is read from
RECORDING_SIGNING_KEY_FILE, or generated there (mode 0600) at first use — outside the database, so a
database dump does not carry it. Several instances must share one key file.
"""

import base64
import hashlib
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ALGORITHM = "Ed25519"
SIGNATURE_FILE = "signature.json"


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_raw)

    @property
    def public_pem(self) -> str:
        return self.private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def derived_secret(self, purpose: str) -> bytes:
        """A symmetric key for another purpose (e.g. signing play links), derived so that every instance
        sharing the key file agrees on it and nothing else needs to be distributed."""
        raw = self.private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"recording-service:{purpose}".encode()).derive(raw)

    def describe(self) -> dict[str, str]:
        return {
            "key_id": self.key_id,
            "algorithm": ALGORITHM,
            "public_key": base64.b64encode(self.public_raw).decode(),
            "public_key_pem": self.public_pem,
        }


def key_id_of(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


@cache
def load_signing_key(path: Path) -> SigningKey:
    path = path.resolve()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:  # O_EXCL: two instances starting at once keep the one key that was written first
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
                handle.flush()
                os.fsync(handle.fileno())
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return SigningKey(key)


def canonical(statement: dict[str, Any]) -> bytes:
    return orjson.dumps(statement, option=orjson.OPT_SORT_KEYS)


def statement_of(files: dict[str, bytes], *, bag: str, last_event: dict[str, Any] | None) -> dict[str, Any]:
    """What the signature covers, recomputable offline from the bag itself."""
    return {
        "bag": bag,
        "bagit.txt": hashlib.sha256(files["bagit.txt"]).hexdigest(),
        "bag-info.txt": hashlib.sha256(files["bag-info.txt"]).hexdigest(),
        "manifest-sha256.txt": hashlib.sha256(files["manifest-sha256.txt"]).hexdigest(),
        "audit_excerpt_last": last_event,
    }


def sign(key: SigningKey, statement: dict[str, Any]) -> bytes:
    signature = key.private.sign(canonical(statement))
    body = {
        "algorithm": ALGORITHM,
        "key_id": key.key_id,
        "public_key": base64.b64encode(key.public_raw).decode(),
        "statement": statement,
        "signature": base64.b64encode(signature).decode(),
    }
    return orjson.dumps(body, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def public_key_from(text: str) -> bytes:
    """A public key given as a PEM file's path or contents, or as base64 of the 32 raw bytes."""
    candidate = Path(text)
    if len(text) < 4096 and candidate.is_file():
        text = candidate.read_text()
    if "BEGIN PUBLIC KEY" in text:
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    raw = base64.b64decode(text.strip(), validate=True)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return raw


def signature_valid(public_raw: bytes, statement: dict[str, Any], signature_b64: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(base64.b64decode(signature_b64, validate=True), canonical(statement))
        return True
    except (InvalidSignature, ValueError):
        return False
