"""Records for ops/loss.py. The CTC reference enumerates every alignment path (tiny shapes), so it is
independent of the alpha/beta recursions the kernels use."""
import itertools

import numpy as np

from ...errors import AttrError, DTypeError, ShapeError
from . import ErrorCase, OpCase, Sample


def _log_softmax(x, axis):
    x = x.astype(np.float64)
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def _labels(label, n, shape):
    return np.clip(np.trunc(label.astype(np.float64)).astype(np.int64), 0, max(n - 1, 0)).reshape(shape)


def _sparse_ref(data, label, axis=-1, keepdims=False):
    ax = axis % data.ndim
    kshape = tuple(1 if i == ax else d for i, d in enumerate(data.shape))
    lp = _log_softmax(data, ax)
    r = -np.take_along_axis(lp, _labels(label, data.shape[ax], kshape), axis=ax)
    oshape = kshape if keepdims else (tuple(d for i, d in enumerate(data.shape) if i != ax) or (1,))
    return r.reshape(oshape).astype(data.dtype)


def _bsparse_ref(ograd, data, label, axis=-1, keepdims=False):
    ax = axis % data.ndim
    kshape = tuple(1 if i == ax else d for i, d in enumerate(data.shape))
    s = np.exp(_log_softmax(data, ax))
    lab = _labels(label, data.shape[ax], kshape)
    onehot = np.arange(data.shape[ax]).reshape([-1 if i == ax else 1 for i in range(data.ndim)]) == lab
    return ((s - onehot) * ograd.astype(np.float64).reshape(kshape)).astype(data.dtype)


def _sce_ref(data, label):
    per = _sparse_ref(data.astype(np.float64), label)
    return np.array([np.minimum(per, -np.log(1e-8)).sum()]).astype(data.dtype)


# ---- CTC by enumerating all paths -----------------------------------------------------------------

def _ctc_meta(data, label, dl, ll, use_data_lengths, use_label_lengths, blank_label):
    if use_label_lengths and not use_data_lengths and ll is None:
        dl, ll = None, dl
    T, N, C = data.shape
    lab = np.trunc(label.astype(np.float64)).astype(np.int64)
    blank = 0 if blank_label == "first" else C - 1
    pad = 0 if blank_label == "first" else -1
    seqs = []
    for b in range(N):
        if use_label_lengths:
            L = int(np.clip(int(ll[b]), 0, lab.shape[1]))
        else:
            hit = np.nonzero(lab[b] == pad)[0]
            L = int(hit[0]) if hit.size else lab.shape[1]
        Tb = int(np.clip(int(dl[b]), 0, T)) if use_data_lengths else T
        seqs.append((tuple(np.clip(lab[b, :L], 0, C - 1)), Tb))
    return seqs, blank


def _collapse(path, blank):
    out, prev = [], None
    for p in path:
        if p != prev and p != blank:
            out.append(p)
        prev = p
    return tuple(out)


def _ctc_enumerate(lp, target, blank):
    """(p, occupancy[t, c]) summed over every path of len(lp) steps that collapses to target."""
    T, C = lp.shape
    p = 0.0
    occ = np.zeros((T, C))
    for path in itertools.product(range(C), repeat=T):
        if _collapse(path, blank) == target:
            w = np.exp(sum(lp[t, c] for t, c in enumerate(path)))
            p += w
            for t, c in enumerate(path):
                occ[t, c] += w
    return p, occ


def _ctc_ref(data, label, dl=None, ll=None, use_data_lengths=False, use_label_lengths=False,
             blank_label="first", ograd=None):
    seqs, blank = _ctc_meta(data, label, dl, ll, use_data_lengths, use_label_lengths, blank_label)
    T, N, C = data.shape
    loss = np.zeros(N)
    grad = np.zeros((T, N, C))
    for b, (target, Tb) in enumerate(seqs):
        lp = _log_softmax(data[:Tb, b, :], -1)
        p, occ = _ctc_enumerate(lp, target, blank)
        if p == 0.0:      # cannot be aligned: MXNet (warp-ctc) gives loss 0 and gradient 0
            continue
        loss[b] = -np.log(p)
        grad[:Tb, b, :] = np.exp(lp) - occ / p
    if ograd is None:
        return loss.astype(data.dtype)
    return (grad * ograd.astype(np.float64).reshape(1, N, 1)).astype(data.dtype)


def _bctc_ref(ograd, data, label, dl=None, ll=None, **attrs):
    return _ctc_ref(data, label, dl, ll, ograd=ograd, **attrs)


# ---- samples --------------------------------------------------------------------------------------

_SPARSE = [Sample(((4, 5), np.array([0, 4, 2, 1]))),
           Sample(((2, 3, 4), np.array([[0, 2, 1, 2], [1, 0, 0, 2]])), {"axis": 1}),
           Sample(((2, 3, 4), np.array([[0, 2, 1], [3, 3, 0]])), {"keepdims": True}),
           Sample(((3, 5), np.array([[1], [4], [0]])), {"keepdims": True}, note="label with the class axis kept"),
           Sample(((3, 4), np.array([-1, 7, 2.9])), grad=False, note="out-of-range labels clip, floats truncate"),
           Sample(((5,), np.array([3])), note="1-D data"),
           Sample(((0, 4), np.zeros((0,))), note="0-size batch"),
           Sample((np.random.default_rng(5).uniform(-4, 4, (300, 260)),
                   np.random.default_rng(6).integers(0, 260, 300)), grad=False, note="parallel row kernel"),
           Sample((np.random.default_rng(5).uniform(-4, 4, (40, 30, 70)),
                   np.random.default_rng(6).integers(0, 30, (40, 70))), {"axis": 1}, grad=False,
                  note="parallel (outer, n, inner) kernel")]


