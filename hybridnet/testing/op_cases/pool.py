"""Records for ops/pool.py: Pooling (+ its private adjoint _backward_Pooling_linear), UpSampling,
_contrib_BilinearResize2D, _contrib_AdaptiveAvgPooling2D (+ _backward_resample2d).

The references are written from MXNet's definitions (``pool.h``: windows ``[o*s - p, o*s - p + k)``
clipped to the input, avg divisor clipped to the padded extent unless ``count_include_pad=False``) as
plain loops in float64, independent of ``ops.pool.PoolGeometry``; MXNet 1.9.1's own numbers are in
``tests/golden/pool`` (``tests/ops/test_pool.py``). Max-pool gradient samples use distinct values (no
ties at the kink); ties are tested against MXNet's first-maximum rule in test_pool.py.
"""
import itertools
import math

import numpy as np

from ...errors import AttrError, DTypeError, ShapeError
from . import ErrorCase, OpCase, Sample


def _out_size(X, k, s, p, conv):
    if conv == "valid":
        return 1 + (X + 2 * p - k) // s
    if conv == "full":
        return 1 + int(math.ceil((X + 2 * p - k) / s))
    return int(math.ceil((X + 2 * p) / s))


def pool_reference(x, kernel=(), pool_type="max", global_pool=False, cudnn_off=False, pooling_convention="valid",
                   stride=(), pad=(), p_value=None, count_include_pad=None, layout=None, index=False):
    """MXNet Pooling in float64 loops (``index=True``: also the flat argmax index for max)."""
    cl = layout is not None and layout[-1] == "C"
    z = np.moveaxis(x, -1, 1) if cl else x
    z = z.astype(np.float64)
    N, C = z.shape[:2]
    sp = z.shape[2:]
    ns = len(sp)
    if global_pool:
        kernel, stride, pad, pooling_convention = sp, (1,) * ns, (0,) * ns, "valid"
    stride = tuple(stride) or (1,) * ns
    pad = tuple(pad) or (0,) * ns
    cip = True if count_include_pad is None else count_include_pad
    outs = [_out_size(X, k, s, p, pooling_convention) for X, k, s, p in zip(sp, kernel, stride, pad)]
    y = np.zeros((N, C) + tuple(outs))
    idx = np.full((N, C) + tuple(outs), -1, np.int64)
    for o in itertools.product(*[range(n) for n in outs]):
        lo, hi, padded = [], [], 1
        for a in range(ns):
            st = o[a] * stride[a] - pad[a]
            en = min(st + kernel[a], sp[a] + pad[a])
            padded *= en - st
            lo.append(max(st, 0))
            hi.append(max(min(en, sp[a]), max(st, 0)))
        cells = int(np.prod([b - a for a, b in zip(lo, hi)]))
        win = z[(slice(None), slice(None)) + tuple(slice(a, b) for a, b in zip(lo, hi))].reshape(N, C, cells)
        real = win.shape[2]
        at = (slice(None), slice(None)) + o
        if pool_type == "max":
            if real == 0:
                y[at] = np.finfo(x.dtype).min
                continue
            j = np.argmax(win, axis=2)                  # first maximum
            y[at] = np.take_along_axis(win, j[..., None], 2)[..., 0]
            coords = np.unravel_index(j, tuple(b - a for a, b in zip(lo, hi)))
            lin = np.zeros_like(j)
            for a in range(ns):
                lin = lin * sp[a] + coords[a] + lo[a]
            idx[at] = lin
        elif pool_type == "sum":
            y[at] = win.sum(axis=2)
        elif pool_type == "avg":
            div = padded if cip else real
            y[at] = win.sum(axis=2) / div if div else 0.0
        else:
            s = (win ** p_value).sum(axis=2)
            y[at] = s if p_value == 1 else (np.sqrt(s) if p_value == 2 else np.cbrt(s))
    if index:
        S = int(np.prod(sp))
        base = (np.arange(N * C).reshape(N, C) * S).reshape((N, C) + (1,) * ns)
        flat = np.where(idx >= 0, idx + base, -1)
        if cl:
            n, rest = flat // (C * S), flat % (C * S)
            flat = np.where(flat >= 0, (n * S + rest % S) * C + rest // S, -1)
            flat = np.moveaxis(flat, 1, -1)
    y = y.astype(x.dtype)
    if cl:
        y = np.moveaxis(y, 1, -1)
    return (y, flat) if index else y


def _pool_ref_visible(x, **attrs):
    return pool_reference(x, **attrs)


def _distinct(shape, seed=0):
    """Distinct values (no max-pool ties) in [-2, 2)."""
    n = int(np.prod(shape))
    v = np.random.RandomState(seed).permutation(n).astype(np.float64)
    return (v / max(n, 1) * 4.0 - 2.0).reshape(shape)


_S = Sample
_POOL_SAMPLES = [
    _S((_distinct((2, 3, 6, 6)),), {"kernel": (2, 2), "stride": (2, 2)}, note="LeNet-style"),
    _S((_distinct((1, 2, 5, 5), 1),), {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1),
                                       "pooling_convention": "full"}),
    _S((_distinct((2, 2, 7), 2),), {"kernel": (3,), "stride": (2,), "pad": (1,)}, note="1-D"),
    _S((_distinct((1, 2, 3, 4, 5), 3),), {"kernel": (2, 2, 3), "stride": (1, 2, 2)}, note="3-D"),
    _S((_distinct((2, 5, 4, 3), 4),), {"kernel": (3, 2), "stride": (1, 1), "pad": (1, 0), "layout": "NHWC"}),
    _S((_distinct((2, 3, 4, 5), 5),), {"global_pool": True}, note="global max"),
    _S(((2, 3, 5, 5),), {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1), "pool_type": "avg"}),
    _S(((2, 3, 5, 5),), {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1), "pool_type": "avg",
                         "count_include_pad": False, "pooling_convention": "full"}),
    _S(((1, 2, 3, 3),), {"kernel": (2, 2), "stride": (2, 2), "pad": (1, 1), "pool_type": "avg",
                         "pooling_convention": "full", "count_include_pad": False}, note="empty windows -> 0"),
    _S(((2, 2, 6),), {"kernel": (4,), "stride": (3,), "pool_type": "avg", "pooling_convention": "full"}),
    _S(((1, 2, 3, 4, 4),), {"kernel": (2, 2, 2), "stride": (2, 2, 2), "pad": (1, 0, 1), "pool_type": "avg",
                            "count_include_pad": False, "layout": "NDHWC"}),
    _S(((2, 3, 4, 5),), {"global_pool": True, "pool_type": "avg", "kernel": (9, 9)}, note="kernel ignored"),
    _S(((2, 4, 3),), {"global_pool": True, "pool_type": "avg", "layout": "NWC"}),
    _S(((2, 3, 5, 4),), {"kernel": (2, 3), "stride": (2, 1), "pad": (1, 1), "pool_type": "sum",
                         "pooling_convention": "full"}),
    _S(((2, 3, 4, 4),), {"kernel": (2, 2), "stride": (1, 1), "pool_type": "lp", "p_value": 1}),
    _S(((2, 3, 4, 4),), {"kernel": (2, 2), "stride": (2, 2), "pool_type": "lp", "p_value": 2}),
    _S(((1, 2, 4, 4),), {"kernel": (3, 3), "stride": (1, 1), "pad": (1, 1), "pool_type": "lp", "p_value": 3}),
    _S(((2, 2, 7),), {"kernel": (3,), "stride": (2,), "pooling_convention": "same", "pool_type": "avg"},
       note="same: ceil(x / stride)"),
    _S(((0, 3, 4, 4),), {"kernel": (2, 2), "pool_type": "avg"}, note="0-size batch"),
    _S(((2, 3, 4, 4),), {"kernel": (2, 2), "cudnn_off": True, "pool_type": "sum"}, note="accepted attr"),
    _S((_distinct((1, 1, 3, 3), 6),), {"kernel": (1, 1), "pad": (1, 1)}, grad=True,
       note="pad >= kernel: empty windows give the lowest value and no gradient"),
]

