"""Convolution kernel choice per shape class (float32, this machine; BENCHMARKS.md "Convolution").

For each shape class: the chosen CPU path (kernels/cpu/conv.py: batch chunks of ~4 MB column matrix,
NumPy tap-copy im2col / tap-add col2im, BLAS GEMM with threads by size as every GEMM; Numba direct loops
for depthwise) for the forward, the data gradient (a Deconvolution) and the weight gradient, against the
alternatives measured for the choice: 1 MB chunks, no chunks, a Numba im2col loop (defined here: it lost),
im2col + GEMM and array-API tap sums for depthwise,
and the GEMM alone at the same (M, K, N) and the machine's BLAS GFLOP/s (1024^3 and 2048x1024x2048 sgemm)
as the ceiling. ``--framework torch`` times PyTorch's conv2d forward and forward+backward on the same shapes.

``--small`` times the small-input path (one Numba im2col + one batched GEMM, ``SMALL_MAX`` in
kernels/cpu/conv.py) against the general path per call on batch-1 / small shapes, to place the threshold.

Run: python benchmarks/bench_conv.py [--framework hybridnet|torch] [--only NAME-PART] [--json] [--small]
Times are the minimum over interleaved repetitions (the machine is shared; each shape waits up to 60 s
for 1.8 idle CPUs first); GFLOP/s = 2 * multiply-adds / time (x3 for forward+backward).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import wait_for_idle  # noqa: E402

# name, data shape, weight shape, attrs
SHAPES = [
    ("LeNet conv1 b64 1x28x28 5x5->20", (64, 1, 28, 28), (20, 1, 5, 5), {}),
    ("LeNet conv2 b64 20x12x12 5x5->50", (64, 20, 12, 12), (50, 20, 5, 5), {}),
    ("ResNet-20 16ch 32x32 3x3 b32", (32, 16, 32, 32), (16, 16, 3, 3), {"pad": (1, 1)}),
    ("ResNet-20 32ch 16x16 3x3 b32", (32, 32, 16, 16), (32, 32, 3, 3), {"pad": (1, 1)}),
    ("ResNet-20 64ch 8x8 3x3 b32", (32, 64, 8, 8), (64, 64, 3, 3), {"pad": (1, 1)}),
    ("ResNet-20 16->32 stride 2 b32", (32, 16, 32, 32), (32, 16, 3, 3), {"pad": (1, 1), "stride": (2, 2)}),
    ("depthwise 64ch 16x16 3x3 b32", (32, 64, 16, 16), (64, 1, 3, 3), {"pad": (1, 1), "num_group": 64}),
    ("1x1 64->128 16x16 b32", (32, 64, 16, 16), (128, 64, 1, 1), {}),
]


def _min_time(fns, reps=15):
    """Interleaved: each round runs every fn once; the minimum per fn."""
    for f in fns:
        f()
    best = [math.inf] * len(fns)
    for _ in range(reps):
        for i, f in enumerate(fns):
            t0 = time.perf_counter()
            f()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def _macs(xs, ws, attrs):
    K = ws[2:]
    pad = attrs.get("pad", (0,) * len(K))
    st = attrs.get("stride", (1,) * len(K))
    OS = [(s + 2 * p - k) // t + 1 for s, p, k, t in zip(xs[2:], pad, K, st)]
    return xs[0] * ws[0] * ws[1] * math.prod(K) * math.prod(OS), OS


def blas_gflops():
    out = {}
    for m, k, n in ((1024, 1024, 1024), (2048, 1024, 2048)):
        a = np.random.rand(m, k).astype(np.float32)
        b = np.random.rand(k, n).astype(np.float32)
        o = np.empty((m, n), np.float32)
        t, = _min_time([lambda: np.matmul(a, b, out=o)], reps=5)
        out[f"{m}x{k}x{n}"] = 2 * m * k * n / t / 1e9
    return out


_NUMBA = {}


def numba_im2col(xp, x, kernel, stride, dilate, pad, OS, out=None):
    """The measured alternative: a Numba loop writing each (channel, tap, sample, row) row of the column
    matrix (2-D only here), prange over channels."""
    if "f" not in _NUMBA:
        from numba import njit, prange

        @njit(cache=False, parallel=True)
        def im2col(x, col, sh, sw, dh, dw, ph, pw):
            N, C, H, W = x.shape
            _, KH, KW, _, OH, OW = col.shape
            for c in prange(C):
                for kh in range(KH):
                    for kw in range(KW):
                        off = kw * dw - pw
                        lo = 0
                        if off < 0:
                            lo = (-off + sw - 1) // sw
                        hi = OW
                        if OW > 0 and (OW - 1) * sw + off >= W:
                            hi = (W - 1 - off) // sw + 1 if W - 1 - off >= 0 else 0
                        if lo > hi:
                            lo = hi
                        for n in range(N):
                            for oh in range(OH):
                                ih = oh * sh + kh * dh - ph
                                crow = col[c, kh, kw, n, oh]
                                if 0 <= ih < H:
                                    xrow = x[n, c, ih]
                                    crow[:lo] = 0
                                    for ow in range(lo, hi):
                                        crow[ow] = xrow[ow * sw + off]
                                    crow[hi:] = 0
                                else:
                                    crow[:] = 0
            return 0
        _NUMBA["f"] = im2col
    N, C = x.shape[:2]
    col = np.empty((C,) + tuple(kernel) + (N,) + tuple(OS), x.dtype) if out is None else out
    _NUMBA["f"](x, col, *stride, *dilate, *pad)
    return col


def run_hybridnet():
    from hybridnet.kernels.cpu import conv as cpu_conv
    from hybridnet.kernels.cpu.threading import blas_threads_for
    from hybridnet.kernels.generic import conv as gen
    from hybridnet.ops.conv import conv_geom

    res = {"blas_gflops": blas_gflops(), "rows": []}
    rng = np.random.default_rng(0)
    for name, xs, ws, attrs in SHAPES:
        idle = wait_for_idle(1.8, 60)
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws).astype(np.float32)
        b = rng.standard_normal(ws[0]).astype(np.float32)
        K = ws[2:]
        geom = conv_geom(K, attrs.get("stride", ()), (), attrs.get("pad", ()), None, attrs.get("num_group", 1))
        macs, OS = _macs(xs, ws, attrs)
        dy = rng.standard_normal((xs[0], ws[0]) + tuple(OS)).astype(np.float32)
        adj = tuple(s - (st * (o - 1) + dk - 2 * p)
                    for s, o, st, dk, p in zip(xs[2:], OS, geom.stride, geom.dilated(), geom.pad))
        P = cpu_conv.PRIMS
        alt = {"1 MB chunks": dict(P, chunk_bytes=1 << 20), "unchunked": dict(P, chunk_bytes=None),
               "numba im2col": dict(P, im2col=numba_im2col)}

        def fwd(p):
            return lambda: gen.conv_forward(np, x, w, b, geom, None, p)

        def dgrad(p):
            return lambda: gen.deconv_forward(np, dy, w, None, geom, geom.pad, adj, None, p)

        def wgrad(p):
            return lambda: gen.conv_weight_grad(np, x, dy, geom, None, p)

        fns = {"fwd": fwd(P), "dgrad": dgrad(P), "wgrad": wgrad(P)}
        if geom.groups > 1:
            nodw = dict(P, depthwise=None, depthwise_t=None, depthwise_w=None)
            tapsum = dict(P, depthwise=gen.depthwise, depthwise_t=gen.depthwise_t, depthwise_w=gen.depthwise_w)
            fns.update({"fwd im2col+GEMM": fwd(nodw), "dgrad col2im+GEMM": dgrad(nodw),
                        "wgrad im2col+GEMM": wgrad(nodw), "fwd array-API tap sums": fwd(tapsum),
                        "dgrad array-API tap sums": dgrad(tapsum), "wgrad array-API tap sums": wgrad(tapsum)})
        else:
            for k, p in alt.items():
                fns[f"fwd {k}"] = fwd(p)
                if k != "numba im2col":
                    fns[f"dgrad {k}"] = dgrad(p)
                    fns[f"wgrad {k}"] = wgrad(p)
            fns["im2col (NumPy tap copies)"] = lambda: gen.im2col(np, x, K, geom.stride, geom.dilate, geom.pad, OS)
            fns["im2col (Numba loop)"] = lambda: numba_im2col(np, x, K, geom.stride, geom.dilate, geom.pad, OS)
            Cg = xs[1] // geom.groups
            L = xs[0] * math.prod(OS)
            wm = w.reshape(ws[0], Cg * math.prod(K))
            colm = rng.standard_normal((Cg * math.prod(K), L)).astype(np.float32)
            om = np.empty((ws[0], L), np.float32)

            def gemm():
                blas_threads_for(wm.size * L)
                np.matmul(wm, colm, out=om)
            fns["GEMM alone (same M, K, N)"] = gemm
        times = dict(zip(fns, _min_time(list(fns.values()))))
        times["fwd+dgrad+wgrad"] = times["fwd"] + times["dgrad"] + times["wgrad"]
        row = {"name": name, "macs": macs, "idle_cpus_before": idle, "ms": {}, "gflops": {}}
        for k, t in times.items():
            row["ms"][k] = t * 1e3
            if not k.startswith("im2col"):
                row["gflops"][k] = (6 if k == "fwd+dgrad+wgrad" else 2) * macs / t / 1e9
        res["rows"].append(row)
    return res


def run_torch():
    import torch
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    import torch.nn.functional as tf
    res = {"rows": []}
    for name, xs, ws, attrs in SHAPES:
        idle = wait_for_idle(1.8, 60)
        x = torch.randn(xs, requires_grad=True)
        w = torch.randn(ws, requires_grad=True)
        b = torch.randn(ws[0], requires_grad=True)
        kw = dict(stride=attrs.get("stride", 1), padding=attrs.get("pad", 0), groups=attrs.get("num_group", 1))
        macs, OS = _macs(xs, ws, attrs)
        gy = torch.randn_like(tf.conv2d(x, w, b, **kw))

        def fwd():
            with torch.no_grad():
                tf.conv2d(x, w, b, **kw)

        def fwdbwd():
            tf.conv2d(x, w, b, **kw).backward(gy)
        t_f, t_fb = _min_time([fwd, fwdbwd])
        res["rows"].append({"name": name, "macs": macs, "idle_cpus_before": idle,
                            "ms": {"fwd": t_f * 1e3, "fwd+dgrad+wgrad": t_fb * 1e3},
                            "gflops": {"fwd": 2 * macs / t_f / 1e9, "fwd+dgrad+wgrad": 6 * macs / t_fb / 1e9}})
    return res


# name, data shape, weight shape, attrs: batch-1 / small inputs (the column matrix size decides the path)
SMALL_SHAPES = [(f"LeNet conv1 b{n} 1x28x28 5x5->6", (n, 1, 28, 28), (6, 1, 5, 5), {}) for n in (1, 2, 4, 8)] + \
    [(f"LeNet conv2 b{n} 6x12x12 5x5->16", (n, 6, 12, 12), (16, 6, 5, 5), {}) for n in (1, 4, 8, 16)] + [
    ("ResNet-20 16ch 32x32 3x3 b1", (1, 16, 32, 32), (16, 16, 3, 3), {"pad": (1, 1)}),
    ("ResNet-20 32ch 16x16 3x3 b1", (1, 32, 16, 16), (32, 32, 3, 3), {"pad": (1, 1)}),
    ("ResNet-20 64ch 8x8 3x3 b1", (1, 64, 8, 8), (64, 64, 3, 3), {"pad": (1, 1)}),
    ("ResNet-20 64ch 8x8 3x3 b4", (4, 64, 8, 8), (64, 64, 3, 3), {"pad": (1, 1)}),
    ("ResNet-20 16->32 stride 2 b1", (1, 16, 32, 32), (32, 16, 3, 3), {"pad": (1, 1), "stride": (2, 2)}),
    ("NHWC 16ch 16x16 3x3 b1", (1, 16, 16, 16), (16, 16, 3, 3), {"pad": (1, 1), "layout": "NHWC"}),
]


def run_small():
    from hybridnet.kernels import load_kernels
    load_kernels("cpu")
    from hybridnet.kernels.cpu import conv as C
    limit = C.SMALL_MAX
    C.SMALL_MAX = 1 << 62                        # plan every shape as small; the general path is C._conv
    rng = np.random.default_rng(0)
    res = {"small_max": limit, "rows": []}
    for name, xs, ws, attrs in SMALL_SHAPES:
        idle = wait_for_idle(1.8, 60)
        last = attrs.get("layout") == "NHWC"
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws).astype(np.float32)
        if last:
            x, w = np.ascontiguousarray(np.moveaxis(x, 1, -1)), np.ascontiguousarray(np.moveaxis(w, 1, -1))
        b = rng.standard_normal(ws[0]).astype(np.float32)
        kw = dict(attrs, kernel=ws[2:], num_filter=ws[0])
        ncol = xs[0] * ws[1] * math.prod(ws[2:]) * math.prod(_macs(xs, ws, attrs)[1])
        reps = max(1, int(2e5 // max(ncol, 1)))

        def small():
            for _ in range(reps):
                C.convolution(x, w, b, **kw)

        def general():
            for _ in range(reps):
                C._conv(x, w, b, **kw)
        np.testing.assert_allclose(C.convolution(x, w, b, **kw), C._conv(x, w, b, **kw), rtol=1e-4, atol=1e-4)
        t_s, t_g = _min_time([small, general], reps=21)
        res["rows"].append({"name": name, "col_elements": ncol, "idle_cpus_before": idle,
                            "us": {"small path": t_s / reps * 1e6, "general path": t_g / reps * 1e6}})
    C.SMALL_MAX = limit
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--framework", default="hybridnet", choices=("hybridnet", "torch"))
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--only", default="", help="run the shape classes whose name contains this text")
    ap.add_argument("--small", action="store_true", help="small-input path vs general path, us per call")
    a = ap.parse_args()
    SHAPES[:] = [s for s in SHAPES if a.only in s[0]]
    SMALL_SHAPES[:] = [s for s in SMALL_SHAPES if a.only in s[0]]
    res = run_small() if a.small else run_hybridnet() if a.framework == "hybridnet" else run_torch()
    if a.json:
        json.dump(res, sys.stdout)
        return
    if a.small:
        print(f"SMALL_MAX = {res['small_max']} column-matrix elements")
        for row in res["rows"]:
            u = row["us"]
            print(f"{row['name']:34s} col {row['col_elements']:8d}  small {u['small path']:8.1f} us  "
                  f"general {u['general path']:8.1f} us  ({u['general path'] / u['small path']:.2f}x; "
                  f"idle CPUs {row['idle_cpus_before']})")
        return
    if "blas_gflops" in res:
        print("BLAS sgemm GFLOP/s:", ", ".join(f"{k}: {v:.1f}" for k, v in res["blas_gflops"].items()))
    for row in res["rows"]:
        print(f"{row['name']}  ({row['macs'] / 1e6:.1f} M MACs; idle CPUs before: {row['idle_cpus_before']})")
        for k, t in row["ms"].items():
            gf = row["gflops"].get(k)
            print(f"    {k:32s} {t:9.3f} ms" + (f"  {gf:7.1f} GFLOP/s" if gf is not None else ""))


if __name__ == "__main__":
    main()
