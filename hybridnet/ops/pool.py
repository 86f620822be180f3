"""Pooling and spatial resampling ops with MXNet 1.9.1's names, attributes and defaults: ``Pooling``,
``UpSampling`` (nearest), ``_contrib_BilinearResize2D``, ``_contrib_AdaptiveAvgPooling2D``, and the
private linear backward ops their gradients use (``_backward_Pooling_linear``, ``_backward_resample2d``).

Pooling windows (MXNet's ``pool.h``, checked against the 1.9.1 oracle): along each spatial axis of size
``X`` the output ``o`` reads ``[o*s - p, o*s - p + k)`` clipped to ``[0, X)`` (padding never enters a max,
a sum or an lp norm). ``avg`` divides by ``prod(min(start + k, X + p) - start)`` (the window clipped to the
*padded* extent: ``count_include_pad=True``, the default) or by the number of real elements
(``count_include_pad=False``). ``lp``: ``(sum x**p) ** (1/p)`` without abs (p=1: the plain sum; p=3: the
real cube root), p in {1, 2, 3}. Output sizes: ``valid`` ``1 + (X + 2p - k) // s``; ``full`` (gluon's
``ceil_mode=True``) ``1 + ceil((X + 2p - k) / s)``; ``same`` (1-D only, pad 0) ``ceil(X / s)``.
``global_pool`` ignores kernel/stride/pad (the whole spatial extent, stride 1, no pad). Channels-last
layouts (NWC/NHWC/NDHWC) compute the same windows.

Max pooling has a hidden second output (MXNet's MKL-DNN build has one too: its workspace): the flat
index into ``data`` of each window's maximum -- the *first* maximum in row-major window order, MXNet's
tie rule -- or -1 for a window with no elements. The gradient routes each output gradient there
(``_backward_take``); avg/sum/lp gradients use ``_backward_Pooling_linear`` (the adjoint of sum/avg pooling),
so every gradient is registry ops and differentiates again.

Deliberate differences from MXNet 1.9.1:

- A window with no input elements (pad >= kernel, or a ``full``-convention window past the end):
  max gives the dtype's lowest value and no gradient (MXNet's own CPU kernel; its MKL-DNN float32 path
  refuses pad >= kernel), avg/sum/lp give 0 (MXNet: 0 in 1-D/2-D, NaN in 3-D with
  ``count_include_pad=False``).
- ``pooling_convention='same'`` works (1-D, pad 0); MXNet 1.9.1's shape check indexes ``pad[1]`` of the
  1-D pad and always fails.
- ``UpSampling(sample_type='bilinear')`` is not implemented here (it is a Deconvolution with a
  weight input in MXNet); the error says to use ``_contrib_BilinearResize2D`` or ``Deconvolution``.
"""
import math

import numpy as np

from ..errors import AttrError, DTypeError, ShapeError
from . import api as F
from .check import op_error
from .opdef import REQUIRED, Attr, Bool, Choice, Float, Int, Pattern, Shape
from .registry import defop
from .spec import TensorSpec

__all__ = ["pool_geometry", "PoolGeometry", "resample_matrix", "bilinear_out_size", "adaptive_out_size"]

_LAYOUTS = {3: ("NCW", "NWC"), 4: ("NCHW", "NHWC"), 5: ("NCDHW", "NDHWC")}
_ALL_LAYOUTS = ("NCDHW", "NCHW", "NCW", "NDHWC", "NHWC", "NWC")


