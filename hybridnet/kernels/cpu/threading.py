"""Threading policy for CPU kernels.

``PARALLEL_MIN_SIZE``: elementwise ufuncs switch from the serial to the parallel Numba target at this
many elements (measured by ``benchmarks/bench_parallel_threshold.py``; see BENCHMARKS.md).

Numba's OpenMP workers spin after a parallel region and starve OpenBLAS's threads (DESIGN.md §7), so
``OMP_WAIT_POLICY=PASSIVE`` is set before Numba starts its pool unless the user chose a policy.
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

PARALLEL_MIN_SIZE = int(os.environ.get("HYBRIDNET_PARALLEL_MIN_SIZE", 131072))
