"""SHA-256 whose running state can be saved and restored.

hashlib cannot export its state, but an upload must resume on another instance or after a
restart without re-reading gigabytes. OpenSSL's SHA256_* functions work on a plain, publicly
specified SHA256_CTX struct (openssl/sha.h), so the state is 112 bytes we can store in the
database. These are the same optimised (SHA-NI/AVX) routines hashlib uses, and ctypes releases
the GIL during the call, so hashing runs in parallel with the event loop.
"""

import _hashlib  # noqa: F401  (loads the libcrypto this interpreter already trusts)
import ctypes
import ctypes.util
from functools import cache


class _Sha256Ctx(ctypes.Structure):
    _fields_ = [
        ("h", ctypes.c_uint32 * 8),
        ("Nl", ctypes.c_uint32),
        ("Nh", ctypes.c_uint32),
        ("data", ctypes.c_uint32 * 16),
        ("num", ctypes.c_uint),
        ("md_len", ctypes.c_uint),
    ]


STATE_SIZE = ctypes.sizeof(_Sha256Ctx)


def _libcrypto_path() -> str:
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                if "libcrypto" in line:
                    return line.split()[-1]
    except OSError:
        pass
    found = ctypes.util.find_library("crypto")
    if not found:
        raise RuntimeError("libcrypto (OpenSSL) not found; it is needed for resumable SHA-256")
    return found


@cache
def _lib() -> ctypes.CDLL:
    lib = ctypes.CDLL(_libcrypto_path())
    ctx = ctypes.POINTER(_Sha256Ctx)
    lib.SHA256_Init.argtypes = [ctx]
    lib.SHA256_Update.argtypes = [ctx, ctypes.c_void_p, ctypes.c_size_t]
    lib.SHA256_Final.argtypes = [ctypes.c_char_p, ctx]
    return lib


class ResumableSha256:
    __slots__ = ("_ctx",)

    def __init__(self, state: bytes | None = None) -> None:
        if state is None:
            self._ctx = _Sha256Ctx()
            _lib().SHA256_Init(ctypes.byref(self._ctx))
        else:
            if len(state) != STATE_SIZE:
                raise ValueError("bad SHA-256 state")
            self._ctx = _Sha256Ctx.from_buffer_copy(state)

    def update(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        if not view.nbytes:
            return
        pointer: ctypes.c_void_p | int
        if view.readonly:
            pointer = ctypes.cast(ctypes.c_char_p(bytes(view) if not isinstance(data, bytes) else data), ctypes.c_void_p)
        else:
            pointer = ctypes.addressof(ctypes.c_char.from_buffer(view))
        _lib().SHA256_Update(ctypes.byref(self._ctx), pointer, view.nbytes)

    def state(self) -> bytes:
        return bytes(self._ctx)

    def copy(self) -> "ResumableSha256":
        return ResumableSha256(self.state())

    def digest(self) -> bytes:
        out = ctypes.create_string_buffer(32)
        ctx = _Sha256Ctx.from_buffer_copy(bytes(self._ctx))  # finalising must not consume our state
        _lib().SHA256_Final(out, ctypes.byref(ctx))
        return out.raw

    def hexdigest(self) -> str:
        return self.digest().hex()
