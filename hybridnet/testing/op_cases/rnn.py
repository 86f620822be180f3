"""Records for ops/rnn.py (RNN, _rnn_param_concat, SequenceMask/Last/Reverse).

``rnn_reference`` is a plain NumPy float64 implementation written from the formulas (cell by cell, as
MXNet's documentation and cuDNN define them), independent of the kernels' reserve layout. The RNN
records check predict-mode forwards, first-order numeric gradients of data / parameters / states (the
dedicated backward op), errors; dropout in training, second-order errors and the kernels' own paths
are in ``tests/ops/test_rnn.py``.
"""
import numpy as np

from ...errors import AttrError, DTypeError, ShapeError
from ...ops.rnn import rnn_inputs, rnn_param_layout
from . import ErrorCase, OpCase, Sample


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def rnn_reference(data, parameters, state, state_cell=None, sequence_length=None, *, state_size, num_layers,
                  mode, bidirectional=False, p=0.0, state_outputs=False, projection_size=None,
                  lstm_state_clip_min=None, lstm_state_clip_max=None, lstm_state_clip_nan=False,
                  use_sequence_length=False):
    """NumPy RNN (float64 inside): output (+ final states with state_outputs), no dropout."""
    state_cell, sequence_length = rnn_inputs(mode, use_sequence_length, state_cell, sequence_length)
    dt = data.dtype
    x = data.astype(np.float64)
    T, N, I = x.shape
    H = state_size
    P = projection_size if mode == "lstm" and projection_size else None
    D = 2 if bidirectional else 1
    lay, _ = rnn_param_layout(mode, I, H, num_layers, bidirectional, P)
    pv = parameters.astype(np.float64)
    W = {n: pv[o:o + int(np.prod(s))].reshape(s) for n, o, s in lay}
    lens = np.full(N, T) if sequence_length is None else np.clip(sequence_length.astype(np.int64), 0, T)
    hy, cy = [], []
    inp = x
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            pre = f"{'lr'[d]}{layer}_"
            Wx, Wh, bx, bh = W[pre + "i2h_weight"], W[pre + "h2h_weight"], W[pre + "i2h_bias"], W[pre + "h2h_bias"]
            h = state[layer * D + d].astype(np.float64).copy()
            c = state_cell[layer * D + d].astype(np.float64).copy() if mode == "lstm" else None
            y = np.zeros((T, N, h.shape[1]))
            for t in (range(T) if d == 0 else range(T - 1, -1, -1)):
                m = (t < lens)[:, None]
                xg = inp[t] @ Wx.T + bx
                hg = h @ Wh.T + bh
                if mode == "lstm":
                    gi, gf, gg, go = np.split(xg + hg, 4, axis=1)
                    i, f, g, o = _sig(gi), _sig(gf), np.tanh(gg), _sig(go)
                    cn = f * c + i * g
                    if lstm_state_clip_min is not None:
                        nan = np.isnan(cn)
                        cn = np.clip(cn, lstm_state_clip_min, lstm_state_clip_max)
                        if lstm_state_clip_nan:
                            cn[nan] = lstm_state_clip_min
                    hn = o * np.tanh(cn)
                    if P:
                        hn = hn @ W[pre + "h2r_weight"].T
                    c = np.where(m, cn, c)
                elif mode == "gru":
                    xr, xz, xn = np.split(xg, 3, axis=1)
                    hr, hz, hh = np.split(hg, 3, axis=1)
                    r, z = _sig(xr + hr), _sig(xz + hz)
                    n = np.tanh(xn + r * hh)
                    hn = (1 - z) * n + z * h
                else:
                    v = xg + hg
                    hn = np.maximum(v, 0) if mode == "rnn_relu" else np.tanh(v)
                h = np.where(m, hn, h)
                y[t] = np.where(m, hn, 0.0)
            outs.append(y)
            hy.append(h)
            if mode == "lstm":
                cy.append(c)
        inp = np.concatenate(outs, axis=2)
    res = [inp.astype(dt)]
    if state_outputs:
        res.append(np.stack(hy).astype(dt))
        if mode == "lstm":
            res.append(np.stack(cy).astype(dt))
    return res[0] if len(res) == 1 else tuple(res)