def _bs(samples):
    out = []
    for s in _SPARSE:
        data, label = s.inputs
        dshape = data if isinstance(data, tuple) else data.shape
        ax = s.attrs.get("axis", -1) % len(dshape)
        kshape = tuple(1 if i == ax else d for i, d in enumerate(dshape))
        oshape = kshape if s.attrs.get("keepdims") else (tuple(d for i, d in enumerate(dshape) if i != ax) or (1,))
        out.append(Sample((oshape, data, label), s.attrs, s.grad, s.note))
    return out


_SPARSE_ERRORS = [
    ErrorCase(((2, 3), (3,)), {}, ShapeError, "label shape"),
    ErrorCase(((2, 3), (2,)), {"axis": 2}, ShapeError, "axis 2 is out of range"),
    ErrorCase(((2, 3), (2,)), {}, DTypeError, "data must be a floating point array", dtypes=("int32", "int32")),
    ErrorCase(((2, 3), (2,)), {"axes": 1}, AttrError, "Did you mean 'axis'"),
]

_SCE = [Sample(((4, 5), np.array([0, 4, 2, 1]))),
        Sample((np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 60.0]]), np.array([0, 1])), grad=False,
               note="p < 1e-8 is clamped (MXNet)"),
        Sample(((1, 1), np.array([0])), note="one class"),
        Sample(((0, 3), np.zeros((0,))), note="empty batch")]
_SCE_ERRORS = [
    ErrorCase(((2, 3, 4), (2,)), {}, ShapeError, "data must be 2-D"),
    ErrorCase(((2, 3), (3,)), {}, ShapeError, "label must have shape"),
    ErrorCase(((2, 3), (2, 1)), {}, ShapeError, "label must have shape"),
]

_LAB = np.array([[1, 2], [3, 0]])
_CTC = [Sample(((4, 2, 5), _LAB)),
        Sample(((4, 2, 5), _LAB), {"blank_label": "last"}, note="blank last, labels 0..C-2"),
        Sample(((4, 2, 4), np.array([[1, -1], [0, 2]])), {"blank_label": "last"}, note="padding -1"),
        Sample(((4, 2, 4), _LAB % 4, np.array([3, 2])), {"use_data_lengths": True}),
        Sample(((4, 2, 4), np.array([[1, 2], [3, 3]]), np.array([1, 2])), {"use_label_lengths": True},
               note="label lengths as the third positional input; repeated labels"),
        Sample(((4, 3, 3), np.array([[1, 1, 1], [2, 1, 0], [0, 0, 0]]), np.array([4, 3, 2]),
                np.array([3, 2, 0])), {"use_data_lengths": True, "use_label_lengths": True},
               note="1,1,1 needs 5 steps > 4: loss 0; empty label"),
        Sample(((3, 1, 3), np.array([[1, 1, 2]])), grad=False, note="cannot be aligned: loss 0, grad 0"),
        Sample(((0, 2, 3), np.zeros((2, 0))), note="no time steps")]


_CTC_ERRORS = [
    ErrorCase(((4, 2), (2, 2)), {}, ShapeError, "data must be 3-D"),
    ErrorCase(((4, 2, 5), (3, 2)), {}, ShapeError, "batch size of label"),
    ErrorCase(((2, 2, 5), (2, 3)), {}, ShapeError, "exceeds the sequence length"),
    ErrorCase(((4, 2, 5), (2, 2)), {"use_data_lengths": True}, ShapeError, "needs the `data_lengths` input"),
    ErrorCase(((4, 2, 5), (2, 2), (3,)), {"use_data_lengths": True}, ShapeError, "data_lengths must have shape"),
    ErrorCase(((4, 2, 5), (2, 2)), {"blank_label": "middle"}, AttrError, "blank_label"),
    ErrorCase(((4, 2, 5), (2, 2)), {}, DTypeError, "data must be a floating point array",
              dtypes=("int32", "int32")),
]

_BCTC = [Sample(((s.inputs[0][1],),) + s.inputs, s.attrs, s.grad, s.note) if isinstance(s.inputs[0], tuple)
         else s for s in _CTC]

CASES = [
    OpCase("_softmax_ce_sparse", _sparse_ref, _SPARSE, dtypes=("float32", "float64", "float16"), grad2=True,
           grad_inputs=(0,), input_dtypes=(None, "int32"), errors=_SPARSE_ERRORS),
    OpCase("_softmax_ce_sparse", _sparse_ref, _SPARSE[:2], dtypes=("float32", "float64"), grad_inputs=(0,),
           name="_softmax_ce_sparse_float_label"),
    OpCase("_backward_softmax_ce_sparse", _bsparse_ref, _bs(_SPARSE), dtypes=("float32", "float64"), grad2=True,
           grad_inputs=(0, 1), input_dtypes=(None, None, "int64")),
    OpCase("softmax_cross_entropy", _sce_ref, _SCE, dtypes=("float32", "float64"), grad2=True, grad_inputs=(0,),
           errors=_SCE_ERRORS),
    OpCase("softmax_cross_entropy", _sce_ref, _SCE[:3], dtypes=("float32", "float64"), grad_inputs=(0,),
           input_dtypes=(None, "int32"), name="softmax_cross_entropy_int_label"),
    OpCase("CTCLoss", _ctc_ref, _CTC, dtypes=("float32", "float64"), grad_inputs=(0,),
           errors=_CTC_ERRORS, grad_rtol=1e-4, grad_atol=1e-6),
    OpCase("_backward_ctc_loss", _bctc_ref, _BCTC, dtypes=("float32", "float64"), grad=False),
]
