"""Loss ops: MXNet's ``softmax_cross_entropy`` and ``CTCLoss``, plus the fused sparse softmax cross
entropy that ``gluon.loss.SoftmaxCrossEntropyLoss`` uses.

MXNet 1.9.1 behaviours (measured with the oracle, or read from ``src/operator/loss_binary_op-inl.h``
and ``src/operator/nn/ctc_loss-inl.h``):

- ``softmax_cross_entropy(data, label)``: ``data`` 2-D ``(batch, classes)``, ``label`` 1-D
  ``(batch,)``; the output has shape ``(1,)``: ``sum_i -log(max(softmax(data_i)[label_i], 1e-8))``.
  Its gradient is ``ograd * (softmax(data) - one_hot(label))`` (MXNet ignores the 1e-8 clamp in the
  gradient; so does hybridnet). MXNet insists the label has the data's dtype; hybridnet also takes
  integer labels. Out-of-range labels read outside the row in MXNet; here they are clipped to
  ``[0, classes)`` (as ``pick`` does) and float labels are truncated towards zero.
- ``_softmax_ce_sparse(data, label, axis, keepdims)`` (hybridnet's own, internal): per position
  ``-log_softmax(data, axis)[label]``, i.e. ``-pick(log_softmax(data, axis), label, axis, keepdims)``
  in one pass (no clamp). Its gradient is the registry op ``_backward_softmax_ce_sparse`` (one pass:
  ``(softmax - one_hot) * ograd``), whose own gradient is written with registry ops, so higher-order
  gradients work by composition.
- ``CTCLoss(data, label, data_lengths, label_lengths, use_data_lengths=False,
  use_label_lengths=False, blank_label='first')`` (aliases ``ctc_loss``, ``_contrib_CTCLoss``,
  ``_contrib_ctc_loss``): ``data`` is ``(T, batch, alphabet)`` unnormalised activations (a softmax
  over the alphabet is applied inside), ``label`` is ``(batch, L)``; the output is the negative log
  likelihood per sequence, shape ``(batch,)``. ``blank_label='first'``: blank is 0 and label padding
  is 0; ``'last'``: blank is ``alphabet - 1`` and padding is -1. Without ``use_label_lengths`` a
  label ends at its first padding value. ``data_lengths`` limit each sequence's time steps; the
  gradient beyond a sequence's length is 0. As in MXNet (warp-ctc), a label that cannot be aligned
  in the available time steps (``L + repeats > T``) gives loss 0 and gradient 0. MXNet 1.9.1
  returns uninitialised memory for an empty label; hybridnet returns the exact value
  ``-sum_t log softmax(data_t)[blank]``. MXNet accepts only float32 data; hybridnet also float64.
  Labels outside ``[0, alphabet)`` are clipped; lengths are clipped to ``[0, T]`` / ``[0, L]``.
  As in MXNet's generated ``nd.CTCLoss``, with ``use_label_lengths=True`` and no data lengths the
  third positional input is the label lengths.
  The gradient w.r.t. the activations is ``softmax - posterior occupancy`` per time step, computed
  by the ``_backward_ctc_loss`` op (alpha/beta recursions in log space); second-order gradients
  through CTC are not implemented and raise ``AutogradError``.
"""
import math

import numpy as np

from . import api as F
from ..errors import AutogradError, DTypeError, ShapeError
from .check import norm_axis, op_error
from .opdef import Attr, Bool, Choice, Int, Pattern
from .registry import defop
from .spec import TensorSpec

__all__ = ["ctc_inputs"]


def _check_float(op, args, x, what="data"):
    if np.dtype(x.dtype).kind != "f":
        raise op_error(op, args, DTypeError, f"{what} must be a floating point array, not {x.dtype}",
                       f"cast it first, e.g. {what}.astype('float32')")


def _check_index(op, args, x, what="label"):
    if np.dtype(x.dtype).kind not in "iuf":
        raise op_error(op, args, DTypeError, f"{what} must be an integer or float array, not {x.dtype}",
                       f"pass {what} as int32/int64/float32 values")


# ---- softmax_cross_entropy ----------------------------------------------------------------------

