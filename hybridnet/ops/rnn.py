"""Recurrent ops with MXNet 1.9.1's names, attributes and defaults: the fused ``RNN`` op (vanilla
relu/tanh, LSTM, GRU; layers, bidirectional, LSTM projection and state clipping, sequence lengths),
its dedicated backward ``_backward_RNN`` (back-propagation through time), ``_rnn_param_concat``
(the Concat gluon uses to build the flat parameter vector) and ``SequenceMask`` / ``SequenceLast`` /
``SequenceReverse``.

Flat parameter layout (``rnn_param_layout``, as MXNet's ``rnn-inl.h`` and gluon's ``_RNNLayer``):
all weights first -- for each layer, for each direction (``l`` then ``r``): ``i2h_weight``
``(G, I_l)``, ``h2h_weight`` ``(G, R)`` and, with a projection, ``h2r_weight`` ``(P, H)`` -- then all
biases in the same order: ``i2h_bias`` ``(G,)``, ``h2h_bias`` ``(G,)``. ``G = gates * H`` (gates 1 for
rnn_relu/rnn_tanh, 4 for LSTM in order i, f, g, o, 3 for GRU in order r, z, n), ``R = P`` with a
projection else ``H``, ``I_0`` the input size and ``I_l = dirs * R`` above. GRU follows cuDNN:
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``.

Outputs. ``output`` ``(T, N, dirs * R)``, ``state_output`` ``(layers * dirs, N, R)``, for LSTM
``statecell_output`` ``(layers * dirs, N, H)`` -- visible with ``state_outputs=True`` -- and one hidden
``reserve`` vector holding what the backward reads (gate activations, states per step, layer inputs,
dropout masks; ``rnn_reserve_layout``).

Semantics where MXNet 1.9.1's CPU build and its cuDNN build differ -- hybridnet follows cuDNN (the
documented behaviour) on every device:

- ``use_sequence_length``: steps at or past a sequence's length leave the state unchanged and output
  0; the final states are those after the last valid step; the reverse direction starts at the last
  valid step. (MXNet's CPU kernel ignores the lengths.)
- ``lstm_state_clip_min/max``: the cell state is clipped after each step (gradient 0 where clipped);
  ``lstm_state_clip_nan`` maps a NaN cell state to ``clip_min`` (fmax/fmin semantics) instead of
  propagating it. (MXNet's CPU kernel ignores clipping.)
- ``p``: dropout on the output of every layer but the last in training mode (``autograd.is_training()``
  read when the kernel runs). (MXNet's CPU kernel applies none.)
"""
import numpy as np

from ..errors import AutogradError, DTypeError, ShapeError
from . import api as F
from .check import norm_axis, op_error
from .opdef import REQUIRED, Attr, Bool, Choice, Float, Int, Pattern
from .registry import defop
from .shape import OptInt, _concat_grad, _concat_infer
from .spec import TensorSpec

__all__ = ["rnn_gates", "rnn_param_size", "rnn_param_layout", "rnn_reserve_layout", "rnn_inputs", "rnn_dims"]

_GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


def rnn_gates(mode):
    return _GATES[mode]


def _proj(mode, projection_size):
    return projection_size if (mode == "lstm" and projection_size) else None


def rnn_param_layout(mode, input_size, state_size, num_layers, bidirectional, projection_size=None):
    """``[(name, offset, shape)]`` of every tensor in the flat parameter vector (names as gluon's
    Parameters without prefix: ``l0_i2h_weight``, ``r1_h2h_bias``...), and the total size."""
    G = _GATES[mode] * state_size
    P = _proj(mode, projection_size)
    R = P or state_size
    dirs = ("l", "r")[:2 if bidirectional else 1]
    weights, biases = [], []
    ni = input_size
    for layer in range(num_layers):
        for d in dirs:
            weights.append((f"{d}{layer}_i2h_weight", (G, ni)))
            weights.append((f"{d}{layer}_h2h_weight", (G, R)))
            if P:
                weights.append((f"{d}{layer}_h2r_weight", (P, state_size)))
            biases.append((f"{d}{layer}_i2h_bias", (G,)))
            biases.append((f"{d}{layer}_h2h_bias", (G,)))
        ni = R * len(dirs)
    out, off = [], 0
    for name, shape in weights + biases:
        out.append((name, off, shape))
        off += int(np.prod(shape))
    return out, off


