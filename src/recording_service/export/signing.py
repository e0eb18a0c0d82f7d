"""The key that signs case files (Ed25519), and the signed statement a bag carries.

A forger who rewrites an exported audit event and recomputes every hash, manifest and Payload-Oxum
still cannot produce the signature: it covers the manifest (and so every payload file), bag-info.txt
and the audit excerpt's last event, and only the service holds the private key. The key is read from
RECORDING_SIGNING_KEY_FILE, or generated there (mode 0600) at first use — outside the database, so a
database dump does not carry it. Several instances must share one key file.

The signature library (cryptography: ~9 MB of a server's resident memory) is imported only where a key is made,
a signature made or checked, or a key in an unusual form read: every server process reads the key at start (the
secrets of sign-in forms, play links and flash cookies are derived from it), but most never sign. The form this
service and `openssl genpkey` write is read here, and the derivation is HKDF-SHA256 (RFC 5869), two HMACs;
tests/unit check both against the library.
"""

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from ..core.child import call_in_child

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ALGORITHM = "Ed25519"
SIGNATURE_FILE = "signature.json"
# A PKCS #8 Ed25519 private key (RFC 8410 §7) with neither attributes nor the public key is these 16 bytes and
# then the 32-byte key itself: the form this service and `openssl genpkey -algorithm ed25519` write.
_PKCS8_ED25519_PREFIX = bytes.fromhex("302e020100300506032b657004220420")


@dataclass(frozen=True)
class SigningKey:
    seed: bytes = field(repr=False)  # the 32-byte private key (RFC 8032 §5.1.5)

    @cached_property
    def private(self) -> "Ed25519PrivateKey":
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @cached_property
    def public_raw(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_raw)

    @property
    def public_pem(self) -> str:
        from cryptography.hazmat.primitives import serialization

        return self.private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def derived_secret(self, purpose: str) -> bytes:
        """A symmetric key for another purpose (e.g. signing play links), derived so that every instance
        sharing the key file agrees on it and nothing else needs to be distributed."""
        return hkdf_sha256(self.seed, f"recording-service:{purpose}".encode())

    def describe(self) -> dict[str, str]:
        return {
            "key_id": self.key_id,
            "algorithm": ALGORITHM,
            "public_key": base64.b64encode(self.public_raw).decode(),
            "public_key_pem": self.public_pem,
        }


def hkdf_sha256(key_material: bytes, info: bytes) -> bytes:
    """HKDF-SHA256 (RFC 5869) without a salt, 32 bytes long: extract, then the first block of expand."""
    pseudo_random_key = hmac.digest(bytes(32), key_material, "sha256")
    return hmac.digest(pseudo_random_key, info + b"\x01", "sha256")


def key_id_of(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


@cache
def load_signing_key(path: Path) -> SigningKey:
    path = path.resolve()
    if not path.exists():
        _generate(path)
    return SigningKey(_seed_of(path.read_bytes(), path))


def _generate(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:  # O_EXCL: two instances starting at once keep the one key that was written first
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())


def _seed_of(pem: bytes, path: Path) -> bytes:
    der = _der_of_private_key_pem(pem)
    if der is not None and len(der) == len(_PKCS8_ED25519_PREFIX) + 32 and der.startswith(_PKCS8_ED25519_PREFIX):
        return der[len(_PKCS8_ED25519_PREFIX) :]
    # Any other form (an encrypted key, one carrying its public key, another algorithm, no key at all): the library
    # reads it or says why not.
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:  # TypeError: a key that needs a password
        raise ValueError(f"{path} does not hold a readable private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def _der_of_private_key_pem(pem: bytes) -> bytes | None:
    """The DER of a file that is exactly one unencrypted PKCS #8 PEM block; None for anything else."""
    lines = pem.strip().splitlines()
    if len(lines) < 3 or lines[0].strip() != b"-----BEGIN PRIVATE KEY-----" or lines[-1].strip() != b"-----END PRIVATE KEY-----":
        return None
    try:
        return base64.b64decode(b"".join(line.strip() for line in lines[1:-1]), validate=True)
    except binascii.Error:
        return None


def key_id_in_child(path: Path) -> str:
    """The key's id, read (or the key made) by a child Python process: the server that asks keeps none of the
    signature library's memory until it signs something. Exits (the child said why) if the key is unusable."""
    key_id: str = call_in_child("recording_service.export.signing.key_id_in_file", str(path))
    return key_id


def key_id_in_file(path: str) -> str:
    """The id of the key in `path` (made if missing); a key it cannot use ends the command, saying why."""
    try:
        return load_signing_key(Path(path)).key_id
    except (OSError, ValueError) as exc:
        raise SystemExit(f"the signing key {path}: {exc}") from None


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
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

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
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(base64.b64decode(signature_b64, validate=True), canonical(statement))
        return True
    except (InvalidSignature, ValueError):
        return False
