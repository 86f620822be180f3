"""Records for ops/conv.py: Convolution, Deconvolution, _backward_conv_weight.

The references compute in float64 by a sum over kernel taps of ``einsum`` products on padded, strided
slices (Convolution, the weight gradient) or a scatter-add of each tap's product into a padded output
(Deconvolution): a different method from the kernels' im2col + GEMM / col2im. Channels-last layouts are
checked through the channels-first reference with moved axes. MXNet 1.9.1 itself is checked by the
golden files in ``tests/golden/conv`` (``tests/ops/test_conv.py``).
"""
import itertools

import numpy as np

from ...errors import AttrError, DTypeError, ShapeError
from ...ops.conv import conv_geom, conv_out_size, deconv_out_size, deconv_pad_adj
from . import ErrorCase, OpCase, Sample


def _cf(a, last):
    return np.moveaxis(a, -1, 1) if last else a


def _taps(K):
    return itertools.product(*[range(k) for k in K])


def _sl(tap, dilate, stride, size):
    return tuple(slice(t * d, t * d + s * (o - 1) + 1, s) for t, d, s, o in zip(tap, dilate, stride, size))


def _pad(x, pad):
    return np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])


def conv_ref(x, w, b=None, kernel=(), stride=(), dilate=(), pad=(), num_filter=1, num_group=1, no_bias=False,
             layout=None, **_):
    geom = conv_geom(kernel, stride, dilate, pad, layout, num_group)
    xc = _cf(x.astype(np.float64), geom.last)
    wc = _cf(w.astype(np.float64), geom.last)
    N, C = xc.shape[:2]
    O = wc.shape[0]
    g = num_group
    Cg, Og = C // g, O // g
    OS = conv_out_size(xc.shape[2:], geom)
    xp = _pad(xc, geom.pad)
    y = np.zeros((N, O) + OS)
    for gi in range(g):
        for tap in _taps(geom.kernel):
            xs = xp[(slice(None), slice(gi * Cg, (gi + 1) * Cg)) + _sl(tap, geom.dilate, geom.stride, OS)]
            wt = wc[(slice(gi * Og, (gi + 1) * Og), slice(None)) + tap]
            y[:, gi * Og:(gi + 1) * Og] += np.einsum("oc,nc...->no...", wt, xs)
    if b is not None and not no_bias:
        y += b.astype(np.float64).reshape((1, -1) + (1,) * geom.nsp)
    y = np.moveaxis(y, 1, -1) if geom.last else y
    return y.astype(x.dtype)


def deconv_ref(x, w, b=None, kernel=(), stride=(), dilate=(), pad=(), adj=(), target_shape=(), num_filter=1,
               num_group=1, no_bias=True, layout=None, **_):
    geom = conv_geom(kernel, stride, dilate, pad, layout, num_group)
    xc = _cf(x.astype(np.float64), geom.last)
    wc = _cf(w.astype(np.float64), geom.last)
    N, C = xc.shape[:2]
    g = num_group
    Cg = C // g
    Fg = wc.shape[1]
    S = xc.shape[2:]
    pads, adjs = deconv_pad_adj(S, geom, adj, target_shape)
    OS = deconv_out_size(S, geom, pads, adjs)
    yp = np.zeros((N, Fg * g) + tuple(o + 2 * p for o, p in zip(OS, pads)))
    for gi in range(g):
        for tap in _taps(geom.kernel):
            wt = wc[(slice(gi * Cg, (gi + 1) * Cg), slice(None)) + tap]
            yp[(slice(None), slice(gi * Fg, (gi + 1) * Fg)) + _sl(tap, geom.dilate, geom.stride, S)] += \
                np.einsum("cf,nc...->nf...", wt, xc[:, gi * Cg:(gi + 1) * Cg])
    y = yp[(slice(None), slice(None)) + tuple(slice(p, p + o) for p, o in zip(pads, OS))]
    if b is not None and not no_bias:
        y = y + b.astype(np.float64).reshape((1, -1) + (1,) * geom.nsp)
    y = np.moveaxis(y, 1, -1) if geom.last else y
    return np.ascontiguousarray(y).astype(x.dtype)