_POOL_ERRORS = [
    ErrorCase(((2, 3),), {"kernel": (2,)}, ShapeError, "Pooling takes 3-D"),
    ErrorCase(((2, 3, 4, 4),), {"kernel": (2,)}, ShapeError, "1-D kernel"),
    ErrorCase(((2, 3, 4, 4),), {}, AttrError, "kernel is not set"),
    ErrorCase(((2, 3, 4, 4),), {"kernel": (5, 5)}, ShapeError, r"kernel size \(5\) exceeds input \(4 padded to 4\)"),
    ErrorCase(((2, 3, 4, 4),), {"kernel": (2, 2), "stride": (2,)}, ShapeError, "stride"),
    ErrorCase(((2, 3, 4, 4),), {"kernel": (2, 2), "stride": (0, 1)}, AttrError, "positive"),
    ErrorCase(((2, 3, 4, 4),), {"kernel": (2, 2), "layout": "NCW"}, ShapeError, "layout 'NCW' is for 3-D data"),
    ErrorCase(((2, 3, 4, 4),), {"kernel": (2, 2), "pool_type": "lp"}, AttrError, "p_value"),
    ErrorCase(((2, 3, 4, 4),), {"kernel": (2, 2), "pool_type": "lp", "p_value": 4}, AttrError, "p_value"),
    ErrorCase(((2, 3, 4, 4),), {"kernel": (2, 2), "pooling_convention": "same"}, ShapeError, "only 1-D"),
    ErrorCase(((2, 3, 4, 4),), {"kernel": (2, 2)}, DTypeError, "floating point", dtypes=("int32",)),
    ErrorCase(((2, 3, 4, 4),), {"kernel": (2, 2), "pool_tpe": "max"}, AttrError, "pool_type"),
]

