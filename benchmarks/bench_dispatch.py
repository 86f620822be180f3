"""(a) Eager dispatch overhead: 1,000 chained small elementwise ops on a 16-element float32 array.

The chain repeats 250 times ``y = y * x; y = y + (-0.5); y = relu(y); y = exp(y)`` (array * array,
+scalar, relu, exp), with ``x`` in [-0.5, 0.5] so the values stay bounded (fixed point 1). The result is
synchronised once at the end (MXNet: ``wait_to_read`` + ``nd.waitall``: its engine is asynchronous).
Reported: microseconds per op, median (and min) over ``--repeat`` chains, plus a per-op breakdown
(1,000 calls of one op kind each).

    python benchmarks/bench_dispatch.py --framework hybridnet|mxnet|torch|numpy
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

N_OPS = 1000
SIZE = 16


def setup(framework, threads):
    """Return (ops, x, y0, sync, version) for the framework: ops = dict kind -> f(y, x)."""
    import numpy as np
    rng = np.random.default_rng(0)
    xn = rng.uniform(-0.5, 0.5, SIZE).astype(np.float32)
    yn = np.ones(SIZE, np.float32)
    if framework == "hybridnet":
        import hybridnet as mx
        nd = mx.nd
        x, y0 = nd.array(xn), nd.array(yn)
        ops = {"mul": lambda y, x: y * x, "plus_scalar": lambda y, x: y + (-0.5),
               "relu": lambda y, x: nd.relu(y), "exp": lambda y, x: nd.exp(y)}
        return ops, x, y0, lambda y: y.wait_to_read(), mx.__version__
    if framework == "mxnet":
        import mxnet as mx
        nd = mx.nd
        x, y0 = nd.array(xn), nd.array(yn)

        def sync(y):
            y.wait_to_read()
            nd.waitall()
        ops = {"mul": lambda y, x: y * x, "plus_scalar": lambda y, x: y + (-0.5),
               "relu": lambda y, x: nd.relu(y), "exp": lambda y, x: nd.exp(y)}
        return ops, x, y0, sync, mx.__version__
    if framework == "torch":
        import torch
        torch.set_num_threads(threads)
        x, y0 = torch.from_numpy(xn), torch.from_numpy(yn)
        ops = {"mul": lambda y, x: y * x, "plus_scalar": lambda y, x: y + (-0.5),
               "relu": lambda y, x: torch.relu(y), "exp": lambda y, x: torch.exp(y)}
        return ops, x, y0, lambda y: None, torch.__version__
    if framework == "numpy":
        ops = {"mul": lambda y, x: y * x, "plus_scalar": lambda y, x: y + np.float32(-0.5),
               "relu": lambda y, x: np.maximum(y, np.float32(0)), "exp": lambda y, x: np.exp(y)}
        return ops, xn, yn, lambda y: None, np.__version__
    raise SystemExit(f"unknown framework {framework!r}; choose from {_common.FRAMEWORKS}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--framework", required=True, choices=_common.FRAMEWORKS)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=30)
    a = p.parse_args()
    _common.pin_threads(a.threads)
    import numpy as np
    ops, x, y0, sync, version = setup(a.framework, a.threads)
    mul, plus, relu, exp = ops["mul"], ops["plus_scalar"], ops["relu"], ops["exp"]

    def chain():
        y = y0
        for _ in range(N_OPS // 4):
            y = mul(y, x)
            y = plus(y, x)
            y = relu(y, x)
            y = exp(y, x)
        sync(y)
        return y

    out = chain()   # warm-up: compiles hybridnet's kernels, MXNet's engine start, ...
    checksum = float(np.asarray(out.asnumpy() if hasattr(out, "asnumpy") else out).sum())
    samples = _common.bench(chain, a.repeat, warmup=2)
    per_op = [s / N_OPS * 1e6 for s in samples]

    breakdown = {}
    for kind, f in ops.items():
        def one(f=f):
            y = y0
            for _ in range(N_OPS):
                r = f(y, x)
            sync(r)
        s = _common.bench(one, max(5, a.repeat // 3), warmup=1)
        breakdown[kind] = round(_common.median(s) / N_OPS * 1e6, 3)

    _common.emit({"bench": "dispatch", "framework": a.framework, "version": version, "threads": a.threads,
                  "n_ops": N_OPS, "size": SIZE, "repeat": a.repeat,
                  "us_per_op_median": round(_common.median(per_op), 3), "us_per_op_min": round(min(per_op), 3),
                  "breakdown_us": breakdown, "checksum": checksum})


if __name__ == "__main__":
    main()
