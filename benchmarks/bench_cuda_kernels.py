"""GPU kernel check + timing on a real GPU (not the simulator): the numba.cuda kernels of
``hybridnet/kernels/cuda`` against CuPy's own, on large arrays.

For each kernel: correctness against CuPy / float64 (relative error), then the median time of
``REPS`` launches with CUDA events after warm-up, and the bandwidth it reached (bytes read + written
/ time). Also the host-side cost of one small eager call (``nd.exp`` on 1000 elements), which is
Python dispatch + the Numba launch.

    python benchmarks/bench_cuda_kernels.py
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402

REPS = 20


def timed(fn, reps=REPS, inner=10):
    """Median device time of one call (ms): ``inner`` calls queued back to back between two events,
    so the host's launch cost overlaps the previous kernel instead of being counted."""
    import cupy as cp
    for _ in range(3):
        fn()
    cp.cuda.get_current_stream().synchronize()
    ts = []
    for _ in range(reps):
        a, b = cp.cuda.Event(), cp.cuda.Event()
        a.record()
        for _ in range(inner):
            fn()
        b.record()
        b.synchronize()
        ts.append(cp.cuda.get_elapsed_time(a, b) / inner)
    return float(np.median(ts))


def host_us(fn, n=2000):
    """Host time per call (microseconds), the work queued but not waited for."""
    import cupy as cp
    for _ in range(20):
        fn()
    cp.cuda.get_current_stream().synchronize()
    t = time.perf_counter()
    for _ in range(n):
        fn()
    dt = (time.perf_counter() - t) / n * 1e6
    cp.cuda.get_current_stream().synchronize()
    return dt


def rel_err(got, want):
    import cupy as cp
    g = cp.asnumpy(got).astype(np.float64)
    w = cp.asnumpy(want).astype(np.float64)
    if np.isnan(g).any() != np.isnan(w).any():
        return float("nan")
    return float(np.linalg.norm(g - w) / max(np.linalg.norm(w), 1e-30))