_POOLING = OpCase("Pooling", _pool_ref_visible, _POOL_SAMPLES, grad_inputs=(0,), errors=_POOL_ERRORS,
                  grad_rtol=1e-4, grad_atol=1e-5)

_POOLING_F16 = OpCase(
    "Pooling", _pool_ref_visible,
    [_S((_distinct((2, 3, 4, 4)),), {"kernel": (2, 2), "stride": (2, 2)}),
     _S(((2, 3, 4, 4),), {"kernel": (3, 3), "pad": (1, 1), "pool_type": "avg"})],
    dtypes=("float16",), grad=False, name="Pooling_float16")

_POOLING_GRAD2 = OpCase(
    "Pooling", _pool_ref_visible,
    [_S(((1, 2, 4, 4),), {"kernel": (3, 3), "stride": (1, 1), "pad": (1, 1), "pool_type": "avg"}),
     _S(((1, 2, 4, 4),), {"kernel": (2, 2), "pool_type": "lp", "p_value": 2}),
     _S((_distinct((1, 2, 4, 4), 7),), {"kernel": (2, 2), "stride": (1, 1)})],
    dtypes=("float64",), grad2=True, domain=(0.5, 2.0), name="Pooling_grad2")


def bpool_reference(g, shape=(), **attrs):
    """The adjoint of sum/avg pooling through the reference's Jacobian (float64)."""
    x0 = np.zeros(shape)
    n = x0.size
    cols = []
    for i in range(n):
        e = np.zeros(n)
        e[i] = 1.0
        cols.append(pool_reference(e.reshape(shape), **attrs).reshape(-1))
    J = np.array(cols).T if n else np.zeros((g.size, 0))       # (out, in)
    return (J.T @ g.reshape(-1).astype(np.float64)).reshape(shape).astype(g.dtype)


_BPOOL = OpCase(
    "_backward_Pooling_linear", bpool_reference,
    [_S(((1, 2, 3, 3),), {"shape": (1, 2, 5, 5), "kernel": (3, 3), "stride": (2, 2), "pad": (1, 1),
                          "pool_type": "avg"}),
     _S(((1, 2, 3, 3),), {"shape": (1, 2, 5, 5), "kernel": (3, 3), "stride": (2, 2), "pad": (1, 1),
                          "pool_type": "avg", "count_include_pad": False, "pooling_convention": "full"}),
     _S(((2, 3, 2),), {"shape": (2, 5, 2), "kernel": (2,), "stride": (2,), "pool_type": "sum",
                       "pooling_convention": "full", "layout": "NWC"}),
     _S(((2, 3, 1, 1),), {"shape": (2, 3, 4, 4), "global_pool": True, "pool_type": "avg"})],
    grad2=True,
    errors=[ErrorCase(((1, 2, 3, 3),), {"shape": (1, 2, 5, 5), "kernel": (3, 3), "stride": (2, 2),
                                        "pool_type": "avg"}, ShapeError, "ograd has shape"),
            ErrorCase(((1, 2, 2, 2),), {"shape": (1, 2, 4, 4), "kernel": (2, 2), "stride": (2, 2),
                                        "pool_type": "max"}, AttrError, "adjoint of avg/sum")])