def _sce_infer(data, label):
    args = (data, label)
    _check_float(_sce, args, data)
    _check_index(_sce, args, label)
    if len(data.shape) != 2:
        raise op_error(_sce, args, ShapeError, f"data must be 2-D (batch, classes), got shape {tuple(data.shape)}",
                       "reshape data to (batch, classes)")
    if len(label.shape) != 1 or label.shape[0] != data.shape[0]:
        raise op_error(_sce, args, ShapeError, f"label must have shape ({data.shape[0]},) (one class per row "
                       f"of data), got {tuple(label.shape)}", "pass one class index per row of data")
    if data.shape[1] == 0 and data.shape[0] > 0:
        raise op_error(_sce, args, ShapeError, "data has no classes (axis 1 has size 0)",
                       "give data at least one class")
    return TensorSpec((1,), data.dtype, data.device)


def _sce_grad(ctx, g):
    data, label = ctx.inputs
    n = ctx.in_specs[0].shape[0]
    gb = F.broadcast_to(g, shape=(n,))
    return (F._backward_softmax_ce_sparse(gb, data, label, axis=-1, keepdims=False), None)


_sce = defop(
    "softmax_cross_entropy", ("data", "label"), _sce_infer, Pattern.OPAQUE, grad=_sce_grad,
    saves=("inputs",), nondiff=(1,), dtype_check=None,
    doc="Cross entropy of softmax(data) and one_hot(label), summed over the batch: "
        "sum_i -log(max(softmax(data_i)[label_i], 1e-8)); data (batch, classes), label (batch,); "
        "output shape (1,).\n\n"
        ">>> nd.softmax_cross_entropy(nd.array([[1, 2, 3], [4, 5, 6]]), nd.array([2, 0]))"
        ".asnumpy().astype(float).round(4).tolist()\n[2.8152]")


# ---- the fused sparse softmax cross entropy (gluon's SoftmaxCrossEntropyLoss) ---------------------

def _sparse_shapes(op, args, dshape, lshape, axis, keepdims):
    if len(dshape) == 0:
        raise op_error(op, args, ShapeError, "data must have at least one axis", "reshape data to (batch, classes)")
    ax = norm_axis(op, args, axis, len(dshape))
    kshape = tuple(1 if i == ax else d for i, d in enumerate(dshape))
    rshape = tuple(d for i, d in enumerate(dshape) if i != ax)
    if tuple(lshape) not in (kshape, rshape) and not (rshape == () and tuple(lshape) == (1,)):
        raise op_error(op, args, ShapeError,
                       f"label shape {tuple(lshape)} does not match the data shape {tuple(dshape)} with axis "
                       f"{axis} removed ({rshape} or {kshape})", "give one class index per position of the "
                       "other axes")
    if dshape[ax] == 0 and int(math.prod(rshape)) > 0:
        raise op_error(op, args, ShapeError, f"data has no classes (axis {axis} has size 0)",
                       "give data at least one class")
    return ax, kshape, (kshape if keepdims else rshape) or (1,)


_SPARSE_ATTRS = (Attr("axis", Int(), -1, "the class axis"),
                 Attr("keepdims", Bool(), False, "keep the class axis as size 1 in the output"))


def _sparse_infer(data, label, axis=-1, keepdims=False):
    args = (data, label)
    _check_float(_sparse, args, data)
    _check_index(_sparse, args, label)
    _, _, oshape = _sparse_shapes(_sparse, args, data.shape, label.shape, axis, keepdims)
    return TensorSpec(oshape, data.dtype, data.device)


def _sparse_grad(ctx, g):
    data, label = ctx.inputs
    return (F._backward_softmax_ce_sparse(g, data, label, **ctx.attrs), None)


_sparse = defop(
    "_softmax_ce_sparse", ("data", "label"), _sparse_infer, Pattern.OPAQUE, attrs=_SPARSE_ATTRS,
    grad=_sparse_grad, saves=("inputs",), nondiff=(1,), dtype_check=None,
    doc="Per-position softmax cross entropy with integer class labels, fused: "
        "-pick(log_softmax(data, axis), label, axis, keepdims) in one pass (labels clipped to the class "
        "range, float labels truncated).\n\n"
        ">>> nd._softmax_ce_sparse(nd.array([[1, 2, 3], [4, 5, 6]]), nd.array([2, 0]))"
        ".asnumpy().astype(float).round(4).tolist()\n[0.4076, 2.4076]")


