"""The elementwise fusion pass on traced functions: where it fires, where it must not (across
non-elementwise ops, effects ops, shape changes, cycles), the group size limit, purity, and compiled
results equal to eager (CPU, and gpu(0) = the CUDA simulator in CI)."""
import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, graph, nd
from hybridnet.graph.ir import Graph
from hybridnet.graph.passes import fuse_elementwise
from hybridnet.ops.infer import same_as_input
from hybridnet.ops.opdef import OpDef, Pattern
from hybridnet.ops.spec import TensorSpec


def fused_nodes(g):
    return [n for n in g.nodes if getattr(n.op, "fusion", None) is not None]


def run_pass(fn, *args):
    tf = graph.trace(fn, *args)
    g = fuse_elementwise.run(tf.graph)
    g.verify("fuse_elementwise")
    return tf.graph, g


def results_equal(fn, *args, exact=True):
    """Unfused vs fused executables on the same inputs (no other passes)."""
    tf = graph.trace(fn, *args)
    g = fuse_elementwise.run(tf.graph)
    datas = [a._data for a in args]
    want = graph.Executable(tf.graph, optimize=False).run(*datas)
    got = graph.Executable(g, optimize=False).run(*datas)
    for a, b in zip(got, want):
        a, b = mx.kernels.backend.to_host(a), mx.kernels.backend.to_host(b)
        if exact:
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_chain_becomes_one_node():
    x = nd.ones((3, 4))
    src, g = run_pass(lambda x: nd.relu(nd.sigmoid(x) * 2 - 1) + 0.5, x)
    assert len(src.nodes) == 5 and len(g.nodes) == 1
    (n,) = fused_nodes(g)
    assert n.op.name.startswith("_fused_") and n.op.pattern is Pattern.ELEMWISE
    assert [op.name for op, _, _ in n.op.fusion.steps] == ["sigmoid", "_mul_scalar", "_minus_scalar", "relu",
                                                          "_plus_scalar"]
    assert n.op.name not in mx.ops.registry.REGISTRY        # synthetic, never registered
    assert "_fused_" in str(g)


def test_tree_with_broadcast_inputs_fuses():
    x, row, col = nd.ones((3, 4)), nd.ones((1, 4)), nd.ones((3, 1))
    _, g = run_pass(lambda x, r, c: nd.sigmoid(x + r) * nd.tanh(x * c), x, row, col)
    assert len(g.nodes) == 1 and len(fused_nodes(g)) == 1
    assert g.nodes[0].op.fusion.n_in == 3


def test_does_not_fuse_across_non_elementwise_ops():
    def f(x):
        a = nd.relu(x * 2 + 1)                     # group 1
        s = nd.sum(a, axis=1, keepdims=True)       # reduce: a boundary
        return nd.exp(s) - 1 + s                   # group 2 (shape (3, 1))
    _, g = run_pass(f, nd.ones((3, 4)))
    names = [n.op.name.startswith("_fused_") or n.op.name for n in g.nodes]
    assert names == [True, "sum", True]
    results_equal(f, nd.array(np.random.default_rng(0).normal(size=(3, 4))))


def test_different_output_shapes_are_different_groups():
    def f(x, y):
        a = nd.sigmoid(x) * 3            # (3, 1)
        return nd.relu(a + y) * 2        # (3, 4): a is an input of this group
    _, g = run_pass(f, nd.ones((3, 1)), nd.ones((3, 4)))
    assert [len(n.op.fusion.steps) for n in fused_nodes(g)] == [2, 3]


def test_no_cycle_through_an_outside_node():
    def f(x):
        a = nd.relu(x) * 2
        s = nd.sum(a, axis=1, keepdims=True)      # depends on a
        return (a + s) * 0.5                      # same shape as a, but fusing it with a makes a cycle
    src, g = run_pass(f, nd.ones((3, 4)))
    assert [n.op.name.startswith("_fused_") or n.op.name for n in g.nodes] == [True, "sum", True]
    results_equal(f, nd.array(np.random.default_rng(1).normal(size=(3, 4))))


def test_values_used_outside_become_outputs():
    def f(x):
        a = nd.tanh(x) * 2
        b = nd.relu(a) + 1
        return b, nd.sum(a), a * 3
    _, g = run_pass(f, nd.ones((2, 5)))
    fused = fused_nodes(g)
    assert len(fused) == 1 and len(fused[0].outputs) == 3   # b (graph output), a (used by sum), a*3
    results_equal(f, nd.array(np.random.default_rng(2).normal(size=(2, 5))))


def test_effects_ops_never_fuse():
    effect = OpDef("_test_effect_plus_one", ("data",), None, Pattern.ELEMWISE, scalar=lambda x: x + 1,
                   effects=True)
    effect.infer = same_as_input(effect)
    relu = mx.ops.registry.get_op("relu")
    g = Graph()
    spec = TensorSpec((4,), "float32", mx.cpu())
    x = g.add_input(spec, "x")
    a = g.add_node(relu, (x,), {}, [spec]).outputs[0]
    b = g.add_node(effect, (a,), {}, [spec]).outputs[0]
    c = g.add_node(relu, (b,), {}, [spec]).outputs[0]
    g.outputs = [c]
    assert fuse_elementwise.run(g) is g        # nothing to fuse: every group would have one node

    # random ops keep their place and order around fused chains
    def f(x):
        u = nd.random.uniform_like(x)
        y = nd.relu(x * 2) + u
        v = nd.random.normal_like(x)
        return nd.sigmoid(y * v) - 1
    src, g2 = run_pass(f, nd.ones((3,)))
    rand = [n.op.name for n in g2.nodes if n.op.effects]
    assert rand == [n.op.name for n in src.nodes if n.op.effects] == ["_random_uniform_like", "_random_normal_like"]
    assert all(not n.op.effects for n in fused_nodes(g2)) and fused_nodes(g2)


