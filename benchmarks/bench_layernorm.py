"""LayerNorm / GroupNorm / InstanceNorm / L2Normalization kernels: the Numba CPU kernels
(kernels/cpu/norm.py, serial and prange variants) vs the NumPy composite (the array-API body in
kernels/generic/norm.py: mean, centred variance, broadcast normalise), float32, us per call. The
transformer case is LayerNorm over the last axis of (16*64, 256). Then nd.LayerNorm forward and
forward + backward, eager and hybridized (gluon.nn.LayerNorm), and the _backward_LayerNorm kernel alone.
Run: python benchmarks/bench_layernorm.py"""
import time

import numpy as np

from hybridnet.kernels.cpu import norm as cpu
from hybridnet.kernels.generic import norm as gen


def _time(fn, reps=15, budget=0.03):
    """The best of ``reps`` batches (each about ``budget`` seconds), us per call: robust to other processes
    on this shared 2-core machine."""
    fn()
    t0 = time.perf_counter()
    fn()
    n = max(1, int(budget / max(time.perf_counter() - t0, 1e-7)))
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best * 1e6


def _force(par, fn):
    """Run ``fn`` with the parallel threshold forced (par=True: always prange; False: never)."""
    def run():
        old = cpu.ROW_PARALLEL_MIN_SIZE
        cpu.ROW_PARALLEL_MIN_SIZE = 0 if par else 2 ** 62
        try:
            return fn()
        finally:
            cpu.ROW_PARALLEL_MIN_SIZE = old
    return run


