"""Recurrent layers (MXNet 1.9.1 ``gluon.rnn.RNN/LSTM/GRU``): one fused ``RNN`` op over the flat
parameter vector that ``_rnn_param_concat`` builds from the per-layer Parameters (``l0_i2h_weight``...),
so exported graphs and ``.params`` files are MXNet's.

``save_parameters`` keys are MXNet's compatibility names (``_unfused.0.i2h_weight``, bidirectional
``_unfused.0.l_cell.i2h_weight``; ``_collect_params_with_prefix``). Semantics of sequence lengths,
clipping and dropout are the fused op's (``hybridnet/ops/rnn.py``: cuDNN's, on every device).
"""
import re

from ... import nd
from ...nd.ndarray import NDArray
from ..block import HybridBlock

__all__ = ["RNN", "LSTM", "GRU"]


class _RNNLayer(HybridBlock):
    def __init__(self, hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                 i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer,
                 mode, projection_size, h2r_weight_initializer, lstm_state_clip_min, lstm_state_clip_max,
                 lstm_state_clip_nan, dtype, use_sequence_length=False, **kwargs):
        super().__init__(**kwargs)
        assert layout in ("TNC", "NTC"), "Invalid layout %s; must be one of ['TNC' or 'NTC']" % layout
        self._hidden_size = hidden_size
        self._projection_size = projection_size if projection_size else None
        self._num_layers = num_layers
        self._rnn_mode = mode
        self._layout = layout
        self._dropout = dropout
        self._dir = 2 if bidirectional else 1
        self._input_size = input_size
        self._i2h_weight_initializer = i2h_weight_initializer
        self._h2h_weight_initializer = h2h_weight_initializer
        self._i2h_bias_initializer = i2h_bias_initializer
        self._h2h_bias_initializer = h2h_bias_initializer
        self._h2r_weight_initializer = h2r_weight_initializer
        self._lstm_state_clip_min = lstm_state_clip_min
        self._lstm_state_clip_max = lstm_state_clip_max
        self._lstm_state_clip_nan = lstm_state_clip_nan
        self._dtype = dtype
        self._use_sequence_length = use_sequence_length
        self.skip_states = None
        self._gates = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}[mode]
        ng, ni, nh = self._gates, input_size, hidden_size
        np_ = self._projection_size
        for i in range(num_layers):
            for j in ["l", "r"][:self._dir]:
                self._register_param("{}{}_i2h_weight".format(j, i), (ng * nh, ni), i2h_weight_initializer, dtype)
                self._register_param("{}{}_h2h_weight".format(j, i), (ng * nh, np_ or nh), h2h_weight_initializer,
                                     dtype)
                self._register_param("{}{}_i2h_bias".format(j, i), (ng * nh,), i2h_bias_initializer, dtype)
                self._register_param("{}{}_h2h_bias".format(j, i), (ng * nh,), h2h_bias_initializer, dtype)
                if np_:
                    self._register_param("{}{}_h2r_weight".format(j, i), (np_, nh), h2r_weight_initializer, dtype)
            ni = (np_ or nh) * self._dir

    def _register_param(self, name, shape, init, dtype):
        p = self.params.get(name, shape=shape, init=init, allow_deferred_init=True, dtype=dtype)
        setattr(self, name, p)
        return p

    def __repr__(self):
        s = "{name}({mapping}, {_layout}"
        if self._num_layers != 1:
            s += ", num_layers={_num_layers}"
        if self._dropout != 0:
            s += ", dropout={_dropout}"
        if self._dir == 2:
            s += ", bidirectional"
        s += ")"
        shape = self.l0_i2h_weight.shape
        mapping = "{0} -> {1}".format(shape[1] if shape[1] else None, shape[0] // self._gates)
        return s.format(name=self.__class__.__name__, mapping=mapping, **self.__dict__)

    def _collect_params_with_prefix(self, prefix=""):
        if prefix:
            prefix += "."
        pattern = re.compile(r"(l|r)(\d)_(i2h|h2h|h2r)_(weight|bias)\Z")

        def convert_key(m, bidirectional):      # MXNet's compatibility names (the old unfused cells)
            d, l, g, t = [m.group(i) for i in range(1, 5)]
            if bidirectional:
                return "_unfused.{}.{}_cell.{}_{}".format(l, d, g, t)
            return "_unfused.{}.{}_{}".format(l, g, t)
        bidirectional = any(pattern.match(k).group(1) == "r" for k in self._reg_params)
        ret = {prefix + convert_key(pattern.match(key), bidirectional): val for key, val in self._reg_params.items()}
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    def state_info(self, batch_size=0):
        raise NotImplementedError

    def cast(self, dtype):
        super().cast(dtype)
        self._dtype = dtype

    def begin_state(self, batch_size=0, func=nd.zeros, **kwargs):
        """Initial states: a list of arrays (num_layers * directions, batch_size, hidden) made by
        ``func(name=..., shape=..., **kwargs)`` (``nd.zeros`` by default)."""
        states = []
        for i, info in enumerate(self.state_info(batch_size)):
            if info is not None:
                info.update(kwargs)
            else:
                info = kwargs
            info = {k: v for k, v in info.items() if k != "__layout__"} if func in (nd.zeros, nd.ones) else info
            states.append(func(name="%sh0_%d" % (self.prefix, i), **info))
        return states

    def __call__(self, inputs, states=None, sequence_length=None, **kwargs):
        self.skip_states = states is None
        if self._input_size == 0 and not all(d for d in self.l0_i2h_weight.shape):
            ni = inputs.shape[2]                 # deferred input size: the layer input's feature dim
            for j in ["l", "r"][:self._dir]:
                p = getattr(self, "%s0_i2h_weight" % j)
                p.shape = (p.shape[0], ni)
                if p._deferred_init:
                    p._finish_deferred_init()
        if states is None:
            batch_size = inputs.shape[self._layout.find("N")]
            states = self.begin_state(batch_size, ctx=inputs.context, dtype=inputs.dtype)
        if isinstance(states, (NDArray,)) or hasattr(states, "_trace"):
            states = [states]
        # the compiled graph always returns (output, states): whether states were passed is not part of
        # the hybridize cache key (both calls pass states), so the choice is made here
        if self._use_sequence_length:
            out = super().__call__(inputs, states, sequence_length, **kwargs)
        else:
            out = super().__call__(inputs, states, **kwargs)
        return out[0] if self.skip_states else out

    def hybrid_forward(self, F, inputs, states, sequence_length=None, **kwargs):
        if isinstance(inputs, NDArray):
            batch_size = inputs.shape[self._layout.find("N")]
            for state, info in zip(states, self.state_info(batch_size)):
                if state.shape != info["shape"]:
                    raise ValueError("Invalid recurrent state shape. Expecting %s, got %s. (layer %s '%s'; fix: "
                                     "pass states from begin_state(batch_size))" % (
                                         str(info["shape"]), str(state.shape), type(self).__name__, self.name))
        return self._forward_kernel(F, inputs, states, sequence_length, **kwargs)

    def _forward_kernel(self, F, inputs, states, sequence_length, **kwargs):
        if self._layout == "NTC":
            inputs = F.swapaxes(inputs, 0, 1)
        if self._projection_size is None:
            params = (kwargs["{}{}_{}_{}".format(d, l, g, t)].reshape(-1)
                      for t in ["weight", "bias"] for l in range(self._num_layers)
                      for d in ["l", "r"][:self._dir] for g in ["i2h", "h2h"])
        else:
            params = (kwargs["{}{}_{}_{}".format(d, l, g, t)].reshape(-1)
                      for t in ["weight", "bias"] for l in range(self._num_layers)
                      for d in ["l", "r"][:self._dir] for g in ["i2h", "h2h", "h2r"]
                      if g != "h2r" or t != "bias")
        params = F._rnn_param_concat(*params, dim=0)
        rnn_args = list(states) + ([sequence_length] if self._use_sequence_length else [])
        rnn = F.RNN(inputs, params, *rnn_args, use_sequence_length=self._use_sequence_length,
                    state_size=self._hidden_size, projection_size=self._projection_size,
                    num_layers=self._num_layers, bidirectional=self._dir == 2, p=self._dropout,
                    state_outputs=True, mode=self._rnn_mode, lstm_state_clip_min=self._lstm_state_clip_min,
                    lstm_state_clip_max=self._lstm_state_clip_max, lstm_state_clip_nan=self._lstm_state_clip_nan)
        if self._rnn_mode == "lstm":
            outputs, states = rnn[0], [rnn[1], rnn[2]]
        else:
            outputs, states = rnn[0], [rnn[1]]
        if self._layout == "NTC":
            outputs = F.swapaxes(outputs, 0, 1)
        return outputs, states


class RNN(_RNNLayer):
    """Multi-layer Elman RNN with tanh or relu (MXNet 1.9.1 ``gluon.rnn.RNN``).

    >>> layer = mx.gluon.rnn.RNN(8, 2, input_size=4); layer.initialize()
    >>> layer(nd.ones((5, 3, 4))).shape
    (5, 3, 8)
    """

    def __init__(self, hidden_size, num_layers=1, activation="relu", layout="TNC", dropout=0, bidirectional=False,
                 i2h_weight_initializer=None, h2h_weight_initializer=None, i2h_bias_initializer="zeros",
                 h2h_bias_initializer="zeros", input_size=0, dtype="float32", **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer,
                         "rnn_" + activation, None, None, None, None, False, dtype, **kwargs)

    def state_info(self, batch_size=0):
        return [{"shape": (self._num_layers * self._dir, batch_size, self._hidden_size), "__layout__": "LNC",
                 "dtype": self._dtype}]


class LSTM(_RNNLayer):
    """Multi-layer LSTM (MXNet 1.9.1 ``gluon.rnn.LSTM``), optional projection and cell clipping.

    >>> layer = mx.gluon.rnn.LSTM(8, input_size=4); layer.initialize()
    >>> out, (h, c) = layer(nd.ones((5, 3, 4)), layer.begin_state(3))
    >>> out.shape, h.shape
    ((5, 3, 8), (1, 3, 8))
    """

    def __init__(self, hidden_size, num_layers=1, layout="TNC", dropout=0, bidirectional=False, input_size=0,
                 i2h_weight_initializer=None, h2h_weight_initializer=None, i2h_bias_initializer="zeros",
                 h2h_bias_initializer="zeros", projection_size=None, h2r_weight_initializer=None,
                 state_clip_min=None, state_clip_max=None, state_clip_nan=False, dtype="float32", **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer,
                         "lstm", projection_size, h2r_weight_initializer, state_clip_min, state_clip_max,
                         state_clip_nan, dtype, **kwargs)

    def state_info(self, batch_size=0):
        h = self._projection_size if self._projection_size is not None else self._hidden_size
        return [{"shape": (self._num_layers * self._dir, batch_size, h), "__layout__": "LNC", "dtype": self._dtype},
                {"shape": (self._num_layers * self._dir, batch_size, self._hidden_size), "__layout__": "LNC",
                 "dtype": self._dtype}]


class GRU(_RNNLayer):
    """Multi-layer GRU (MXNet 1.9.1 ``gluon.rnn.GRU``; cuDNN's formulation).

    >>> layer = mx.gluon.rnn.GRU(8, layout='NTC', input_size=4); layer.initialize()
    >>> layer(nd.ones((3, 5, 4))).shape
    (3, 5, 8)
    """

    def __init__(self, hidden_size, num_layers=1, layout="TNC", dropout=0, bidirectional=False, input_size=0,
                 i2h_weight_initializer=None, h2h_weight_initializer=None, i2h_bias_initializer="zeros",
                 h2h_bias_initializer="zeros", dtype="float32", **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer,
                         "gru", None, None, None, None, False, dtype, **kwargs)

    def state_info(self, batch_size=0):
        return [{"shape": (self._num_layers * self._dir, batch_size, self._hidden_size), "__layout__": "LNC",
                 "dtype": self._dtype}]
