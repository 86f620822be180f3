"""Reductions and softmax: exact MXNet 1.9.1 behaviours, values measured with the oracle
(``/work/mx-oracle/bin/python``), where the record templates cannot express them (gradients at ties,
zeros and NaN, output dtypes, shapes)."""
import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, nd

NAN = float("nan")


def _grad(fn, x, head=None, dtype="float32"):
    x = nd.array(x, dtype=dtype)
    x.attach_grad()
    with autograd.record():
        y = fn(x)
        if head is not None:
            y = y * nd.array(head, dtype=y.dtype)
    y.backward()
    return x.grad.asnumpy()


def _eq(a, b, **kw):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), equal_nan=True,
                               **({"rtol": 1e-6, "atol": 1e-7} | kw))


# ---- reductions -----------------------------------------------------------------------------------

def test_max_min_gradient_goes_to_every_tie():
    _eq(_grad(lambda x: nd.max(x, axis=1), [[1, 3, 3], [2, 2, 1]]), [[0, 1, 1], [1, 1, 0]])
    _eq(_grad(lambda x: nd.max(x), [[1, 3, 3], [2, 3, 1]]), [[0, 1, 1], [0, 1, 0]])
    _eq(_grad(lambda x: nd.min(x, axis=1), [[1, 1, 3], [2, 2, 1]]), [[1, 1, 0], [0, 0, 1]])
    _eq(_grad(lambda x: nd.max(x, axis=1, keepdims=True), [[1, 3, 3]], head=[[2]]), [[0, 2, 2]])
    _eq(_grad(lambda x: nd.max(x, axis=1, exclude=True), [[1, 3], [3, 0]], head=[2, 3]), [[0, 3], [2, 0]])


def test_max_of_nan_is_nan_and_gets_no_gradient():
    _eq(nd.max(nd.array([[1, NAN, 3]]), axis=1).asnumpy(), [NAN])
    _eq(nd.min(nd.array([[1, NAN, 3]]), axis=1).asnumpy(), [NAN])
    _eq(_grad(lambda x: nd.max(x, axis=1), [[1, NAN, 3]]), [[0, 0, 0]])


def test_prod_nansum_nanprod_mean_gradients():
    _eq(_grad(lambda x: nd.prod(x, axis=1), [[1, 0, 3], [0, 0, 2]]), [[0, NAN, 0], [NAN, NAN, 0]])
    _eq(_grad(lambda x: nd.nansum(x, axis=1), [[1, NAN, 3]]), [[1, 0, 1]])
    _eq(_grad(lambda x: nd.nanprod(x, axis=1), [[2, NAN, 3]]), [[3, 0, 2]])
    _eq(_grad(lambda x: nd.mean(x, axis=1), [[2, 5, 3]]), [[1 / 3, 1 / 3, 1 / 3]])


def test_integer_mean_wraps_and_truncates():
    assert nd.mean(nd.array([[200, 100]], dtype="uint8"), axis=1).asnumpy().tolist() == [22]
    assert nd.mean(nd.array([[-7, 0, 0]], dtype="int32"), axis=1).asnumpy().tolist() == [-2]
    assert nd.sum(nd.array([[200, 100]], dtype="uint8"), axis=1).asnumpy().tolist() == [44]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32"])
def test_argmax_indices_have_the_input_dtype(dtype):
    x = nd.array([[1, 3, 3], [2, 2, 1]], dtype=dtype)
    r = nd.argmax(x, axis=1)
    assert r.dtype == np.dtype(dtype)
    assert r.asnumpy().tolist() == [1, 0]                               # ties: the first index
    assert nd.argmin(x, axis=0, keepdims=True).asnumpy().tolist() == [[0, 1, 1]]


