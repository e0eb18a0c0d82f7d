"""tus checksum extension: per-chunk Upload-Checksum verification."""

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core.problems import Problem

if TYPE_CHECKING:
    from _hashlib import HASH

ALGORITHMS = ("sha1", "md5", "sha256")


@dataclass
class ChunkChecksum:
    algorithm: str
    expected: bytes

    def new_hasher(self) -> "HASH":
        return hashlib.new(self.algorithm)


def parse_upload_checksum(header: str | None) -> ChunkChecksum | None:
    if header is None:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in ALGORITHMS:
        raise Problem(
            400,
            "unsupported-checksum-algorithm",
            f"Upload-Checksum algorithm '{algorithm}' is not supported; use one of {', '.join(ALGORITHMS)}.",
        )
    try:
        expected = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise Problem(400, "invalid-checksum", "Upload-Checksum must be 'ALGORITHM BASE64DIGEST'.") from None
    if len(expected) != hashlib.new(algorithm).digest_size:
        raise Problem(400, "invalid-checksum", f"Upload-Checksum digest has the wrong length for {algorithm}.")
    return ChunkChecksum(algorithm, expected)
