"""Make tests/golden/rnn/rnn_goldens.json (+ lstm_bidir.params) with MXNet 1.9.1 (run with the oracle:
``/work/mx-oracle/bin/python tests/golden/rnn/make_rnn_goldens.py``).

Layers (``gluon.rnn.RNN/LSTM/GRU``): repr before/after the first call, prefix, Parameter names and shapes,
``save_parameters`` keys, outputs (and final states when states are passed explicitly) and the gradients
of the input, the begin states and every Parameter for a fixed head gradient; Parameters are set to
fixed random values (sorted by name). Cells: the same for ``unroll`` (NTC, merge_outputs, valid_length).
``lstm_bidir.params``: an MXNet ``save_parameters`` file of the ``lstm_2l_bidir`` layer. Floats are
float32 lists."""
import json
import os

import mxnet as mx
import numpy as np
from mxnet import autograd, nd
from mxnet.gluon import rnn

HERE = os.path.dirname(os.path.abspath(__file__))

# name, constructor, input shape (layout order), explicit states?
LAYERS = [
    ("lstm_1l", "rnn.LSTM(5, input_size=4)", (3, 2, 4), False),
    ("lstm_2l_bidir", "rnn.LSTM(4, num_layers=2, bidirectional=True)", (3, 2, 3), True),
    ("lstm_proj", "rnn.LSTM(5, num_layers=2, projection_size=3, input_size=4)", (3, 2, 4), True),
    ("lstm_ntc", "rnn.LSTM(4, layout='NTC')", (2, 3, 3), True),
    ("gru_2l_bidir", "rnn.GRU(4, num_layers=2, bidirectional=True)", (3, 2, 3), True),
    ("gru_ntc", "rnn.GRU(3, layout='NTC', input_size=2)", (2, 4, 2), False),
    ("rnn_relu", "rnn.RNN(4, num_layers=2)", (3, 2, 3), True),
    ("rnn_tanh_bidir", "rnn.RNN(3, activation='tanh', bidirectional=True, layout='NTC')", (2, 3, 2), True),
    ("lstm_dropout_repr", "rnn.LSTM(4, num_layers=3, dropout=0.5, input_size=2)", (3, 2, 2), False),
]

# name, constructor, length, input shape (NTC), merge_outputs, valid_length
CELLS = [
    ("lstmcell", "rnn.LSTMCell(4, input_size=3)", 3, (2, 3, 3), True, None),
    ("grucell_valid", "rnn.GRUCell(3)", 4, (3, 4, 2), True, [2, 4, 1]),
    ("rnncell_relu", "rnn.RNNCell(3, activation='relu')", 3, (2, 3, 2), False, None),
    ("bidir_lstm_valid", "rnn.BidirectionalCell(rnn.LSTMCell(3), rnn.LSTMCell(3))", 3, (2, 3, 2), True, [3, 2]),
    ("seq_residual", "_seq()", 3, (2, 3, 3), True, None),
    ("hseq_valid", "_hseq()", 3, (2, 3, 3), True, [1, 3]),
]


def _seq():
    s = rnn.SequentialRNNCell()
    with s.name_scope():
        s.add(rnn.LSTMCell(3, input_size=3))
        s.add(rnn.ResidualCell(rnn.GRUCell(3, input_size=3)))
    return s


def _hseq():
    s = rnn.HybridSequentialRNNCell()
    with s.name_scope():
        s.add(rnn.GRUCell(4))
        s.add(rnn.DropoutCell(0.0))
        s.add(rnn.RNNCell(3, activation='tanh'))
    return s


def f32(a):
    if hasattr(a, "asnumpy"):
        a = a.asnumpy()
    return np.asarray(a, np.float32).ravel().tolist()


def set_params(net, rs):
    for k in sorted(net.collect_params().keys()):
        p = net.collect_params()[k]
        p.set_data(nd.array(rs.uniform(-0.5, 0.5, p.shape)))