# ---- UpSampling -----------------------------------------------------------------------------------

def up_reference(*xs, scale=1, sample_type="nearest", multi_input_mode="concat", num_args=None, num_filter=0,
                 workspace=512):
    oh = xs[0].shape[2] * scale
    ups = []
    for x in xs:
        f = oh // x.shape[2]
        ups.append(x.repeat(f, axis=2).repeat(f, axis=3))
    if multi_input_mode == "sum":
        return sum(ups[1:], ups[0])
    return np.concatenate(ups, axis=1)


_UPSAMPLING = OpCase(
    "UpSampling", up_reference,
    [_S(((2, 3, 2, 3),), {"scale": 2, "sample_type": "nearest"}),
     _S(((1, 2, 2, 2), (1, 3, 4, 4)), {"scale": 2, "sample_type": "nearest", "num_args": 2}),
     _S(((1, 2, 2, 2), (1, 2, 1, 1)), {"scale": 3, "sample_type": "nearest", "num_args": 2,
                                       "multi_input_mode": "sum"}),
     _S(((1, 2, 2, 2),), {"scale": 1, "sample_type": "nearest"})],
    grad2=True,
    errors=[ErrorCase(((1, 2, 2, 2),), {"scale": 2, "sample_type": "bilinear"}, AttrError, "not implemented"),
            ErrorCase(((1, 2, 2, 2), (1, 2, 3, 3)), {"scale": 2, "sample_type": "nearest", "num_args": 2},
                      ShapeError, "integer factor"),
            ErrorCase(((1, 2, 2),), {"scale": 2, "sample_type": "nearest"}, ShapeError, "4-D"),
            ErrorCase(((1, 2, 2, 2), (1, 3, 2, 2)), {"scale": 2, "sample_type": "nearest", "num_args": 2,
                                                     "multi_input_mode": "sum"}, ShapeError, "channels"),
            ErrorCase(((1, 2, 2, 2),), {"scale": 2, "sample_type": "nearest", "num_args": 2}, AttrError,
                      "num_args")])


# ---- BilinearResize2D / AdaptiveAvgPooling2D -------------------------------------------------------

def _bil_matrix(n_in, n_out, ac):
    A = np.zeros((n_out, n_in))
    sc = ((n_in - 1) / (n_out - 1) if ac else n_in / n_out) if n_out > 1 else 0.0
    sc = float(np.float32(sc))
    for o in range(n_out):
        src = sc * o if ac else max(sc * (o + 0.5) - 0.5, 0.0)
        i0 = min(int(np.floor(src)), n_in - 1)
        i1 = min(i0 + 1, n_in - 1)
        A[o, i0] += 1 - (src - i0)
        A[o, i1] += src - i0
    return A


def bilinear_reference(x, like=None, height=1, width=1, scale_height=None, scale_width=None, mode="size",
                       align_corners=True):
    H, W = x.shape[2:]
    if mode == "like":
        oh, ow = like.shape[2:]
    elif mode == "size":
        oh, ow = (int(H * scale_height), int(W * scale_width)) if scale_height is not None else (height, width)
    elif mode == "odd_scale":
        oh = int((H - 1) * scale_height + 1) if H % 2 else int(H * scale_height)
        ow = int((W - 1) * scale_width + 1) if W % 2 else int(W * scale_width)
    else:
        up, odd = mode.endswith("up"), "odd" in mode
        f = (lambda n: n if (n % 2 == 1) == odd else (n + 1 if up else n - 1))
        oh, ow = f(H), f(W)
    y = np.einsum("oh,nchw,pw->ncop", _bil_matrix(H, oh, align_corners), x.astype(np.float64),
                  _bil_matrix(W, ow, align_corners))
    return y.astype(x.dtype)