def _bsparse_infer(ograd, data, label, axis=-1, keepdims=False):
    args = (ograd, data, label)
    _check_float(_bsparse, args, data)
    _check_index(_bsparse, args, label)
    _, _, oshape = _sparse_shapes(_bsparse, args, data.shape, label.shape, axis, keepdims)
    if int(math.prod(ograd.shape)) != int(math.prod(oshape)):
        raise op_error(_bsparse, args, ShapeError, f"ograd shape {tuple(ograd.shape)} does not match the loss "
                       f"shape {oshape}", "pass the gradient of _softmax_ce_sparse's output")
    if ograd.dtype != data.dtype:
        raise op_error(_bsparse, args, DTypeError, f"ograd dtype {ograd.dtype} differs from data dtype "
                       f"{data.dtype}", "cast ograd to the data dtype")
    return TensorSpec(data.shape, data.dtype, data.device)


def _bsparse_grad(ctx, gb):
    ograd, data, label = ctx.inputs
    axis, keepdims = ctx.attrs["axis"], ctx.attrs["keepdims"]
    dshape = ctx.in_specs[1].shape
    ax = axis % len(dshape)
    kshape = tuple(1 if i == ax else d for i, d in enumerate(dshape))
    s = F.softmax(data, axis=ax)
    # d/d ograd: sum_c gB * (s - onehot) over the class axis
    d_og = F.sum(gb * s, axis=ax, keepdims=True) - F.pick(gb, label, axis=ax, keepdims=True)
    d_og = F.Reshape(d_og, shape=tuple(ctx.in_specs[0].shape))
    # d/d data: the softmax Jacobian applied to h = gB * ograd (expanded over the class axis)
    h = gb * F.Reshape(ograd, shape=kshape)
    d_data = s * (h - F.sum(h * s, axis=ax, keepdims=True))
    return (d_og, d_data, None)


_bsparse = defop(
    "_backward_softmax_ce_sparse", ("ograd", "data", "label"), _bsparse_infer, Pattern.OPAQUE,
    attrs=_SPARSE_ATTRS, grad=_bsparse_grad, saves=("inputs",), nondiff=(2,), dtype_check=None,
    doc="Gradient of _softmax_ce_sparse in one pass: (softmax(data, axis) - one_hot(label)) * ograd "
        "(ograd broadcast over the class axis).\n\n"
        ">>> nd._backward_softmax_ce_sparse(nd.array([1.0]), nd.array([[0, 0]]), nd.array([1]))"
        ".asnumpy().tolist()\n[[0.5, -0.5]]")


# ---- CTCLoss ------------------------------------------------------------------------------------

def ctc_inputs(data_lengths, label_lengths, use_data_lengths, use_label_lengths):
    """MXNet's generated ``nd.CTCLoss`` drops absent inputs, so with ``use_label_lengths`` and no
    data lengths the third positional array is the label lengths: returns the (data_lengths,
    label_lengths) actually meant."""
    if use_label_lengths and not use_data_lengths and label_lengths is None and data_lengths is not None:
        return None, data_lengths
    return data_lengths, label_lengths


_CTC_ATTRS = (Attr("use_data_lengths", Bool(), False, "limit each sequence to `data_lengths` time steps"),
              Attr("use_label_lengths", Bool(), False,
                   "take label lengths from `label_lengths` (else a label ends at its first padding value)"),
              Attr("blank_label", Choice("first", "last"), "first",
                   "'first': blank is 0, padding 0; 'last': blank is alphabet-1, padding -1"))


def _ctc_check(op, args, data, label, dl, ll, use_data_lengths, use_label_lengths):
    dl, ll = ctc_inputs(dl, ll, use_data_lengths, use_label_lengths)
    _check_float(op, args, data)
    _check_index(op, args, label)
    if len(data.shape) != 3:
        raise op_error(op, args, ShapeError, f"data must be 3-D (sequence_length, batch, alphabet), got shape "
                       f"{tuple(data.shape)}", "use layout (T, N, C); gluon.loss.CTCLoss(layout='NTC') swaps it")
    if len(label.shape) != 2:
        raise op_error(op, args, ShapeError, f"label must be 2-D (batch, label_length), got shape "
                       f"{tuple(label.shape)}", "pad the labels into a (batch, max_label_length) array")
    T, N, C = data.shape
    if label.shape[0] != N:
        raise op_error(op, args, ShapeError, f"the batch size of label ({label.shape[0]}) differs from data's "
                       f"({N})", "data is (T, N, C) and label (N, L)")
    if label.shape[1] > T:
        raise op_error(op, args, ShapeError, f"the label length {label.shape[1]} exceeds the sequence length {T}",
                       "the max number of labels cannot exceed the maximum sequence length of the data")
    if C == 0 and N > 0:
        raise op_error(op, args, ShapeError, "the alphabet is empty (data axis 2 has size 0)",
                       "data's last axis holds the alphabet including the blank")
    for name, arr, used, flag in (("data_lengths", dl, use_data_lengths, "use_data_lengths"),
                                  ("label_lengths", ll, use_label_lengths, "use_label_lengths")):
        if used and arr is None:
            raise op_error(op, args, ShapeError, f"{flag}=True needs the `{name}` input",
                           f"pass {name} (shape ({N},)) or {flag}=False")
        if arr is not None and not used:
            raise op_error(op, args, ShapeError, f"a `{name}` input was given but {flag} is False",
                           f"pass {flag}=True, or drop {name}")
        if arr is not None:
            _check_index(op, args, arr, name)
            if tuple(arr.shape) != (N,):
                raise op_error(op, args, ShapeError, f"{name} must have shape ({N},), got {tuple(arr.shape)}",
                               f"pass one length per sequence, shape ({N},)")
    return T, N, C


