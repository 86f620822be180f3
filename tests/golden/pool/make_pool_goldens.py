"""Make tests/golden/pool/pool_goldens.json with MXNet 1.9.1 (run with the oracle, never imported by tests):

    /work/mx-oracle/bin/python tests/golden/pool/make_pool_goldens.py

Records, for each op call and each layer config: the input(s), a head gradient, MXNet's output and the
input gradient of sum(out * head) (eager; layers also hybridized), and for layers ``repr``. Inputs are
random values rounded to 1/8 (max-pool ties happen: MXNet's first-maximum rule is recorded); the ``tie``
configs are all-equal inputs.
"""
import json
import os

import mxnet as mx
import numpy as np
from mxnet.gluon import nn
from mxnet.gluon.contrib import nn as cnn

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.RandomState(0)


def rand(shape, ties=True):
    x = rng.uniform(-2, 2, shape)
    return np.round(x * 8) / 8 if ties else x


def run_op(fn, xs, attrs, head_seed):
    arrs = [mx.nd.array(x, dtype=x.dtype) for x in xs]
    for a in arrs:
        a.attach_grad()
    with mx.autograd.record():
        y = fn(*arrs, **attrs)
    h = np.random.RandomState(head_seed).uniform(-1, 1, y.shape).astype(np.float32)
    y.backward(mx.nd.array(h, dtype=y.dtype))
    return y.asnumpy(), h, [a.grad.asnumpy() for a in arrs]