def rnn_param_size(mode, input_size, state_size, num_layers, bidirectional, projection_size=None):
    return rnn_param_layout(mode, input_size, state_size, num_layers, bidirectional, projection_size)[1]


def rnn_dims(data_shape, state_size, num_layers, bidirectional, mode, projection_size):
    """``(T, N, I, H, P, R, L, D, G)``."""
    T, N, I = data_shape
    H = state_size
    P = _proj(mode, projection_size)
    return T, N, I, H, P, (P or H), num_layers, (2 if bidirectional else 1), _GATES[mode] * H


def rnn_reserve_layout(T, N, I, H, P, L, D, mode, dropout):
    """``{key: (offset, shape)}`` of the reserve vector and its size. Per layer ``l`` and direction ``d``:
    ``('gates', l, d)`` (T, N, G) activated gates (RNN: the new state), ``('hs', l, d)`` (T, N, R) the
    state after each step, LSTM ``('cs', l, d)`` (T, N, H) the cell after each step, projection
    ``('hp', l, d)`` (T, N, H) the hidden before projection, GRU ``('hn', l, d)`` (T, N, H)
    ``W_hn h + b_hn``; per layer ``l >= 1``: ``('x', l)`` (T, N, D*R) its input (after dropout) and with
    ``dropout > 0`` ``('mask', l)`` the dropout scale."""
    G = _GATES[mode] * H
    R = P or H
    out, off = {}, 0

    def add(key, shape):
        nonlocal off
        out[key] = (off, shape)
        off += int(np.prod(shape))
    for layer in range(L):
        if layer > 0:
            add(("x", layer), (T, N, D * R))
            if dropout > 0:
                add(("mask", layer), (T, N, D * R))
        for d in range(D):
            add(("gates", layer, d), (T, N, G))
            add(("hs", layer, d), (T, N, R))
            if mode == "lstm":
                add(("cs", layer, d), (T, N, H))
                if P:
                    add(("hp", layer, d), (T, N, H))
            if mode == "gru":
                add(("hn", layer, d), (T, N, H))
    return out, off


def rnn_inputs(mode, use_sequence_length, state_cell, sequence_length):
    """MXNet's generated ``nd.RNN`` drops absent inputs, so for a GRU/vanilla RNN with
    ``use_sequence_length`` the fourth positional array is the lengths: returns the (state_cell,
    sequence_length) actually meant."""
    if mode != "lstm" and use_sequence_length and sequence_length is None and state_cell is not None:
        return None, state_cell
    return state_cell, sequence_length


_RNN_ATTRS = (
    Attr("state_size", Int(), REQUIRED, "size of the state of each layer (required)"),
    Attr("num_layers", Int(), REQUIRED, "number of stacked layers (required)"),
    Attr("bidirectional", Bool(), False, "whether to use bidirectional recurrent layers"),
    Attr("mode", Choice("rnn_relu", "rnn_tanh", "lstm", "gru"), REQUIRED, "the type of RNN (required)"),
    Attr("p", Float(), 0.0, "dropout rate on the outputs of each layer but the last (training mode)"),
    Attr("state_outputs", Bool(), False, "also return the final states"),
    Attr("projection_size", OptInt(), None, "LSTM projection size (None: no projection)"),
    Attr("lstm_state_clip_min", Float(), None, "minimum of the LSTM cell state (with lstm_state_clip_max)"),
    Attr("lstm_state_clip_max", Float(), None, "maximum of the LSTM cell state (with lstm_state_clip_min)"),
    Attr("lstm_state_clip_nan", Bool(), False, "map a NaN cell state to the clip range instead of propagating"),
    Attr("use_sequence_length", Bool(), False, "take per-sequence lengths from `sequence_length`"),
)


