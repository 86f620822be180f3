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