def conv_weight_grad_ref(x, dy, kernel=(), stride=(), dilate=(), pad=(), num_group=1, layout=None, **_):
    geom = conv_geom(kernel, stride, dilate, pad, layout, num_group)
    xc = _cf(x.astype(np.float64), geom.last)
    gc = _cf(dy.astype(np.float64), geom.last)
    C, O = xc.shape[1], gc.shape[1]
    g = num_group
    Cg, Og = C // g, O // g
    OS = gc.shape[2:]
    xp = _pad(xc, geom.pad)
    dw = np.zeros((O, Cg) + tuple(geom.kernel))
    for gi in range(g):
        for tap in _taps(geom.kernel):
            xs = xp[(slice(None), slice(gi * Cg, (gi + 1) * Cg)) + _sl(tap, geom.dilate, geom.stride, OS)]
            gs = gc[:, gi * Og:(gi + 1) * Og]
            dw[(slice(gi * Og, (gi + 1) * Og), slice(None)) + tap] = np.einsum(
                "nop,ncp->oc", gs.reshape(gs.shape[:2] + (-1,)), xs.reshape(xs.shape[:2] + (-1,)))
    dw = np.moveaxis(dw, 1, -1) if geom.last else dw
    return np.ascontiguousarray(dw).astype(x.dtype)


# ---- Convolution -------------------------------------------------------------------------------------

_CONV = [
    Sample(((2, 3, 5, 6), (4, 3, 3, 3), (4,)), {"kernel": (3, 3), "num_filter": 4, "pad": (1, 1)}),
    Sample(((2, 4, 7, 6), (6, 2, 3, 2)), {"kernel": (3, 2), "num_filter": 6, "stride": (2, 1), "dilate": (1, 2),
                                          "pad": (1, 0), "num_group": 2, "no_bias": True}, note="groups, no_bias"),
    Sample(((2, 3, 8), (4, 3, 3), (4,)), {"kernel": (3,), "num_filter": 4, "stride": (2,), "pad": (2,)},
           note="1-D"),
    Sample(((1, 2, 4, 5, 4), (3, 2, 2, 3, 2), (3,)), {"kernel": (2, 3, 2), "num_filter": 3, "pad": (1, 0, 1),
                                                      "stride": (1, 2, 1)}, note="3-D"),
    Sample(((2, 4, 6, 5), (4, 1, 3, 3), (4,)), {"kernel": (3, 3), "num_filter": 4, "num_group": 4, "pad": (1, 1)},
           note="depthwise"),
    Sample(((2, 6, 5, 3), (4, 3, 3, 3), (4,)), {"kernel": (3, 3), "num_filter": 4, "layout": "NHWC",
                                                "pad": (1, 1), "stride": (2, 1)}, note="NHWC"),
    Sample(((2, 3, 4, 5, 2), (4, 2, 2, 2, 2), (4,)), {"kernel": (2, 2, 2), "num_filter": 4, "layout": "NDHWC"},
           note="NDHWC"),
    Sample(((2, 5, 3, 4), (6, 5, 1, 1), (6,)), {"kernel": (1, 1), "num_filter": 6}, note="1x1"),
    Sample(((2, 4, 9, 9), (4, 2, 3, 3), (4,)), {"kernel": (3, 3), "num_filter": 4, "num_group": 2,
                                                "dilate": (2, 3), "stride": (2, 2)}, note="dilation + groups"),
    Sample(((2, 4, 5, 5), (4, 1, 3, 3)), {"kernel": (3, 3), "num_filter": 4, "num_group": 4, "no_bias": True,
                                          "stride": (2, 2), "dilate": (2, 1), "pad": (2, 1)},
           note="strided dilated depthwise"),
    Sample(((2, 2, 6, 6), (4, 1, 3, 3), (4,)), {"kernel": (3, 3), "num_filter": 4, "num_group": 2},
           note="depth multiplier 2"),
    Sample(((0, 3, 5, 5), (2, 3, 3, 3), (2,)), {"kernel": (3, 3), "num_filter": 2}, note="0-size batch"),
    Sample(((1, 2, 3, 3), (2, 2, 3, 3), (2,)), {"kernel": (3, 3), "num_filter": 2, "workspace": 256,
                                                "cudnn_tune": "fastest", "cudnn_off": True, "layout": "NCHW"},
           note="accepted attrs"),
]