def _check_attrs(op, args, state_size, num_layers, mode, projection_size, lstm_state_clip_min,
                 lstm_state_clip_max, p):
    for name, v in (("state_size", state_size), ("num_layers", num_layers), ("mode", mode)):
        if v is None:
            raise op_error(op, args, ShapeError, f"attribute {name} is required",
                           "pass state_size=, num_layers= and mode= ('rnn_relu', 'rnn_tanh', 'lstm', 'gru')")
    if state_size <= 0 or num_layers <= 0:
        raise op_error(op, args, ShapeError, f"state_size={state_size} and num_layers={num_layers} must be positive",
                       "pass positive sizes")
    if projection_size is not None and projection_size != 0:
        if mode != "lstm":
            raise op_error(op, args, ShapeError, f"projection_size is only supported for mode='lstm' (got {mode!r})",
                           "drop projection_size, or use mode='lstm'")
        if not 0 < projection_size < state_size:
            raise op_error(op, args, ShapeError, f"projection_size={projection_size} must be in (0, state_size="
                           f"{state_size})", "pass a projection smaller than the state")
    if (lstm_state_clip_min is None) != (lstm_state_clip_max is None):
        raise op_error(op, args, ShapeError, "lstm_state_clip_min and lstm_state_clip_max must be given together",
                       "pass both bounds, or neither")
    if lstm_state_clip_min is not None and lstm_state_clip_min > lstm_state_clip_max:
        raise op_error(op, args, ShapeError, f"lstm_state_clip_min={lstm_state_clip_min} > lstm_state_clip_max="
                       f"{lstm_state_clip_max}", "swap the bounds")
    if not 0.0 <= p < 1.0:
        raise op_error(op, args, ShapeError, f"dropout p={p} must be in [0, 1)", "pass 0 <= p < 1")


def _rnn_check(op, args, data, parameters, state, state_cell, sequence_length, a):
    state_cell, sequence_length = rnn_inputs(a["mode"], a["use_sequence_length"], state_cell, sequence_length)
    _check_attrs(op, args, a["state_size"], a["num_layers"], a["mode"], a["projection_size"],
                 a["lstm_state_clip_min"], a["lstm_state_clip_max"], a["p"])
    dt = np.dtype(data.dtype)
    if dt not in (np.float32, np.float64):
        raise op_error(op, args, DTypeError, f"data is {dt.name}; RNN computes in float32 or float64",
                       "cast data and parameters with .astype('float32')")
    if len(data.shape) != 3:
        raise op_error(op, args, ShapeError, f"data must be 3-D (sequence_length, batch, input_size), got shape "
                       f"{tuple(data.shape)}", "use layout TNC (gluon.rnn layers with layout='NTC' swap axes 0 and 1)")
    mode = a["mode"]
    T, N, I, H, P, R, L, D, G = rnn_dims(data.shape, a["state_size"], a["num_layers"], a["bidirectional"], mode,
                                         a["projection_size"])
    size = rnn_param_size(mode, I, H, L, D == 2, P)
    for name, arr in (("parameters", parameters), ("state", state), ("state_cell", state_cell)):
        if arr is not None and np.dtype(arr.dtype) != dt:
            raise op_error(op, args, DTypeError, f"{name} is {np.dtype(arr.dtype).name} but data is {dt.name}",
                           f"cast {name} to {dt.name}")
    if tuple(parameters.shape) != (size,):
        raise op_error(op, args, ShapeError, f"parameters must have shape ({size},) for mode={mode!r}, input size "
                       f"{I}, state_size={H}, num_layers={L}, bidirectional={D == 2}"
                       + (f", projection_size={P}" if P else "") + f"; got {tuple(parameters.shape)}",
                       "concatenate every i2h/h2h weight then every bias, flattened, in MXNet's order "
                       "(hybridnet.ops.rnn.rnn_param_layout lists it)")
    want = (L * D, N, R)
    if state is None or tuple(state.shape) != want:
        raise op_error(op, args, ShapeError, f"state must have shape {want} (layers*directions, batch, "
                       f"{'projection' if P else 'state'} size), got "
                       f"{None if state is None else tuple(state.shape)}",
                       "pass begin states of shape (num_layers * (2 if bidirectional else 1), batch, hidden)")
    if mode == "lstm":
        if state_cell is None or tuple(state_cell.shape) != (L * D, N, H):
            raise op_error(op, args, ShapeError, f"state_cell must have shape {(L * D, N, H)} for an LSTM, got "
                           f"{None if state_cell is None else tuple(state_cell.shape)}",
                           "pass the initial cell state (layers*directions, batch, state_size)")
    elif state_cell is not None:
        raise op_error(op, args, ShapeError, f"a state_cell input was given but mode={mode!r} has no cell state",
                       "drop state_cell (only LSTMs have one)")
    if a["use_sequence_length"]:
        if sequence_length is None:
            raise op_error(op, args, ShapeError, "use_sequence_length=True needs the `sequence_length` input",
                           f"pass sequence_length (shape ({N},)) or use_sequence_length=False")
        if tuple(sequence_length.shape) != (N,):
            raise op_error(op, args, ShapeError, f"sequence_length must have shape ({N},), got "
                           f"{tuple(sequence_length.shape)}", "pass one length per sequence")
    elif sequence_length is not None:
        raise op_error(op, args, ShapeError, "a `sequence_length` input was given but use_sequence_length is False",
                       "pass use_sequence_length=True, or drop sequence_length")
    return T, N, I, H, P, R, L, D, G


