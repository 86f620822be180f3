"""The hybridize contract (DESIGN.md §5, gluon-semantics.md §2.8–2.10) and the MXNet pain points it
fixes: cache hits run no Python, per-mode graphs (P3), real shapes (P1/P2), re-trace only when a dim
was read, block paths in errors (P8), strict keywords (P13), eager children inside a hybridized parent,
both forward styles, deferred init, Symbol calls."""
import json
import os
import warnings

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, gluon, nd, sym
from hybridnet.errors import ConcretizationError, HybridNetError
from hybridnet.gluon import nn

GOLD = json.load(open(os.path.join(os.path.dirname(__file__), "..", "golden", "gluon", "gluon_goldens.json")))


class Counting(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.calls = 0
        with self.name_scope():
            self.dense = nn.Dense(3, in_units=4)

    def hybrid_forward(self, F, x):
        self.calls += 1
        return F.relu(self.dense(x))


def test_cache_hit_runs_no_python():
    net = Counting()
    net.initialize()
    net.hybridize()
    x = nd.ones((2, 4))
    for _ in range(5):
        net(x)
    assert net.calls == 1 and net._trace_count == 1
    with autograd.record():          # recording is part of the key: one more trace, then hits
        for _ in range(3):
            net(x)
    assert net.calls == 2
    for bs in (1, 7, 9):             # a new batch size re-infers shapes: no Python re-run
        assert net(nd.ones((bs, 4))).shape == (bs, 3)
    assert net.calls == 2


class ShapeReader(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.calls = 0

    def hybrid_forward(self, F, x):
        self.calls += 1
        return x / x.shape[0]         # reads a concrete dim: the cache keys on it (P1, P2)


def test_shape_read_retraces_per_shape():
    b = ShapeReader()
    b.hybridize()
    assert b(nd.ones((2, 3))).asnumpy()[0, 0] == 0.5     # MXNet hybridized: len(x)==1 -> 1.0 (silent)
    assert b(nd.ones((4, 3))).asnumpy()[0, 0] == 0.25
    assert b(nd.ones((2, 3))).asnumpy()[0, 0] == 0.5
    assert b.calls == 2


def test_len_and_indexing_are_real():
    class B(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return x[0] * len(x)
    b = B()
    x = nd.array([[1, 2], [3, 4]])
    eager = b(x).asnumpy()
    b.hybridize()
    np.testing.assert_array_equal(b(x).asnumpy(), eager)
    assert eager.tolist() == [2.0, 4.0]
    facts = GOLD["hybridize_facts"]["len_x"]
    assert facts  # MXNet: 0.5 eager vs 1.0 hybridized; hybridnet gives the eager value in both


class Branchy(gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        if autograd.is_training():
            return x * 2
        return x * 3


def test_is_training_branch_per_mode_p3():
    b = Branchy()
    b.hybridize()
    x = nd.ones((2,))
    assert b(x).asnumpy().tolist() == [3.0, 3.0]
    with autograd.record():
        assert b(x).asnumpy().tolist() == [2.0, 2.0]
    with autograd.train_mode():
        assert b(x).asnumpy().tolist() == [2.0, 2.0]
    assert b(x).asnumpy().tolist() == [3.0, 3.0]      # MXNet 1.9.1 froze the first branch (#16926)


def test_value_dependent_branch_names_block_path_and_line():
    class Bad(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            if x.sum() > 0:
                return x
            return -x

    class Outer(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.features = nn.HybridSequential()
                self.features.add(nn.Dense(2, in_units=2), Bad())

        def hybrid_forward(self, F, x):
            return self.features(x)
    net = Outer()
    net.initialize()
    assert net(nd.ones((1, 2))).shape == (1, 2)        # eager works
    net.hybridize()
    with pytest.raises(ConcretizationError) as e:
        net(nd.ones((1, 2)))
    msg = str(e.value)
    assert "features.1" in msg and "Bad" in msg and "if x.sum() > 0" in msg
    assert "hybridize(active=False)" in msg


def test_shape_error_names_block_path():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(4, in_units=3), nn.Dense(2, in_units=5))
    net.initialize()
    net.hybridize()
    with pytest.raises(HybridNetError) as e:
        net(nd.ones((2, 3)))
    msg = str(e.value)
    assert "FullyConnected" in msg and "block path '1'" in msg and "[2,5]" in msg and "(2,4)" in msg
    assert net[1].name in msg and "fix:" in msg
    net.hybridize(active=False)
    with pytest.raises(HybridNetError, match=net[1].name):
        net(nd.ones((2, 3)))


def test_inactive_child_stays_eager_inside_hybridized_parent():
    class NumpyChild(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            if x.asnumpy().sum() > 0:           # value-dependent: not traceable
                return x * 2
            return x * 3

    net = nn.HybridSequential()
    net.add(nn.Dense(3, in_units=3), NumpyChild(), nn.Activation("relu"))
    net.initialize()
    want = net(nd.ones((2, 3))).asnumpy()
    net.hybridize()
    net[1].hybridize(active=False)
    np.testing.assert_allclose(net(nd.ones((2, 3))).asnumpy(), want, rtol=1e-6)
    with autograd.record():
        y = net(nd.ones((2, 3)))
    y.backward()      # gradients flow through the eager segments and the compiled children


def test_unknown_hybridize_keyword_raises_p13():
    net = nn.Dense(2)
    with pytest.raises(TypeError, match="static_alloc"):
        net.hybridize(statc_alloc=True)
    net.hybridize(static_alloc=True, static_shape=True)


def test_rehybridize_cast_and_new_child_clear_cache():
    net = Counting()
    net.initialize()
    net.hybridize()
    x = nd.ones((2, 4))
    net(x)
    net.hybridize()
    net(x)
    assert net.calls == 2
    net.cast("float64")
    assert net(x.astype("float64")).dtype == np.float64
    assert net.calls == 3
    net.extra = nn.Dense(1)        # assigning a child clears the cache
    net(x.astype("float64"))
    assert net.calls == 4


def test_argument_structure_and_scalars_in_key():
    class Two(gluon.HybridBlock):
        def hybrid_forward(self, F, x, y=None, scale=1.0):
            out = x * scale
            return out if y is None else out + y
    b = Two()
    b.hybridize()
    x = nd.ones((2,))
    assert b(x).asnumpy().tolist() == [1.0, 1.0]
    assert b(x, x).asnumpy().tolist() == [2.0, 2.0]
    assert b(x, None, 3.0).asnumpy().tolist() == [3.0, 3.0]
    assert b(x, None, 5.0).asnumpy().tolist() == [5.0, 5.0]
    assert b._trace_count == 4


def test_multi_context_input_error():
    b = Branchy()
    b.hybridize()

    class Two(gluon.HybridBlock):
        def hybrid_forward(self, F, x, y):
            return x + y
    t = Two()
    t.hybridize()
    with pytest.raises(ValueError, match="as_in_context"):
        t(nd.ones((2,), ctx=mx.cpu(0)), nd.ones((2,), ctx=mx.cpu(1)))


def test_compiled_call_is_one_tape_node_and_grads_match():
    net = Counting()
    net.initialize()
    x = nd.array(np.random.RandomState(0).randn(3, 4).astype(np.float32))
    with autograd.record():
        y = (net(x) ** 2).sum()
    y.backward()
    g_eager = net.dense.weight.grad().asnumpy().copy()
    net.hybridize()
    with autograd.record():
        out = net(x)
        y = (out ** 2).sum()
    node = out._entry[0]
    assert node.backward_fn is not None          # the whole block is one recorded node
    y.backward()
    np.testing.assert_allclose(net.dense.weight.grad().asnumpy(), g_eager, rtol=1e-5, atol=1e-6)


class V2Block(gluon.HybridBlock):
    """2.0 style: Parameters as attributes, forward(x) reading .data()."""

    def __init__(self, units):
        super().__init__()
        self.weight = gluon.Parameter("weight", shape=(units, -1), allow_deferred_init=True)
        self.bias = gluon.Parameter("bias", shape=(units,), init="zeros")
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return nd.FullyConnected(x, self.weight.data(), self.bias.data(), num_hidden=self.weight.shape[0])


def test_forward_style_2_0_deferred_and_hybridized():
    b = V2Block(3)
    b.initialize()
    x = nd.ones((2, 5))
    y = b(x)
    assert b.weight.shape == (3, 5) and y.shape == (2, 3)
    assert list(b._collect_params_with_prefix()) == ["weight", "bias"]
    w = b.weight.data().asnumpy()
    np.testing.assert_allclose(y.asnumpy(), x.asnumpy() @ w.T, rtol=1e-6)
    from hybridnet.testing.gluon import check_hybrid_consistency
    check_hybrid_consistency(b, x)


def test_forward_style_2_0_hybridized_first_call_defers():
    b = V2Block(4)
    b.initialize()
    b.hybridize()
    assert b(nd.ones((3, 6))).shape == (3, 4)
    assert b.weight.shape == (4, 6)


def test_deferred_init_inference_failure_names_layer():
    class NoInfer(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.w = self.params.get("w", shape=(0,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, w):
            return F.broadcast_mul(x, w)
    b = NoInfer()
    b.initialize()
    with pytest.raises(gluon.DeferredInferenceError) as e:
        b(nd.ones((2, 3)))
    assert "noinfer0_w" in str(e.value) and "broadcast_mul" in str(e.value)


def test_symbol_call_returns_symbol_1x():
    with mx.name.NameManager():
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Dense(4, activation="relu"), nn.Dense(2))
    out = net(sym.var("data"))
    assert isinstance(out, sym.Symbol)
    assert out.list_arguments() == ["data", "hybridsequential0_dense0_weight", "hybridsequential0_dense0_bias",
                                    "hybridsequential0_dense1_weight", "hybridsequential0_dense1_bias"]
    assert out.name == "hybridsequential0_dense1_fwd"


def test_train_eval_helpers():
    d = nn.Dropout(0.5)
    d.hybridize()
    x = nd.ones((20, 20))
    d.train()
    assert set(np.unique(d(x).asnumpy())) == {0.0, 2.0}
    d.eval()
    with autograd.record():
        assert set(np.unique(d(x).asnumpy())) == {1.0}
    d.train(None)
    assert set(np.unique(d(x).asnumpy())) == {1.0}


def test_hooks_and_apply_order():
    net = nn.HybridSequential()
    net.add(nn.Dense(2, in_units=2), nn.Dense(2, in_units=2))
    net.initialize()
    seen = []
    h = net[0].register_forward_hook(lambda b, i, o: seen.append(o.shape))
    pre = net.register_forward_pre_hook(lambda b, i: seen.append("pre"))
    net(nd.ones((3, 2)))
    assert seen == ["pre", (3, 2)]
    h.detach()
    pre.detach()
    net(nd.ones((3, 2)))
    assert len(seen) == 2
    order = []
    net.apply(lambda b: order.append(type(b).__name__))
    assert order == ["Dense", "Dense", "HybridSequential"]
    with pytest.warns(UserWarning, match="forward hook"):
        net[0].register_forward_hook(lambda *a: None)
        net.hybridize()


def test_unregistered_container_warning():
    class Holder(gluon.Block):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Dense(2)]

        def forward(self, x):
            return x
    with pytest.warns(UserWarning, match="unregistered container"):
        Holder().collect_params()


def test_share_parameters_and_2_0_methods(tmp_path):
    a = nn.Dense(3, in_units=2)
    b = nn.Dense(3, in_units=2)
    a.initialize()
    b.share_parameters(a.collect_params())
    assert b.weight is a.weight
    x = nd.ones((1, 2))
    np.testing.assert_array_equal(a(x).asnumpy(), b(x).asnumpy())
    a.setattr("grad_req", "null")
    assert a.weight.grad_req == "null"
    a.setattr("grad_req", "write")
    with autograd.record():
        y = a(x).sum()
    y.backward()
    a.zero_grad()
    assert a.weight.grad().asnumpy().sum() == 0
    a.reset_device(mx.cpu(1))
    assert a.weight.list_ctx() == [mx.cpu(1)]
    c = nn.Dense(3, in_units=2)
    c.load_dict({"weight": nd.ones((3, 2)), "bias": nd.zeros((3,))})
    assert c.weight.data().asnumpy().sum() == 6


def test_multi_context_replicas():
    net = nn.Dense(2, in_units=3)
    net.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    assert net.weight.list_ctx() == [mx.cpu(0), mx.cpu(1)]
    xs = gluon.utils.split_and_load(nd.ones((4, 3)), [mx.cpu(0), mx.cpu(1)])
    net.hybridize()
    outs = [net(x) for x in xs]
    assert [o.context for o in outs] == [mx.cpu(0), mx.cpu(1)]
    np.testing.assert_array_equal(outs[0].asnumpy(), outs[1].asnumpy())


def test_parameter_basics_and_errors():
    p = gluon.Parameter("w", shape=(2, 3))
    with pytest.raises(RuntimeError, match="has not been initialized"):
        p.data()
    p.initialize(init=mx.init.One())
    assert p.data().asnumpy().sum() == 6 and p.grad().asnumpy().sum() == 0
    with pytest.warns(UserWarning, match="already initialized"):
        p.initialize()
    with pytest.raises(AssertionError, match="incompatible"):
        p.set_data(nd.ones((3, 3)))
    p.grad_req = "null"
    with pytest.raises(RuntimeError, match="grad_req='null'"):
        p.grad()
    with pytest.raises(ValueError, match="invalid shape"):
        gluon.Parameter("v", shape=(2, 0)).initialize()
    c = gluon.Constant("c", [1, 2])
    assert c.grad_req == "null"
    pd = gluon.ParameterDict("pre_")
    w = pd.get("w", shape=(2,))
    assert pd.get("w") is w and "pre_w" in pd and len(pd) == 1
    with pytest.raises(AssertionError, match="desired attribute does not match"):
        pd.get("w", shape=(3,))
