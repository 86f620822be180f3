"""The machine's memory bandwidth (STREAM copy / scale / add / triad), the reference for bench_bandwidth.

Two working-set sizes:

* ``dram``: float64 arrays of 16 Mi elements (128 MiB each, > 4x the L3 cache as STREAM requires);
* ``16MiB``: float32 arrays of 4096x1024 (16 MiB each), the size ``bench_bandwidth.py`` uses: on a CPU
  with a 32 MiB L3 this is partly cache-resident, so it can exceed the DRAM number.

Bytes are counted the STREAM way (copy/scale: 2 arrays, add/triad: 3 arrays per element). NumPy runs
one ufunc per kernel with ``out=`` (triad is two ufuncs: ``c = s*b; c += a``, so its real traffic is
higher than counted); Numba runs ``@njit`` serial and ``@njit(parallel=True)`` ``prange`` loops.

    python benchmarks/bench_stream.py [--threads 2]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--no-numba", action="store_true")
    a = p.parse_args()
    _common.pin_threads(a.threads)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")   # as hybridnet sets it
    import numpy as np

    kernels = {}
    if not a.no_numba:
        import numba

        @numba.njit(parallel=True)
        def p_copy(a, c):
            for i in numba.prange(a.size):
                c[i] = a[i]

        @numba.njit(parallel=True)
        def p_triad(a, b, c, s):
            for i in numba.prange(a.size):
                a[i] = b[i] + s * c[i]

        @numba.njit
        def s_triad(a, b, c, s):
            for i in range(a.size):
                a[i] = b[i] + s * c[i]
        kernels = {"p_copy": p_copy, "p_triad": p_triad, "s_triad": s_triad}

    sizes = {"dram": (16 * 2 ** 20, np.float64), "16MiB": (4096 * 1024, np.float32)}
    out = {}
    for label, (n, dt) in sizes.items():
        A = np.full(n, 1.0, dt)
        B = np.full(n, 2.0, dt)
        C = np.zeros(n, dt)
        s = dt(3.0)
        w = A.itemsize * n
        cases = {
            "numpy_copy": (lambda: np.copyto(C, A), 2),
            "numpy_scale": (lambda: np.multiply(A, s, out=C), 2),
            "numpy_add": (lambda: np.add(A, B, out=C), 3),
            "numpy_triad": (lambda: (np.multiply(B, s, out=C), np.add(C, A, out=C)), 3),
        }
        if kernels:
            cases["numba_serial_triad"] = (lambda: kernels["s_triad"](C, A, B, s), 3)
            cases["numba_parallel_copy"] = (lambda: kernels["p_copy"](A, C), 2)
            cases["numba_parallel_triad"] = (lambda: kernels["p_triad"](C, A, B, s), 3)
        res = {}
        for name, (f, arrays) in cases.items():
            samples = _common.bench(f, a.repeat, warmup=2)
            res[name] = {"GBps_best": round(arrays * w / min(samples) / 1e9, 2),
                         "GBps_median": round(arrays * w / _common.median(samples) / 1e9, 2)}
        out[label] = {"bytes_per_array": w, "cases": res}
    info = {"bench": "stream", "threads": a.threads, "numpy": np.__version__, "sizes": out}
    if kernels:
        import numba
        info["numba"] = numba.__version__
        info["threading_layer"] = numba.threading_layer()
    _common.emit(info)


if __name__ == "__main__":
    main()