def _rnn_nout(attrs, n_inputs=None):
    return 4 if attrs.get("mode") == "lstm" else 3


def _rnn_visible(attrs):
    if not attrs.get("state_outputs"):
        return 1
    return 3 if attrs.get("mode") == "lstm" else 2


def _rnn_infer(data, parameters, state, state_cell=None, sequence_length=None, **a):
    args = (data, parameters, state, state_cell, sequence_length)
    T, N, I, H, P, R, L, D, G = _rnn_check(_rnn, args, data, parameters, state, state_cell, sequence_length, a)
    dt, dev = np.dtype(data.dtype), data.device
    _, rsize = rnn_reserve_layout(T, N, I, H, P, L, D, a["mode"], a["p"])
    outs = [TensorSpec((T, N, D * R), dt, dev), TensorSpec((L * D, N, R), dt, dev)]
    if a["mode"] == "lstm":
        outs.append(TensorSpec((L * D, N, H), dt, dev))
    outs.append(TensorSpec((rsize,), dt, dev))
    return tuple(outs)


def _rnn_infer_params(in_shapes, **a):
    d = in_shapes[0]
    if d is None or len(d) != 3 or a.get("state_size") is None or a.get("num_layers") is None \
            or a.get("mode") not in _GATES:
        return {}
    T, N, I, H, P, R, L, D, G = rnn_dims(d, a["state_size"], a["num_layers"], a.get("bidirectional", False),
                                         a["mode"], a.get("projection_size"))
    got = {"parameters": (rnn_param_size(a["mode"], I, H, L, D == 2, P),), "state": (L * D, N, R)}
    if a["mode"] == "lstm":
        got["state_cell"] = (L * D, N, H)
    return got


def _rnn_grad(ctx, g_out, g_hy=None, g_cy=None, *_):
    a = ctx.attrs
    data, params, state = ctx.inputs[0], ctx.inputs[1], ctx.inputs[2]
    rest = tuple(ctx.inputs[3:]) + (None, None)
    cell, seq = rnn_inputs(a["mode"], a["use_sequence_length"], rest[0], rest[1])
    reserve = ctx.outputs[-1]
    lstm = a["mode"] == "lstm"
    grads = F._backward_RNN(data, params, state, cell, seq, reserve, g_out, g_hy, g_cy if lstm else None, **a)
    dx, dp, dh = grads[0], grads[1], grads[2]
    if lstm:
        return (dx, dp, dh, grads[3], None)
    # a GRU/vanilla RNN's lengths may sit in the state_cell slot (positional call, see rnn_inputs)
    return (dx, dp, dh, None, None)