def layer_record(name, code, shape, explicit, seed):
    rs = np.random.RandomState(seed)
    with mx.name.NameManager():
        net = eval(code)
        rec = {"code": code, "shape": list(shape), "explicit_states": explicit, "repr_before": repr(net),
               "prefix": net.prefix}
        net.initialize()
        x = nd.array(rs.uniform(-1, 1, shape))
        net(x)                      # finish deferred init
        set_params(net, rs)
        rec["repr_after"] = repr(net)
        rec["params"] = [[k, list(p.shape)] for k, p in net.collect_params().items()]
        rec["save_keys"] = sorted(net._collect_params_with_prefix().keys())
        rec["x"] = f32(x)
        rec["param_values"] = {k: f32(p.data()) for k, p in net.collect_params().items()}
        N = shape[net._layout.find('N')]
        states = [nd.array(rs.uniform(-1, 1, s.shape)) for s in net.begin_state(N)] if explicit else None
        if explicit:
            rec["states"] = [[list(s.shape), f32(s)] for s in states]
            for s in states:
                s.attach_grad()
        if "projection" in code:    # MXNet 1.9.1: 'No training support for LSTM with projection on CPU'
            out = net(x, states) if explicit else net(x)
            outs = [out[0]] + list(out[1]) if explicit else [out]
            rec["outs"] = [[list(o.shape), f32(o)] for o in outs]
            return rec
        x.attach_grad()
        with autograd.record():
            out = net(x, states) if explicit else net(x)
            outs = [out[0]] + list(out[1]) if explicit else [out]
            heads = [nd.array(rs.uniform(-1, 1, o.shape)) for o in outs]
            loss = sum((o * h).sum() for o, h in zip(outs, heads))
        loss.backward()
        rec["outs"] = [[list(o.shape), f32(o)] for o in outs]
        rec["heads"] = [f32(h) for h in heads]
        rec["grad_x"] = f32(x.grad)
        if explicit:
            rec["grad_states"] = [f32(s.grad) for s in states]
        rec["grads"] = {k: f32(p.grad()) for k, p in net.collect_params().items()}
        if name == "lstm_2l_bidir":
            net.save_parameters(os.path.join(HERE, "lstm_bidir.params"))
    return rec


def cell_record(name, code, length, shape, merge, valid, seed):
    rs = np.random.RandomState(seed)
    with mx.name.NameManager():
        cell = eval(code)
        rec = {"code": code, "length": length, "shape": list(shape), "merge_outputs": merge, "valid_length": valid,
               "repr_before": repr(cell), "prefix": cell.prefix}
        cell.initialize()
        x = nd.array(rs.uniform(-1, 1, shape))
        vl = nd.array(valid) if valid is not None else None
        cell.unroll(length, x, layout='NTC', merge_outputs=merge, valid_length=vl)
        set_params(cell, rs)
        rec["repr_after"] = repr(cell)
        rec["params"] = [[k, list(p.shape)] for k, p in cell.collect_params().items()]
        rec["x"] = f32(x)
        x.attach_grad()
        with autograd.record():
            out, states = cell.unroll(length, x, layout='NTC', merge_outputs=merge, valid_length=vl)
            outs = ([out] if merge else list(out)) + list(states)
            heads = [nd.array(rs.uniform(-1, 1, o.shape)) for o in outs]
            loss = sum((o * h).sum() for o, h in zip(outs, heads))
        loss.backward()
        rec["outs"] = [[list(o.shape), f32(o)] for o in outs]
        rec["heads"] = [f32(h) for h in heads]
        rec["grad_x"] = f32(x.grad)
        rec["grads"] = {k: f32(p.grad()) for k, p in cell.collect_params().items()}
        rec["param_values"] = {k: f32(p.data()) for k, p in cell.collect_params().items()}
    return rec


def main():
    out = {"layers": {}, "cells": {}, "mxnet": mx.__version__}
    for i, (name, code, shape, explicit) in enumerate(LAYERS):
        out["layers"][name] = layer_record(name, code, shape, explicit, 100 + i)
    for i, (name, code, length, shape, merge, valid) in enumerate(CELLS):
        out["cells"][name] = cell_record(name, code, length, shape, merge, valid, 200 + i)
    with open(os.path.join(HERE, "rnn_goldens.json"), "w") as f:
        json.dump(out, f, indent=0, sort_keys=True)


if __name__ == "__main__":
    main()