def rnn_shapes(mode, T, N, I, H, L=1, bidirectional=False, projection_size=None, seq=False):
    """Input shapes (data, parameters, state[, state_cell][, sequence_length]) for a record."""
    from ...ops.rnn import rnn_param_size
    P = projection_size if mode == "lstm" and projection_size else None
    D = 2 if bidirectional else 1
    shapes = [(T, N, I), (rnn_param_size(mode, I, H, L, bidirectional, P),), (L * D, N, P or H)]
    if mode == "lstm":
        shapes.append((L * D, N, H))
    if seq:
        shapes.append(np.array([T, max(T - 2, 1), 1][:N], dtype=np.float32))
    return tuple(shapes)


def _s(mode, T, N, I, H, L=1, bidi=False, proj=None, seq=False, grad=True, note="", **attrs):
    a = {"state_size": H, "num_layers": L, "mode": mode, "state_outputs": True}
    if bidi:
        a["bidirectional"] = True
    if proj:
        a["projection_size"] = proj
    if seq:
        a["use_sequence_length"] = True
    a.update(attrs)
    return Sample(rnn_shapes(mode, T, N, I, H, L, bidi, proj, seq), a, grad=grad, note=note)


_SAMPLES = [
    _s("lstm", 3, 2, 3, 2),
    _s("gru", 3, 2, 3, 2),
    _s("rnn_tanh", 3, 2, 3, 2),
    _s("rnn_relu", 3, 2, 3, 2, grad=False, note="relu kinks"),
    _s("lstm", 3, 2, 2, 2, L=2, bidi=True),
    _s("gru", 2, 2, 2, 2, L=2, bidi=True),
    _s("rnn_tanh", 2, 3, 2, 2, L=2, bidi=True),
    _s("lstm", 3, 2, 3, 3, L=2, bidi=True, proj=2),
    _s("lstm", 4, 3, 2, 2, bidi=True, seq=True),
    _s("gru", 4, 3, 2, 2, L=2, bidi=True, seq=True),
    _s("rnn_tanh", 4, 3, 2, 2, seq=True),
    _s("lstm", 3, 2, 2, 3, lstm_state_clip_min=-0.3, lstm_state_clip_max=0.3, grad=False, note="clipped cells"),
    _s("lstm", 3, 2, 2, 2, L=2, state_outputs=False, note="output only"),
    _s("lstm", 0, 2, 2, 2, grad=False, note="empty sequence"),
    _s("gru", 2, 0, 2, 2, grad=False, note="empty batch"),
]

_LS = rnn_shapes("lstm", 3, 2, 3, 2)
_ERRORS = [
    ErrorCase(((3, 2, 3), (7,), (1, 2, 2), (1, 2, 2)), {"state_size": 2, "num_layers": 1, "mode": "lstm"},
              ShapeError, r"parameters must have shape \(56,\)"),
    ErrorCase(((3, 2, 3), _LS[1], (1, 3, 2), (1, 2, 2)), {"state_size": 2, "num_layers": 1, "mode": "lstm"},
              ShapeError, r"state must have shape \(1, 2, 2\)"),
    ErrorCase(((3, 2, 3), _LS[1], (1, 2, 2)), {"state_size": 2, "num_layers": 1, "mode": "lstm"},
              ShapeError, "state_cell must have shape"),
    ErrorCase(((3, 2), _LS[1], (1, 2, 2), (1, 2, 2)), {"state_size": 2, "num_layers": 1, "mode": "lstm"},
              ShapeError, "data must be 3-D"),
    ErrorCase(_LS, {"state_size": 2, "num_layers": 1, "mode": "lsmt"}, AttrError, "mode"),
    ErrorCase(_LS, {"state_size": 2, "num_layers": 1, "mode": "lstm", "use_sequence_length": True}, ShapeError,
              "needs the `sequence_length` input"),
    ErrorCase(_LS, {"state_size": 2, "num_layers": 1, "mode": "lstm", "lstm_state_clip_min": -1.0}, ShapeError,
              "must be given together"),
    ErrorCase(_LS, {"state_size": 2, "num_layers": 1, "mode": "lstm", "projection_size": 3}, ShapeError,
              "projection_size=3 must be in"),
    ErrorCase(_LS, {"state_size": 2, "num_layers": 1, "mode": "lstm"}, DTypeError, "RNN computes in float32",
              dtypes=("int32", "int32", "int32", "int32")),
]

