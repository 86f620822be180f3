"""CPU fused groups pick their parallel threshold by cost: groups of only cheap ops (no libm call) stay
serial below ``CHEAP_PARALLEL_MIN_SIZE``; groups with a transcendental op go parallel from
``PARALLEL_MIN_SIZE``. Both paths give the unfused result."""
import numpy as np
import pytest

from hybridnet import graph, nd
from hybridnet.graph.passes import fuse_elementwise
from hybridnet.kernels import kernel_for
import hybridnet.kernels.fusion.compile as C


def relu_backward_like(x, g):          # what a Dense+relu layer's backward fuses: (x > 0) * g
    return (x > 0) * g


def with_sigmoid(x, g):
    return nd.sigmoid(x) * g


def _kernel_and_check(fn, n, rng):
    x = [nd.array(rng.uniform(-2, 2, n).astype(np.float32)) for _ in range(2)]
    tf = graph.trace(fn, *x)
    fused = fuse_elementwise.run(tf.graph)
    (node,) = [nd_ for nd_ in fused.nodes if getattr(nd_.op, "fusion", None) is not None]
    k = kernel_for(node.op, x[0].context)
    k._ufuncs.clear()               # kernels are shared by structure: record only this call's path
    got = k(*[a._data for a in x])
    want = graph.Executable(tf.graph, optimize=False).run(*[a._data for a in x])[0]
    np.testing.assert_array_equal(got, want)
    return k


@pytest.fixture
def thresholds(monkeypatch):
    monkeypatch.setattr(C, "PARALLEL_MIN_SIZE", 65536)
    monkeypatch.setattr(C, "CHEAP_PARALLEL_MIN_SIZE", 1 << 20)


def test_cheap_group_stays_serial_below_cheap_threshold(thresholds):
    k = _kernel_and_check(relu_backward_like, 65536, np.random.default_rng(0))
    assert k.cheap
    assert (np.dtype(np.float32), "serial") in k._ufuncs and (np.dtype(np.float32), True) not in k._ufuncs


@pytest.mark.parametrize("n", [1, 7, 4096])
def test_contiguous_operands_below_the_threshold_run_the_serial_loop(thresholds, n):
    # the generated serial loop, not the ufunc (which ran a 5-sigmoid chain 14x slower)
    k = _kernel_and_check(with_sigmoid, n, np.random.default_rng(3))
    assert list(k._ufuncs) == [(np.dtype(np.float32), "serial")]


def test_broadcast_operands_use_the_ufunc(rng):
    x = nd.array(rng.uniform(-2, 2, (64, 8)).astype(np.float32))
    b = nd.array(rng.uniform(-2, 2, (1, 8)).astype(np.float32))

    def fn(x, b):
        return nd.sigmoid(nd.broadcast_add(x, b)) * 2.0
    np.testing.assert_array_equal(graph.compile(fn)(x, b).asnumpy(), fn(x, b).asnumpy())
    tf = graph.trace(fn, x, b)
    (node,) = [n for n in fuse_elementwise.run(tf.graph).nodes if getattr(n.op, "fusion", None) is not None]
    k = kernel_for(node.op, x.context)
    k._ufuncs.clear()
    np.testing.assert_array_equal(k(x._data, b._data), fn(x, b).asnumpy())
    assert list(k._ufuncs) == [(np.dtype(np.float32), False)]


def test_transcendental_group_goes_parallel_from_parallel_min_size(thresholds):
    k = _kernel_and_check(with_sigmoid, 65536, np.random.default_rng(1))
    assert not k.cheap
    assert (np.dtype(np.float32), True) in k._ufuncs


def test_cheap_group_goes_parallel_from_cheap_threshold(monkeypatch):
    monkeypatch.setattr(C, "PARALLEL_MIN_SIZE", 65536)
    monkeypatch.setattr(C, "CHEAP_PARALLEL_MIN_SIZE", 100000)
    k = _kernel_and_check(relu_backward_like, 100003, np.random.default_rng(2))
    assert (np.dtype(np.float32), True) in k._ufuncs