class PoolGeometry:
    """Everything a pooling kernel needs, computed once from the input shape and the attributes.

    ``channels_last``; ``spatial`` (input sizes), ``out_spatial``, ``kernel``, ``stride``, ``pad``;
    ``out_shape`` (in the data's layout); per spatial axis, index arrays ``start``/``end`` (the window
    clipped to the input) and ``div`` (the avg divisor factor per output position along that axis);
    ``empty`` (some window has no element)."""

    def __init__(self, shape, kernel, stride, pad, pool_type, convention, count_include_pad, channels_last):
        self.shape = tuple(shape)
        self.channels_last = channels_last
        nd = len(shape)
        self.spatial = tuple(shape[1:nd - 1]) if channels_last else tuple(shape[2:])
        self.kernel, self.stride, self.pad = tuple(kernel), tuple(stride), tuple(pad)
        self.pool_type = pool_type
        outs, starts, ends, divs, empty = [], [], [], [], False
        cip = True if count_include_pad is None else bool(count_include_pad)
        for X, k, s, p in zip(self.spatial, kernel, stride, pad):
            if convention == "valid":
                O = 1 + (X + 2 * p - k) // s
            elif convention == "full":
                O = 1 + int(math.ceil((X + 2 * p - k) / s))
            else:   # same
                O = int(math.ceil((X + 2 * p) / s))
            O = max(O, 0)
            o = np.arange(O, dtype=np.int64)
            st = o * s - p
            en = np.minimum(st + k, X + p)
            size_pad = en - st
            cs, ce = np.maximum(st, 0), np.minimum(en, X)
            ce = np.maximum(ce, cs)
            if np.any(ce == cs):
                empty = True
            outs.append(O)
            starts.append(cs)
            ends.append(ce)
            divs.append(size_pad if (pool_type == "avg" and cip) else (ce - cs if pool_type == "avg" else
                                                                       np.ones(O, np.int64)))
        self.out_spatial = tuple(outs)
        self.start, self.end, self.div = starts, ends, divs
        self.empty = empty
        if channels_last:
            self.out_shape = (shape[0],) + self.out_spatial + (shape[-1],)
        else:
            self.out_shape = (shape[0], shape[1]) + self.out_spatial


def _layout_of(op, args, x, layout):
    nd = len(x.shape)
    if nd not in _LAYOUTS:
        raise op_error(op, args, ShapeError,
                       f"data has rank {nd}; Pooling takes 3-D (batch, channel, x), 4-D (batch, channel, y, x) "
                       "or 5-D (batch, channel, d, y, x) data", "reshape the data (add batch/channel axes)")
    if layout is None:
        return _LAYOUTS[nd][0]
    if layout not in _LAYOUTS[nd]:
        want = len(layout)
        raise op_error(op, args, ShapeError, f"layout {layout!r} is for {want}-D data ({want - 2}-D pooling) but "
                       f"data is {nd}-D", f"pass {want}-D data {tuple(layout)}, or use {nd - 2}-D pooling (layout "
                       f"{' or '.join(repr(v) for v in _LAYOUTS[nd])}) for {nd}-D data")
    return layout


def pool_geometry(op, args, x, kernel=(), pool_type="max", global_pool=False, pooling_convention="valid",
                  stride=(), pad=(), p_value=None, count_include_pad=None, layout=None, **_):
    """Validate ``Pooling``'s attributes against data spec ``x``; returns a ``PoolGeometry``."""
    layout = _layout_of(op, args, x, layout)
    nd = len(x.shape)
    ns = nd - 2
    channels_last = layout[-1] == "C"
    if pool_type == "lp" and p_value not in (1, 2, 3):
        raise op_error(op, args, AttrError, f"lp pooling needs p_value 1, 2 or 3, got {p_value}",
                       "pass p_value=1, 2 or 3 (MXNet supports no other)")
    if global_pool:
        spatial = tuple(x.shape[1:nd - 1]) if channels_last else tuple(x.shape[2:])
        return PoolGeometry(x.shape, spatial, (1,) * ns, (0,) * ns, pool_type, "valid", count_include_pad,
                            channels_last)
    if len(kernel) == 0:
        raise op_error(op, args, AttrError, "kernel is not set",
                       "pass kernel=(k,) * spatial dims, or global_pool=True")
    if len(kernel) != ns:
        raise op_error(op, args, ShapeError, f"a {len(kernel)}-D kernel {tuple(kernel)} does not fit {nd}-D data",
                       f"pass a kernel of {ns} ints for {nd}-D data ({layout})")
    stride = tuple(stride) if len(stride) else (1,) * ns
    pad = tuple(pad) if len(pad) else (0,) * ns
    for name, v in (("stride", stride), ("pad", pad)):
        if len(v) != ns:
            raise op_error(op, args, ShapeError, f"{name} {v} has {len(v)} entries but the kernel has {ns}",
                           f"pass {name} with one entry per kernel dim")
    if any(k <= 0 for k in kernel) or any(s <= 0 for s in stride) or any(p < 0 for p in pad):
        raise op_error(op, args, AttrError, f"kernel {tuple(kernel)} and stride {stride} must be positive and "
                       f"pad {pad} non-negative", "fix the attribute")
    if pooling_convention == "same":
        if ns != 1:
            raise op_error(op, args, ShapeError, "pooling_convention='same' supports only 1-D data (MXNet)",
                           "use 'valid' or 'full', or pad the data first")
        if any(pad):
            raise op_error(op, args, AttrError, "pooling_convention='same' computes its own padding; pad must be 0",
                           "drop pad")
    spatial = tuple(x.shape[1:nd - 1]) if channels_last else tuple(x.shape[2:])
    for X, k, p in zip(spatial, kernel, pad):
        if k > X + 2 * p:
            raise op_error(op, args, ShapeError, f"kernel size ({k}) exceeds input ({X} padded to {X + 2 * p})",
                           "use a smaller kernel, more padding, or a larger input")
    return PoolGeometry(x.shape, kernel, stride, pad, pool_type, pooling_convention, count_include_pad,
                        channels_last)