_LSTM_SAMPLES = [s for s in _SAMPLES if s.attrs["mode"] == "lstm"]
_OTHER_SAMPLES = [s for s in _SAMPLES if s.attrs["mode"] != "lstm"]
_RNN = OpCase("RNN", rnn_reference, _LSTM_SAMPLES, domain=(-1.0, 1.0), grad_inputs=(0, 1, 2, 3), errors=_ERRORS,
              grad_rtol=1e-4, grad_atol=1e-6, name="RNN_lstm")
_RNN_OTHER = OpCase("RNN", rnn_reference, _OTHER_SAMPLES, domain=(-1.0, 1.0), grad_inputs=(0, 1, 2),
                    grad_rtol=1e-4, grad_atol=1e-6, name="RNN_gru_vanilla")


def _numeric_vjp(fn, xs, gs, eps=1e-6):
    """sum_k <g_k, d out_k / d x_i> for each x_i, central differences in float64."""
    xs = [x.astype(np.float64) for x in xs]
    res = []
    for i, x in enumerate(xs):
        d = np.zeros_like(x)
        for idx in np.ndindex(*x.shape):
            vals = []
            for sgn in (1, -1):
                xx = [y.copy() for y in xs]
                xx[i][idx] += sgn * eps
                outs = fn(*xx)
                vals.append(sum(float(np.sum(o * g)) for o, g in zip(outs, gs) if g is not None))
            d[idx] = (vals[0] - vals[1]) / (2 * eps)
        res.append(d)
    return res


def _brnn_ref(data, parameters, state, *rest, **attrs):
    lstm = attrs["mode"] == "lstm"
    cell = rest[0] if lstm else None
    dy, dhy = rest[1:3] if lstm else rest[0:2]
    dcy = rest[3] if lstm else None
    a = dict(attrs, state_outputs=True)
    xs = [data, parameters, state] + ([cell] if lstm else [])

    def fn(*zs):
        return rnn_reference(*zs, **a)
    grads = _numeric_vjp(fn, xs, [dy.astype(np.float64), dhy.astype(np.float64)]
                         + ([dcy.astype(np.float64)] if lstm else []))
    return tuple(g.astype(data.dtype) for g in grads)


def _brnn_call(nd, *arrays, **attrs):
    lstm = attrs["mode"] == "lstm"
    n = 4 if lstm else 3
    ins, gs = arrays[:n], arrays[n:]
    from ...ops import get_op
    from ...ops.bind import bind, normalize_attrs
    op = get_op("RNN")
    full = bind(op, list(ins) + [None] * (5 - n), normalize_attrs(op, dict(attrs, state_outputs=True)))
    reserve = full[-1]
    cell = ins[3] if lstm else None
    return nd._backward_RNN(ins[0], ins[1], ins[2], cell, None, reserve, *gs[:2], gs[2] if lstm else None, **attrs)


def _bs(mode, T, N, I, H, L=1, bidi=False, proj=None):
    base = _s(mode, T, N, I, H, L, bidi, proj)
    ins = base.inputs
    D = 2 if bidi else 1
    R = proj or H
    gs = ((T, N, D * R), (L * D, N, R)) + (((L * D, N, H),) if mode == "lstm" else ())
    attrs = {k: v for k, v in base.attrs.items() if k != "state_outputs"}
    return Sample(ins + gs, attrs, grad=False)


_BRNN = OpCase("_backward_RNN", _brnn_ref,
               [_bs("lstm", 2, 2, 2, 2), _bs("gru", 2, 2, 2, 2, bidi=True), _bs("rnn_tanh", 2, 2, 2, 2, L=2),
                _bs("lstm", 2, 1, 2, 3, proj=2)],
               dtypes=("float64",), domain=(-1.0, 1.0), grad=False, call=_brnn_call, rtol=1e-6, atol=1e-7)