def main():
    import cupy as cp
    import hybridnet as mx
    from hybridnet.kernels import kernel_for
    from hybridnet.ops.registry import REGISTRY, get_op

    dev = mx.gpu(0)
    rows = []

    def row(name, ms, nbytes, err, ref_ms=None):
        rows.append((name, ms, nbytes / ms / 1e6 if ms else 0.0, err, ref_ms))

    rng = cp.random.default_rng(0)
    n = 1 << 26   # 64M float32 = 256 MB
    x = rng.standard_normal(n, dtype=cp.float32)
    y = rng.standard_normal(n, dtype=cp.float32)
    out = cp.empty_like(x)
    k_exp = kernel_for(get_op("exp"), dev)
    k_add = kernel_for(get_op("broadcast_add"), dev)
    k_exp(x, out=out)
    row("exp f32 64M", timed(lambda: k_exp(x, out=out)), 8 * n, rel_err(out, cp.exp(x.astype(cp.float64))),
        timed(lambda: cp.exp(x, out=out)))
    k_add(x, y, out=out)
    row("add f32 64M", timed(lambda: k_add(x, y, out=out)), 12 * n, rel_err(out, x + y),
        timed(lambda: cp.add(x, y, out=out)))
    x2 = x.reshape(8192, 8192)
    b = rng.standard_normal((1, 8192), dtype=cp.float32)
    o2 = out.reshape(8192, 8192)
    k_add(x2, b, out=o2)
    row("add bcast (8192,8192)+(1,8192)", timed(lambda: k_add(x2, b, out=o2)), 8 * n, rel_err(o2, x2 + b),
        timed(lambda: cp.add(x2, b, out=o2)))
    xt = x2.T
    k_add(xt, b, out=o2)
    row("add strided x.T + b", timed(lambda: k_add(xt, b, out=o2)), 8 * n, rel_err(o2, xt + b),
        timed(lambda: cp.add(xt, b, out=o2)))
    h = x.astype(cp.float16)
    oh = cp.empty_like(h)
    k_exp(h, out=oh)
    row("exp f16 64M", timed(lambda: k_exp(h, out=oh)), 4 * n, rel_err(oh, cp.exp(h.astype(cp.float32))),
        timed(lambda: cp.exp(h, out=oh)))

    k_sum = kernel_for(get_op("sum"), dev)
    kw = dict(keepdims=False, exclude=False)
    for shape, axis in [((8192, 8192), (1,)), ((8192, 8192), (0,)), ((1 << 20, 64), (1,)),
                        ((64, 1 << 20), (1,)), ((1 << 26,), None), ((256, 512, 512), (0, 2))]:
        xs = x.reshape(shape)
        r = k_sum(xs, axis=axis, **kw)
        want = xs.astype(cp.float64).sum(axis=axis)
        row(f"sum {shape} axis={axis}", timed(lambda: k_sum(xs, axis=axis, **kw)), 4 * n, rel_err(r, want),
            timed(lambda: xs.sum(axis=axis)))
    for name in ("max", "mean", "argmax"):
        if name in REGISTRY:
            k = kernel_for(get_op(name), dev)
            xs = x.reshape(8192, 8192)
            try:
                r = k(xs, axis=1, keepdims=False, exclude=False)
            except TypeError:
                r = k(xs, axis=1, keepdims=False)
            ref = getattr(cp, name)(xs, axis=1)
            row(f"{name} (8192,8192) axis=1", timed(lambda: k(xs, axis=1, keepdims=False)), 4 * n,
                rel_err(r, ref), timed(lambda: getattr(cp, name)(xs, axis=1)))

    if "softmax" in REGISTRY:
        k = kernel_for(get_op("softmax"), dev)
        for shape in [(8192, 8192), (1 << 20, 64), (1 << 16, 1000)]:
            m = int(np.prod(shape))
            xs = x[:m].reshape(shape)
            o = cp.empty_like(xs)
            k(xs, out=o, axis=-1)
            x64 = xs.astype(cp.float64)
            e = cp.exp(x64 - x64.max(-1, keepdims=True))
            ref = e / e.sum(-1, keepdims=True)

            def cupy_softmax():
                ee = cp.exp(xs - xs.max(-1, keepdims=True))
                return ee / ee.sum(-1, keepdims=True)
            row(f"softmax {shape}", timed(lambda: k(xs, out=o, axis=-1)), 8 * m, rel_err(o, ref),
                timed(cupy_softmax))

    # host cost per call on 1000 elements: eager nd.exp, the kernel alone, CuPy
    from hybridnet import nd
    s = nd.array(np.ones(1000, np.float32), ctx=dev)
    xs = cp.ones(1000, cp.float32)
    os_ = cp.empty_like(xs)
    k_sum_small = kernel_for(get_op("sum"), dev)
    hosts = [("nd.exp(x)", host_us(lambda: nd.exp(s))),
             ("exp kernel(x, out=o)", host_us(lambda: k_exp(xs, out=os_))),
             ("cupy.exp(x, out=o)", host_us(lambda: cp.exp(xs, out=os_))),
             ("nd.sum(x)", host_us(lambda: nd.sum(s))),
             ("cupy.sum(x)", host_us(lambda: cp.sum(xs))),
             ("x + y (nd)", host_us(lambda: s + s))]
    if "softmax" in REGISTRY:
        s2 = nd.array(np.ones((10, 100), np.float32), ctx=dev)
        hosts.append(("nd.softmax((10,100))", host_us(lambda: nd.softmax(s2))))
    del k_sum_small

    print(f"\n{'kernel':44s} {'ms':>8s} {'GB/s':>8s} {'rel err':>9s} {'cupy ms':>8s}")
    for name, ms, gbs, err, ref_ms in rows:
        print(f"{name:44s} {ms:8.3f} {gbs:8.0f} {err:9.1e} {ref_ms if ref_ms is not None else float('nan'):8.3f}")
    print("\nhost time per call, 1000 elements (us):")
    for name, us in hosts:
        print(f"  {name:28s} {us:7.1f}")


def profile():
    """cProfile of the host side of small eager calls (where the microseconds go)."""
    import cProfile
    import pstats
    import cupy as cp
    import hybridnet as mx
    from hybridnet import nd
    s = nd.array(np.ones(1000, np.float32), ctx=mx.gpu(0))
    for f in (lambda: nd.exp(s), lambda: nd.sum(s, axis=0)):
        for _ in range(20):
            f()
        pr = cProfile.Profile()
        pr.enable()
        for _ in range(2000):
            f()
        pr.disable()
        cp.cuda.get_current_stream().synchronize()
        pstats.Stats(pr).sort_stats("tottime").print_stats(14)


if __name__ == "__main__":
    if "--profile" in sys.argv:
        profile()
    else:
        main()