def _ctc_infer(data, label, data_lengths=None, label_lengths=None, use_data_lengths=False,
               use_label_lengths=False, blank_label="first"):
    args = (data, label, data_lengths, label_lengths)
    _, N, _ = _ctc_check(_ctc, args, data, label, data_lengths, label_lengths, use_data_lengths,
                         use_label_lengths)
    return TensorSpec((N,), data.dtype, data.device)


def _ctc_grad(ctx, g):
    data, label, dl, ll = (tuple(ctx.inputs) + (None, None))[:4]
    return (F._backward_ctc_loss(g, data, label, dl, ll, **ctx.attrs), None, None, None)


_ctc = defop(
    "CTCLoss", ("data", "label", "data_lengths?", "label_lengths?"), _ctc_infer, Pattern.OPAQUE,
    attrs=_CTC_ATTRS, aliases=("ctc_loss", "_contrib_CTCLoss", "_contrib_ctc_loss"), grad=_ctc_grad,
    saves=("inputs",), nondiff=(1, 2, 3), dtype_check=None,
    doc="Connectionist Temporal Classification loss per sequence: data (T, batch, alphabet) unnormalised "
        "activations, label (batch, L) padded with 0 (blank_label='first', blank 0) or -1 "
        "(blank_label='last', blank alphabet-1); optional data_lengths / label_lengths (batch,).\n\n"
        ">>> x = nd.zeros((2, 1, 3))   # uniform over {blank, a, b} at 2 steps\n"
        ">>> nd.CTCLoss(x, nd.array([[1]])).asnumpy().astype(float).round(4).tolist()   # -log(3/9)\n[1.0986]")


def _bctc_infer(ograd, data, label, data_lengths=None, label_lengths=None, use_data_lengths=False,
                use_label_lengths=False, blank_label="first"):
    args = (ograd, data, label, data_lengths, label_lengths)
    _, N, _ = _ctc_check(_bctc, args, data, label, data_lengths, label_lengths, use_data_lengths,
                         use_label_lengths)
    if tuple(ograd.shape) != (N,):
        raise op_error(_bctc, args, ShapeError, f"ograd must have the loss shape ({N},), got {tuple(ograd.shape)}",
                       "pass the gradient of CTCLoss's output")
    return TensorSpec(data.shape, data.dtype, data.device)


def _bctc_grad(ctx, gb):
    raise op_error(_bctc, tuple(ctx.inputs), AutogradError, "second-order gradients through CTCLoss are not "
                   "implemented", "differentiate CTCLoss once (no create_graph=True through it), or "
                   "detach its input with stop_gradient")


_bctc = defop(
    "_backward_ctc_loss", ("ograd", "data", "label", "data_lengths?", "label_lengths?"), _bctc_infer,
    Pattern.OPAQUE, attrs=_CTC_ATTRS, grad=_bctc_grad, saves=("inputs",), nondiff=(2, 3, 4),
    dtype_check=None,
    doc="Gradient of CTCLoss w.r.t. its activations, scaled per sequence by ograd: "
        "ograd[b] * (softmax(data[t, b]) - posterior occupancy of each symbol at t); 0 past a sequence's "
        "length and for labels that cannot be aligned.\n\n"
        ">>> g = nd._backward_ctc_loss(nd.ones((1,)), nd.zeros((1, 1, 2)), nd.array([[1]]))\n"
        ">>> g.asnumpy().astype(float).round(4).tolist()   # softmax 0.5 each; the label must be emitted at t=0\n"
        "[[[0.5, -0.5]]]")
