"""Convolution kernel choice per shape class (float32, this machine): im2col + BLAS GEMM with the Numba
im2col (kernels/cpu/conv.py) vs the array-API tap copies (kernels/generic/conv.py), the direct depthwise
loop vs its alternatives, and the GEMM alone at the same (M, K, N), against the machine's BLAS GFLOP/s
(a 1024^3 and a 2048 x 2048 x 1024 sgemm). Optionally PyTorch's conv on the same shapes (run with the
PyTorch interpreter: ``--framework torch``).

Run: python benchmarks/bench_conv.py [--framework hybridnet|torch] [--json]
Times are the minimum over interleaved repetitions (the machine is shared), GFLOP/s = 2 * MACs / time.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np

# name, data shape, weight shape, attrs
SHAPES = [
    ("lenet conv1 b64 1x28x28 5x5->20", (64, 1, 28, 28), (20, 1, 5, 5), {}),
    ("lenet conv2 b64 20x12x12 5x5->50", (64, 20, 12, 12), (50, 20, 5, 5), {}),
    ("resnet20 16ch 32x32 3x3 b32", (32, 16, 32, 32), (16, 16, 3, 3), {"pad": (1, 1)}),
    ("resnet20 32ch 16x16 3x3 b32", (32, 32, 16, 16), (32, 32, 3, 3), {"pad": (1, 1)}),
    ("resnet20 64ch 8x8 3x3 b32", (32, 64, 8, 8), (64, 64, 3, 3), {"pad": (1, 1)}),
    ("resnet20 16->32 s2 32x32 b32", (32, 16, 32, 32), (32, 16, 3, 3), {"pad": (1, 1), "stride": (2, 2)}),
    ("depthwise 64ch 16x16 3x3 b32", (32, 64, 16, 16), (64, 1, 3, 3), {"pad": (1, 1), "num_group": 64}),
    ("1x1 64->128 16x16 b32", (32, 64, 16, 16), (128, 64, 1, 1), {}),
]


def _min_time(fns, reps=7, budget=0.6):
    """Interleaved: each round runs every fn once; min per fn."""
    for f in fns:
        f()
    best = [math.inf] * len(fns)
    t_end = time.perf_counter() + budget * len(fns)
    r = 0
    while r < reps or time.perf_counter() < t_end:
        for i, f in enumerate(fns):
            t0 = time.perf_counter()
            f()
            best[i] = min(best[i], time.perf_counter() - t0)
        r += 1
        if r > 200:
            break
    return best


def _macs(xs, ws, attrs):
    N = xs[0]
    O, Cg = ws[0], ws[1]
    K = ws[2:]
    pad = attrs.get("pad", (0,) * len(K))
    st = attrs.get("stride", (1,) * len(K))
    OS = [(s + 2 * p - k) // t + 1 for s, p, k, t in zip(xs[2:], pad, K, st)]
    return N * O * Cg * math.prod(K) * math.prod(OS), OS


def blas_gflops():
    out = {}
    for m, k, n in ((1024, 1024, 1024), (2048, 1024, 2048)):
        a = np.random.rand(m, k).astype(np.float32)
        b = np.random.rand(k, n).astype(np.float32)
        o = np.empty((m, n), np.float32)
        t, = _min_time([lambda: np.matmul(a, b, out=o)], reps=5)
        out[f"{m}x{k}x{n}"] = 2 * m * k * n / t / 1e9
    return out


def run_hybridnet():
    from hybridnet.kernels.cpu import conv as cpu_conv
    from hybridnet.kernels.cpu.threading import blas_threads_for
    from hybridnet.kernels.generic import conv as gen
    from hybridnet.ops.conv import conv_geom

    res = {"blas_gflops": blas_gflops(), "rows": []}
    rng = np.random.default_rng(0)
    for name, xs, ws, attrs in SHAPES:
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws).astype(np.float32)
        b = rng.standard_normal(ws[0]).astype(np.float32)
        K = ws[2:]
        geom = conv_geom(K, attrs.get("stride", ()), (), attrs.get("pad", ()), None, attrs.get("num_group", 1))
        macs, OS = _macs(xs, ws, attrs)
        dy = rng.standard_normal((xs[0], ws[0]) + tuple(OS)).astype(np.float32)
        g = geom.groups
        generic_no_dw = dict(gen.PRIMS, depthwise=None)
        numba_no_dw = dict(cpu_conv.PRIMS, depthwise=None)
        if g > 1 and g == xs[1]:
            nodw = dict(cpu_conv.PRIMS, depthwise=None, depthwise_t=None, depthwise_w=None)
            fns_extra = {
                "dgrad col2im+gemm (no direct)": lambda: gen.deconv_forward(np, dy, w, None, geom, geom.pad,
                                                                            _adj(xs, OS, geom), None, nodw),
                "wgrad im2col+gemm (no direct)": lambda: gen.conv_weight_grad(np, x, dy, geom, None, nodw),
            }
        else:
            fns_extra = {}
        chunked = {cb: dict(cpu_conv.PRIMS, chunk_bytes=cb) for cb in (1 << 20, 16 << 20, None)}
        fns = {
            "fwd numba": lambda: gen.conv_forward(np, x, w, b, geom, None, cpu_conv.PRIMS),
            "fwd numba chunk 1 MB": lambda: gen.conv_forward(np, x, w, b, geom, None, chunked[1 << 20]),
            "fwd numba chunk 16 MB": lambda: gen.conv_forward(np, x, w, b, geom, None, chunked[16 << 20]),
            "fwd numba unchunked": lambda: gen.conv_forward(np, x, w, b, geom, None, chunked[None]),
            "fwd array-api": lambda: gen.conv_forward(np, x, w, b, geom, None, gen.PRIMS),
            "im2col numba": lambda: cpu_conv.im2col(np, x, K, geom.stride, geom.dilate, geom.pad, OS),
            "im2col array-api": lambda: gen.im2col(np, x, K, geom.stride, geom.dilate, geom.pad, OS),
            "dgrad numba": lambda: gen.deconv_forward(np, dy, w, None, geom, geom.pad,
                                                      _adj(xs, OS, geom), None, cpu_conv.PRIMS),
            "dgrad array-api": lambda: gen.deconv_forward(np, dy, w, None, geom, geom.pad,
                                                          _adj(xs, OS, geom), None, gen.PRIMS),
            "wgrad numba": lambda: gen.conv_weight_grad(np, x, dy, geom, None, cpu_conv.PRIMS),
            "wgrad array-api": lambda: gen.conv_weight_grad(np, x, dy, geom, None, gen.PRIMS),
        }
        if g > 1 and g == xs[1]:
            fns["fwd im2col+gemm (no direct)"] = lambda: gen.conv_forward(np, x, w, b, geom, None, numba_no_dw)
            fns["fwd array-api im2col"] = lambda: gen.conv_forward(np, x, w, b, geom, None, generic_no_dw)
        else:
            Cg = xs[1] // g
            L = xs[0] * math.prod(OS)
            wm = w.reshape(ws[0], Cg * math.prod(K))
            colm = rng.standard_normal((Cg * math.prod(K), L)).astype(np.float32)
            om = np.empty((ws[0], L), np.float32)

            def gemm():
                blas_threads_for(wm.size * L)
                np.matmul(wm, colm, out=om)
            fns["gemm alone (same M,K,N)"] = gemm
        fns.update(fns_extra)
        times = _min_time(list(fns.values()))
        row = {"name": name, "macs": macs, "ms": {}, "gflops": {}}
        for (k, _), t in zip(fns.items(), times):
            row["ms"][k] = t * 1e3
            if not k.startswith("im2col"):
                row["gflops"][k] = 2 * macs / t / 1e9
        res["rows"].append(row)
    return res


def _adj(xs, OS, geom):
    return tuple(s - (st * (o - 1) + dk - 2 * p)
                 for s, o, st, dk, p in zip(xs[2:], OS, geom.stride, geom.dilated(), geom.pad))


def run_torch():
    import torch
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    import torch.nn.functional as tf
    res = {"rows": []}
    for name, xs, ws, attrs in SHAPES:
        x = torch.randn(xs, requires_grad=True)
        w = torch.randn(ws, requires_grad=True)
        b = torch.randn(ws[0], requires_grad=True)
        kw = dict(stride=attrs.get("stride", 1), padding=attrs.get("pad", 0), groups=attrs.get("num_group", 1))
        macs, OS = _macs(xs, ws, attrs)
        y = tf.conv2d(x, w, b, **kw)
        gy = torch.randn_like(y)

        def fwd():
            with torch.no_grad():
                tf.conv2d(x, w, b, **kw)

        def fwdbwd():
            yy = tf.conv2d(x, w, b, **kw)
            yy.backward(gy)
        t_f, t_fb = _min_time([fwd, fwdbwd])
        res["rows"].append({"name": name, "macs": macs, "ms": {"fwd torch": t_f * 1e3, "fwd+bwd torch": t_fb * 1e3},
                            "gflops": {"fwd torch": 2 * macs / t_f / 1e9, "fwd+bwd torch": 6 * macs / t_fb / 1e9}})
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--framework", default="hybridnet", choices=("hybridnet", "torch"))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    res = run_hybridnet() if a.framework == "hybridnet" else run_torch()
    if a.json:
        json.dump(res, sys.stdout)
        return
    if "blas_gflops" in res:
        print("BLAS sgemm GFLOP/s:", ", ".join(f"{k}: {v:.1f}" for k, v in res["blas_gflops"].items()))
    for row in res["rows"]:
        print(f"{row['name']}  ({row['macs'] / 1e6:.1f} M MACs)")
        for k, t in row["ms"].items():
            gf = row["gflops"].get(k)
            print(f"    {k:32s} {t:9.3f} ms" + (f"  {gf:7.1f} GFLOP/s" if gf is not None else ""))


if __name__ == "__main__":
    main()