def test_argmax_shapes_nan_and_zero_gradient():
    x = nd.array([[5, 1], [0, 9]])
    assert nd.argmax(x).shape == (1,) and nd.argmax(x).asnumpy().tolist() == [3.0]
    assert nd.argmax(x, keepdims=True).shape == (1, 1)
    assert nd.argmax(nd.ones((2, 3, 4)), axis=1, keepdims=True).shape == (2, 1, 4)
    assert nd.argmax(nd.array([[1, NAN, 3]]), axis=1).asnumpy().tolist() == [1.0]
    assert nd.argmin(nd.array([[3, NAN, 1]]), axis=1).asnumpy().tolist() == [1.0]
    assert nd.argmax(nd.array([[NAN, NAN]]), axis=1).asnumpy().tolist() == [0.0]
    assert nd.argmax(nd.array([[-np.inf, -np.inf]]), axis=1).asnumpy().tolist() == [0.0]
    _eq(_grad(lambda x: nd.argmax(x, axis=1), [[2, 5, 3]]), [[0, 0, 0]])
    assert nd.argmax_channel(nd.array(np.arange(24).reshape(2, 3, 4) % 5)).asnumpy().tolist() == \
        [[1, 2, 0, 0], [0, 0, 0, 1]]
    with pytest.raises(mx.HybridNetError, match="argmax_channel reduces axis 1"):
        nd.argmax_channel(nd.array([1, 5, 2]))


def test_norm_shapes_values_and_gradients():
    x = nd.array([[1, 3, 3], [2, 2, 1]])
    r = nd.norm(x)
    assert r.shape == (1,)
    _eq(r.asnumpy(), [5.291503])
    assert nd.norm(x, keepdims=True).shape == (1, 1)
    _eq(nd.norm(x, axis=1).asnumpy(), [4.358899, 3.0])
    _eq(nd.norm(x, ord=1, axis=1).asnumpy(), [7, 5])
    _eq(nd.norm(nd.ones((2, 3, 4)), axis=(1, 2)).asnumpy(), [3.4641016, 3.4641016])
    _eq(nd.norm(nd.array([[1e30, 1e30]]), axis=1).asnumpy(), [1.4142135e+30])
    _eq(nd.norm(nd.array([[1e200, 1e200]], dtype="float64"), axis=1).asnumpy(), [np.sqrt(2) * 1e200], rtol=1e-14)
    _eq(_grad(lambda x: nd.norm(x, axis=1), [[0, 0, 0], [3, 4, 0]]), [[NAN, NAN, NAN], [0.6, 0.8, 0]])
    _eq(_grad(lambda x: nd.norm(x, ord=1, axis=1), [[0, 0, 0], [3, -4, 0]]), [[0, 0, 0], [1, -1, 0]])


def test_norm_out_dtype_and_integers():
    x = nd.array([[3, 4], [6, 8]])
    r = nd.norm(x, axis=1, out_dtype="float64")        # MXNet 1.9.1 fails here; we cast
    assert r.dtype == np.float64 and r.asnumpy().tolist() == [5.0, 10.0]
    _eq(_grad(lambda x: nd.norm(x, axis=1, out_dtype="float64"), [[3, 4]]), [[0.6, 0.8]])
    # exact, truncated (MXNet 1.9.1's integer scaling gives 4 here)
    assert nd.norm(nd.array([[3, 4]], dtype="int32"), axis=1).asnumpy().tolist() == [5]


# ---- softmax --------------------------------------------------------------------------------------

def test_softmax_values():
    x = nd.array([[1, 2, 3]])
    _eq(nd.softmax(x).asnumpy(), [[0.09003057, 0.24472848, 0.6652409]])
    _eq(nd.softmax(x, temperature=2.0).asnumpy(), [[0.18632373, 0.3071959, 0.5064804]])
    _eq(nd.softmax(x, temperature=-1.0).asnumpy(), [[0.66524094, 0.24472846, 0.09003057]])
    _eq(nd.log_softmax(x, temperature=2.0).asnumpy(), [[-1.6802697, -1.1802697, -0.68026966]])
    _eq(nd.softmin(x).asnumpy(), [[0.66524094, 0.24472848, 0.09003057]])
    _eq(nd.softmin(x, temperature=2.0).asnumpy(), [[0.5064804, 0.3071959, 0.18632373]])
    _eq(nd.softmax(nd.array([[1, 2, 3], [3, 2, 1]]), axis=0).asnumpy(),
        [[0.11920292, 0.5, 0.880797], [0.880797, 0.5, 0.11920292]])
    assert np.isnan(nd.softmax(x, temperature=0.0).asnumpy()).all()