_rnn = defop(
    "RNN", ("data", "parameters", "state", "state_cell?", "sequence_length?"), _rnn_infer, Pattern.OPAQUE,
    attrs=_RNN_ATTRS, effects=True, dtype_check=None, num_outputs=_rnn_nout, num_visible_outputs=_rnn_visible,
    output_names=("output", "state_output", "statecell_output", "reserve"), grad=_rnn_grad,
    saves=("inputs", "outputs"), nondiff=(4,), infer_params=_rnn_infer_params,
    doc="Fused multi-layer recurrent network over data (T, batch, input): vanilla RNN with relu/tanh, LSTM "
        "(gates i, f, g, o; optional projection and cell clipping) or GRU (r, z, n as cuDNN), "
        "bidirectional, dropout between layers in training, per-sequence lengths. `parameters` is the flat "
        "vector of all weights then all biases in MXNet's order (``hybridnet.ops.rnn.rnn_param_layout``). "
        "Returns the output (T, batch, dirs * state), plus the final states with ``state_outputs=True``. "
        "See ``hybridnet/ops/rnn.py`` for where MXNet's CPU build differs.\n\n"
        ">>> x = nd.ones((2, 1, 1)); w = nd.array([1.0, 0.0, 0.0, 0.0])   # i2h, h2h weights, biases\n"
        ">>> nd.RNN(x, w, nd.zeros((1, 1, 1)), state_size=1, num_layers=1, mode='rnn_relu')"
        ".asnumpy().ravel().tolist()\n[1.0, 1.0]")


def _brnn_infer(data, parameters, state, state_cell=None, sequence_length=None, reserve=None, dy=None,
                dhy=None, dcy=None, **a):
    args = (data, parameters, state, state_cell, sequence_length, reserve, dy, dhy, dcy)
    T, N, I, H, P, R, L, D, G = _rnn_check(_brnn, args, data, parameters, state, state_cell, sequence_length, a)
    dt, dev = np.dtype(data.dtype), data.device
    _, rsize = rnn_reserve_layout(T, N, I, H, P, L, D, a["mode"], a["p"])
    for name, arr, shape in (("reserve", reserve, (rsize,)), ("dy", dy, (T, N, D * R)), ("dhy", dhy, (L * D, N, R)),
                             ("dcy", dcy, (L * D, N, H))):
        if arr is not None and tuple(arr.shape) != shape:
            raise op_error(_brnn, args, ShapeError, f"{name} must have shape {shape}, got {tuple(arr.shape)}",
                           "pass the RNN forward's reserve output and gradients of its outputs")
    if reserve is None:
        raise op_error(_brnn, args, ShapeError, "the `reserve` input is required",
                       "pass the hidden reserve output of the RNN forward")
    outs = [TensorSpec(data.shape, dt, dev), TensorSpec(parameters.shape, dt, dev), TensorSpec(state.shape, dt, dev)]
    if a["mode"] == "lstm":
        outs.append(TensorSpec((L * D, N, H), dt, dev))
    return tuple(outs)


def _brnn_grad(ctx, *gs):
    raise op_error(_brnn, tuple(ctx.inputs), AutogradError, "second-order gradients through RNN are not "
                   "implemented", "differentiate RNN once (no create_graph=True through it), or detach its "
                   "input with stop_gradient")


_brnn = defop(
    "_backward_RNN", ("data", "parameters", "state", "state_cell?", "sequence_length?", "reserve?", "dy?", "dhy?",
                      "dcy?"), _brnn_infer, Pattern.OPAQUE, attrs=_RNN_ATTRS, dtype_check=None,
    num_outputs=lambda attrs, n=None: 4 if attrs.get("mode") == "lstm" else 3,
    grad=_brnn_grad, saves=("inputs",), nondiff=(4, 5),
    doc="Back-propagation through time for RNN: from the forward's inputs, its hidden reserve output and the "
        "gradients of output / state_output / statecell_output (absent = 0), the gradients of data, parameters, "
        "state (and state_cell for an LSTM).\n\n"
        ">>> x = nd.ones((2, 1, 1)); w = nd.array([1.0, 0.0, 0.0, 0.0]); h0 = nd.zeros((1, 1, 1))\n"
        ">>> outs = nd.RNN(x, w, h0, state_size=1, num_layers=1, mode='rnn_relu', state_outputs=True)\n"
        ">>> len(outs)\n2")


