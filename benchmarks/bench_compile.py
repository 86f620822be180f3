"""(c) JIT compile time of hybridnet kernels: first call cold (empty Numba cache) vs warm (on-disk cache).

Run it twice with the same ``--cache-dir``: the first process compiles and writes the cache (cold), the
second loads it (warm). ``run_all.py`` does exactly that with a fresh temporary directory. Times:

* ``import_hybridnet_s`` (compiles nothing), ``import_numba_s`` (paid once, by the first kernel);
* per op, the first call on a small float32 array (serial kernel) minus nothing: it is the whole
  first-call time, compile or cache load included; ``steady_us`` is a later call of the same op;
* ``relu[parallel]``: building the parallel (``target="parallel"``) variant of relu's float32 ufunc,
  which hybridnet builds on the first call with at least ``PARALLEL_MIN_SIZE`` elements (a second
  compile of the same op); ``steady_us`` is that ufunc on 2**20 elements.

    NUMBA_CACHE_DIR=/tmp/x python benchmarks/bench_compile.py --phase cold
    NUMBA_CACHE_DIR=/tmp/x python benchmarks/bench_compile.py --phase warm
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

OPS = ("relu", "exp", "broadcast_add", "sum", "softmax")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--phase", choices=("cold", "warm"), required=True)
    p.add_argument("--cache-dir", help="NUMBA_CACHE_DIR (default: the environment's)")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    _common.pin_threads(a.threads)
    if a.cache_dir:
        os.environ["NUMBA_CACHE_DIR"] = a.cache_dir
    cache_dir = os.environ.get("NUMBA_CACHE_DIR")
    if a.phase == "cold" and cache_dir and os.path.isdir(cache_dir) and os.listdir(cache_dir):
        raise SystemExit(f"--phase cold needs an empty NUMBA_CACHE_DIR; {cache_dir} has files")

    t = time.perf_counter()
    import hybridnet as mx
    t_import = time.perf_counter() - t
    import numpy as np
    t = time.perf_counter()
    import numba  # noqa: F401  (hybridnet imports it lazily on the first kernel; time it on its own)
    t_numba = time.perf_counter() - t

    nd = mx.nd
    x = nd.array(np.linspace(-2, 2, 1000, dtype=np.float32).reshape(10, 100))
    calls = {"relu": lambda: nd.relu(x), "exp": lambda: nd.exp(x),
             "broadcast_add": lambda: nd.broadcast_add(x, x), "sum": lambda: nd.sum(x)}
    if hasattr(nd, "softmax"):
        calls["softmax"] = lambda: nd.softmax(x, axis=-1)
    res = {}
    for name in OPS:
        if name not in calls:
            res[name] = None
            continue
        f = calls[name]
        t = time.perf_counter()
        f().wait_to_read()
        first = time.perf_counter() - t
        steady = _common.median(_common.bench(lambda: f().wait_to_read(), 20, warmup=1))
        res[name] = {"first_s": round(first, 4), "steady_us": round(steady * 1e6, 2)}
    from hybridnet.device import cpu
    from hybridnet.kernels import kernel_for
    from hybridnet.ops.registry import get_op
    k = kernel_for(get_op("relu"), cpu())
    big = np.linspace(-2, 2, 2 ** 20, dtype=np.float32)
    t = time.perf_counter()
    puf = k._ufunc_for(np.dtype(np.float32), True)
    puf(big)
    res["relu[parallel]"] = {"first_s": round(time.perf_counter() - t, 4),
                             "steady_us": round(_common.median(_common.bench(lambda: puf(big), 20)) * 1e6, 2),
                             "size": int(big.size)}
    n_files = sum(len(fs) for _, _, fs in os.walk(cache_dir)) if cache_dir and os.path.isdir(cache_dir) else None
    _common.emit({"bench": "compile", "phase": a.phase, "cache_dir": cache_dir, "cache_files": n_files,
                  "import_hybridnet_s": round(t_import, 4), "import_numba_s": round(t_numba, 4),
                  "ops": res})


if __name__ == "__main__":
    main()
