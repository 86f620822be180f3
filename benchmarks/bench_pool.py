"""Pooling kernels on the issue-5 workload shapes: LeNet's 2x2/2 max pool on (64, 6, 24, 24) and
ResNet-20's global average pool on (32, 64, 8, 8), forward and backward (float32, us per call):
the Numba CPU kernels (kernels/cpu/pool.py, serial and parallel variants), the array-API body on NumPy
(kernels/generic/pool.py, the GPU kernel's code), the whole eager op call (nd.Pooling + backward through
autograd), and MXNet 1.9.1 (oracle venv, subprocess) when present.
Run: python benchmarks/bench_pool.py"""
import json
import os
import subprocess
import sys
import time

import numpy as np

CASES = [("lenet_maxpool", (64, 6, 24, 24), dict(kernel=(2, 2), stride=(2, 2), pool_type="max")),
         ("resnet20_global_avg", (32, 64, 8, 8), dict(global_pool=True, kernel=(1, 1), pool_type="avg")),
         ("resnet_3x3s2_maxpool", (32, 16, 32, 32), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="max")),
         ("avg_3x3s1_pad", (32, 16, 16, 16), dict(kernel=(3, 3), stride=(1, 1), pad=(1, 1), pool_type="avg"))]
ORACLE = "/work/mx-oracle/bin/python"


def _time(fn, budget=0.4):
    fn()
    t0 = time.perf_counter()
    k = 0
    while True:
        fn()
        k += 1
        el = time.perf_counter() - t0
        if el > budget and k >= 5:
            return el / k * 1e6


MX_SRC = r"""
import json, sys, time, numpy as np, mxnet as mx
cases = json.loads(sys.argv[1]); out = {}
def _time(fn, budget=0.4):
    fn(); t0 = time.perf_counter(); k = 0
    while True:
        fn(); k += 1; el = time.perf_counter() - t0
        if el > budget and k >= 5: return el / k * 1e6
for name, shape, attrs in cases:
    attrs = {k: tuple(v) if isinstance(v, list) else v for k, v in attrs.items()}
    x = mx.nd.array(np.random.RandomState(0).uniform(-1, 1, shape).astype(np.float32)); x.attach_grad()
    fwd = _time(lambda: mx.nd.Pooling(x, **attrs).wait_to_read())
    def fb():
        with mx.autograd.record():
            y = mx.nd.Pooling(x, **attrs)
        y.backward(); x.grad.wait_to_read()
    out[name] = {"fwd": fwd, "fwd_bwd": _time(fb)}
print(json.dumps(out))
"""


def mxnet_times():
    if not os.path.exists(ORACLE):
        return {}
    env = dict(os.environ, OMP_NUM_THREADS=str(os.cpu_count()))
    r = subprocess.run([ORACLE, "-c", MX_SRC, json.dumps(CASES)], capture_output=True, text=True, env=env)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except Exception:
        return {}


def main():
    from hybridnet import autograd, nd
    from hybridnet.kernels.cpu import pool as cpu
    from hybridnet.kernels.generic import pool as gen
    from hybridnet.ops.pool import pool_geometry
    from hybridnet.ops.registry import get_op
    op = get_op("Pooling")
    mx = mxnet_times()
    rows = []
    for name, shape, attrs in CASES:
        x = np.random.RandomState(0).uniform(-1, 1, shape).astype(np.float32)
        a = dict(attrs)
        geo = pool_geometry(op, (x,), x, **a)
        pt = a["pool_type"]
        res = {}
        for par, label in ((1 << 62, "numba_serial"), (0, "numba_parallel")):
            cpu.PARALLEL_MIN_SIZE = par
            res[label] = _time(lambda: cpu.pooling(x, geo, pt, None))
        from hybridnet.kernels.cpu.threading import PARALLEL_MIN_SIZE
        cpu.PARALLEL_MIN_SIZE = PARALLEL_MIN_SIZE
        res["numpy_array_api"] = _time(lambda: gen.pooling(x, geo=geo, pool_type=pt, p_value=None))
        xa = nd.array(x)
        xa.attach_grad()
        res["nd_fwd"] = _time(lambda: nd.Pooling(xa, **a).wait_to_read())

        def fb():
            with autograd.record():
                y = nd.Pooling(xa, **a)
            y.backward()
            xa.grad.wait_to_read()
        res["nd_fwd_bwd"] = _time(fb)
        if name in mx:
            res["mxnet_fwd"] = mx[name]["fwd"]
            res["mxnet_fwd_bwd"] = mx[name]["fwd_bwd"]
        rows.append((name, shape, res))
        print(f"{name:>22} {str(shape):>18} " + "  ".join(f"{k} {v:8.1f}" for k, v in res.items()), flush=True)
    print(json.dumps({"bench": "pool", "us": {n: r for n, _, r in rows}}))


if __name__ == "__main__":
    main()
