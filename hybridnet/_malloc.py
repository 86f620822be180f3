"""glibc malloc tuning for array workloads (set once at import; ``HYBRIDNET_MALLOC_TUNING=0`` skips it).

NumPy allocates every array with ``malloc``. glibc serves blocks above its (dynamic) mmap threshold
with a fresh ``mmap`` and trims the heap top above 128 KiB, so a loop that frees and re-allocates
1 MiB buffers -- every hybridized call hands out fresh output arrays, and training steps allocate
gradients -- page-faults each buffer in again: ~250 faults per LayerNorm call on (1024, 256)
(hybridized 516 us vs eager 298 us for forward+backward). Fixing the mmap threshold at 32 MiB (glibc's
maximum on 64-bit) and not trimming below 128 MiB keeps freed memory in the heap for reuse, as
PyTorch's caching allocator does: the transformer example's epoch fell from 0.40 to 0.23 s (BENCHMARKS.md
"malloc tuning"). Cost: freed memory up to those sizes stays mapped by the process. Environment
variables the user set (``MALLOC_MMAP_THRESHOLD_``...) win: nothing is changed then.
"""
import os
import sys

M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 128 * 1024 * 1024
TOP_PAD = 16 * 1024 * 1024

applied = False


def tune():
    """Apply the settings (Linux glibc only); returns True when applied."""
    global applied
    if applied or not sys.platform.startswith("linux") or os.environ.get("HYBRIDNET_MALLOC_TUNING", "1") == "0":
        return applied
    if any(k.startswith("MALLOC_") for k in os.environ):
        return False
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    ok = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    ok &= mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    ok &= mallopt(M_TOP_PAD, TOP_PAD) == 1
    applied = bool(ok)
    return applied