P = mx.nd.Pooling
OPS = [
    # name, fn name, input shapes (or arrays), attrs
    ("max_2x2_lenet", "Pooling", [(2, 3, 6, 6)], dict(kernel=(2, 2), stride=(2, 2))),
    ("max_3x3_s2_p1", "Pooling", [(2, 2, 7, 7)], dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1))),
    ("max_full", "Pooling", [(1, 2, 5, 6)], dict(kernel=(3, 3), stride=(2, 2), pooling_convention="full")),
    ("max_overlap_ties", "Pooling", [np.ones((1, 1, 4, 4), np.float32)], dict(kernel=(2, 2), stride=(1, 1))),
    ("max_global_ties", "Pooling", [np.ones((1, 2, 3, 3), np.float32)], dict(global_pool=True, kernel=(1, 1))),
    ("max_1d", "Pooling", [(2, 3, 9)], dict(kernel=(3,), stride=(2,), pad=(1,))),
    ("max_3d", "Pooling", [(1, 2, 4, 5, 4)], dict(kernel=(2, 2, 2), stride=(2, 2, 2), pooling_convention="full")),
    ("max_nhwc", "Pooling", [(2, 5, 5, 3)], dict(kernel=(2, 2), stride=(2, 2), layout="NHWC",
                                                 pooling_convention="full")),
    ("avg_pad_cip", "Pooling", [(2, 2, 5, 5)], dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg")),
    ("avg_pad_nocip", "Pooling", [(2, 2, 5, 5)], dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg",
                                                      count_include_pad=False)),
    ("avg_full_nocip", "Pooling", [(1, 2, 6, 7)], dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg",
                                                       pooling_convention="full", count_include_pad=False)),
    ("avg_full_cip", "Pooling", [(1, 2, 5, 5)], dict(kernel=(2, 2), stride=(2, 2), pool_type="avg",
                                                     pooling_convention="full")),
    ("avg_1d_nocip", "Pooling", [(2, 2, 8)], dict(kernel=(3,), stride=(2,), pad=(1,), pool_type="avg",
                                                  count_include_pad=False)),
    ("avg_3d", "Pooling", [(1, 2, 4, 4, 4)], dict(kernel=(2, 3, 2), stride=(2, 1, 2), pad=(0, 1, 0),
                                                  pool_type="avg")),
    ("avg_global", "Pooling", [(2, 4, 8, 8)], dict(global_pool=True, pool_type="avg", kernel=(1, 1))),
    ("avg_ndhwc", "Pooling", [(1, 4, 4, 4, 2)], dict(kernel=(2, 2, 2), stride=(2, 2, 2), pool_type="avg",
                                                     layout="NDHWC")),
    ("sum_pad", "Pooling", [(1, 2, 5, 5)], dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="sum")),
    ("lp1", "Pooling", [(1, 2, 4, 4)], dict(kernel=(2, 2), stride=(2, 2), pool_type="lp", p_value=1)),
    ("lp2", "Pooling", [(1, 2, 4, 4)], dict(kernel=(2, 2), stride=(1, 1), pool_type="lp", p_value=2)),
    ("lp3", "Pooling", [(1, 2, 4, 4)], dict(kernel=(3, 3), stride=(1, 1), pad=(1, 1), pool_type="lp", p_value=3)),
    ("max_f64", "Pooling", [np.round(rng.uniform(-2, 2, (1, 2, 5, 5)) * 8) / 8],
     dict(kernel=(2, 2), stride=(2, 2), pooling_convention="full")),
    ("up_nearest", "UpSampling", [(2, 3, 3, 4)], dict(scale=2, sample_type="nearest")),
    ("up_nearest_concat", "UpSampling", [(1, 2, 2, 2), (1, 3, 4, 4)], dict(scale=2, sample_type="nearest",
                                                                           num_args=2)),
    ("up_nearest_sum", "UpSampling", [(1, 2, 2, 3), (1, 2, 6, 9)], dict(scale=3, sample_type="nearest", num_args=2,
                                                                        multi_input_mode="sum")),
    ("bilinear_ac", "contrib.BilinearResize2D", [(2, 2, 4, 5)], dict(height=7, width=3)),
    ("bilinear_noac", "contrib.BilinearResize2D", [(1, 2, 4, 5)], dict(height=9, width=8, align_corners=False)),
    ("bilinear_down_noac", "contrib.BilinearResize2D", [(1, 2, 8, 7)], dict(height=3, width=2,
                                                                            align_corners=False)),
    ("bilinear_scale", "contrib.BilinearResize2D", [(1, 2, 5, 6)], dict(scale_height=1.5, scale_width=0.7)),
    ("bilinear_odd_scale", "contrib.BilinearResize2D", [(1, 1, 5, 6)], dict(mode="odd_scale", scale_height=2.0,
                                                                            scale_width=0.5)),
    ("bilinear_to_even_up", "contrib.BilinearResize2D", [(1, 1, 5, 6)], dict(mode="to_even_up")),
    ("bilinear_to_odd_down", "contrib.BilinearResize2D", [(1, 1, 5, 6)], dict(mode="to_odd_down",
                                                                              align_corners=False)),
    ("bilinear_1x1_noac", "contrib.BilinearResize2D", [(1, 1, 3, 3)], dict(height=1, width=2, align_corners=False)),
    ("adaptive_2x3", "contrib.AdaptiveAvgPooling2D", [(2, 3, 5, 7)], dict(output_size=(2, 3))),
    ("adaptive_int", "contrib.AdaptiveAvgPooling2D", [(1, 2, 6, 6)], dict(output_size=4)),
    ("adaptive_global", "contrib.AdaptiveAvgPooling2D", [(1, 2, 3, 5)], dict()),
    ("adaptive_up", "contrib.AdaptiveAvgPooling2D", [(1, 1, 2, 3)], dict(output_size=(3, 5))),
]


def _fn(name):
    f = mx.nd
    for part in name.split("."):
        f = getattr(f, part)
    return f


def ops_records():
    out = {}
    for k, (name, fname, shapes, attrs) in enumerate(OPS):
        xs = [s if isinstance(s, np.ndarray) else rand(s).astype(np.float32) for s in shapes]
        y, h, gs = run_op(_fn(fname), xs, attrs, 100 + k)
        out[name] = {"op": fname, "attrs": {a: (list(v) if isinstance(v, tuple) else v) for a, v in attrs.items()},
                     "inputs": [x.tolist() for x in xs], "dtype": str(xs[0].dtype), "head": h.tolist(),
                     "out": y.tolist(), "grads": [g.tolist() for g in gs]}
    return out


