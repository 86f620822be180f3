"""Tracer and compiled calls: concrete shapes on traced values, concretization and leak errors,
omnistaging of captured arrays, cache discipline, one tape node per compiled call."""
import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, graph, nd
from hybridnet.errors import ConcretizationError


def test_traced_values_have_real_shape_dtype_context_len():
    seen = {}

    def fn(x):
        seen.update(shape=x.shape, dtype=x.dtype, ctx=x.context, n=len(x), ndim=x.ndim)
        return x.reshape((x.shape[0], -1)) + x.shape[1]
    tf = graph.trace(fn, nd.ones((2, 3, 4)))
    assert seen == {"shape": (2, 3, 4), "dtype": np.float32, "ctx": mx.cpu(), "n": 2, "ndim": 3}
    assert tf.graph.outputs[0].spec.shape == (2, 12)
    tf.graph.verify()


@pytest.mark.parametrize("bad", [lambda x: bool(x.sum()), lambda x: float(x.sum()), lambda x: x.asnumpy(),
                                 lambda x: x.sum().asscalar(), lambda x: np.asarray(x)])
def test_concretization_error_names_line_and_fixes(bad):
    with pytest.raises(ConcretizationError, match=r"(?s)traced value float32.*test_trace.py:\d+.*nd.where"):
        graph.trace(bad, nd.ones(3))


def test_leaked_traced_value_is_reported():
    box = []
    graph.trace(lambda x: box.append(x * 2) or x, nd.ones(2))
    with pytest.raises(graph.LeakedTracerError, match="after its trace ended"):
        box[0] + 1


def test_captured_ndarray_becomes_constant():
    w = nd.array([1.0, 2.0])
    f = graph.compile(lambda x: x * w)
    assert f(nd.array([3.0, 4.0])).asnumpy().tolist() == [3.0, 8.0]
    g = f._cache[next(iter(f._cache))].traced.graph
    assert len(g.constants) == 1


def test_cache_hit_runs_no_python_and_new_shapes_retrace():
    calls = []

    def fn(x):
        calls.append(1)
        return nd.relu(x) * 2
    f = graph.compile(fn)
    for _ in range(5):
        f(nd.ones((2, 3)))
    assert len(calls) == 1
    f(nd.ones((4, 3)))
    assert len(calls) == 2
    with autograd.train_mode():        # the mode is part of the key (MXNet P3 froze it silently)
        f(nd.ones((2, 3)))
    assert len(calls) == 3


def test_compiled_call_is_one_tape_node_with_correct_grads():
    f = graph.compile(lambda a, b: (nd.exp(a) * b).sum(axis=1))
    a = nd.array(np.random.default_rng(0).random((2, 3)))
    b = nd.array(np.random.default_rng(1).random((1, 3)))
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        y = f(a, b)
    node = y._entry[0]
    assert node.op is None and node.backward_fn is not None
    y.backward()
    np.testing.assert_allclose(a.grad.asnumpy(), np.exp(a.asnumpy()) * b.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(b.grad.asnumpy(), np.exp(a.asnumpy()).sum(0, keepdims=True), rtol=1e-6)


def test_errors_inside_trace_name_op_and_line():
    with pytest.raises(mx.errors.ShapeError, match=r"(?s)broadcast_add.*\[2,3\] \[3,2\].*test_trace.py"):
        graph.trace(lambda a, b: a + b, nd.ones((2, 3)), nd.ones((3, 2)))


def test_printer_one_line_per_node():
    tf = graph.trace(lambda x: nd.relu(x * 2 + 1), nd.ones((2, 3)))
    assert str(tf.graph).splitlines() == [
        f"graph({tf.graph.inputs[0]!r} data [input]):",
        f"  {tf.graph.nodes[0].outputs[0]!r} = _mul_scalar %{tf.graph.inputs[0].id} {{scalar=2}}",
        f"  {tf.graph.nodes[1].outputs[0]!r} = _plus_scalar %{tf.graph.nodes[0].outputs[0].id} {{scalar=1}}",
        f"  {tf.graph.nodes[2].outputs[0]!r} = relu %{tf.graph.nodes[1].outputs[0].id}",
        f"  return {tf.graph.outputs[0]!r}"]


def test_verify_reports_a_broken_graph():
    tf = graph.trace(lambda x: nd.relu(x), nd.ones(2))
    g = tf.graph
    g.nodes.reverse()
    g.nodes.insert(0, g.nodes[0])   # duplicate definition
    with pytest.raises(graph.GraphError, match="(?s)invalid graph after my_pass.*defined twice.*graph"):
        g.verify("my_pass")


def test_compiled_function_on_gpu_matches_cpu():
    if mx.num_gpus() == 0:
        pytest.skip("no GPU and no simulator")
    f = graph.compile(lambda a, b: nd.softmax(nd.relu(a * 2 - b), axis=-1).sum(axis=0))
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    y = np.random.default_rng(1).standard_normal((1, 4)).astype(np.float32)
    cpu = f(nd.array(x), nd.array(y))
    gpu = f(nd.array(x, ctx=mx.gpu(0)), nd.array(y, ctx=mx.gpu(0)))
    assert gpu.context == mx.gpu(0) and f.trace_count == 2
    np.testing.assert_allclose(gpu.asnumpy(), cpu.asnumpy(), rtol=1e-5, atol=1e-6)
    a = nd.array(x, ctx=mx.gpu(0))
    a.attach_grad()
    with autograd.record():
        out = f(a, nd.array(y, ctx=mx.gpu(0)))
    out.backward()
    assert a.grad.context == mx.gpu(0) and np.isfinite(a.grad.asnumpy()).all()


def test_random_ops_draw_fresh_numbers_per_call_on_the_data_device(device):
    f = graph.compile(lambda x: x + nd.random.uniform(shape=x.shape))
    a, b = f(nd.zeros(4, ctx=device)), f(nd.zeros(4, ctx=device))
    assert f.trace_count == 1 and a.context == device
    assert not np.array_equal(a.asnumpy(), b.asnumpy())
    assert ((a.asnumpy() >= 0) & (a.asnumpy() < 1)).all()
