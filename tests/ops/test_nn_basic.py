"""ops/nn_basic.py beyond the op templates: train/predict mode (read when the kernel runs, eagerly, in
compiled graphs and in the Symbol executor), fresh random masks per call, seeding, Dropout's hidden mask
output, rrelu's random slopes and gradient, Activation fusing, weight-shape inference, JSON attrs."""
import json

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, graph, nd
from hybridnet.graph.passes import fuse_elementwise


def _devices():
    return [mx.cpu()] + ([mx.gpu(0)] if mx.num_gpus() else [])


# ---- Dropout --------------------------------------------------------------------------------------

@pytest.mark.parametrize("ctx", _devices(), ids=str)
def test_dropout_only_in_training(ctx):
    x = nd.ones((40, 50), ctx=ctx)
    np.testing.assert_array_equal(nd.Dropout(x, p=0.5).asnumpy(), 1.0)        # predict: identity
    with autograd.predict_mode():
        np.testing.assert_array_equal(nd.Dropout(x, p=0.5).asnumpy(), 1.0)
    for scope in (autograd.train_mode, autograd.record):
        with scope():
            y = nd.Dropout(x, p=0.5).asnumpy()
        assert set(np.unique(y).tolist()) == {0.0, 2.0}
        assert 0.4 < (y == 0).mean() < 0.6
    with autograd.record(train_mode=False):
        np.testing.assert_array_equal(nd.Dropout(x, p=0.5).asnumpy(), 1.0)
    y = nd.Dropout(x, p=0.25, mode="always").asnumpy()                     # 'always': also predicting
    assert set(np.unique(y).tolist()) == {0.0, np.float32(1 / np.float32(0.75))}


def test_dropout_fresh_mask_each_call_and_seeded():
    x = nd.ones((64, 64))
    with autograd.train_mode():
        a, b = nd.Dropout(x).asnumpy(), nd.Dropout(x).asnumpy()
        assert not np.array_equal(a, b)
        mx.random.seed(42)
        c = nd.Dropout(x).asnumpy()
        mx.random.seed(42)
        d = nd.Dropout(x).asnumpy()
    np.testing.assert_array_equal(c, d)


def test_dropout_in_compiled_graph_reads_mode_per_call_and_draws_fresh_masks():
    f = graph.compile(lambda x: nd.Dropout(x * 1.0, p=0.5))
    x = nd.ones((64, 64))
    with autograd.train_mode():
        a, b = f(x).asnumpy(), f(x).asnumpy()
    assert set(np.unique(a).tolist()) == {0.0, 2.0} and not np.array_equal(a, b)
    np.testing.assert_array_equal(f(x).asnumpy(), 1.0)           # predict mode: identity
    assert f.trace_count == 2                                    # one trace per mode, no re-trace per call
    with autograd.train_mode():
        mx.random.seed(3)
        c = f(x).asnumpy()
    mx.random.seed(3)
    with autograd.train_mode():
        d = nd.Dropout(x, p=0.5).asnumpy()
    np.testing.assert_array_equal(c, d)                          # compiled draws == eager draws


def test_dropout_is_never_folded_or_deduplicated():
    c = nd.ones((32, 32))
    f = graph.compile(lambda x: nd.Dropout(c, mode="always") + nd.Dropout(c, mode="always") + x)
    a = f(nd.zeros((32, 32))).asnumpy()
    b = f(nd.zeros((32, 32))).asnumpy()
    assert not np.array_equal(a, b)                              # not constant-folded
    assert set(np.unique(a).tolist()) <= {0.0, 2.0, 4.0} and (a == 2.0).any()   # two different masks


@pytest.mark.parametrize("compiled", [False, True])
def test_dropout_gradient_is_the_mask(compiled):
    x = nd.array(np.random.default_rng(0).uniform(0.5, 2.0, (20, 30)))
    x[0, :5] = 0.0                                              # kept zeros still pass the gradient
    fn = lambda t: nd.Dropout(t, p=0.4)                         # noqa: E731
    if compiled:
        fn = graph.compile(fn)
    x.attach_grad()
    mx.random.seed(11)
    with autograd.record():
        y = fn(x)
    y.backward(nd.ones_like(y) * 3)
    mx.random.seed(11)
    with autograd.train_mode():
        m = nd.Dropout(nd.ones((20, 30)), p=0.4).asnumpy()        # the same draws: the scaled mask
    np.testing.assert_allclose(x.grad.asnumpy(), 3 * m, rtol=1e-6)
    np.testing.assert_allclose(y.asnumpy(), x.asnumpy() * m, rtol=1e-6)


def test_dropout_axes_share_the_mask():
    with autograd.train_mode():
        y = nd.Dropout(nd.ones((6, 50, 4)), p=0.5, axes=(0, 2)).asnumpy()
    assert (y == y[:1, :, :1]).all() and set(np.unique(y).tolist()) == {0.0, 2.0}


def test_dropout_p1_is_nan_as_mxnet_and_p0_identity():
    with autograd.train_mode():
        assert np.isnan(nd.Dropout(nd.ones((3,)), p=1.0).asnumpy()).all()
        np.testing.assert_array_equal(nd.Dropout(nd.ones((3,)), p=0.0).asnumpy(), 1.0)


