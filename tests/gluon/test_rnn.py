"""gluon.rnn layers and cells against MXNet 1.9.1 goldens (tests/golden/rnn/make_rnn_goldens.py):
reprs, prefixes, Parameter names and shapes, save_parameters keys, outputs / final states and gradients
(eager and hybridized), an MXNet-written .params file; check_hybrid_consistency; sequence_length,
dropout, bad states."""
import json
import os

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, gluon, nd
from hybridnet.gluon import rnn  # noqa: F401  (eval'd constructors)
from hybridnet.testing.gluon import check_hybrid_consistency
from hybridnet.testing.op_cases.rnn import rnn_reference

HERE = os.path.join(os.path.dirname(__file__), "..", "golden", "rnn")
with open(os.path.join(HERE, "rnn_goldens.json")) as _f:
    G = json.load(_f)


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


def _arr(vals, shape):
    return nd.array(np.asarray(vals, np.float32).reshape(shape))


def _set(net, rec):
    for k, p in net.collect_params().items():
        p.set_data(_arr(rec["param_values"][k], p.shape))


@pytest.mark.parametrize("hybridize", [False, True])
@pytest.mark.parametrize("name", sorted(G["layers"]))
def test_layer_golden(name, hybridize):
    rec = G["layers"][name]
    with mx.name.NameManager():
        net = eval(rec["code"])
    assert repr(net) == rec["repr_before"]
    assert net.prefix == rec["prefix"]
    net.initialize()
    if hybridize:
        net.hybridize()
    x = _arr(rec["x"], rec["shape"])
    net(x)
    _set(net, rec)
    assert repr(net) == rec["repr_after"]
    assert [[k, list(p.shape)] for k, p in net.collect_params().items()] == rec["params"]
    assert sorted(net._collect_params_with_prefix().keys()) == rec["save_keys"]
    states = [_arr(v, s) for s, v in rec["states"]] if rec["explicit_states"] else None
    if "dropout" in rec["code"]:
        return      # MXNet 1.9.1's CPU kernel applies no dropout in training (hybridnet does, as cuDNN)
    if "heads" not in rec:                       # forward only (MXNet cannot train it on CPU)
        out = net(x, states) if states else net(x)
        outs = [out[0]] + list(out[1]) if states else [out]
        for o, (shape, vals) in zip(outs, rec["outs"]):
            np.testing.assert_allclose(o.asnumpy(), np.reshape(vals, shape), rtol=1e-5, atol=1e-6)
        return
    x.attach_grad()
    for s in states or []:
        s.attach_grad()
    with autograd.record():
        out = net(x, states) if states else net(x)
        outs = [out[0]] + list(out[1]) if states else [out]
        loss = sum((o * _arr(h, o.shape)).sum() for o, h in zip(outs, rec["heads"]))
    loss.backward()
    for o, (shape, vals) in zip(outs, rec["outs"]):
        np.testing.assert_allclose(o.asnumpy(), np.reshape(vals, shape), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy().ravel(), rec["grad_x"], rtol=1e-4, atol=1e-5)
    for s, g in zip(states or [], rec.get("grad_states", [])):
        np.testing.assert_allclose(s.grad.asnumpy().ravel(), g, rtol=1e-4, atol=1e-5)
    for k, p in net.collect_params().items():
        np.testing.assert_allclose(p.grad().asnumpy().ravel(), rec["grads"][k], rtol=1e-4, atol=1e-5, err_msg=k)


@pytest.mark.parametrize("hybridize", [False, True])
@pytest.mark.parametrize("name", sorted(G["cells"]))
def test_cell_golden(name, hybridize):
    rec = G["cells"][name]
    with mx.name.NameManager():
        cell = eval(rec["code"])
    assert repr(cell) == rec["repr_before"]
    assert cell.prefix == rec["prefix"]
    cell.initialize()
    if hybridize:
        cell.hybridize()
    x = _arr(rec["x"], rec["shape"])
    vl = nd.array(rec["valid_length"]) if rec["valid_length"] is not None else None
    cell.unroll(rec["length"], x, layout="NTC", merge_outputs=rec["merge_outputs"], valid_length=vl)
    _set(cell, rec)
    assert repr(cell) == rec["repr_after"]
    assert [[k, list(p.shape)] for k, p in cell.collect_params().items()] == rec["params"]
    x.attach_grad()
    with autograd.record():
        out, states = cell.unroll(rec["length"], x, layout="NTC", merge_outputs=rec["merge_outputs"],
                                  valid_length=vl)
        outs = ([out] if rec["merge_outputs"] else list(out)) + list(states)
        loss = sum((o * _arr(h, o.shape)).sum() for o, h in zip(outs, rec["heads"]))
    loss.backward()
    for o, (shape, vals) in zip(outs, rec["outs"]):
        np.testing.assert_allclose(o.asnumpy(), np.reshape(vals, shape), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy().ravel(), rec["grad_x"], rtol=1e-4, atol=1e-5)
    for k, p in cell.collect_params().items():
        np.testing.assert_allclose(p.grad().asnumpy().ravel(), rec["grads"][k], rtol=1e-4, atol=1e-5, err_msg=k)


