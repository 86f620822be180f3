"""(b) Bandwidth of large eager ops on a 4096x1024 float32 array (16 MiB).

Cases (eager, out-of-place, as users write them; each result is synchronised):

* ``mul_add``: ``x * 2 + 1`` as two ops: 2 reads + 2 writes of 16 MiB = 64 MiB of traffic;
* ``relu``: one op, 1 read + 1 write = 32 MiB;
* ``softmax``: row softmax over the last axis, counted as the minimum traffic 1 read + 1 write = 32 MiB
  (implementations that make several passes show up as lower effective GB/s).

GB/s = bytes / median time (1 GB = 1e9 bytes). Compare with ``bench_stream.py`` (machine's STREAM copy /
triad bandwidth). ``numpy`` has no softmax: it runs the usual max/subtract/exp/sum/divide composition.

    python benchmarks/bench_bandwidth.py --framework hybridnet|mxnet|torch|numpy
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

SHAPE = (4096, 1024)


def setup(framework, threads):
    import numpy as np
    xn = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    if framework == "hybridnet":
        import hybridnet as mx
        nd = mx.nd
        x = nd.array(xn)
        cases = {"mul_add": lambda: x * 2 + 1, "relu": lambda: nd.relu(x)}
        if hasattr(nd, "softmax"):
            cases["softmax"] = lambda: nd.softmax(x, axis=-1)
        return cases, lambda y: y.wait_to_read(), lambda y: y.asnumpy(), mx.__version__
    if framework == "mxnet":
        import mxnet as mx
        nd = mx.nd
        x = nd.array(xn)
        cases = {"mul_add": lambda: x * 2 + 1, "relu": lambda: nd.relu(x),
                 "softmax": lambda: nd.softmax(x, axis=-1)}
        return cases, lambda y: y.wait_to_read(), lambda y: y.asnumpy(), mx.__version__
    if framework == "torch":
        import torch
        torch.set_num_threads(threads)
        x = torch.from_numpy(xn)
        cases = {"mul_add": lambda: x * 2 + 1, "relu": lambda: torch.relu(x),
                 "softmax": lambda: torch.softmax(x, dim=-1)}
        return cases, lambda y: None, lambda y: y.numpy(), torch.__version__
    if framework == "numpy":
        def softmax():
            e = np.exp(xn - xn.max(axis=-1, keepdims=True))
            e /= e.sum(axis=-1, keepdims=True)
            return e
        cases = {"mul_add": lambda: xn * np.float32(2) + np.float32(1),
                 "relu": lambda: np.maximum(xn, np.float32(0)), "softmax": softmax}
        return cases, lambda y: None, lambda y: y, np.__version__
    raise SystemExit(f"unknown framework {framework!r}")


BYTES = {"mul_add": 4, "relu": 2, "softmax": 2}   # multiples of the array's size in bytes


def reference(case, xn):
    import numpy as np
    if case == "mul_add":
        return xn * 2 + 1
    if case == "relu":
        return np.maximum(xn, 0)
    e = np.exp(xn.astype(np.float64) - xn.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--framework", required=True, choices=_common.FRAMEWORKS)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=30)
    a = p.parse_args()
    _common.pin_threads(a.threads)
    import numpy as np
    cases, sync, host, version = setup(a.framework, a.threads)
    xn = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    nbytes = xn.nbytes
    res = {}
    for name, f in cases.items():
        y = f()
        sync(y)
        err = float(np.max(np.abs(np.asarray(host(y), np.float64) - reference(name, xn))))

        def run(f=f):
            sync(f())
        s = _common.bench(run, a.repeat, warmup=2)
        t = _common.median(s)
        res[name] = {"ms": round(t * 1e3, 3), "ms_min": round(min(s) * 1e3, 3),
                     "GBps": round(BYTES[name] * nbytes / t / 1e9, 2), "max_abs_err": err}
    pms = None
    if a.framework == "hybridnet":
        from hybridnet.kernels.cpu.threading import PARALLEL_MIN_SIZE as pms
    _common.emit({"bench": "bandwidth", "framework": a.framework, "version": version, "threads": a.threads,
                  "parallel_min_size": pms,
                  "shape": list(SHAPE), "repeat": a.repeat, "cases": res,
                  "missing": [c for c in BYTES if c not in res]})


if __name__ == "__main__":
    main()
