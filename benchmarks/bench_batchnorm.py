"""BatchNorm forward kernels: Numba CPU kernel (kernels/cpu/norm.py) vs the array-API body
(kernels/generic/norm.py) on NumPy, and on CuPy when a GPU is present. Training mode (batch statistics).
Run: python benchmarks/bench_batchnorm.py [cpu|gpu]"""
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


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "cpu")
