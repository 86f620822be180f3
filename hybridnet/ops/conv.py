"""Convolution ops with MXNet 1.9.1's names, attributes, defaults and shape rules: ``Convolution`` and
``Deconvolution`` (transposed convolution), 1-D/2-D/3-D, stride, pad, dilation, groups (incl.
depthwise), ``no_bias``, and the layouts MXNet accepts: ``NCW``, ``NCHW``, ``NCDHW`` (defaults) and
channels-last ``NHWC``, ``NDHWC`` (MXNet rejects ``NWC``; its CPU build infers shapes for the
channels-last layouts but cannot run them, hybridnet runs them on every device).

Shapes (``g = num_group``, ``K`` the kernel, ``dk = dilate * (K - 1) + 1`` the dilated kernel):

- ``Convolution``: data ``(N, C, *S)``, weight ``(num_filter, C / g, *K)``, bias ``(num_filter,)``,
  output ``(N, num_filter, *((S + 2 * pad - dk) // stride + 1))``.
- ``Deconvolution``: data ``(N, C, *S)``, weight ``(C, num_filter / g, *K)``, output
  ``(N, num_filter, *(stride * (S - 1) + dk - 2 * pad + adj))``; with ``target_shape`` the pad and adj
  that give that size are computed as MXNet does (``pad`` and ``adj`` are then ignored).
- Channels-last layouts put the channel axis last in data and output, and the weight is
  ``(num_filter, *K, C / g)`` (Convolution) or ``(C, *K, num_filter / g)`` (Deconvolution), as MXNet.

Gradients are registry ops, so every order composes: Deconvolution is the adjoint of Convolution (for
the same weight, stride, pad, dilation and groups), so Convolution's data gradient is a Deconvolution of
the output gradient (with the ``adj`` that restores the input size) and Deconvolution's data gradient is
a Convolution. Both weight gradients are ``_backward_conv_weight(data, ograd)`` (a correlation of the
convolution's input with its output gradient; for Deconvolution the roles of its data and its output
gradient swap), whose own gradients are again a Convolution and a Deconvolution. Bias gradients are sums.

Deliberate differences from MXNet 1.9.1: dilation is accepted for 3-D convolutions (MXNet: "Dilate is
not supported in 3d convolution"); channels-last layouts run on the CPU; every error names the shapes
and the fix (MXNet's message is kept in the text where it had one).
"""
import numpy as np

from . import api as F
from ..errors import AttrError, DTypeError, ShapeError
from .check import op_error
from .opdef import REQUIRED, Attr, Bool, Choice, Int, Pattern, Shape
from .registry import defop
from .spec import TensorSpec

__all__ = ["ConvGeom", "conv_geom", "conv_out_size", "deconv_pad_adj", "conv_weight_shape",
           "deconv_weight_shape", "LAYOUTS", "DEFAULT_LAYOUT"]

LAYOUTS = ("NCW", "NCHW", "NCDHW", "NHWC", "NDHWC")
DEFAULT_LAYOUT = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
_FLOATS = ("float16", "float32", "float64")
_RANK_TEXT = {1: "3D in batch-num_filter-x", 2: "4D in batch-num_filter-y-x", 3: "5D in batch-num_filter-depth-y-x"}
_NAMES = {1: ("width",), 2: ("height", "width"), 3: ("depth", "height", "width")}


class ConvGeom:
    """Normalised geometry of one convolution: ``nsp`` spatial dims, ``kernel``/``stride``/``dilate``/``pad``
    tuples of that length, ``layout`` string, ``last`` (channels-last), ``groups``."""
    __slots__ = ("nsp", "kernel", "stride", "dilate", "pad", "layout", "last", "groups")

    def __init__(self, kernel, stride, dilate, pad, layout, groups):
        self.nsp = len(kernel)
        self.kernel, self.stride, self.dilate, self.pad = kernel, stride, dilate, pad
        self.layout, self.groups = layout, groups
        self.last = layout[-1] == "C"

    def dilated(self):
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilate))

    def spatial(self, shape):
        """The spatial sizes of a data shape in this layout."""
        return tuple(shape[1:-1]) if self.last else tuple(shape[2:])

    def channels(self, shape):
        return shape[-1] if self.last else shape[1]

    def make(self, n, c, spatial):
        """A data-layout shape from batch, channels and spatial sizes."""
        return (n,) + tuple(spatial) + (c,) if self.last else (n, c) + tuple(spatial)

    def weight(self, lead, second):
        """A weight-layout shape ``(lead, second, *kernel)`` (channels-last: ``(lead, *kernel, second)``)."""
        return (lead,) + tuple(self.kernel) + (second,) if self.last else (lead, second) + tuple(self.kernel)


