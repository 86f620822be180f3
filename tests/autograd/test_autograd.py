"""autograd API behaviour as measured on MXNet 1.9.1 (gluon-semantics.md §1.2, §2.13, §2.15)."""
import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, nd
from hybridnet.errors import AutogradError


def test_mode_flags_default_and_scopes():
    assert not autograd.is_recording() and not autograd.is_training()   # default: predict mode
    with autograd.record():
        assert autograd.is_recording() and autograd.is_training()
        with autograd.pause():
            assert not autograd.is_recording() and not autograd.is_training()
        with autograd.predict_mode():
            assert autograd.is_recording() and not autograd.is_training()
    with autograd.record(train_mode=False):
        assert autograd.is_recording() and not autograd.is_training()
    with autograd.train_mode():
        assert autograd.is_training() and not autograd.is_recording()
    assert autograd.set_recording(True) is False
    assert autograd.set_training(True) is False
    assert autograd.is_recording() and autograd.is_training()
    autograd.set_recording(False)
    autograd.set_training(False)


def test_grad_write_and_add():
    x = nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    for _ in range(2):
        with autograd.record():
            y = 3 * x
        y.backward()
    assert x.grad.asnumpy().tolist() == [3.0, 3.0, 3.0]       # 'write' overwrites
    x.attach_grad(grad_req="add")
    for _ in range(2):
        with autograd.record():
            y = 3 * x
        y.backward()
    assert x.grad.asnumpy().tolist() == [6.0, 6.0, 6.0]       # MXNet: 6 after two backward passes


def test_grad_buffer_is_updated_in_place():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    g = x.grad
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    assert g is x.grad and g.asnumpy().tolist() == [2.0, 4.0]


def test_implicit_and_explicit_head_gradients():
    x = nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x * 2
    y.backward()                                              # non-scalar: ones
    assert x.grad.asnumpy().tolist() == [2.0, 2.0, 2.0]
    with autograd.record():
        y = x * 2
    y.backward(nd.array([1, .1, .01]))                        # positional head gradient
    np.testing.assert_allclose(x.grad.asnumpy(), [2.0, 0.2, 0.02], rtol=1e-6)
    with autograd.record():
        y = x * 2
    with pytest.raises(AutogradError, match="head gradient 0 has shape"):
        y.backward(nd.ones(2))


def test_broadcast_gradient_is_unbroadcast():
    a = nd.ones((2, 3))
    b = nd.array([[1.0, 2.0, 3.0]])
    b.attach_grad()
    with autograd.record():
        y = (a * b).sum()
    y.backward()
    assert b.grad.shape == (1, 3) and b.grad.asnumpy().tolist() == [[2.0, 2.0, 2.0]]


def test_second_backward_without_retain_graph_raises_mxnet_text():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()                                              # retained: fine
    with pytest.raises(AutogradError, match="Cannot differentiate node because it is not in a computational "
                                            "graph.*retain_graph=True"):
        y.backward()


def test_backward_on_non_recorded_array_raises():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    y = x * 2                                                 # not recorded
    with pytest.raises(AutogradError, match="autograd.record"):
        y.backward()
    with pytest.raises(mx.MXNetError):
        nd.ones(2).backward()


def test_inplace_on_recorded_array_refused():
    x = nd.ones(2)
    x.attach_grad()
    with autograd.record():
        y = x * 2
        with pytest.raises(AutogradError, match="Inplace operations"):
            y += 1


def test_autograd_backward_sums_heads():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        a = x * 2
        b = x * x
    autograd.backward([a, b])
    assert x.grad.asnumpy().tolist() == [4.0, 6.0]


def test_grad_create_graph_second_derivative():
    # MXNet P10: x**3 and broadcast * had no second derivative in 1.9.1
    x = nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = (x ** 3).sum()
        (dx,) = autograd.grad(y, [x], create_graph=True)
        z = dx.sum()
    np.testing.assert_allclose(dx.asnumpy(), 3 * np.array([1, 4, 9.0]), rtol=1e-6)
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), 6 * np.array([1, 2, 3.0]), rtol=1e-6)


def test_grad_leaves_grad_buffer_untouched_and_single_variable():
    x = nd.array([2.0])
    x.attach_grad()
    with autograd.record():
        y = nd.sin(x)
    g = autograd.grad(y, x)
    np.testing.assert_allclose(g.asnumpy(), np.cos([2.0]), rtol=1e-6)
    assert x.grad.asnumpy().tolist() == [0.0]


def test_grad_requires_marked_variables():
    x = nd.array([1.0])
    with autograd.record():
        y = x * 2
    with pytest.raises(AutogradError):
        autograd.grad(y, [x])


def test_detach_and_stop_gradient():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * x.detach() + nd.stop_gradient(x) * 0 + nd.BlockGrad(x * 5)
    y.backward()
    assert x.grad.asnumpy().tolist() == [1.0, 2.0]


def test_grad_req_null_skips():
    x = nd.array([1.0])
    x.attach_grad(grad_req="null")
    with autograd.record():
        y = x * 2
    y.backward()
    assert x.grad.asnumpy().tolist() == [0.0]


def test_mark_variables_with_own_buffers():
    x, gx = nd.array([1.0, 2.0]), nd.zeros(2)
    autograd.mark_variables([x], [gx], "write")
    with autograd.record():
        y = (x * 4).sum()
    y.backward()
    assert gx.asnumpy().tolist() == [4.0, 4.0] and x.grad is gx
    with pytest.raises(AutogradError, match="grad_req"):
        autograd.mark_variables([x], [gx], "sometimes")


def test_custom_function_sigmoid():
    class Sigmoid(autograd.Function):
        def forward(self, x):
            y = 1 / (1 + nd.exp(-x))
            self.save_for_backward(y)
            return y

        def backward(self, dy):
            (y,) = self.saved_tensors
            return dy * y * (1 - y)

    x = nd.zeros(3)
    x.attach_grad()
    with autograd.record():
        y = Sigmoid()(x)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [0.25, 0.25, 0.25])   # MXNet: 0.25 at 0


def test_custom_function_wrong_number_of_grads():
    class Bad(autograd.Function):
        def forward(self, x, y):
            return x + y

        def backward(self, dz):
            return dz

    x, y = nd.ones(2), nd.ones(2)
    x.attach_grad()
    with autograd.record():
        z = Bad()(x, y)
    with pytest.raises(AutogradError, match="returned 1 gradients for 2 inputs"):
        z.backward()


def test_train_mode_inside_backward_and_recording_off():
    x = nd.array([1.0])
    x.attach_grad()
    with autograd.record():
        y = x * 2
    y.backward()
    assert not autograd.is_recording()


def test_grad_of_unused_variable_is_zero():
    x, w = nd.array([1.0]), nd.array([3.0])
    x.attach_grad()
    w.attach_grad()
    with autograd.record():
        y = x * 2
    gx, gw = autograd.grad(y, [x, w])
    assert gx.asnumpy().tolist() == [2.0] and gw.asnumpy().tolist() == [0.0]
