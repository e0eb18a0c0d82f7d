"""Process-level tuning that keeps memory flat however large the upload."""

import ctypes
import ctypes.util

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8


def tune_allocator() -> None:
    """glibc raises its mmap threshold after large frees and gives each thread an arena, so
    multi-MiB upload buffers freed by worker threads linger as RSS. Fix the threshold (buffers of
    1 MiB and more are mapped and unmapped) and cap arenas. A no-op off glibc."""
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, 1024 * 1024)
    mallopt(M_ARENA_MAX, 2)