def _check_float(op, args, x):
    if np.dtype(x.dtype).kind != "f":
        raise op_error(op, args, DTypeError, f"data is {np.dtype(x.dtype).name}; {op.name} only supports floating "
                       "point types (as MXNet)", "cast the data with .astype('float32') first")


_POOL_ATTRS = (
    Attr("kernel", Shape(), (), "pooling kernel size: (x,), (y, x) or (d, y, x)"),
    Attr("pool_type", Choice("avg", "lp", "max", "sum"), "max", "pooling type"),
    Attr("global_pool", Bool(), False, "pool over the whole spatial extent (kernel, stride, pad ignored)"),
    Attr("cudnn_off", Bool(), False, "accepted for MXNet compatibility"),
    Attr("pooling_convention", Choice("full", "same", "valid"), "valid",
         "output size: 'valid' floor, 'full' ceil (gluon ceil_mode=True), 'same' ceil(x / stride) (1-D)"),
    Attr("stride", Shape(), (), "stride per spatial dim (default 1)"),
    Attr("pad", Shape(), (), "zero padding per spatial dim (default 0); padded cells never enter a max"),
    Attr("p_value", Int(), None, "p of lp pooling: 1, 2 or 3"),
    Attr("count_include_pad", Bool(), None, "avg: divide by the padded window size (default True)"),
    Attr("layout", Choice(*_ALL_LAYOUTS), None, "data layout (default NCW / NCHW / NCDHW by rank)"),
)


def _n_outputs(attrs, n_inputs):
    return 2 if attrs.get("pool_type", "max") == "max" else 1


_pool_ref = [None]


def _pool_infer(x, **attrs):
    op = _pool_ref[0]
    _check_float(op, (x,), x)
    g = pool_geometry(op, (x,), x, **attrs)
    y = TensorSpec(g.out_shape, x.dtype, x.device)
    if attrs.get("pool_type", "max") == "max":
        return (y, TensorSpec(g.out_shape, np.dtype(np.int64), x.device))
    return y


def _no_empty_windows(spec, attrs):
    return not pool_geometry(_pool_ref[0], (spec,), spec, **attrs).empty


def _pool_grad(ctx, g, *_):
    a = ctx.attrs
    xs = ctx.in_specs[0]
    pt = a["pool_type"]
    if pt == "max":
        idx = ctx.outputs[1]
        if not _no_empty_windows(xs, a):            # windows with no element: index -1, no gradient
            keep = idx >= 0
            g = g * F.Cast(keep, dtype=xs.dtype)
            idx = idx * keep
        n = int(np.prod(xs.shape, dtype=np.int64))
        flat = F._backward_take(F.Reshape(g, shape=(-1,)), F.Reshape(idx, shape=(-1,)), shape=(n,), axis=0)
        return (F.Reshape(flat, shape=xs.shape),)
    if pt in ("avg", "sum"):
        return (F._backward_Pooling_linear(g, shape=xs.shape, **a),)
    # lp: y = (sum x^p)^(1/p) -> dx = x^(p-1) * unpool_sum(g / y^(p-1)) (0 where y == 0, as MXNet)
    p = a["p_value"]
    sa = dict(a, pool_type="sum")
    if p == 1:
        return (F._backward_Pooling_linear(g, shape=xs.shape, **sa),)
    x, y = ctx.inputs[0], ctx.outputs[0]
    ypow = y if p == 2 else y * y
    zero = ypow == 0
    ratio = F.where(zero, F.zeros_like(g), g / (ypow + zero))
    back = F._backward_Pooling_linear(ratio, shape=xs.shape, **sa)
    return ((x if p == 2 else x * x) * back,)