# ---- _rnn_param_concat ------------------------------------------------------------------------------

_rpc = defop(
    "_rnn_param_concat", ("data",), lambda *specs, dim=1, num_args=None: _concat_infer(*specs, dim=dim,
                                                                                       num_args=num_args),
    Pattern.INJECTIVE, variadic=True, aliases=("_internal._rnn_param_concat",),
    attrs=(Attr("dim", Int(), 1, "the axis to join along"),
           Attr("num_args", OptInt(), None, "the number of arrays (filled in from the call when left out)")),
    grad=_concat_grad, dtype_check=None,
    doc="Concat as gluon's RNN layers use it to build the flat parameter vector (MXNet gives it its own "
        "name so that shape inference can fill a deferred input weight).\n\n"
        ">>> nd._rnn_param_concat(nd.ones((2,)), nd.zeros((3,)), dim=0).shape\n(5,)")


# ---- SequenceMask / SequenceLast / SequenceReverse ------------------------------------------------------

_SEQ_ATTRS = (Attr("use_sequence_length", Bool(), False, "take per-sequence lengths from `sequence_length`"),
              Attr("axis", Int(), 0, "the time axis: 0 (T, N, ...) or 1 (N, T, ...)"))


def seq_axes(ndim, axis):
    """(time axis, batch axis)."""
    return (0, 1) if axis == 0 else (1, 0)


def _seq_check(op, data, sequence_length, use_sequence_length, axis, only0=False):
    args = (data, sequence_length)
    if len(data.shape) < 2:
        raise op_error(op, args, ShapeError, f"data must have at least 2 dims (time and batch), got shape "
                       f"{tuple(data.shape)}", "pass data of shape (T, N, ...) (axis=0) or (N, T, ...) (axis=1)")
    if axis not in (0, 1) or (only0 and axis != 0):
        raise op_error(op, args, ShapeError, f"axis={axis} is not supported" +
                       (" (MXNet: 'Current implementation expects axis to be 0')" if only0 else ""),
                       "pass axis=0" + ("" if only0 else " (time first) or axis=1 (batch first)")
                       + (" (swap axes 0 and 1 first)" if only0 else ""))
    if np.dtype(data.dtype).kind not in "fiu":
        raise op_error(op, args, DTypeError, f"data dtype {np.dtype(data.dtype).name} is not numeric",
                       "cast data to float32")
    t_ax, n_ax = seq_axes(len(data.shape), axis)
    N = data.shape[n_ax]
    if use_sequence_length:
        if sequence_length is None:
            raise op_error(op, args, ShapeError, "use_sequence_length=True needs the `sequence_length` input",
                           f"pass sequence_length of shape ({N},)")
        if tuple(sequence_length.shape) != (N,):
            raise op_error(op, args, ShapeError, f"sequence_length must have shape ({N},) (one length per "
                           f"sequence), got {tuple(sequence_length.shape)}", "pass one length per batch element")
    return t_ax, n_ax


def _smask_infer(data, sequence_length=None, use_sequence_length=False, value=0.0, axis=0):
    _seq_check(_smask, data, sequence_length, use_sequence_length, axis)
    return TensorSpec(data.shape, data.dtype, data.device)