def test_softmax_infinite_and_nan_rows():
    _eq(nd.softmax(nd.array([[-np.inf, 0, 1]])).asnumpy(), [[0, 0.26894143, 0.73105854]])
    # the float64 oracle's values (MXNet's float32 oneDNN path gives -1.3132598)
    _eq(nd.log_softmax(nd.array([[-np.inf, 0, 1]])).asnumpy(), [[-np.inf, -1.31326169, -0.31326169]])
    for row in ([-np.inf, -np.inf], [np.inf, 0, 1], [np.nan, 0, 1], [0, np.inf, np.inf]):
        for f in (nd.softmax, nd.log_softmax):
            for dt in ("float32", "float64"):      # MXNet's own kernel (not the float32 oneDNN path)
                assert np.isnan(f(nd.array([row], dtype=dt)).asnumpy()).all(), (f, row, dt)
    assert np.isnan(nd.softmin(nd.array([[-np.inf, 0, 1]])).asnumpy()).all()


def test_softmax_dtypes():
    x = nd.array([[1, 2, 3]])
    assert nd.softmax(x, dtype="float64").dtype == np.float64
    assert nd.softmax(x.astype("float16")).dtype == np.float16
    r = nd.softmax(x.astype("float16"), dtype="float32")
    assert r.dtype == np.float32
    _eq(r.asnumpy(), [[0.09003057, 0.24472848, 0.6652409]], rtol=2e-3)
    with pytest.raises(mx.HybridNetError, match="only supports floating point"):
        nd.softmax(nd.array([[1, 2, 3]], dtype="int32"))


def test_softmax_gradients():
    head = [[1, 2, 3]]
    _eq(_grad(lambda x: nd.softmax(x), [[1, 2, 3]], head), [[-0.14181706, -0.14077029, 0.28258762]])
    _eq(_grad(lambda x: nd.softmax(x, temperature=2.0), [[1, 2, 3]], head),
        [[-0.12298825, -0.04917539, 0.17216368]])
    _eq(_grad(lambda x: nd.softmin(x, temperature=2.0), [[1, 2, 3]], head),
        [[0.17216368, -0.04917539, -0.12298825]])
    _eq(_grad(lambda x: nd.log_softmax(x, temperature=2.0), [[1, 2, 3]], head),
        [[-0.05897117, 0.07841241, -0.01944113]])
    # dtype=float64 output of a float32 input: the gradient comes back as float32
    g = _grad(lambda x: nd.softmax(x, dtype="float64"), [[1, 2, 3]], head)
    assert g.dtype == np.float32
    _eq(g, [[-0.14181706, -0.14077029, 0.28258762]])


def test_softmax_use_length():
    x = nd.array([[1, 2, 3], [1, 2, 3]])
    _eq(nd.softmax(x, nd.array([2, 0], dtype="int32"), use_length=True).asnumpy(),
        [[0.26894143, 0.7310586, 0], [0, 0, 0]])
    _eq(nd.softmax(x, nd.array([2, 1], dtype="int64"), use_length=True).asnumpy(),
        [[0.26894143, 0.7310586, 0], [1, 0, 0]])
    _eq(nd.softmax(x, nd.array([1, 2, 0], dtype="int32"), axis=0, use_length=True).asnumpy(),
        [[1, 0.5, 0], [0, 0.5, 0]])
    _eq(nd.softmax(nd.ones((2, 3, 2)), nd.array([[1, 2], [3, 0]], dtype="int32"), axis=1,
                   use_length=True).asnumpy(),
        [[[1, 0.5], [0, 0.5], [0, 0]], [[1 / 3, 0], [1 / 3, 0], [1 / 3, 0]]])
    g = _grad(lambda x: nd.softmax(x, nd.array([2, 1], dtype="int32"), use_length=True),
              [[1, 2, 3], [1, 2, 3]], [[1, 2, 3], [4, 5, 6]])
    _eq(g, [[-0.19661194, 0.19661193, 0], [0, 0, 0]])
    for f in (nd.log_softmax, nd.softmin):      # no length input in MXNet 1.9.1
        with pytest.raises(mx.HybridNetError, match="use_length is not supported"):
            f(x, use_length=True)
    with pytest.raises(mx.HybridNetError, match="length must be an integer"):
        nd.softmax(x, nd.array([2, 1]), use_length=True)
