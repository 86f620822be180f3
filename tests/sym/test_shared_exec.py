"""``simple_bind(shared_arg_names=, shared_exec=, shared_buffer=)``: executors for several input
shapes over one set of parameters (MXNet's bucketing), as MXNet's simple_bind shares them."""
import numpy as np
import pytest

import hybridnet as mx
from hybridnet import nd, sym
from hybridnet.errors import HybridNetError, ShapeError


def _net():
    data = sym.var("data")
    h = sym.FullyConnected(data, num_hidden=4, name="fc1")
    h = sym.BatchNorm(h, name="bn")
    return sym.FullyConnected(h, num_hidden=2, name="fc2")


def test_parameters_gradients_and_aux_are_shared():
    s = _net()
    e8 = s.simple_bind(mx.cpu(), data=(8, 3))
    params = [n for n in s.list_arguments() if n != "data"]
    e4 = s.simple_bind(mx.cpu(), data=(4, 3), shared_arg_names=params, shared_exec=e8)
    for n in params:
        assert e4.arg_dict[n] is e8.arg_dict[n]
        assert e4.grad_dict[n] is e8.grad_dict[n]
    for n in s.list_auxiliary_states():
        assert e4.aux_dict[n] is e8.aux_dict[n]
    assert e4.arg_dict["data"].shape == (4, 3) and e4.arg_dict["data"] is not e8.arg_dict["data"]
    # an update through one executor's arrays is what the other computes with
    rng = np.random.default_rng(0)
    for n in params:
        e8.arg_dict[n][:] = nd.array(rng.standard_normal(e8.arg_dict[n].shape))
    x = rng.standard_normal((4, 3)).astype(np.float32)
    e4.arg_dict["data"][:] = nd.array(x)
    e8.arg_dict["data"][:] = nd.array(np.concatenate([x, x]))
    o4 = e4.forward(is_train=False)[0].asnumpy()
    o8 = e8.forward(is_train=False)[0].asnumpy()
    np.testing.assert_allclose(o4, o8[:4], rtol=1e-5, atol=1e-6)
    # gradients of both executors land in the same arrays
    e4.forward(is_train=True)
    e4.backward(nd.ones((4, 2)))
    assert np.abs(e8.grad_dict["fc2_weight"].asnumpy()).sum() > 0


def test_shared_buffer_reuses_large_enough_arrays():
    s = _net()
    buf = {}
    e8 = s.simple_bind(mx.cpu(), data=(8, 3), shared_buffer=buf)
    assert set(buf) == set(s.list_arguments())
    e4 = s.simple_bind(mx.cpu(), data=(4, 3), shared_buffer=buf)
    e4.arg_dict["data"][:] = 7.0                       # a view of the 8x3 buffer's first 12 elements
    np.testing.assert_array_equal(buf["data"].asnumpy().reshape(-1)[:12], 7.0)
    assert e8.arg_dict["data"] is buf["data"]
    e16 = s.simple_bind(mx.cpu(), data=(16, 3), shared_buffer=buf)   # too small: replaced
    assert buf["data"].shape == (16, 3) and e16.arg_dict["data"] is buf["data"]


def test_shared_shapes_must_match():
    s = _net()
    e8 = s.simple_bind(mx.cpu(), data=(8, 3))
    with pytest.raises(ShapeError, match="shared argument 'data'"):
        s.simple_bind(mx.cpu(), data=(4, 3), shared_arg_names=["data"], shared_exec=e8)
    with pytest.raises(HybridNetError, match="needs shared_exec"):
        s.simple_bind(mx.cpu(), data=(4, 3), shared_arg_names=["fc1_weight"])