_pooling = defop(
    "Pooling", ("data",), _pool_infer, Pattern.OPAQUE, aliases=("pooling",), attrs=_POOL_ATTRS,
    num_outputs=_n_outputs, num_visible_outputs=1, output_names=("output", "argmax"),
    grad=_pool_grad, saves=("inputs", "outputs"), dtype_check=None,
    doc="Max / avg / sum / lp pooling over the 1-3 spatial axes of 3-D to 5-D data (MXNet 1.9.1 semantics: "
        "see ``hybridnet/ops/pool.py``). Max pooling routes gradients to the first maximum of each window.\n\n"
        ">>> x = nd.arange(16).reshape((1, 1, 4, 4))\n"
        ">>> nd.Pooling(x, kernel=(2, 2), stride=(2, 2)).asnumpy().tolist()\n"
        "[[[[5.0, 7.0], [13.0, 15.0]]]]\n"
        ">>> nd.Pooling(x, kernel=(3, 3), stride=(2, 2), pool_type='avg', pooling_convention='full').shape\n"
        "(1, 1, 2, 2)")
_pool_ref[0] = _pooling


def _bpool_infer(g, shape=(), **attrs):
    op = _bpool
    _check_float(op, (g,), g)
    if attrs.get("pool_type") not in ("avg", "sum"):
        raise op_error(op, (g,), AttrError, f"pool_type {attrs.get('pool_type')!r}: this is the adjoint of avg/sum "
                       "pooling", "pass pool_type='avg' or 'sum'")
    x = TensorSpec(tuple(shape), g.dtype, g.device)
    geo = pool_geometry(op, (g,), x, **attrs)
    if tuple(g.shape) != geo.out_shape:
        raise op_error(op, (g,), ShapeError, f"ograd has shape {tuple(g.shape)} but pooling {tuple(shape)} gives "
                       f"{geo.out_shape}", "pass the forward data shape and the forward attributes")
    return x


_bpool = defop(
    "_backward_Pooling_linear", ("ograd",), _bpool_infer, Pattern.OPAQUE,
    attrs=(Attr("shape", Shape(), REQUIRED, "the forward data shape"),) + _POOL_ATTRS,
    grad=lambda ctx, gg: (F.Pooling(gg, **{k: v for k, v in ctx.attrs.items() if k != "shape"}),),
    public=False,
    doc="Adjoint of avg/sum pooling (its gradient): each output gradient spread over its window (divided by "
        "the window's divisor for avg), accumulated where windows overlap.\n\n"
        ">>> F._backward_Pooling_linear(nd.ones((1, 1, 1, 2)), shape=(1, 1, 2, 3), kernel=(2, 2), pool_type='sum')"
        ".asnumpy().tolist()\n"
        "[[[[1.0, 2.0, 1.0], [1.0, 2.0, 1.0]]]]")


# ==== UpSampling (nearest) =======================================================================

_up_ref = [None]


