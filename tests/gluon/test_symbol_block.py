"""SymbolBlock: feature extraction from get_internals with shared Parameters, several outputs,
hybridized and under autograd; export of a block with a tuple output records the structure (P7)."""
import json

import numpy as np

import hybridnet as mx
from hybridnet import autograd, gluon, nd, sym
from hybridnet.gluon import nn


def _net():
    with mx.name.NameManager():
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Dense(4, activation="relu", in_units=3), nn.Dense(2, in_units=4))
    net.initialize()
    return net


def test_feature_extractor_shares_parameters():
    net = _net()
    x = nd.array(np.random.RandomState(0).rand(5, 3).astype(np.float32))
    data = sym.var("data")
    internals = net(data).get_internals()
    assert "hybridsequential0_dense0_relu_fwd_output" in internals.list_outputs()
    feat = internals["hybridsequential0_dense0_relu_fwd_output"]
    fe = gluon.SymbolBlock(feat, data, params=net.collect_params())
    want = nd.relu(nd.FullyConnected(x, net[0].weight.data(), net[0].bias.data(), num_hidden=4)).asnumpy()
    np.testing.assert_array_equal(fe(x).asnumpy(), want)
    assert fe.collect_params()["hybridsequential0_dense0_weight"] is net[0].weight
    with autograd.record():
        loss = fe(x).sum()
    loss.backward()
    assert np.abs(net[0].weight.grad().asnumpy()).sum() > 0


def test_several_outputs_eager_and_hybridized():
    net = _net()
    x = nd.array(np.random.RandomState(1).rand(5, 3).astype(np.float32))
    data = sym.var("data")
    out = net(data)
    feat = out.get_internals()["hybridsequential0_dense0_relu_fwd_output"]
    two = gluon.SymbolBlock([feat, out], data, params=net.collect_params())
    a, b = two(x)
    np.testing.assert_array_equal(b.asnumpy(), net(x).asnumpy())
    two.hybridize()
    a2, b2 = two(x)
    np.testing.assert_array_equal(a2.asnumpy(), a.asnumpy())
    np.testing.assert_array_equal(b2.asnumpy(), b.asnumpy())


def test_export_records_inputs_and_output_structure(tmp_path):
    class TwoHeads(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.a = nn.Dense(2, in_units=3)
                self.b = nn.Dense(3, in_units=3)

        def hybrid_forward(self, F, x, y):
            return self.a(x), [self.b(y), x + y]
    with mx.name.NameManager():
        m = TwoHeads()
    m.initialize()
    m.hybridize()
    x, y = nd.ones((2, 3)), nd.ones((2, 3)) * 2
    outs = m(x, y)
    sym_file, params_file = m.export(str(tmp_path / "two"))
    d = json.load(open(sym_file))
    assert json.loads(d["attrs"]["hybridnet_input_names"][1]) == ["data0", "data1"]
    assert json.loads(d["attrs"]["hybridnet_output_format"][1]) == ["tuple", [0, ["list", [0, 0]]]]
    sb = gluon.SymbolBlock.imports(sym_file, ["data0", "data1"], params_file)
    got = sb(x, y)
    for g, w in zip(got, [outs[0], outs[1][0], outs[1][1]]):
        np.testing.assert_allclose(g.asnumpy(), w.asnumpy(), rtol=1e-6)