def test_group_size_limit():
    def f(x):
        for k in range(70):
            x = x * 1.001 if k % 2 else x + 0.01
        return x
    _, g = run_pass(f, nd.ones((8,)))
    sizes = [len(n.op.fusion.steps) for n in fused_nodes(g)]
    assert sum(sizes) == 70 and max(sizes) <= fuse_elementwise.MAX_GROUP and len(sizes) == 3
    results_equal(f, nd.array(np.linspace(-1, 1, 8)))


def test_pass_is_pure():
    tf = graph.trace(lambda x: nd.relu(x * 2) - 1, nd.ones((2,)))
    before = str(tf.graph)
    nodes = list(tf.graph.nodes)
    fuse_elementwise.run(tf.graph)
    assert str(tf.graph) == before and tf.graph.nodes == nodes


def test_dtype_change_breaks_groups():
    def f(x):
        y = nd.relu(x) * 2
        z = nd.cast(y, dtype="float64")
        return nd.sigmoid(z) + 1
    _, g = run_pass(f, nd.ones((3,)))
    assert len(fused_nodes(g)) == 2
    assert [str(n.outputs[0].spec.dtype) for n in fused_nodes(g)] == ["float32", "float64"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_compiled_equals_eager(device, dtype):
    rng = np.random.default_rng(3)

    def f(x, y):
        a = nd.sigmoid(x) * 2.5 - 1
        b = nd.relu(a * y) + 0.25
        return nd.tanh(b) - a, nd.sum(b, axis=1)
    x = nd.array(rng.normal(size=(4, 6)), dtype=dtype, ctx=device)
    y = nd.array(rng.normal(size=(1, 6)), dtype=dtype, ctx=device)
    want = [o.asnumpy() for o in f(x, y)]
    cf = graph.compile(f)
    got = [o.asnumpy() for o in cf(x, y)]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    g = cf.entry(x, y).forward.graph
    assert fused_nodes(g), "the pipeline did not fuse"
    # gradients through the compiled call (backward graph fused too)
    x.attach_grad()
    with autograd.record():
        out = cf(x, y)[0].sum()
    out.backward()
    gx = x.grad.asnumpy()
    x2 = nd.array(x.asnumpy(), dtype=dtype, ctx=device)
    x2.attach_grad()
    with autograd.record():
        out2 = f(x2, y)[0].sum()
    out2.backward()
    np.testing.assert_allclose(gx, x2.grad.asnumpy(), rtol=1e-5, atol=1e-6)


def test_compiled_chain_repeated_calls_do_not_share_outputs():
    f = graph.compile(lambda x: nd.relu(x * 2 - 1) * 3)
    a = f(nd.array([1.0, 2.0]))
    b = f(nd.array([0.0, 5.0]))
    assert a.asnumpy().tolist() == [3.0, 9.0] and b.asnumpy().tolist() == [0.0, 27.0]


def test_disable_by_name(monkeypatch):
    monkeypatch.setenv("HYBRIDNET_DISABLE_PASSES", "fuse_elementwise")
    cf = graph.compile(lambda x: nd.relu(x * 2 - 1))
    x = nd.ones((3,))
    cf(x)
    assert not fused_nodes(cf.entry(x).forward.graph)


def test_random_graphs_fuse_correctly():
    """Random DAGs of elementwise ops, reductions (keepdims, so their results broadcast back into
    groups) and shape changes: every fused graph verifies and computes what the unfused one does."""
    rng = np.random.default_rng(11)
    unary = [nd.relu, nd.sigmoid, nd.tanh, lambda v: v * 1.5, lambda v: v - 0.25, nd.abs]
    fired = 0
    for trial in range(25):
        plan = [(int(rng.integers(0, 6)), int(rng.integers(0, 1 << 20)), int(rng.integers(0, 1 << 20)))
                for _ in range(int(rng.integers(4, 14)))]

        def f(x, y, plan=plan):
            vals = [x, y]
            for kind, i, j in plan:
                a, b = vals[i % len(vals)], vals[j % len(vals)]
                if kind <= 2:
                    vals.append(unary[(i + j) % len(unary)](a))
                elif kind == 3:
                    vals.append(a + b if a.shape == b.shape or a.ndim == b.ndim else a * 2)
                elif kind == 4:
                    vals.append(nd.sum(a, axis=1, keepdims=True) if a.ndim == 2 and a.shape[1] > 1 else a * b
                                if a.shape == b.shape else nd.relu(a))
                else:
                    vals.append(nd.broadcast_mul(a, b) if a.ndim == b.ndim else nd.exp(a * 0.1))
            return vals[-1], vals[len(vals) // 2]
        x = nd.array(rng.normal(size=(3, 4)))
        y = nd.array(rng.normal(size=(3, 4)))
        src, g = run_pass(f, x, y)
        assert all(len(n.op.fusion.steps) >= 2 for n in fused_nodes(g))
        assert sum(len(n.op.fusion.steps) for n in fused_nodes(g)) + len(g.nodes) - len(fused_nodes(g)) \
            <= len(src.nodes)        # (dead groups are dropped)
        fired += bool(fused_nodes(g))
        results_equal(f, x, y)
    assert fired >= 15
