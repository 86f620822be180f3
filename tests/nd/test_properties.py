"""Property tests (hypothesis): broadcasting arithmetic equals NumPy for any broadcastable shapes, the
traced+compiled graph equals eager, and gradients come back in each input's shape (unbroadcast)."""
import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from hybridnet import autograd, graph, nd

_shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)
_ops = st.sampled_from([("add", lambda a, b: a + b), ("mul", lambda a, b: a * b), ("sub", lambda a, b: a - b),
                        ("max", lambda a, b: nd.maximum(a, b) if isinstance(a, nd.NDArray) or hasattr(a, "_trace")
                         else np.maximum(a, b))])


@settings(max_examples=60, deadline=None)
@given(shapes=_shapes, op=_ops, seed=st.integers(0, 2 ** 16))
def test_broadcast_binary_matches_numpy_traced_and_grad_shapes(shapes, op, seed):
    (sa, sb), _ = shapes
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    name, f = op
    want = np.asarray(f(a, b))
    x, y = nd.array(a, dtype="float64"), nd.array(b, dtype="float64")
    got = f(x, y)
    np.testing.assert_allclose(got.asnumpy(), want.reshape(got.shape), rtol=1e-12)
    traced = graph.compile(f)(x, y)
    np.testing.assert_array_equal(traced.asnumpy(), got.asnumpy())
    x.attach_grad()
    y.attach_grad()
    with autograd.record():
        z = f(x, y)
    z.backward()
    assert x.grad.shape == x.shape and y.grad.shape == y.shape
    if name == "add":   # d(sum of broadcast a+b)/da counts how often each element was used
        np.testing.assert_allclose(x.grad.asnumpy().sum() + y.grad.asnumpy().sum(), 2 * max(z.size, 1))