_CONV_ERRORS = [
    ErrorCase(((3, 5, 6), (4, 3, 3, 3), (4,)), {"kernel": (3, 3), "num_filter": 4}, ShapeError,
              r"Input data should be 4D in batch-num_filter-y-x: data has shape \(3, 5, 6\)"),
    ErrorCase(((2, 3, 5, 6), (4, 2, 3, 3), (4,)), {"kernel": (3, 3), "num_filter": 4}, ShapeError,
              r"weight has shape \(4, 2, 3, 3\) but data with 3 channels needs \(4, 3, 3, 3\)"),
    ErrorCase(((2, 3, 2, 6), (4, 3, 3, 3), (4,)), {"kernel": (3, 3), "num_filter": 4}, ShapeError,
              r"kernel size exceed input: the height of the data is 2 \(padded 2\) but the dilated kernel is 3"),
    ErrorCase(((2, 3, 4, 6), (4, 3, 3, 3), (4,)), {"kernel": (3, 3), "num_filter": 4, "dilate": (2, 1)},
              ShapeError, "dilated kernel is 5"),
    ErrorCase(((2, 3, 5, 6), (4, 3, 3, 3), (4,)), {"kernel": (3, 3), "num_filter": 4, "layout": "NWC"},
              AttrError, "layout='NWC' is not a valid"),
    ErrorCase(((2, 3, 5, 6), (4, 3, 3, 3), (4,)), {"kernel": (3, 3), "num_filter": 4, "layout": "NCW"},
              AttrError, "layout NCW is for 1-D data but kernel=.3, 3. is a 2-D convolution"),
    ErrorCase(((2, 3, 5, 6), (4, 3, 3, 3), (4,)), {"kernel": (3, 3), "num_filter": 4, "stride": (1, 1, 1)},
              AttrError, "Stride must have the same number of dimensions with kernel_size"),
    ErrorCase(((2, 3, 5, 6), (4, 1, 3, 3), (4,)), {"kernel": (3, 3), "num_filter": 4, "num_group": 2},
              ShapeError, "data has 3 channels, not divisible by num_group=2"),
    ErrorCase(((2, 4, 5, 6), (3, 2, 3, 3), (3,)), {"kernel": (3, 3), "num_filter": 3, "num_group": 2},
              ShapeError, "num_filter=3 is not divisible by num_group=2"),
    ErrorCase(((2, 3, 5, 6), (4, 3, 3, 3), (5,)), {"kernel": (3, 3), "num_filter": 4}, ShapeError,
              r"bias has shape \(5,\) but num_filter=4"),
    ErrorCase(((2, 3, 5, 6), (4, 3, 3, 3)), {"kernel": (3, 3), "num_filter": 4}, ShapeError, "expects 3 inputs"),
    ErrorCase(((2, 3, 5, 6), (4, 3, 3, 3), (4,)), {"kernel": (3, 3), "num_filter": 4, "no_bias": True},
              ShapeError, "no_bias=True but a bias was given"),
    ErrorCase(((2, 3, 5, 6), (4, 3, 3, 3), (4,)), {"kernel": (3, 3)}, AttrError,
              "requires the attribute 'num_filter'"),
    ErrorCase(((2, 3, 5, 6), (4, 3, 3, 3), (4,)), {"kernel": (3, 3), "num_filter": 4}, DTypeError,
              "must have the same dtype", dtypes=("float32", "float64", "float32")),
    ErrorCase(((2, 3, 5, 6), (4, 3, 3, 3), (4,)), {"kernel": (3, 3), "num_filter": 4}, DTypeError,
              "only supports float16/float32/float64", dtypes=("int32", "int32", "int32")),
    ErrorCase(((2, 3, 5, 6, 2, 2), (4, 3, 3, 3, 1, 1, 1, 1), (4,)), {"kernel": (3, 3, 1, 1), "num_filter": 4},
              AttrError, "4D convolution not supported"),
    ErrorCase(((2, 3, 5, 6), (4, 3, 3, 3), (4,)), {"kernel": (3, 3), "num_filter": 4, "kernal": (3, 3)},
              AttrError, "Did you mean 'kernel'"),
]