def test_dropout_one_visible_output_everywhere():
    x = nd.ones((2, 3))
    assert isinstance(nd.Dropout(x), nd.NDArray)
    s = mx.sym.Dropout(mx.sym.var("x"), p=0.3, axes=(1,), name="drop")
    assert s.list_outputs() == ["drop_output"] and len(s) == 1
    assert s.get_internals().list_outputs() == ["x", "drop_output"]
    j = json.loads(s.tojson())
    assert j["node_row_ptr"] == [0, 1, 3]                       # 2 outputs, as MXNet writes
    assert j["nodes"][1]["attrs"] == {"axes": "(1,)", "p": "0.3"}
    ex = s.simple_bind(mx.cpu(), x=(40, 50), grad_req="null")
    np.testing.assert_array_equal(ex.forward(is_train=False, x=nd.ones((40, 50)))[0].asnumpy(), 1.0)
    out = ex.forward(is_train=True, x=nd.ones((40, 50)))[0].asnumpy()
    assert (out == 0).any() and (out == out[:, :1]).all()        # mode read at run time; mask shared on axis 1


# ---- LeakyReLU rrelu ------------------------------------------------------------------------------

def test_rrelu_random_slopes_in_training_and_gradient():
    x = nd.array(-np.ones((30, 40)))
    x.attach_grad()
    with autograd.record():
        y, mask = nd.LeakyReLU(x, act_type="rrelu", lower_bound=0.1, upper_bound=0.3)
    m = mask.asnumpy()
    assert (m >= 0.1).all() and (m < 0.3).all() and m.std() > 0.03
    np.testing.assert_allclose(y.asnumpy(), -m, rtol=1e-6)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), m, rtol=1e-6)
    y2, m2 = nd.LeakyReLU(x, act_type="rrelu", lower_bound=0.1, upper_bound=0.3)   # predict: mean slope
    np.testing.assert_allclose(m2.asnumpy(), 0.2, rtol=1e-6)
    np.testing.assert_allclose(y2.asnumpy(), -0.2, rtol=1e-6)


def test_rrelu_in_compiled_graph_follows_mode():
    f = graph.compile(lambda x: nd.LeakyReLU(x, act_type="rrelu")[0])
    x = nd.array(-np.ones((10, 10)))
    np.testing.assert_allclose(f(x).asnumpy(), -(0.125 + 0.334) / 2, rtol=1e-6)
    with autograd.train_mode():
        a, b = f(x).asnumpy(), f(x).asnumpy()
    assert not np.array_equal(a, b) and (a <= -0.125).all() and (a > -0.334).all()


# ---- Activation, shapes, JSON ---------------------------------------------------------------------

@pytest.mark.parametrize("act", ["relu", "sigmoid", "tanh", "softrelu", "softsign"])
def test_activation_fuses_and_matches_eager(act):
    x = nd.array(np.random.default_rng(1).uniform(-3, 3, (7, 9)))
    fn = lambda t: nd.Activation(t * 2.0, act_type=act) + 1.0   # noqa: E731
    g = fuse_elementwise.run(graph.trace(fn, x).graph)
    assert len(g.nodes) == 1 and getattr(g.nodes[0].op, "fusion", None) is not None
    np.testing.assert_array_equal(graph.compile(fn)(x).asnumpy(), fn(x).asnumpy())


def test_activation_attr_behaves_as_its_name():
    from hybridnet.ops.bind import normalize_attrs
    op = mx.ops.get_op("Activation")
    a = normalize_attrs(op, {"act_type": "tanh"})["act_type"]
    assert a == "tanh" and str(a) == "tanh" and a != "relu"
    assert op.encode_attrs({"act_type": a}, given={"act_type": "tanh"}) == {"act_type": "tanh"}
    s = mx.sym.Activation(mx.sym.var("x"), act_type="softsign", name="act")
    assert json.loads(s.tojson())["nodes"][1]["attrs"] == {"act_type": "softsign"}
    assert mx.sym.load_json(s.tojson()).tojson() == s.tojson()


def test_weight_shapes_inferred_from_data():
    e = mx.sym.Embedding(mx.sym.var("x"), input_dim=4, output_dim=3, name="emb")
    args, outs, _ = e.infer_shape(x=(2, 5))
    assert dict(zip(e.list_arguments(), args)) == {"x": (2, 5), "emb_weight": (4, 3)} and outs == [(2, 5, 3)]
    p = mx.sym.LeakyReLU(mx.sym.var("x"), act_type="prelu", name="pr")
    args, outs, _ = p.infer_shape(x=(2, 3, 4))
    assert dict(zip(p.list_arguments(), args)) == {"x": (2, 3, 4), "pr_gamma": (3,)} and outs == [(2, 3, 4)]


def test_embedding_gradient_accumulates_repeats_and_skips_data():
    w = nd.array(np.arange(12.0).reshape(4, 3))
    d = nd.array([[-1.5, -0.5, 0.4, 0.6], [1.5, 2.5, 3.7, 9.0]])
    w.attach_grad()
    d.attach_grad()
    with autograd.record():
        y = nd.Embedding(d, w, input_dim=4, output_dim=3)
    y.backward(nd.arange(24).reshape((2, 4, 3)))
    # MXNet 1.9.1 gives exactly this weight gradient for these indices
    np.testing.assert_array_equal(w.grad.asnumpy(), [[18, 22, 26], [12, 13, 14], [15, 16, 17], [39, 41, 43]])
    np.testing.assert_array_equal(d.grad.asnumpy(), 0)