_BILINEAR = OpCase(
    "_contrib_BilinearResize2D", bilinear_reference,
    [_S(((2, 3, 4, 5),), {"height": 7, "width": 3}),
     _S(((1, 2, 4, 5),), {"height": 6, "width": 8, "align_corners": False}),
     _S(((1, 2, 3, 3),), {"height": 1, "width": 1, "align_corners": False}),
     _S(((1, 2, 5, 6),), {"scale_height": 1.5, "scale_width": 0.7}),
     _S(((1, 2, 5, 6),), {"mode": "odd_scale", "scale_height": 2.0, "scale_width": 0.5}),
     _S(((1, 2, 5, 6),), {"mode": "to_even_down"}),
     _S(((1, 2, 5, 6),), {"mode": "to_odd_up", "align_corners": False}),
     _S(((1, 2, 3, 4), (1, 1, 5, 2)), {"mode": "like"})],
    grad_inputs=(0,), grad2=True,
    errors=[ErrorCase(((2, 3, 4),), {"height": 2, "width": 2}, ShapeError, "4-D"),
            ErrorCase(((1, 1, 4, 4),), {"height": 0, "width": 2}, AttrError, "at least 1"),
            ErrorCase(((1, 1, 4, 4),), {"scale_height": 2.0}, AttrError, "both scale_height and scale_width"),
            ErrorCase(((1, 1, 4, 4),), {"mode": "like"}, ShapeError, "needs the second input")])


def adaptive_reference(x, output_size=()):
    H, W = x.shape[2:]
    os_ = (output_size,) if isinstance(output_size, int) else (tuple(output_size) or (1, 1))
    oh, ow = (os_[0], os_[0]) if len(os_) == 1 else os_
    y = np.zeros(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, h1 = (i * H) // oh, -((-(i + 1) * H) // oh)
            w0, w1 = (j * W) // ow, -((-(j + 1) * W) // ow)
            y[:, :, i, j] = x[:, :, h0:h1, w0:w1].astype(np.float64).mean(axis=(2, 3))
    return y.astype(x.dtype)


_ADAPTIVE = OpCase(
    "_contrib_AdaptiveAvgPooling2D", adaptive_reference,
    [_S(((2, 3, 5, 7),), {"output_size": (2, 3)}), _S(((1, 2, 4, 4),), {"output_size": 3}),
     _S(((1, 2, 3, 5),), {}), _S(((1, 2, 2, 3),), {"output_size": (4, 5)}, note="upsampling bins")],
    grad2=True,
    errors=[ErrorCase(((1, 2, 4),), {}, ShapeError, "4-D"),
            ErrorCase(((1, 2, 4, 4),), {"output_size": (1, 2, 3)}, AttrError, "output_size")])


def bres_reference(g, kind="bilinear", in_height=1, in_width=1, align_corners=True):
    OH, OW = g.shape[2:]
    if kind == "bilinear":
        A, B = _bil_matrix(in_height, OH, align_corners), _bil_matrix(in_width, OW, align_corners)
    else:
        A = np.array([adaptive_reference(np.eye(in_height)[None, None, :, i:i + 1], (OH, 1))[0, 0, :, 0]
                      for i in range(in_height)]).T
        B = np.array([adaptive_reference(np.eye(in_width)[None, None, i:i + 1, :], (1, OW))[0, 0, 0, :]
                      for i in range(in_width)]).T
    return np.einsum("oh,ncop,pw->nchw", A, g.astype(np.float64), B).astype(g.dtype)


_BRES = OpCase(
    "_backward_resample2d", bres_reference,
    [_S(((1, 2, 7, 3),), {"in_height": 4, "in_width": 5}),
     _S(((1, 2, 6, 8),), {"in_height": 4, "in_width": 5, "align_corners": False}),
     _S(((2, 1, 2, 3),), {"kind": "adaptive", "in_height": 5, "in_width": 7})],
    grad2=True,
    errors=[ErrorCase(((1, 2, 3),), {"in_height": 2, "in_width": 2}, ShapeError, "4-D")])

CASES = [_POOLING, _POOLING_F16, _POOLING_GRAD2, _BPOOL, _UPSAMPLING, _BILINEAR, _ADAPTIVE, _BRES]