# ---- Deconvolution -----------------------------------------------------------------------------------

_DECONV = [
    Sample(((2, 3, 4, 5), (3, 4, 3, 3), (4,)), {"kernel": (3, 3), "num_filter": 4, "stride": (2, 2), "pad": (1, 1),
                                                "adj": (1, 0), "no_bias": False}),
    Sample(((2, 4, 3, 4), (4, 3, 3, 2)), {"kernel": (3, 2), "num_filter": 6, "num_group": 2, "dilate": (2, 1),
                                          "stride": (1, 2)}, note="groups, dilation, no bias (the default)"),
    Sample(((2, 3, 5), (3, 2, 4), (2,)), {"kernel": (4,), "num_filter": 2, "stride": (3,), "pad": (1,),
                                          "adj": (2,), "no_bias": False}, note="1-D"),
    Sample(((1, 2, 3, 2, 3), (2, 3, 2, 2, 3), (3,)), {"kernel": (2, 2, 3), "num_filter": 3, "stride": (2, 1, 2),
                                                      "no_bias": False}, note="3-D"),
    Sample(((2, 3, 4, 3), (3, 3, 2, 4), (4,)), {"kernel": (3, 2), "num_filter": 4, "layout": "NHWC",
                                                "stride": (2, 2), "no_bias": False}, note="NHWC"),
    Sample(((2, 3, 4, 4), (3, 2, 3, 3)), {"kernel": (3, 3), "num_filter": 2, "stride": (2, 2),
                                          "target_shape": (8, 9)}, note="target_shape (computed pad/adj)"),
    Sample(((2, 4, 3, 3), (4, 1, 3, 3)), {"kernel": (3, 3), "num_filter": 4, "num_group": 4, "stride": (2, 2),
                                          "pad": (1, 1)}, note="depthwise"),
    Sample(((2, 2, 3, 2, 2), (2, 2, 2, 2, 3)), {"kernel": (2, 2, 2), "num_filter": 3, "layout": "NDHWC"},
           note="NDHWC"),
    Sample(((0, 3, 4, 4), (3, 2, 3, 3)), {"kernel": (3, 3), "num_filter": 2}, note="0-size batch"),
]

