"""Threading policy for CPU kernels.

``PARALLEL_MIN_SIZE``: CPU kernels (elementwise ufuncs, fused groups, reductions, softmax) switch from
their serial to their parallel Numba variant at this many elements. Measured on the 2-core CI/dev
machine (``benchmarks/bench_parallel_threshold.py``, BENCHMARKS.md (d)): with Numba's OpenMP layer the
parallel-target ufunc never beats the serial one (relu on 2**20 float32: 2.9 ms parallel vs 0.095 ms
serial, whatever OMP_WAIT_POLICY/GOMP_SPINCOUNT say), serial cheap ops already run at ~94% of STREAM
bandwidth, and the serial softmax was faster too (3.1 vs 4.5 ms on 4096x1024). So the default is
"never"; set ``HYBRIDNET_PARALLEL_MIN_SIZE`` (e.g. 262144) on machines with more cores.

Numba's OpenMP workers spin after a parallel region and starve OpenBLAS's threads (DESIGN.md §7), so
``OMP_WAIT_POLICY=PASSIVE`` is set before Numba starts its pool unless the user chose a policy.
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

PARALLEL_MIN_SIZE = int(os.environ.get("HYBRIDNET_PARALLEL_MIN_SIZE", 2 ** 62))