def conv_geom(kernel, stride=(), dilate=(), pad=(), layout=None, num_group=1, op=None, args=()):
    """``ConvGeom`` from the op attributes (empty stride/dilate/pad mean 1/1/0 per dim, ``layout=None``
    the default for the kernel's rank). Bad attributes raise ``AttrError`` naming ``op`` if given."""
    def bad(msg, fix):
        if op is None:
            return AttrError(f"{msg}; {fix}")
        return op_error(op, args, AttrError, msg, fix)
    nsp = len(kernel)
    if nsp not in (1, 2, 3):
        raise bad(f"kernel={tuple(kernel)} has {nsp} dims; {nsp}D convolution not supported",
                  "pass a kernel of 1, 2 or 3 ints: (w,), (h, w) or (d, h, w)")
    vals = {}
    for name, v, dflt, lo in (("stride", stride, 1, 1), ("dilate", dilate, 1, 1), ("pad", pad, 0, 0)):
        v = tuple(v) if len(v) else (dflt,) * nsp
        if len(v) != nsp:
            what = {"stride": "Stride", "dilate": "Dilate", "pad": "Padding"}[name]
            raise bad(f"{what} must have the same number of dimensions with kernel_size, but kernel_size is "
                      f"set to {tuple(kernel)} while {name} is {v}", f"pass {name} as {nsp} ints (or one int per "
                      "spatial dim)")
        if any(x < lo for x in v):
            raise bad(f"{name}={v} must be >= {lo} in every dim", f"pass {name} values >= {lo}")
        vals[name] = v
    if any(k < 1 for k in kernel):
        raise bad(f"incorrect kernel size: {tuple(kernel)}", "pass kernel sizes >= 1")
    layout = DEFAULT_LAYOUT[nsp] if layout is None else layout
    if len(layout) != nsp + 2:
        raise bad(f"layout {layout} is for {len(layout) - 2}-D data but kernel={tuple(kernel)} is a {nsp}-D "
                  "convolution", f"pass layout='{DEFAULT_LAYOUT[nsp]}'"
                  + (" or 'NHWC'" if nsp == 2 else " or 'NDHWC'" if nsp == 3 else "")
                  + " (or a kernel with one int per spatial dim of the layout)")
    if num_group < 1:
        raise bad(f"num_group={num_group} must be >= 1", "pass num_group >= 1")
    return ConvGeom(tuple(kernel), vals["stride"], vals["dilate"], vals["pad"], layout, num_group)


def _geom_of(attrs, op=None, args=()):
    return conv_geom(attrs["kernel"], attrs.get("stride", ()), attrs.get("dilate", ()), attrs.get("pad", ()),
                     attrs.get("layout"), attrs.get("num_group", 1), op, args)