_DECONV_ERRORS = [
    ErrorCase(((2, 3, 4), (3, 4, 3, 3)), {"kernel": (3, 3), "num_filter": 4}, ShapeError,
              "Input data should be 4D in batch-num_filter-y-x"),
    ErrorCase(((2, 3, 4, 4), (4, 3, 3, 3)), {"kernel": (3, 3), "num_filter": 3}, ShapeError,
              r"weight has shape \(4, 3, 3, 3\) but data with 3 channels needs \(3, 3, 3, 3\)"),
    ErrorCase(((2, 3, 4, 4), (3, 4, 3, 3)), {"kernel": (3, 3), "num_filter": 4, "adj": (1, 1)}, ShapeError,
              r"adj\(height\)=1 must be smaller than stride\[0\]=1"),
    ErrorCase(((2, 3, 4, 4), (3, 4, 3, 3)), {"kernel": (3, 3), "num_filter": 4, "target_shape": (20, 20),
                                              "stride": (2, 2)}, ShapeError, "too big target shape"),
    ErrorCase(((2, 3, 4, 4), (3, 4, 3, 3)), {"kernel": (3, 3), "num_filter": 4, "adj": (1, 1, 1)}, AttrError,
              "Adjustment must have the same number of dimensions"),
    ErrorCase(((2, 3, 4, 4), (3, 4, 3, 3)), {"kernel": (3, 3), "num_filter": 4, "layout": "NWC"}, AttrError,
              "layout='NWC' is not a valid"),
    ErrorCase(((2, 3, 4, 4), (3, 4, 3, 3), (4,)), {"kernel": (3, 3), "num_filter": 4}, ShapeError,
              "no_bias=True but a bias was given"),
    ErrorCase(((2, 3, 4, 4), (3, 4, 3, 3)), {"kernel": (3, 3), "num_filter": 4, "pad": (4, 4)}, ShapeError,
              "is not positive"),
]

# ---- weight gradient ---------------------------------------------------------------------------------

_BW = [
    Sample(((2, 3, 5, 6), (2, 4, 3, 4)), {"kernel": (3, 3), "pad": (0, 0)}),
    Sample(((2, 4, 7, 6), (2, 6, 4, 4)), {"kernel": (3, 2), "stride": (2, 1), "dilate": (1, 2), "pad": (1, 0),
                                          "num_group": 2}, note="groups"),
    Sample(((2, 3, 8), (2, 4, 4)), {"kernel": (3,), "stride": (2,), "pad": (1,)}, note="1-D"),
    Sample(((2, 6, 5, 3), (2, 3, 5, 4)), {"kernel": (3, 3), "layout": "NHWC", "pad": (1, 1), "stride": (2, 1)},
           note="NHWC"),
    Sample(((2, 4, 5, 5), (2, 4, 3, 3)), {"kernel": (3, 3), "num_group": 4}, note="depthwise"),
]

_BW_ERRORS = [
    ErrorCase(((2, 3, 5, 6), (2, 4, 3, 3)), {"kernel": (3, 3)}, ShapeError,
              r"ograd has shape \(2, 4, 3, 3\) but the convolution of data"),
]

CASES = [
    OpCase("Convolution", conv_ref, _CONV, rtol=1e-4, atol=1e-5, grad=False, errors=_CONV_ERRORS),
    OpCase("Convolution", conv_ref, [Sample(((2, 3, 4, 5), (2, 3, 2, 2), (2,)), {"kernel": (2, 2), "num_filter": 2,
                                                                             "pad": (1, 0)})],
           dtypes=("float16",), gpu=False, grad=False, name="Convolution_float16"),
    OpCase("Deconvolution", deconv_ref, _DECONV, rtol=1e-4, atol=1e-5, grad=False, errors=_DECONV_ERRORS),
    OpCase("_backward_conv_weight", conv_weight_grad_ref, _BW, rtol=1e-4, atol=1e-5, grad2=True, errors=_BW_ERRORS),
]

# The gradient templates check the first two samples of a record (the records above leave gradients to
# these): each pair below puts two forms first so
# every gradient rule branch (1-D/3-D, channels-last, depthwise, dilation, target_shape, no_bias) is checked
# to second order.
for _op, _ref, _all, _pairs in (("Convolution", conv_ref, _CONV, [(0, 1), (2, 3), (4, 5), (6, 9), (8, 10)]),
                                ("Deconvolution", deconv_ref, _DECONV, [(0, 1), (2, 3), (4, 5), (6, 7)])):
    for _i, _j in _pairs:
        CASES.append(OpCase(_op, _ref, [_all[_i], _all[_j]], dtypes=("float64",), rtol=1e-6, atol=1e-8, grad2=True,
                            gpu=False, name=f"{_op}_grad_{_i}_{_j}"))
