"""BatchNorm forward kernels: Numba CPU kernel (kernels/cpu/norm.py) vs the array-API body
(kernels/generic/norm.py) on NumPy, and on CuPy when a GPU is present. Training mode (batch statistics).
Run: python benchmarks/bench_batchnorm.py [cpu|gpu]
``bwd``: BatchNorm forward + backward, eager and hybridized, with the fused ``_backward_BatchNorm`` rule and the
registry-op composite it replaced (``ops.norm._make_grad_composite``, swapped in), then the backward kernels
alone: python benchmarks/bench_batchnorm.py bwd"""
import sys
import time

import numpy as np

from hybridnet import autograd
from hybridnet.kernels.generic.norm import batch_norm as generic

SHAPES = [((32, 64, 56, 56), 1), ((256, 512), 1), ((64, 256, 14, 14), 1), ((8, 32, 32, 64), -1), ((16, 8, 8), 1)]


def _time(fn, n=None):
    fn()
    t0 = time.perf_counter()
    k = 0
    while True:
        fn()
        k += 1
        el = time.perf_counter() - t0
        if (n and k >= n) or (not n and el > 0.5):
            return el / k * 1e6


def main(dev="cpu"):
    rng = np.random.default_rng(0)
    for shape, axis in SHAPES:
        C = shape[axis]
        xs = [rng.standard_normal(shape).astype(np.float32)] + [rng.uniform(0.5, 1.5, C).astype(np.float32)
                                                                  for _ in range(4)]
        kw = dict(eps=1e-5, momentum=0.9, fix_gamma=False, use_global_stats=False, axis=axis)
        with autograd.train_mode():
            if dev == "cpu":
                from hybridnet.kernels.cpu.norm import _forward
                t_numba = _time(lambda: _forward(*xs, relu=False, out=None, **kw))
                t_gen = _time(lambda: generic(*xs, **kw))
                print(f"{str(shape):>20} axis={axis:>2}  numba {t_numba:10.1f} us   numpy array-API {t_gen:10.1f} us")
            else:
                import cupy as cp
                g = [cp.asarray(a) for a in xs]

                def run():
                    generic(*g, **kw)
                    cp.cuda.Stream.null.synchronize()
                t = _time(run)
                nbytes = xs[0].nbytes * 2
                print(f"{str(shape):>20} axis={axis:>2}  cupy array-API {t:10.1f} us  ({nbytes / t / 1e3:.0f} GB/s "
                      "of x read + y written, once)")


def _best(fn, reps=15, budget=0.03):
    """Best of ``reps`` batches of about ``budget`` seconds, us per call."""
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


def backward():
    from hybridnet import gluon, nd
    from hybridnet.kernels.cpu import norm as cpu
    from hybridnet.kernels.generic import norm as gen
    from hybridnet.ops import get_op
    from hybridnet.ops import norm as ops_norm
    op = get_op("BatchNorm")
    rules = (("composite", ops_norm._make_grad_composite()), ("fused", op.grad))
    rng = np.random.default_rng(0)
    for shape in ((32, 16, 32, 32), (32, 64, 8, 8)):
        C = shape[1]
        x = nd.array(rng.standard_normal(shape).astype(np.float32))
        g, b = nd.array(rng.uniform(0.5, 1.5, C).astype(np.float32)), nd.array(np.zeros(C, np.float32))
        mm, mv = nd.zeros((C,)), nd.ones((C,))
        for a in (x, g, b):
            a.attach_grad()
        head = nd.array(rng.standard_normal(shape).astype(np.float32))

        def fwd_bwd():
            with autograd.record():
                y = nd.BatchNorm(x, g, b, mm, mv, fix_gamma=False)
            y.backward(head)
            x.grad.wait_to_read()
        for name, rule in rules:
            old, op.grad = op.grad, rule
            try:
                net = gluon.nn.BatchNorm(in_channels=C)
                net.initialize()
                net.hybridize()

                def h_fwd_bwd():
                    with autograd.record():
                        y = net(x)
                    y.backward(head)
                    x.grad.wait_to_read()
                print(f"BatchNorm {str(shape):<18} {name:>9} grad: eager fwd+bwd {_best(fwd_bwd):8.1f}   "
                      f"hybridized fwd+bwd {_best(h_fwd_bwd):8.1f}  (us)")
            finally:
                op.grad = old
        xn, hn, gn = x.asnumpy(), head.asnumpy(), g.asnumpy()
        mean, inv = xn.mean(axis=(0, 2, 3)), 1 / np.sqrt(xn.var(axis=(0, 2, 3)) + 1e-3)
        flag = np.ones(1, np.float32)
        kw = dict(axis=1, fix_gamma=False)
        res = []
        for thr in (2 ** 62, 0):
            old, cpu.BN_BWD_PARALLEL_MIN_SIZE = cpu.BN_BWD_PARALLEL_MIN_SIZE, thr
            try:
                res.append(_best(lambda: cpu.batch_norm_backward(hn, xn, gn, mean, inv, flag, **kw)))
            finally:
                cpu.BN_BWD_PARALLEL_MIN_SIZE = old
        t_gen = _best(lambda: gen.batch_norm_backward(hn, xn, gn, mean, inv, flag, **kw))
        print(f"  kernels: _backward_BatchNorm numba serial {res[0]:8.1f}  prange {res[1]:8.1f}  "
              f"array-API body on numpy {t_gen:8.1f}  (us)")


if __name__ == "__main__":
    if sys.argv[1:] == ["bwd"]:
        backward()
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else "cpu")