def _seq_ref_mask(data, seq=None, use_sequence_length=False, value=0.0, axis=0):
    out = data.copy()
    if use_sequence_length:
        for b, n in enumerate(np.clip(seq.astype(np.int64), 0, None)):
            if axis == 0:
                out[n:, b] = value
            else:
                out[b, n:] = value
    return out


def _seq_ref_last(data, seq=None, use_sequence_length=False, axis=0):
    T = data.shape[axis]
    N = data.shape[1 - axis]
    idx = np.full(N, T - 1) if not use_sequence_length else np.clip(seq.astype(np.int64) - 1, 0, T - 1)
    return np.stack([data[idx[b], b] if axis == 0 else data[b, idx[b]] for b in range(N)])


def _seq_ref_rev(data, seq=None, use_sequence_length=False, axis=0):
    out = data.copy()
    T, N = data.shape[:2]
    lens = np.full(N, T) if not use_sequence_length else np.clip(seq.astype(np.int64), 0, T)
    for b in range(N):
        out[:lens[b], b] = data[:lens[b], b][::-1]
    return out


_L = np.array([2, 4, 1], dtype=np.float32)
_SEQ_MASK = OpCase(
    "SequenceMask", _seq_ref_mask,
    [Sample(((4, 3, 2), _L), {"use_sequence_length": True}),
     Sample(((4, 3), _L), {"use_sequence_length": True, "value": -1.0}),
     Sample(((3, 4, 2), _L), {"use_sequence_length": True, "axis": 1, "value": 2.5}),
     Sample(((4, 3, 2),), {}),
     Sample(((4, 3, 2), np.array([0, 9, 3], np.float32)), {"use_sequence_length": True}, note="0 and > T")],
    grad_inputs=(0,), grad2=True,
    errors=[ErrorCase(((4,), (1,)), {"use_sequence_length": True}, ShapeError, "at least 2 dims"),
            ErrorCase(((4, 3), (2,)), {"use_sequence_length": True}, ShapeError, r"must have shape \(3,\)"),
            ErrorCase(((4, 3),), {"use_sequence_length": True}, ShapeError, "needs the `sequence_length`"),
            ErrorCase(((4, 3, 2), (3,)), {"use_sequence_length": True, "axis": 2}, ShapeError, "axis=2")])
_SEQ_LAST = OpCase(
    "SequenceLast", _seq_ref_last,
    [Sample(((4, 3, 2), _L), {"use_sequence_length": True}),
     Sample(((3, 4), _L), {"use_sequence_length": True, "axis": 1}),
     Sample(((4, 3, 2),), {}),
     Sample(((1, 3),), {}),
     Sample(((4, 3, 2), np.array([0, 9, 3], np.float32)), {"use_sequence_length": True}, note="clipped")],
    grad_inputs=(0,), grad2=True,
    errors=[ErrorCase(((4,), (1,)), {"use_sequence_length": True}, ShapeError, "at least 2 dims")])
_SEQ_REV = OpCase(
    "SequenceReverse", _seq_ref_rev,
    [Sample(((4, 3, 2), _L), {"use_sequence_length": True}),
     Sample(((4, 3),), {}),
     Sample(((4, 3), np.array([0, 9, 3], np.float32)), {"use_sequence_length": True}, note="0 and > T")],
    grad_inputs=(0,), grad2=True,
    errors=[ErrorCase(((4, 3), (4,)), {"use_sequence_length": True, "axis": 1}, ShapeError,
                      "expects axis to be 0")])
_RPC = OpCase("_rnn_param_concat", lambda *a, dim=1, num_args=None: np.concatenate(a, axis=dim),
              [Sample(((4,), (6,), (2,)), {"dim": 0}), Sample(((2, 3), (2, 1)), {"dim": 1})], grad2=True)

CASES = [_RNN, _RNN_OTHER, _BRNN, _SEQ_MASK, _SEQ_LAST, _SEQ_REV, _RPC]