def upsampling_scales(op, specs, scale, multi_input_mode):
    """Per input the integer factor that brings it to ``data0``'s size times ``scale``, and the output shape."""
    s0 = tuple(specs[0].shape)
    if len(s0) != 4:
        raise op_error(op, specs, ShapeError, f"data0 has shape {s0}; UpSampling takes 4-D (N, C, H, W) data",
                       "reshape to (N, C, H, W)")
    if scale < 1:
        raise op_error(op, specs, AttrError, f"scale {scale} must be at least 1", "pass scale >= 1")
    oh, ow = s0[2] * scale, s0[3] * scale
    factors, channels = [], 0
    for i, s in enumerate(specs):
        sh = tuple(s.shape)
        if len(sh) != 4 or sh[0] != s0[0] or sh[2] == 0 or sh[3] == 0 or oh % sh[2] or ow % sh[3] \
                or oh // sh[2] != ow // sh[3]:
            raise op_error(op, specs, ShapeError, f"data{i} has shape {sh}: every input must be 4-D with the batch "
                           f"of data0 and a size that an integer factor brings to ({oh}, {ow})",
                           "pass inputs whose H and W divide data0's times scale")
        if multi_input_mode == "sum" and sh[1] != s0[1]:
            raise op_error(op, specs, ShapeError, f"data{i} has {sh[1]} channels, data0 {s0[1]}; "
                           "multi_input_mode='sum' adds the upsampled inputs", "use multi_input_mode='concat'")
        factors.append(oh // sh[2])
        channels += sh[1]
    c = s0[1] if multi_input_mode == "sum" else channels
    return factors, (s0[0], c, oh, ow)


def _up_infer(*specs, scale=REQUIRED, num_filter=0, sample_type=REQUIRED, multi_input_mode="concat", num_args=None,
              workspace=512):
    op = _up_ref[0]
    if num_args is not None and num_args != len(specs):
        raise op_error(op, specs, AttrError, f"num_args={num_args} but {len(specs)} inputs were given",
                       "pass num_args equal to the number of inputs")
    if sample_type == "bilinear":
        raise op_error(op, specs, AttrError, "sample_type='bilinear' (a Deconvolution with a weight input in MXNet) "
                       "is not implemented", "use nd.contrib.BilinearResize2D, or Deconvolution with a bilinear "
                       "weight (mx.init.Bilinear)")
    dt = np.dtype(specs[0].dtype)
    for i, s in enumerate(specs):
        if np.dtype(s.dtype) != dt:
            raise op_error(op, specs, DTypeError, f"data{i} is {np.dtype(s.dtype).name}, data0 {dt.name}",
                           "cast the inputs to one dtype")
    _, out = upsampling_scales(op, specs, scale, multi_input_mode)
    return TensorSpec(out, dt, specs[0].device)


def _up_grad(ctx, g):
    a = ctx.attrs
    factors, _ = upsampling_scales(_up_ref[0], ctx.in_specs, a["scale"], a["multi_input_mode"])
    grads, c0 = [], 0
    for f, s in zip(factors, ctx.in_specs):
        n, c, h, w = s.shape
        gi = g
        if a["multi_input_mode"] == "concat" and len(ctx.in_specs) > 1:
            gi = F.slice_axis(g, axis=1, begin=c0, end=c0 + c)
            c0 += c
        if f > 1:
            gi = F.sum(F.Reshape(gi, shape=(n, c, h, f, w, f)), axis=(3, 5))
        grads.append(gi)
    return tuple(grads)


_upsampling = defop(
    "UpSampling", ("data",), _up_infer, Pattern.OPAQUE, variadic=True,
    attrs=(Attr("scale", Int(), REQUIRED, "up sampling scale"),
           Attr("num_filter", Int(), 0, "bilinear only (accepted)"),
           Attr("sample_type", Choice("bilinear", "nearest"), REQUIRED, "'nearest' ('bilinear' is not implemented)"),
           Attr("multi_input_mode", Choice("concat", "sum"), "concat",
                "several inputs: concatenate the upsampled inputs along channels, or add them"),
           Attr("num_args", Int(), None, "number of inputs"),
           Attr("workspace", Int(), 512, "accepted for MXNet compatibility")),
    grad=_up_grad, dtype_check=None,
    doc="Nearest-neighbour upsampling of (N, C, H, W) data by an integer ``scale``; with several inputs each is "
        "brought to data0's size times ``scale`` and the results are concatenated along C (or added).\n\n"
        ">>> nd.UpSampling(nd.array([[[[1, 2]]]]), scale=2, sample_type='nearest').asnumpy().tolist()\n"
        "[[[[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]]]")
_up_ref[0] = _upsampling


# ==== BilinearResize2D / AdaptiveAvgPooling2D: separable linear maps out = A @ x @ B.T ===========

def resample_matrix(kind, n_in, n_out, align_corners=True):
    """The (n_out, n_in) float64 matrix of one axis: bilinear interpolation (MXNet 1.9.1's source-index rule)
    or adaptive average pooling (bins ``[floor(o*n/m), ceil((o+1)*n/m))``)."""
    A = np.zeros((n_out, n_in))
    if n_in == 0 or n_out == 0:
        return A
    if kind == "adaptive":
        for o in range(n_out):
            s = (o * n_in) // n_out
            e = -((-(o + 1) * n_in) // n_out)
            A[o, s:e] = 1.0 / (e - s)
        return A
    if n_out > 1:
        sc = (n_in - 1) / (n_out - 1) if align_corners else n_in / n_out
    else:
        sc = 0.0
    sc = float(np.float32(sc))                      # MXNet computes the ratio in float
    for o in range(n_out):
        src = sc * o if align_corners else max(sc * (o + 0.5) - 0.5, 0.0)
        i0 = min(int(src), n_in - 1)
        i1 = min(i0 + 1, n_in - 1)
        lam = src - i0
        A[o, i0] += 1.0 - lam
        A[o, i1] += lam
    return A


_bil_ref = [None]


def bilinear_out_size(op, args, x, like, height, width, scale_height, scale_width, mode):
    s = tuple(x.shape)
    if len(s) != 4:
        raise op_error(op, args, ShapeError, f"data has shape {s}; BilinearResize2D takes 4-D (N, C, H, W) data",
                       "reshape to (N, C, H, W)")
    H, W = s[2], s[3]
    if mode == "like":
        if like is None:
            raise op_error(op, args, ShapeError, "mode='like' needs the second input `like`", "pass like=<array>")
        ls = tuple(like.shape)
        if len(ls) != 4:
            raise op_error(op, args, ShapeError, f"like has shape {ls}; it must be 4-D", "pass a 4-D like")
        return ls[2], ls[3]
    if like is not None:
        raise op_error(op, args, ShapeError, f"a `like` input is only used with mode='like' (mode={mode!r})",
                       "drop `like` or pass mode='like'")
    if mode == "size":
        if (scale_height is None) != (scale_width is None):
            raise op_error(op, args, AttrError, "pass both scale_height and scale_width or neither",
                           "set the other scale too")
        if scale_height is not None:
            return int(H * scale_height), int(W * scale_width)
        if height < 1 or width < 1:
            raise op_error(op, args, AttrError, f"height={height}, width={width} must be at least 1",
                           "pass positive output sizes")
        return height, width
    if mode == "odd_scale":
        if scale_height is None or scale_width is None:
            raise op_error(op, args, AttrError, "mode='odd_scale' needs scale_height and scale_width",
                           "pass both scales")
        return (int((H - 1) * scale_height + 1) if H % 2 else int(H * scale_height),
                int((W - 1) * scale_width + 1) if W % 2 else int(W * scale_width))
    f = {"to_even_down": lambda n: n - 1 if n % 2 else n, "to_even_up": lambda n: n + 1 if n % 2 else n,
         "to_odd_down": lambda n: n if n % 2 else n - 1, "to_odd_up": lambda n: n if n % 2 else n + 1}[mode]
    return f(H), f(W)


def _bil_infer(x, like=None, height=1, width=1, scale_height=None, scale_width=None, mode="size",
               align_corners=True):
    op = _bil_ref[0]
    args = (x, like)
    _check_float(op, args, x)
    oh, ow = bilinear_out_size(op, args, x, like, height, width, scale_height, scale_width, mode)
    if oh < 1 or ow < 1:
        raise op_error(op, args, ShapeError, f"the output size ({oh}, {ow}) is empty", "resize to at least 1x1")
    return TensorSpec((x.shape[0], x.shape[1], oh, ow), x.dtype, x.device)


def _bil_grad(ctx, g):
    xs = ctx.in_specs[0]
    dx = F._backward_resample2d(g, kind="bilinear", in_height=xs.shape[2], in_width=xs.shape[3],
                                align_corners=ctx.attrs["align_corners"])
    return (dx,) if len(ctx.in_specs) == 1 else (dx, None)


_bilinear = defop(
    "_contrib_BilinearResize2D", ("data", "like?"), _bil_infer, Pattern.OPAQUE, aliases=("BilinearResize2D",),
    attrs=(Attr("height", Int(), 1, "output height (mode 'size' without scales)"),
           Attr("width", Int(), 1, "output width (mode 'size' without scales)"),
           Attr("scale_height", Float(), None, "height scale (modes 'size' and 'odd_scale')"),
           Attr("scale_width", Float(), None, "width scale (modes 'size' and 'odd_scale')"),
           Attr("mode", Choice("like", "odd_scale", "size", "to_even_down", "to_even_up", "to_odd_down", "to_odd_up"),
                "size", "how the output size is chosen (MXNet 1.9.1)"),
           Attr("align_corners", Bool(), True,
                "True: corners map to corners (ratio (in-1)/(out-1)); False: pixel centres (in/out)")),
    grad=_bil_grad, nondiff=(1,), dtype_check=None,
    doc="Bilinear resize of (N, C, H, W) data (MXNet's ``contrib.BilinearResize2D``).\n\n"
        ">>> nd._contrib_BilinearResize2D(nd.array([[[[0, 2]]]]), height=1, width=3).asnumpy().tolist()\n"
        "[[[[0.0, 1.0, 2.0]]]]")
_bil_ref[0] = _bilinear


def adaptive_out_size(op, args, x, output_size):
    s = tuple(x.shape)
    if len(s) != 4:
        raise op_error(op, args, ShapeError, f"data has shape {s}; AdaptiveAvgPooling2D takes 4-D (N, C, H, W) data",
                       "reshape to (N, C, H, W)")
    os_ = tuple(output_size)
    if len(os_) == 0:
        os_ = (1, 1)
    elif len(os_) == 1:
        os_ = (os_[0], os_[0])
    elif len(os_) != 2:
        raise op_error(op, args, AttrError, f"output_size {os_} must be an int or (height, width)",
                       "pass one or two ints")
    if min(os_) < 1:
        raise op_error(op, args, AttrError, f"output_size {os_} must be positive", "pass positive sizes")
    return os_


_ada_ref = [None]


def _ada_infer(x, output_size=()):
    op = _ada_ref[0]
    _check_float(op, (x,), x)
    oh, ow = adaptive_out_size(op, (x,), x, output_size)
    return TensorSpec((x.shape[0], x.shape[1], oh, ow), x.dtype, x.device)


_adaptive = defop(
    "_contrib_AdaptiveAvgPooling2D", ("data",), _ada_infer, Pattern.OPAQUE, aliases=("AdaptiveAvgPooling2D",),
    attrs=(Attr("output_size", Shape(), (), "int or (height, width); empty: (1, 1)"),),
    grad=lambda ctx, g: (F._backward_resample2d(g, kind="adaptive", in_height=ctx.in_specs[0].shape[2],
                                                in_width=ctx.in_specs[0].shape[3]),),
    dtype_check=None,
    doc="Adaptive average pooling of (N, C, H, W) data to ``output_size``: output cell o averages input rows "
        "[floor(o*H/OH), ceil((o+1)*H/OH)) (and the same for columns).\n\n"
        ">>> nd._contrib_AdaptiveAvgPooling2D(nd.arange(6).reshape((1, 1, 2, 3)), output_size=(1, 2)).asnumpy().tolist()\n"
        "[[[[2.0, 3.0]]]]")
_ada_ref[0] = _adaptive


def _bres_infer(g, kind="bilinear", in_height=1, in_width=1, align_corners=True):
    _check_float(_bres, (g,), g)
    if len(g.shape) != 4 or in_height < 1 or in_width < 1:
        raise op_error(_bres, (g,), ShapeError, f"ograd {tuple(g.shape)} must be 4-D and in_height/in_width "
                       "positive", "pass the forward data's H and W")
    return TensorSpec((g.shape[0], g.shape[1], in_height, in_width), g.dtype, g.device)


def _bres_grad(ctx, gg):
    g = ctx.in_specs[0]
    a = ctx.attrs
    if a["kind"] == "adaptive":
        return (F._contrib_AdaptiveAvgPooling2D(gg, output_size=(g.shape[2], g.shape[3])),)
    return (F._contrib_BilinearResize2D(gg, height=g.shape[2], width=g.shape[3], align_corners=a["align_corners"]),)


_bres = defop(
    "_backward_resample2d", ("ograd",), _bres_infer, Pattern.OPAQUE,
    attrs=(Attr("kind", Choice("adaptive", "bilinear"), "bilinear", "which forward op"),
           Attr("in_height", Int(), 1, "the forward input height"),
           Attr("in_width", Int(), 1, "the forward input width"),
           Attr("align_corners", Bool(), True, "bilinear: the forward align_corners")),
    grad=_bres_grad, public=False,
    doc="Adjoint of BilinearResize2D / AdaptiveAvgPooling2D (their gradient): ``A.T @ g @ B``.\n\n"
        ">>> F._backward_resample2d(nd.ones((1, 1, 1, 3)), in_height=1, in_width=2).asnumpy().tolist()\n"
        "[[[[1.5, 1.5]]]]")
