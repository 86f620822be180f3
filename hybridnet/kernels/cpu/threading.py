"""Threading policy for CPU kernels.

Two thresholds, measured on the 2-core dev/CI machine (``benchmarks/bench_parallel_threshold.py``,
BENCHMARKS.md (d)):

- ``PARALLEL_MIN_SIZE`` (65536): ``prange`` kernels (softmax, reductions, fused elementwise groups)
  switch to their parallel variant at this many elements; exp/sigmoid/softmax-type work wins from
  ~64 Ki elements (row softmax 4096x1024: 1.6 ms parallel vs 3.0 ms serial on an idle machine).
- ``UFUNC_PARALLEL_MIN_SIZE`` ("never"): Numba's parallel-target ufunc under the OpenMP layer calls the
  inner loop once per element and was 1.8-57x slower than the serial ufunc at every size (relu on
  2**20 float32: 2.9 ms vs 0.095 ms), while serial cheap ops already run near STREAM bandwidth.

Both can be overridden with ``HYBRIDNET_PARALLEL_MIN_SIZE`` / ``HYBRIDNET_UFUNC_PARALLEL_MIN_SIZE``.

Numba's OpenMP workers spin after a parallel region and starve OpenBLAS's threads (DESIGN.md §7), so
``OMP_WAIT_POLICY=PASSIVE`` is set before Numba starts its pool unless the user chose a policy.
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

PARALLEL_MIN_SIZE = int(os.environ.get("HYBRIDNET_PARALLEL_MIN_SIZE", 65536))
UFUNC_PARALLEL_MIN_SIZE = int(os.environ.get("HYBRIDNET_UFUNC_PARALLEL_MIN_SIZE", 2 ** 62))
# Fused elementwise groups made only of cheap ops (arithmetic, comparisons, relu, clip: no libm call)
# are memory-bound like ``add``, whose prange loop wins only from ~1 Mi elements (table (d)); below that
# the parallel region's wake-up costs more than it saves: the relu-backward group of a 128x512 Dense
# layer ran 41 us parallel vs 19 us serial right after a GEMM (BENCHMARKS.md "Gluon MLP training").
CHEAP_PARALLEL_MIN_SIZE = int(os.environ.get("HYBRIDNET_CHEAP_PARALLEL_MIN_SIZE", 2 ** 20))

# ---- BLAS threads for small GEMMs ----------------------------------------------------------------
# NumPy's OpenBLAS wakes its worker threads for every GEMM. On the 2-core machine a small product
# (the 64x64x128 layers of examples/train_digits.py) then cost 3.6 ms on average instead of 12 us once
# other work ran between calls (thread wake-up outliers; /tmp-free repro in BENCHMARKS.md "BLAS
# threads"). Products below BLAS_SINGLE_MAX multiply-adds run single-threaded; larger ones use
# OpenBLAS's default. ``HYBRIDNET_BLAS_SINGLE_MAX=0`` turns this off.
BLAS_SINGLE_MAX = int(os.environ.get("HYBRIDNET_BLAS_SINGLE_MAX", 2 ** 23))
_BLAS = {"set": None, "default": None, "current": None, "looked": False}


def _find_openblas():
    import ctypes
    import glob
    import numpy as np
    _BLAS["looked"] = True
    libdir = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libdir, "*openblas*"))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                setn = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                getn = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if setn is not None and getn is not None:
                    _BLAS["set"], _BLAS["default"] = setn, int(getn())
                    _BLAS["current"] = _BLAS["default"]
                    return


def blas_threads_for(macs):
    """Pick OpenBLAS's thread count for a GEMM of ``macs`` multiply-adds (no-op if not OpenBLAS)."""
    if not _BLAS["looked"]:
        _find_openblas()
    setn = _BLAS["set"]
    if setn is None:
        return
    want = 1 if macs < BLAS_SINGLE_MAX else _BLAS["default"]
    if want != _BLAS["current"]:
        setn(want)
        _BLAS["current"] = want