LAYERS = [
    ("MaxPool1D", "nn.MaxPool1D(3, 2, 1)", (2, 3, 9)),
    ("MaxPool1D_nwc_ceil", "nn.MaxPool1D(2, layout='NWC', ceil_mode=True)", (2, 7, 3)),
    ("MaxPool2D", "nn.MaxPool2D()", (2, 3, 6, 6)),
    ("MaxPool2D_ceil", "nn.MaxPool2D(pool_size=3, strides=2, padding=1, ceil_mode=True)", (1, 2, 6, 7)),
    ("MaxPool2D_nhwc", "nn.MaxPool2D(pool_size=(2, 3), strides=(1, 2), layout='NHWC')", (2, 5, 6, 3)),
    ("MaxPool3D", "nn.MaxPool3D(2, 1, 0, ceil_mode=False)", (1, 2, 3, 4, 4)),
    ("AvgPool1D", "nn.AvgPool1D(3, 2, 1, count_include_pad=False)", (2, 2, 8)),
    ("AvgPool2D", "nn.AvgPool2D(pool_size=3, strides=1, padding=1)", (2, 2, 5, 5)),
    ("AvgPool2D_nocip_ceil", "nn.AvgPool2D(3, 2, 1, ceil_mode=True, count_include_pad=False)", (1, 2, 6, 6)),
    ("AvgPool3D", "nn.AvgPool3D(2, 2, 1, count_include_pad=False)", (1, 2, 3, 4, 4)),
    ("AvgPool3D_ndhwc", "nn.AvgPool3D((2, 2, 1), layout='NDHWC')", (1, 4, 4, 3, 2)),
    ("GlobalMaxPool1D", "nn.GlobalMaxPool1D()", (2, 3, 7)),
    ("GlobalMaxPool2D", "nn.GlobalMaxPool2D()", (2, 3, 4, 5)),
    ("GlobalMaxPool3D", "nn.GlobalMaxPool3D()", (1, 2, 3, 3, 2)),
    ("GlobalAvgPool1D", "nn.GlobalAvgPool1D(layout='NWC')", (2, 7, 3)),
    ("GlobalAvgPool2D", "nn.GlobalAvgPool2D()", (2, 4, 8, 8)),
    ("GlobalAvgPool2D_nhwc", "nn.GlobalAvgPool2D(layout='NHWC')", (2, 4, 4, 3)),
    ("GlobalAvgPool3D", "nn.GlobalAvgPool3D()", (1, 2, 3, 3, 2)),
    ("ReflectionPad2D", "nn.ReflectionPad2D(2)", (1, 2, 4, 5)),
    ("ReflectionPad2D_tuple", "nn.ReflectionPad2D((0, 0, 0, 0, 1, 2, 0, 3))", (1, 1, 4, 5)),
    ("PixelShuffle1D", "cnn.PixelShuffle1D(2)", (1, 6, 3)),
    ("PixelShuffle2D", "cnn.PixelShuffle2D((2, 3))", (1, 12, 2, 3)),
    ("PixelShuffle3D", "cnn.PixelShuffle3D(2)", (1, 16, 2, 1, 3)),
]


def layer_records():
    out = {}
    for k, (name, code, shape) in enumerate(LAYERS):
        with mx.name.NameManager():
            blk = eval(code)
        x = rand(shape).astype(np.float32)
        rec = {"code": code, "repr": repr(blk), "prefix": blk.prefix, "input": x.tolist()}
        for hyb in (False, True):
            if hyb:
                blk.hybridize()
            xa = mx.nd.array(x)
            xa.attach_grad()
            with mx.autograd.record():
                y = blk(xa)
            h = np.random.RandomState(500 + k).uniform(-1, 1, y.shape).astype(np.float32)
            y.backward(mx.nd.array(h))
            key = "hybrid" if hyb else "eager"
            rec[key] = {"out": y.asnumpy().tolist(), "head": h.tolist(), "grad": xa.grad.asnumpy().tolist()}
        out[name] = rec
    return out


def main():
    data = {"mxnet_version": mx.__version__, "ops": ops_records(), "layers": layer_records()}
    path = os.path.join(HERE, "pool_goldens.json")
    with open(path, "w") as f:
        json.dump(data, f, separators=(",", ":"))
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