def conv_out_size(spatial, geom, pad=None):
    """Convolution output sizes for input sizes ``spatial`` (may be <= 0 when the kernel is too large)."""
    pad = geom.pad if pad is None else pad
    return tuple((s + 2 * p - dk) // st + 1 for s, p, dk, st in zip(spatial, pad, geom.dilated(), geom.stride))


def deconv_pad_adj(spatial, geom, adj=(), target_shape=()):
    """MXNet's ``DeconvolutionParam::InferPad``: the effective ``(pad, adj)`` of a Deconvolution on
    input sizes ``spatial`` (``target_shape`` with a non-zero entry overrides pad and adj)."""
    nsp = geom.nsp
    if target_shape and any(t != 0 for t in target_shape):
        pads, adjs = [], []
        for s, st, dk, t in zip(spatial, geom.stride, geom.dilated(), target_shape):
            o = st * (s - 1) + dk - t
            adjs.append(o % 2)
            pads.append((o + 1) // 2)
        return tuple(pads), tuple(adjs)
    adj = tuple(adj) if len(adj) else (0,) * nsp
    return geom.pad, adj


def deconv_out_size(spatial, geom, pad, adj):
    return tuple(st * (s - 1) + dk - 2 * p + a
                 for s, st, dk, p, a in zip(spatial, geom.stride, geom.dilated(), pad, adj))


def conv_weight_shape(in_channels, num_filter, geom):
    """Convolution weight shape in the layout (``in_channels`` 0 = unknown gives 0 in that dim)."""
    return geom.weight(num_filter, in_channels // geom.groups)


def deconv_weight_shape(in_channels, num_filter, geom):
    """Deconvolution weight shape in the layout: ``(C, num_filter / g, *K)`` (channels-last ``(C, *K, F / g)``)."""
    return geom.weight(in_channels, num_filter // geom.groups)


def _rank_check(op, args, ds, geom):
    nsp = geom.nsp
    if len(ds) != nsp + 2:
        raise op_error(op, args, ShapeError,
                       f"Input data should be {_RANK_TEXT[nsp]}: data has shape {ds} (rank {len(ds)}) but "
                       f"kernel={geom.kernel} makes this a {nsp}-D convolution, which needs rank {nsp + 2} "
                       f"data in layout {geom.layout}",
                       f"pass {nsp + 2}-D data ({', '.join(('batch', 'channel') + _NAMES[nsp])} in layout "
                       f"{geom.layout}; add a batch axis with expand_dims(axis=0) for one sample), or a kernel "
                       f"with {len(ds) - 2} ints" if len(ds) - 2 in (1, 2, 3) else
                       f"pass {nsp + 2}-D data in layout {geom.layout}")


def _shape_check_common(op, args, data, weight, bias, no_bias, num_filter, geom):
    names = "data, weight, bias" if not no_bias else "data, weight"
    if no_bias and bias is not None:
        raise op_error(op, args, ShapeError, f"no_bias=True but a bias was given: {op.name} expects 2 inputs "
                       "(Input:[data, weight])", "drop the bias argument or pass no_bias=False")
    if not no_bias and bias is None:
        raise op_error(op, args, ShapeError, f"{op.name} expects 3 inputs ({names}), but got 2",
                       "pass a bias of shape (num_filter,) or no_bias=True")
    dts = {np.dtype(a.dtype) for a in args if a is not None}
    if len(dts) > 1:
        raise op_error(op, args, DTypeError, "data, weight and bias must have the same dtype, got "
                       + ", ".join(np.dtype(a.dtype).name for a in args if a is not None),
                       "cast them to one dtype with .astype(...)")
    dt = np.dtype(data.dtype)
    if dt.name not in _FLOATS:
        raise op_error(op, args, DTypeError, f"{op.name} only supports float16/float32/float64, got {dt.name}",
                       "cast the inputs with .astype('float32')")
    ds = tuple(data.shape)
    _rank_check(op, args, ds, geom)
    C = geom.channels(ds)
    g = geom.groups
    if C % g:
        raise op_error(op, args, ShapeError, f"input num_filter must divide group size: data has {C} channels, "
                       f"not divisible by num_group={g}", f"pass a num_group that divides {C}")
    if num_filter < 1:
        raise op_error(op, args, ShapeError, f"num_filter={num_filter} must be >= 1", "pass num_filter >= 1")
    if num_filter % g:
        raise op_error(op, args, ShapeError, f"output num_filter must divide group size: num_filter={num_filter} "
                       f"is not divisible by num_group={g}", f"pass a num_filter that is a multiple of {g}")
    if bias is not None and tuple(bias.shape) != (num_filter,):
        raise op_error(op, args, ShapeError, f"bias has shape {tuple(bias.shape)} but num_filter={num_filter} "
                       f"needs ({num_filter},)", f"pass a bias of shape ({num_filter},)")
    return dt, ds, C


def _check_weight(op, args, weight, want, C, what):
    ws = tuple(weight.shape)
    if ws != want:
        raise op_error(op, args, ShapeError,
                       f"Shape inconsistent: weight has shape {ws} but data with {C} channels needs {want} "
                       f"({what})",
                       f"pass a weight of shape {want}, or data whose channel count matches the weight "
                       "(check in_channels and the layout)")


# ---- Convolution ----------------------------------------------------------------------------------

def _conv_infer(data, weight, bias=None, kernel=REQUIRED, stride=(), dilate=(), pad=(), num_filter=REQUIRED,
                num_group=1, workspace=1024, no_bias=False, cudnn_tune=None, cudnn_off=False, layout=None):
    op = _conv
    args = (data, weight, bias)
    geom = conv_geom(kernel, stride, dilate, pad, layout, num_group, op, args)
    dt, ds, C = _shape_check_common(op, args, data, weight, bias, no_bias, num_filter, geom)
    _check_weight(op, args, weight, conv_weight_shape(C, num_filter, geom), C,
                  "(num_filter, channels / num_group, *kernel)" if not geom.last else
                  "(num_filter, *kernel, channels / num_group) in a channels-last layout")
    S = geom.spatial(ds)
    for i, (s, p, dk) in enumerate(zip(S, geom.pad, geom.dilated())):
        if dk > s + 2 * p:
            raise op_error(op, args, ShapeError,
                           f"kernel size exceed input: the {_NAMES[geom.nsp][i]} of the data is {s} (padded "
                           f"{s + 2 * p}) but the dilated kernel is {dk} (kernel={geom.kernel}, dilate="
                           f"{geom.dilate}, pad={geom.pad})",
                           "pass larger inputs, a smaller kernel or dilation, or more padding")
    out = geom.make(ds[0], num_filter, conv_out_size(S, geom))
    return TensorSpec(out, dt, data.device)


def _weight_bias_params(op, weight_shape, d, kernel, stride, dilate, pad, num_filter, num_group, no_bias, layout):
    """``OpDef.infer_params`` of Convolution/Deconvolution: weight (``weight_shape``) and bias shapes from
    the data shape ``d`` ({} while unknown or the attributes are invalid)."""
    try:
        geom = conv_geom(kernel, stride, dilate, pad, layout, num_group)
    except AttrError:
        return {}
    if d is None:
        return {}
    _rank_check(op, (), tuple(d), geom)      # deferred init on wrong-rank data: say why
    out = {"weight": weight_shape(geom.channels(d), num_filter, geom)}
    if not no_bias:
        out["bias"] = (num_filter,)
    return out


def _conv_infer_params(in_shapes, kernel=REQUIRED, stride=(), dilate=(), pad=(), num_filter=REQUIRED,
                       num_group=1, no_bias=False, layout=None, **_):
    """Weight ``(num_filter, C / g, *kernel)`` and bias from the data shape."""
    return _weight_bias_params(_conv, conv_weight_shape, in_shapes[0], kernel, stride, dilate, pad, num_filter,
                               num_group, no_bias, layout)


def _channel_axes(geom):
    """Every axis of data-layout arrays but the channel axis (bias gradients)."""
    n = geom.nsp + 2
    ch = n - 1 if geom.last else 1
    return tuple(i for i in range(n) if i != ch)


def _common(geom):
    return dict(kernel=geom.kernel, stride=geom.stride, dilate=geom.dilate, num_group=geom.groups,
                layout=geom.layout)


def _conv_grad(ctx, g):
    a = ctx.attrs
    x, w = ctx.inputs[0], ctx.inputs[1]
    geom = _geom_of(a)
    xs = tuple(ctx.in_specs[0].shape)
    S = geom.spatial(xs)
    C = geom.channels(xs)
    OS = conv_out_size(S, geom)
    # the Deconvolution of g with this weight gives stride*(OS-1)+dk-2*pad; adj restores S
    adj = tuple(s - (st * (o - 1) + dk - 2 * p)
                for s, o, st, dk, p in zip(S, OS, geom.stride, geom.dilated(), geom.pad))
    dx = F.Deconvolution(g, w, pad=geom.pad, adj=adj, num_filter=C, no_bias=True, **_common(geom))
    dw = F._backward_conv_weight(x, g, pad=geom.pad, **_common(geom))
    if a["no_bias"]:
        return dx, dw
    return dx, dw, F.sum(g, axis=_channel_axes(geom))


_conv_attrs = (
    Attr("kernel", Shape(), REQUIRED, "convolution kernel size: (w,), (h, w) or (d, h, w)"),
    Attr("stride", Shape(), (), "convolution stride: (w,), (h, w) or (d, h, w); defaults to 1 for each dimension"),
    Attr("dilate", Shape(), (), "convolution dilation: (w,), (h, w) or (d, h, w); defaults to 1 for each dimension"),
    Attr("pad", Shape(), (), "zero pad for convolution: (w,), (h, w) or (d, h, w); defaults to no padding"),
    Attr("num_filter", Int(), REQUIRED, "convolution filter (channel) number"),
    Attr("num_group", Int(), 1, "number of group partitions (num_group = channels: depthwise)"),
    Attr("workspace", Int(), 1024, "maximum temporary workspace in MB (accepted for MXNet compatibility)"),
    Attr("no_bias", Bool(), False, "whether to disable the bias parameter"),
    Attr("cudnn_tune", Choice("off", "limited_workspace", "fastest"), None,
         "cuDNN algorithm search (accepted for MXNet compatibility; no cuDNN here)"),
    Attr("cudnn_off", Bool(), False, "turn off cuDNN (accepted for MXNet compatibility)"),
    Attr("layout", Choice(*LAYOUTS), None, "data/weight layout: NCW, NCHW, NCDHW (the defaults for 1/2/3-D "
                                          "kernels), or channels-last NHWC, NDHWC"),
)

_conv = defop(
    "Convolution", ("data", "weight", "bias?"), _conv_infer, Pattern.OUT_FUSABLE, attrs=_conv_attrs,
    grad=_conv_grad, saves=("inputs",), infer_params=_conv_infer_params,
    doc="N-D convolution (cross-correlation) of ``(batch, channel, *spatial)`` data with a "
        "``(num_filter, channel / num_group, *kernel)`` weight, plus a bias; output size per spatial dim "
        "``floor((x + 2 * pad - dilate * (kernel - 1) - 1) / stride) + 1``. ``num_group`` splits the "
        "channels into groups (``num_group = channels`` is a depthwise convolution); channels-last "
        "layouts NHWC/NDHWC are accepted. See ``hybridnet/ops/conv.py``.\n\n"
        ">>> nd.Convolution(nd.ones((1, 1, 3, 3)), nd.ones((1, 1, 2, 2)), nd.array([0.5]), kernel=(2, 2),\n"
        "...                num_filter=1).asnumpy().tolist()\n"
        "[[[[4.5, 4.5], [4.5, 4.5]]]]")


# ---- Deconvolution --------------------------------------------------------------------------------

def _deconv_geometry(op, args, geom, ds, adj, target_shape):
    S = geom.spatial(ds)
    nsp = geom.nsp
    if len(adj) not in (0, nsp):
        raise op_error(op, args, AttrError, f"Adjustment must have the same number of dimensions with kernel_size, "
                       f"but kernel_size is set to {geom.kernel} while adjustment is {tuple(adj)}",
                       f"pass adj as {nsp} ints")
    if len(target_shape) not in (0, nsp):
        raise op_error(op, args, AttrError, f"target_shape={tuple(target_shape)} must have {nsp} entries (one per "
                       f"spatial dim of kernel={geom.kernel})", f"pass target_shape as {nsp} ints")
    if target_shape and any(t != 0 for t in target_shape) and any(t <= 0 for t in target_shape):
        raise op_error(op, args, AttrError, f"target_shape={tuple(target_shape)} mixes given and zero sizes",
                       "give every output size in target_shape (or none)")
    pads, adjs = deconv_pad_adj(S, geom, adj, target_shape)
    for i, (p, a_, st) in enumerate(zip(pads, adjs, geom.stride)):
        if p < 0:
            raise op_error(op, args, ShapeError, f"too big target shape: target_shape={tuple(target_shape)} is larger "
                           f"than stride * (input - 1) + dilated kernel = "
                           f"{st * (S[i] - 1) + geom.dilated()[i]} along the {_NAMES[nsp][i]}",
                           "pass a smaller target_shape, a larger stride, or use adj")
        if a_ >= st or a_ < 0:
            raise op_error(op, args, ShapeError, f"adj({_NAMES[nsp][i]})={a_} must be smaller than "
                           f"stride[{i}]={st}" + (" (computed from target_shape)" if target_shape and
                                                  any(target_shape) else ""),
                           "pass adj values in [0, stride)" if not (target_shape and any(target_shape)) else
                           "pass a target_shape of the other parity, or a stride > 1")
    OS = deconv_out_size(S, geom, pads, adjs)
    if any(o <= 0 for o in OS) and all(s > 0 for s in S):
        raise op_error(op, args, ShapeError, f"the output size {OS} is not positive (pad={pads} is too large for "
                       f"input sizes {S})", "pass a smaller pad")
    return S, pads, adjs, OS


def _deconv_infer(data, weight, bias=None, kernel=REQUIRED, stride=(), dilate=(), pad=(), adj=(), target_shape=(),
                  num_filter=REQUIRED, num_group=1, workspace=512, no_bias=True, cudnn_tune=None, cudnn_off=False,
                  layout=None):
    op = _deconv
    args = (data, weight, bias)
    geom = conv_geom(kernel, stride, dilate, pad, layout, num_group, op, args)
    dt, ds, C = _shape_check_common(op, args, data, weight, bias, no_bias, num_filter, geom)
    _check_weight(op, args, weight, deconv_weight_shape(C, num_filter, geom), C,
                  "(channels, num_filter / num_group, *kernel)" if not geom.last else
                  "(channels, *kernel, num_filter / num_group) in a channels-last layout")
    _, _, _, OS = _deconv_geometry(op, args, geom, ds, adj, target_shape)
    return TensorSpec(geom.make(ds[0], num_filter, tuple(max(o, 0) for o in OS)), dt, data.device)


def _deconv_infer_params(in_shapes, kernel=REQUIRED, stride=(), dilate=(), pad=(), num_filter=REQUIRED,
                         num_group=1, no_bias=True, layout=None, **_):
    return _weight_bias_params(_deconv, deconv_weight_shape, in_shapes[0], kernel, stride, dilate, pad,
                               num_filter, num_group, no_bias, layout)


def _deconv_grad(ctx, g):
    a = ctx.attrs
    x, w = ctx.inputs[0], ctx.inputs[1]
    geom = _geom_of(a)
    xs = tuple(ctx.in_specs[0].shape)
    pads, _ = deconv_pad_adj(geom.spatial(xs), geom, a["adj"], a["target_shape"])
    C = geom.channels(xs)
    dx = F.Convolution(g, w, pad=pads, num_filter=C, no_bias=True, **_common(geom))
    dw = F._backward_conv_weight(g, x, pad=pads, **_common(geom))
    if a["no_bias"]:
        return dx, dw
    return dx, dw, F.sum(g, axis=_channel_axes(geom))


_deconv = defop(
    "Deconvolution", ("data", "weight", "bias?"), _deconv_infer, Pattern.OUT_FUSABLE,
    attrs=_conv_attrs[:4] + (
        Attr("adj", Shape(), (), "adjustment for the output shape: (w,), (h, w) or (d, h, w), each < stride; "
                                 "ignored when target_shape is set"),
        Attr("target_shape", Shape(), (), "shape of the output: (w,), (h, w) or (d, h, w); pad and adj are then "
                                          "computed"),
        _conv_attrs[4], _conv_attrs[5],
        Attr("workspace", Int(), 512, "maximum temporary workspace in MB (accepted for MXNet compatibility)"),
        Attr("no_bias", Bool(), True, "whether to disable the bias parameter (default True, as MXNet)"),
    ) + _conv_attrs[8:],
    grad=_deconv_grad, saves=("inputs",), infer_params=_deconv_infer_params,
    doc="Transposed convolution (the gradient of Convolution with respect to its data) of "
        "``(batch, channel, *spatial)`` data with a ``(channel, num_filter / num_group, *kernel)`` weight; "
        "output size per spatial dim ``stride * (x - 1) + dilate * (kernel - 1) + 1 - 2 * pad + adj``, or "
        "``target_shape``. ``no_bias`` defaults to True (as MXNet). See ``hybridnet/ops/conv.py``.\n\n"
        ">>> nd.Deconvolution(nd.ones((1, 1, 2, 2)), nd.ones((1, 1, 2, 2)), kernel=(2, 2),\n"
        "...                  num_filter=1).asnumpy().tolist()\n"
        "[[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]")


# ---- weight gradient ------------------------------------------------------------------------------

def _bw_infer(data, ograd, kernel=REQUIRED, stride=(), dilate=(), pad=(), num_group=1, layout=None):
    op = _bw
    args = (data, ograd)
    geom = conv_geom(kernel, stride, dilate, pad, layout, num_group, op, args)
    if np.dtype(data.dtype) != np.dtype(ograd.dtype) or np.dtype(data.dtype).name not in _FLOATS:
        raise op_error(op, args, DTypeError, "data and ograd must share one floating-point dtype",
                       "cast them with .astype('float32')")
    ds, gs = tuple(data.shape), tuple(ograd.shape)
    n = geom.nsp + 2
    if len(ds) != n or len(gs) != n:
        raise op_error(op, args, ShapeError, f"data and ograd must be {n}-D for kernel={geom.kernel}",
                       f"pass {n}-D arrays in layout {geom.layout}")
    C, O = geom.channels(ds), geom.channels(gs)
    if C % geom.groups or O % geom.groups:
        raise op_error(op, args, ShapeError, f"channels {C} (data) and {O} (ograd) must be divisible by "
                       f"num_group={geom.groups}", "pass a num_group that divides both")
    want = geom.make(ds[0], O, conv_out_size(geom.spatial(ds), geom))
    if gs != want:
        raise op_error(op, args, ShapeError, f"ograd has shape {gs} but the convolution of data {ds} gives {want}",
                       "pass the output gradient of this convolution")
    return TensorSpec(conv_weight_shape(C, O, geom), np.dtype(data.dtype), data.device)


def _bw_grad(ctx, gw):
    a = ctx.attrs
    x, g = ctx.inputs
    geom = _geom_of(a)
    xs = tuple(ctx.in_specs[0].shape)
    S = geom.spatial(xs)
    C = geom.channels(xs)
    O = geom.channels(tuple(ctx.in_specs[1].shape))
    OS = conv_out_size(S, geom)
    adj = tuple(s - (st * (o - 1) + dk - 2 * p)
                for s, o, st, dk, p in zip(S, OS, geom.stride, geom.dilated(), geom.pad))
    # dW = corr(x, g) is bilinear: d/dx <gw, dW> = Deconvolution(g, gw), d/dg = Convolution(x, gw)
    dx = F.Deconvolution(g, gw, pad=geom.pad, adj=adj, num_filter=C, no_bias=True, **_common(geom))
    dg = F.Convolution(x, gw, pad=geom.pad, num_filter=O, no_bias=True, **_common(geom))
    return dx, dg


_bw = defop(
    "_backward_conv_weight", ("data", "ograd"), _bw_infer, Pattern.OPAQUE,
    attrs=(_conv_attrs[0], _conv_attrs[1], _conv_attrs[2], _conv_attrs[3], _conv_attrs[5], _conv_attrs[10]),
    grad=_bw_grad, saves=("inputs",),
    doc="Weight gradient of ``Convolution(data, weight, ...)`` for the output gradient ``ograd``: "
        "``dW[o, c, k] = sum over batch and output positions of ograd[n, o, p] * data[n, c, p * stride + "
        "k * dilate - pad]`` (per group), shape ``(num_filter, channels / num_group, *kernel)``. Also "
        "Deconvolution's weight gradient with data and ograd swapped.\n\n"
        ">>> nd._backward_conv_weight(nd.ones((1, 1, 3, 3)), nd.ones((1, 1, 2, 2)), kernel=(2, 2)).asnumpy().tolist()\n"
        "[[[[4.0, 4.0], [4.0, 4.0]]]]")