def naive_layer_norm(x, g, b, eps=1e-5):
    """The textbook NumPy composite: x.mean, x.var, one broadcast expression."""
    m = x.mean(-1, keepdims=True)
    v = x.var(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b


def main():
    rng = np.random.default_rng(0)
    rows = []
    cases = [
        ("LayerNorm (1024, 256) axis -1 [transformer]", (1024, 256), "ln", {"axis": -1}),
        ("LayerNorm (32, 35, 256) axis -1", (32, 35, 256), "ln", {"axis": -1}),
        ("LayerNorm (64, 1024) axis -1", (64, 1024), "ln", {"axis": -1}),
        ("LayerNorm (8192, 1024) axis -1", (8192, 1024), "ln", {"axis": -1}),
        ("LayerNorm (16, 256, 64) axis 1", (16, 256, 64), "ln", {"axis": 1}),
        ("GroupNorm (32, 64, 16, 16) G=8", (32, 64, 16, 16), "gn", {"num_groups": 8}),
        ("InstanceNorm (32, 64, 16, 16)", (32, 64, 16, 16), "in", {}),
        ("L2Normalization (1024, 256) instance", (1024, 256), "l2", {"mode": "instance"}),
        ("L2Normalization (32, 64, 16, 16) channel", (32, 64, 16, 16), "l2", {"mode": "channel"}),
    ]
    for label, shape, kind, attrs in cases:
        x = rng.standard_normal(shape).astype(np.float32)
        if kind == "ln":
            C = shape[attrs["axis"]]
            p = [rng.uniform(0.5, 1.5, C).astype(np.float32), rng.uniform(-1, 1, C).astype(np.float32)]
            k_fn, g_fn = cpu.layer_norm, gen.layer_norm
        elif kind == "gn":
            p = [np.ones(attrs["num_groups"], np.float32), np.zeros(attrs["num_groups"], np.float32)]
            k_fn, g_fn = cpu.group_norm, gen.group_norm
        elif kind == "in":
            p = [np.ones(shape[1], np.float32), np.zeros(shape[1], np.float32)]
            k_fn, g_fn = cpu.instance_norm, gen.instance_norm
        else:
            p = []
            k_fn, g_fn = cpu.l2_normalization, gen.l2_normalization
        kw = dict(attrs, eps=1e-5)
        t_ser = _time(_force(False, lambda: k_fn(x, *p, **kw)))
        t_par = _time(_force(True, lambda: k_fn(x, *p, **kw)))
        t_def = _time(lambda: k_fn(x, *p, **kw))
        t_gen = _time(lambda: g_fn(x, *p, **kw))
        extra = ""
        if kind == "ln" and attrs["axis"] == -1:
            extra = f"  naive numpy {_time(lambda: naive_layer_norm(x, *p)):8.1f}"
        rows.append(label)
        print(f"{label:<45} numba serial {t_ser:8.1f}  prange {t_par:8.1f}  default {t_def:8.1f}  "
              f"numpy composite {t_gen:8.1f}{extra}  (us)")

    end_to_end(rng)


E2E_CASES = [((1024, 256), -1, "transformer"), ((32, 35, 256), -1, "LSTM-LM sized"), ((16, 256, 64), 1, "middle axis")]


def end_to_end(rng):
    """``nd.LayerNorm`` forward and forward + backward (under autograd, head gradient given), eager and in a
    hybridized ``gluon.nn.LayerNorm``, with LayerNorm's gradient rule as shipped (one ``_backward_LayerNorm``)
    and with the registry-op composite it replaced (``ops.norm._ln_grad_composite``, swapped in); then the
    backward kernel alone."""
    from hybridnet import autograd, gluon, nd
    from hybridnet.ops import get_op
    from hybridnet.ops import norm as ops_norm
    op = get_op("LayerNorm")
    rules = (("composite", ops_norm._ln_grad_composite), ("fused", op.grad))
    for shape, axis, what in E2E_CASES:
        C = shape[axis]
        x = nd.array(rng.standard_normal(shape).astype(np.float32))
        g = nd.array(rng.uniform(0.5, 1.5, C).astype(np.float32))
        b = nd.array(rng.uniform(-1, 1, C).astype(np.float32))
        for a in (x, g, b):
            a.attach_grad()
        head = nd.array(rng.standard_normal(shape).astype(np.float32))

        def fwd():
            nd.LayerNorm(x, g, b, axis=axis).wait_to_read()

        def fwd_bwd():
            with autograd.record():
                y = nd.LayerNorm(x, g, b, axis=axis)
            y.backward(head)
            x.grad.wait_to_read()

        label = f"nd.LayerNorm {shape} axis {axis} [{what}]"
        for rule_name, rule in rules:
            old, op.grad = op.grad, rule
            try:
                net = gluon.nn.LayerNorm(axis=axis, in_channels=C)
                net.initialize()
                net.hybridize()
                net.gamma.set_data(g)
                net.beta.set_data(b)

                def h_fwd():
                    net(x).wait_to_read()

                def h_fwd_bwd():
                    with autograd.record():
                        y = net(x)
                    y.backward(head)
                    x.grad.wait_to_read()
                print(f"{label:<45} {rule_name:>9} grad: eager fwd {_time(fwd):8.1f}  fwd+bwd {_time(fwd_bwd):8.1f}"
                      f"   hybridized fwd {_time(h_fwd):8.1f}  fwd+bwd {_time(h_fwd_bwd):8.1f}  (us)")
            finally:
                op.grad = old
        xn, gn, bn, hn = x.asnumpy(), g.asnumpy(), b.asnumpy(), head.asnumpy()
        _, mean, std = cpu.layer_norm(xn, gn, bn, axis=axis, eps=1e-5)
        k = lambda: cpu.layer_norm_backward(hn, xn, gn, mean, std, axis=axis)  # noqa: E731
        t_ser = _time(_force(False, k))
        t_par = _time(_force(True, k))
        t_gen = _time(lambda: gen.layer_norm_backward(hn, xn, gn, mean, std, axis=axis))
        t_fwd = _time(lambda: cpu.layer_norm(xn, gn, bn, axis=axis, eps=1e-5))
        print(f"{'  kernels':<45} forward {t_fwd:8.1f}  _backward_LayerNorm numba serial {t_ser:8.1f}  prange "
              f"{t_par:8.1f}  numpy composite {t_gen:8.1f}  (us)")

if __name__ == "__main__":
    main()
