"""NDArray basics: legacy dtype rules, conversion, repr, Python protocols, DLPack, generated functions."""
import inspect

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import nd


def test_float32_default_even_from_int_numpy():
    assert nd.array([1, 2, 3]).dtype == np.float32
    assert nd.array(np.arange(3)).dtype == np.float32
    assert nd.array(np.arange(3), dtype="int64").dtype == np.int64
    assert nd.arange(5).dtype == np.float32 and nd.zeros(2).dtype == np.float32
    assert nd.array(nd.array([1], dtype="int32")).dtype == np.int32   # NDArray source keeps its dtype


def test_scalar_takes_array_dtype_and_no_promotion():
    x = nd.array([1, 2, 3], dtype="int32")
    assert (x * 0.5).dtype == np.int32 and (x * 0.5).asnumpy().tolist() == [0, 0, 0]
    assert (nd.array([3], dtype="int32") / 2).asnumpy().tolist() == [1]
    assert (nd.array([250], dtype="uint8") + 10).asnumpy().tolist() == [4]
    assert (x == 2).dtype == np.int32 and (x == 2).asnumpy().tolist() == [0, 1, 0]
    with pytest.raises(mx.errors.DTypeError, match="(?s)broadcast_add.*float64.*float32.*astype"):
        nd.ones(2, dtype="float64") + nd.ones(2)


def test_full_reduction_shape():
    assert nd.ones((2, 3)).sum().shape == (1,)


def test_python_operators_and_reflected():
    x = nd.array([1.0, 2.0, 4.0])
    np.testing.assert_allclose((2 - x).asnumpy(), [1, 0, -2])
    np.testing.assert_allclose((2 / x).asnumpy(), [2, 1, 0.5])
    np.testing.assert_allclose((2 ** x).asnumpy(), [2, 4, 16])
    np.testing.assert_allclose((5 % x).asnumpy(), [0, 1, 1])
    np.testing.assert_allclose((-x).asnumpy(), [-1, -2, -4])
    np.testing.assert_allclose(abs(-x).asnumpy(), [1, 2, 4])
    np.testing.assert_allclose((x ** 2).asnumpy(), [1, 4, 16])
    np.testing.assert_allclose((np.ones(3, np.float32) + x).asnumpy(), [2, 3, 5])
    assert (x != 2).asnumpy().tolist() == [1, 0, 1] and (x >= 2).asnumpy().tolist() == [0, 1, 1]
    assert (x < 2).asnumpy().tolist() == [1, 0, 0] and (x <= 2).asnumpy().tolist() == [1, 1, 0]
    assert (x == None) is False  # noqa: E711


def test_inplace_operators_write_buffer():
    x = nd.array([1.0, 2.0])
    buf = x._data
    x += 1
    x *= nd.array([2.0, 3.0])
    x -= 1
    x /= 2
    assert x._data is buf and x.asnumpy().tolist() == [1.5, 4.0]


def test_mxnet_binary_helpers_dispatch_on_scalars():
    x = nd.array([1.0, -2.0])
    assert nd.maximum(x, 0).asnumpy().tolist() == [1.0, 0.0]
    assert nd.minimum(0, x).asnumpy().tolist() == [0.0, -2.0]
    assert nd.add(x, nd.ones((2, 1))).shape == (2, 2)
    assert nd.subtract(1, x).asnumpy().tolist() == [0.0, 3.0]
    assert nd.power(x, 2).asnumpy().tolist() == [1.0, 4.0]
    assert nd.equal(x, 1).asnumpy().tolist() == [1.0, 0.0]


def test_conversion_and_protocols():
    x = nd.array([[1.0, 2.0], [3.0, 4.0]])
    assert isinstance(x.asnumpy(), np.ndarray) and x.asnumpy() is not x.asnumpy()
    assert np.asarray(x).tolist() == [[1, 2], [3, 4]]
    assert nd.array([7]).asscalar() == np.float32(7) and isinstance(nd.array([7]).asscalar(), np.float32)
    with pytest.raises(ValueError, match="not a scalar"):
        x.asscalar()
    assert float(nd.array([2.5])) == 2.5 and int(nd.array([3])) == 3
    assert len(x) == 2 and x.size == 4 and x.ndim == 2 and x.stype == "default"
    assert bool(nd.array([1])) and not bool(nd.array([0]))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(x)
    assert x.copy().asnumpy().tolist() == x.asnumpy().tolist()
    assert "<NDArray 2x2 @cpu(0)>" in repr(x)
    nd.waitall()
    x.wait_to_read()


def test_dlpack_round_trip_with_numpy():
    x = nd.array([1.0, 2.0, 3.0])
    a = np.from_dlpack(x)
    assert np.shares_memory(a, x._data)   # zero-copy
    x[0] = 10.0
    y = nd.from_dlpack(np.arange(3, dtype=np.float32))
    assert y.asnumpy().tolist() == [0.0, 1.0, 2.0]
    z = nd.from_dlpack(x.to_dlpack_for_read())
    assert z.asnumpy().tolist() == [10.0, 2.0, 3.0]


def test_generated_functions_have_real_signatures_and_docs():
    sig = inspect.signature(nd.clip)
    assert list(sig.parameters)[:3] == ["data", "a_min", "a_max"]
    assert nd.clip(nd.array([-1.0, 2.0]), 0, 1).asnumpy().tolist() == [0.0, 1.0]   # positional attrs
    assert ">>>" in nd.relu.__doc__
    assert nd.broadcast_plus is not None and nd.elemwise_add(nd.ones(2), nd.ones(2)).asnumpy().tolist() == [2, 2]
    out = nd.zeros(2)
    r = nd.relu(nd.array([-1.0, 3.0]), out=out)
    assert r is out and out.asnumpy().tolist() == [0.0, 3.0]


def test_misspelled_keyword_and_bad_attr_type():
    with pytest.raises(mx.errors.AttrError, match="(?s)sum.*unknown attribute 'axs'.*Did you mean 'axis'"):
        nd.sum(nd.ones(2), axs=0)
    with pytest.raises(mx.errors.AttrError, match="clip: attribute a_min='low' is not a valid float"):
        nd.clip(nd.ones(2), a_min="low", a_max=1)


def test_nan_producing_domain_is_nan_not_garbage():
    r = nd.log(nd.array([-1.0, 0.0])).asnumpy()
    assert np.isnan(r[0]) and np.isneginf(r[1])
    assert np.isnan(nd.sqrt(nd.array([-1.0])).asnumpy()[0])