def test_mxnet_params_file_loads():
    rec = G["layers"]["lstm_2l_bidir"]
    net = rnn.LSTM(4, num_layers=2, bidirectional=True)
    net.load_parameters(os.path.join(HERE, "lstm_bidir.params"))
    states = [_arr(v, s) for s, v in rec["states"]]
    out, (h, c) = net(_arr(rec["x"], rec["shape"]), states)
    for o, (shape, vals) in zip([out, h, c], rec["outs"]):
        np.testing.assert_allclose(o.asnumpy(), np.reshape(vals, shape), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("code", ["rnn.LSTM(6, num_layers=2, bidirectional=True)", "rnn.GRU(5, layout='NTC')",
                                  "rnn.RNN(4, activation='tanh', num_layers=2)", "rnn.LSTM(6, projection_size=3)",
                                  "rnn.LSTM(4, state_clip_min=-0.2, state_clip_max=0.2, state_clip_nan=True)"])
def test_hybrid_consistency(code):
    net = eval(code)
    net.initialize(mx.init.Uniform(0.5))
    x = nd.random.uniform(-1, 1, shape=(4, 3, 5))
    check_hybrid_consistency(net, x)


def test_sequence_length_matches_reference():
    net = rnn.LSTM(3, bidirectional=True, input_size=2, use_sequence_length=True)
    net.initialize(mx.init.Uniform(0.5))
    x = nd.random.uniform(-1, 1, shape=(4, 3, 2))
    lens = nd.array([4, 2, 1])
    states = net.begin_state(3)
    out, (h, c) = net(x, states, lens)
    params = nd.concat(*[getattr(net, f"{d}0_{g}_{t}").data().reshape(-1) for t in ("weight", "bias")
                         for d in "lr" for g in ("i2h", "h2h")], dim=0)
    ref = rnn_reference(x.asnumpy(), params.asnumpy(), states[0].asnumpy(), states[1].asnumpy(), lens.asnumpy(),
                        state_size=3, num_layers=1, mode="lstm", bidirectional=True, state_outputs=True,
                        use_sequence_length=True)
    for o, r in zip((out, h, c), ref):
        np.testing.assert_allclose(o.asnumpy(), r, rtol=1e-5, atol=1e-6)
    assert np.all(out.asnumpy()[2:, 1] == 0) and np.all(out.asnumpy()[1:, 2] == 0)


def test_dropout_between_layers_in_training_only():
    net = rnn.GRU(8, num_layers=2, dropout=0.5, input_size=4)
    net.initialize(mx.init.Uniform(0.5))
    x = nd.random.uniform(-1, 1, shape=(3, 2, 4))
    a, b = net(x).asnumpy(), net(x).asnumpy()
    np.testing.assert_array_equal(a, b)                   # predict mode: no dropout
    with autograd.record():
        c = net(x)
    c.backward()
    assert not np.allclose(a, c.asnumpy())
    net.hybridize()
    with autograd.record():
        d1 = net(x).asnumpy()
        d2 = net(x).asnumpy()
    assert not np.allclose(d1, d2)                        # fresh masks on every hybridized call


def test_bad_state_shape_names_layer():
    net = rnn.LSTM(4, input_size=3)
    net.initialize()
    with pytest.raises(ValueError, match=r"Invalid recurrent state shape. Expecting \(1, 2, 4\), got \(1, 3, 4\)"):
        net(nd.ones((5, 2, 3)), [nd.zeros((1, 3, 4)), nd.zeros((1, 2, 4))])
    net.hybridize()
    with pytest.raises(mx.HybridNetError, match="state must have shape"):
        net(nd.ones((5, 2, 3)), [nd.zeros((1, 3, 4)), nd.zeros((1, 2, 4))])


def test_second_order_raises():
    net = rnn.GRU(3, input_size=2)
    net.initialize()
    x = nd.ones((2, 1, 2))
    x.attach_grad()
    with autograd.record():
        y = net(x).sum()
        (g,) = autograd.grad(y, [x], create_graph=True)
        z = g.sum()
    with pytest.raises(mx.errors.AutogradError, match="second-order gradients through RNN"):
        z.backward()


def test_begin_state_and_state_info():
    net = rnn.LSTM(5, num_layers=2, bidirectional=True, projection_size=3)
    st = net.begin_state(7)
    assert [s.shape for s in st] == [(4, 7, 3), (4, 7, 5)]
    st = net.begin_state(2, func=nd.ones)
    assert float(st[0].asnumpy().min()) == 1.0
    cell = rnn.LSTMCell(4)
    assert [s.shape for s in cell.begin_state(3)] == [(3, 4), (3, 4)]
