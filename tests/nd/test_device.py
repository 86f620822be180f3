"""Devices: cpu/gpu, Context/Device aliases, current_context, `with ctx:`, ctx=/device= keywords."""
import numpy as np
import pytest

import hybridnet as mx
from hybridnet import nd


def test_aliases_and_equality():
    assert mx.Context is mx.Device
    assert mx.cpu() == mx.Context("cpu", 0) == mx.cpu(0)
    assert str(mx.cpu(0)) == "cpu(0)" and mx.cpu().device_type == "cpu" and mx.cpu().device_id == 0
    assert hash(mx.cpu()) == hash(mx.Device("cpu"))
    assert mx.cpu_pinned() == mx.cpu()


def test_current_context_and_with():
    assert mx.current_context() == mx.cpu()
    n = mx.num_gpus()
    if n:
        with mx.gpu(0):
            assert mx.current_context() == mx.gpu(0)
            assert nd.zeros(2).context == mx.gpu(0)
        assert mx.current_context() == mx.cpu()
    with mx.cpu(0) as c:
        assert mx.current_context() is c


def test_ctx_and_device_keywords():
    a = nd.ones((2,), ctx=mx.cpu())
    b = nd.zeros((2,), device=mx.cpu())
    assert a.context == b.device == a.ctx == mx.cpu()
    assert nd.array([1, 2], ctx="cpu(0)").context == mx.cpu()


def test_missing_gpu_error_says_how_to_install():
    n = mx.num_gpus()
    with pytest.raises(mx.errors.DeviceError, match=r"gpu\(7\) was requested.*pip install 'hybridnet\[gpu\]'"):
        mx.gpu(7 if n < 8 else 99)


def test_mixed_devices_error_names_op():
    if mx.num_gpus() == 0:
        pytest.skip("needs a GPU or the simulator")
    a, b = nd.ones(2), nd.ones(2, ctx=mx.gpu(0))
    with pytest.raises(mx.errors.DeviceError, match="(?s)broadcast_add.*different devices.*as_in_context"):
        a + b


def test_copy_between_devices(device):
    x = nd.array([1.0, 2.0], ctx=device)
    assert x.context == device
    y = x.as_in_context(mx.cpu())
    assert y.context == mx.cpu() and y.asnumpy().tolist() == [1.0, 2.0]
    z = y.copyto(device)
    assert z.context == device and z is not y
    assert x.as_in_context(device) is x
    w = nd.zeros(2, ctx=device)
    y.copyto(w)
    assert w.asnumpy().tolist() == [1.0, 2.0]
    np.testing.assert_array_equal(np.asarray(z), [1.0, 2.0])
