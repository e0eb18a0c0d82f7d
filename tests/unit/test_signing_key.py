"""The signing key read without the signature library (export/signing.py): the same key, the same derived secrets and
key id as the library gives, for every form a key file may come in; anything unusable refused with a clear reason."""

import base64
import os
import subprocess

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from recording_service.export.signing import hkdf_sha256, key_id_of, load_signing_key

PURPOSES = ("play-links", "login-forms", "public-forms", "flash-messages", "share-access-codes", "share-access-cookies")


def library_secret(key: Ed25519PrivateKey, purpose: str) -> bytes:
    """How the secrets were derived before the key was read without the library: stored share codes depend on it."""
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"recording-service:{purpose}".encode()).derive(raw)


def pem_of(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def check_same_as_library(path, key: Ed25519PrivateKey) -> None:
    loaded = load_signing_key(path)
    for purpose in PURPOSES:
        assert loaded.derived_secret(purpose) == library_secret(key, purpose)
    public_raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert loaded.public_raw == public_raw and loaded.key_id == key_id_of(public_raw)
    message = b"statement"
    key.public_key().verify(loaded.private.sign(message), message)  # raises if the key read is not the key


def test_hkdf_is_the_librarys_for_any_key_material_and_purpose():
    for length in (0, 1, 32, 33, 200):
        material = os.urandom(length)
        for info in (b"", b"recording-service:play-links", "公示".encode() * 40):
            expected = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material)
            assert hkdf_sha256(material, info) == expected


@pytest.mark.parametrize("line_end", [b"\n", b"\r\n"])
def test_a_key_written_by_the_library_reads_as_the_library_reads_it(tmp_path, line_end):
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "key.pem"
    path.write_bytes(pem_of(key).replace(b"\n", line_end))
    check_same_as_library(path, key)


def test_a_key_written_by_openssl_reads_as_the_library_reads_it(tmp_path):
    path = tmp_path / "openssl.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(path)], check=True, capture_output=True)
    check_same_as_library(path, serialization.load_pem_private_key(path.read_bytes(), password=None))


def test_a_key_in_another_encoding_is_read_by_the_library(tmp_path):
    """OpenSSL's traditional form and a PKCS #8 v2 key carrying its public key are not the short form read by hand."""
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    # OneAsymmetricKey (RFC 5958) version 1 with the public key [1]: RFC 8410 §10.3's example layout
    der = bytes.fromhex("3051020101300506032b657004220420") + raw + bytes.fromhex("812100") + public
    path = tmp_path / "v2.pem"
    path.write_bytes(b"-----BEGIN PRIVATE KEY-----\n" + base64.encodebytes(der) + b"-----END PRIVATE KEY-----\n")
    check_same_as_library(path, key)


def test_a_key_the_service_makes_is_kept_and_read_back(tmp_path):
    path = tmp_path / "made" / "signing-key.pem"
    made = load_signing_key(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    check_same_as_library(path, serialization.load_pem_private_key(path.read_bytes(), password=None))
    assert "seed" not in repr(made) and made.seed.hex() not in repr(made)


@pytest.mark.parametrize(
    "content",
    [
        b"not a key at all\n",
        b"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
        b"",
    ],
)
def test_a_file_without_a_key_is_refused_with_its_path(tmp_path, content):
    path = tmp_path / "broken.pem"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="broken.pem"):
        load_signing_key(path)


def test_another_kind_of_key_or_one_with_a_password_is_refused(tmp_path):
    rsa_key = tmp_path / "rsa.pem"
    rsa_key.write_bytes(pem_of(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    with pytest.raises(ValueError, match="not hold an Ed25519 private key"):
        load_signing_key(rsa_key)
    locked = tmp_path / "locked.pem"
    locked.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"secret")
        )
    )
    with pytest.raises(ValueError, match="locked.pem"):
        load_signing_key(locked)