_smask = defop(
    "SequenceMask", ("data", "sequence_length?"), _smask_infer, Pattern.OPAQUE,
    attrs=_SEQ_ATTRS[:1] + (Attr("value", Float(), 0.0, "the value written past each sequence's end"),) + _SEQ_ATTRS[1:],
    grad=lambda ctx, g: (F.SequenceMask(g, *ctx.inputs[1:], use_sequence_length=ctx.attrs["use_sequence_length"],
                                        value=0.0, axis=ctx.attrs["axis"]), None),
    saves=("inputs",), nondiff=(1,), dtype_check=None,
    doc="Set the steps at or past each sequence's length to `value` (identity without use_sequence_length). "
        "data is (T, N, ...) for axis=0 or (N, T, ...) for axis=1.\n\n"
        ">>> x = nd.ones((3, 2))\n"
        ">>> nd.SequenceMask(x, nd.array([1, 3]), use_sequence_length=True, value=-1).asnumpy().tolist()\n"
        "[[1.0, 1.0], [-1.0, 1.0], [-1.0, 1.0]]")


def _slast_infer(data, sequence_length=None, use_sequence_length=False, axis=0):
    t_ax, n_ax = _seq_check(_slast, data, sequence_length, use_sequence_length, axis)
    shape = tuple(d for i, d in enumerate(data.shape) if i != t_ax)
    return TensorSpec(shape, data.dtype, data.device)


def _slast_grad(ctx, g):
    a = ctx.attrs
    data = ctx.inputs[0]
    shape = tuple(ctx.in_specs[0].shape)
    t_ax, n_ax = seq_axes(len(shape), a["axis"])
    T, N = shape[t_ax], shape[n_ax]
    if not a["use_sequence_length"]:        # the last step: zeros before it
        gt = F.expand_dims(g, axis=t_ax)
        if T == 1:
            return (gt, None)
        return (F.Concat(F.zeros_like(F.slice_axis(data, axis=t_ax, begin=0, end=T - 1)), gt, dim=t_ax), None)
    idx = F.clip(F.Cast(ctx.inputs[1], dtype=np.dtype(data.dtype).name) - 1, 0, max(T - 1, 0))
    oh = F.one_hot(idx, depth=T, dtype=np.dtype(data.dtype).name)            # (N, T)
    if t_ax == 0:
        oh = F.transpose(oh)                                                  # (T, N)
    oh = F.Reshape(oh, shape=tuple(shape[:2]) + (1,) * (len(shape) - 2))
    return (F.broadcast_mul(oh, F.expand_dims(g, axis=t_ax)), None)


_slast = defop(
    "SequenceLast", ("data", "sequence_length?"), _slast_infer, Pattern.OPAQUE, attrs=_SEQ_ATTRS,
    grad=_slast_grad, saves=("inputs",), nondiff=(1,), dtype_check=None,
    doc="The last valid step of each sequence (step length-1; the last step without use_sequence_length), "
        "removing the time axis. Lengths are clipped to [1, T] (MXNet reads out of bounds).\n\n"
        ">>> x = nd.array([[1, 2], [3, 4], [5, 6]])   # (T=3, N=2)\n"
        ">>> nd.SequenceLast(x, nd.array([1, 3]), use_sequence_length=True).asnumpy().tolist()\n[1.0, 6.0]")


def _srev_infer(data, sequence_length=None, use_sequence_length=False, axis=0):
    _seq_check(_srev, data, sequence_length, use_sequence_length, axis, only0=True)
    return TensorSpec(data.shape, data.dtype, data.device)


_srev = defop(
    "SequenceReverse", ("data", "sequence_length?"), _srev_infer, Pattern.OPAQUE, attrs=_SEQ_ATTRS,
    grad=lambda ctx, g: (F.SequenceReverse(g, *ctx.inputs[1:], **ctx.attrs), None),
    saves=("inputs",), nondiff=(1,), dtype_check=None,
    doc="Reverse the first `length` steps of each sequence (all T without use_sequence_length); later steps "
        "stay in place. data is (T, N, ...) (axis 0 only, as MXNet).\n\n"
        ">>> x = nd.array([[1, 2], [3, 4], [5, 6]])\n"
        ">>> nd.SequenceReverse(x, nd.array([2, 3]), use_sequence_length=True).asnumpy().tolist()\n"
        "[[3.0, 6.0], [1.0, 4.0], [5.0, 2.0]]")
