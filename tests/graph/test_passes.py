"""Graph passes, one class each: pure functions on small traced or hand-built graphs, checked for what
they remove/merge/fold and for leaving the input graph untouched. (conftest sets
HYBRIDNET_DEBUG_GRAPH=1, so ``optimize`` verifies the graph after every pass.)"""
import numpy as np
import pytest

from hybridnet import graph, nd
from hybridnet.graph.executor import Executable
from hybridnet.graph.ir import GraphError
from hybridnet.graph.passes import (PIPELINE, eliminate_common_subexpr as cse, eliminate_dead_code as dce,
                                    fold_constants as fold, infer_shapes, optimize)
from hybridnet.ops.spec import TensorSpec

X = nd.array(np.arange(6, dtype=np.float32).reshape(2, 3))


def ops_of(g):
    return [n.op.name for n in g.nodes]


def run_graph(g, *args, **kw):
    return [np.asarray(r) for r in Executable(g, **kw).run(*[a._data for a in args])]


def check_pure(pass_run, g):
    """The pass returns a new graph and leaves the input graph exactly as it was."""
    before = (str(g), list(g.nodes), list(g.inputs), list(g.outputs), dict(g.constants))
    new = pass_run(g)
    assert new is not g
    assert (str(g), list(g.nodes), list(g.inputs), list(g.outputs), dict(g.constants)) == before
    new.verify("test")
    return new


class TestPipeline:
    def test_order_and_names(self):
        assert PIPELINE == ["infer_shapes", "eliminate_dead_code", "eliminate_common_subexpr", "fold_constants",
                            "fuse_elementwise", "eliminate_dead_code", "plan_memory"]

    def test_disable_by_env_is_read_at_call_time(self, monkeypatch):
        g = graph.trace(lambda x: (x * 2) + (x * 2), X).graph
        monkeypatch.setenv("HYBRIDNET_DISABLE_PASSES", "eliminate_common_subexpr,fuse_elementwise")
        assert ops_of(optimize(g)).count("_mul_scalar") == 2
        monkeypatch.setenv("HYBRIDNET_DISABLE_PASSES", "fuse_elementwise")
        assert ops_of(optimize(g)).count("_mul_scalar") == 1

    def test_unknown_pass_name_is_an_error(self, monkeypatch):
        monkeypatch.setenv("HYBRIDNET_DISABLE_PASSES", "no_such_pass")
        with pytest.raises(Exception, match="unknown passes.*no_such_pass"):
            optimize(graph.trace(lambda x: x + 1, X).graph)

    def test_debug_mode_verifies_after_each_pass(self, monkeypatch):
        from hybridnet.graph import passes
        g = graph.trace(lambda x: x + 1, X).graph

        def broken(graph_):                    # a buggy pass: duplicates a node
            out = dce.run(graph_)
            out.nodes.append(out.nodes[0])
            return out
        monkeypatch.setitem(passes._loaded, "eliminate_common_subexpr", broken)
        with pytest.raises(GraphError, match="after eliminate_common_subexpr"):
            optimize(g)


class TestInferShapes:
    def test_valid_graph_is_unchanged_and_pure(self):
        g = graph.trace(lambda x: nd.relu(x * 2).sum(axis=1), X).graph
        new = check_pure(infer_shapes.run, g)
        assert new.nodes == g.nodes

    def test_catches_a_corrupted_spec(self):
        g = graph.trace(lambda x: nd.relu(x * 2).sum(axis=1), X).graph
        g.nodes[1].outputs[0].spec = TensorSpec((3, 2), np.float32, X.context)   # relu's output
        with pytest.raises(GraphError, match=r"(?s)node 1 \(relu\).*disagrees with infer.*f32\[2,3\]"):
            infer_shapes.run(g)

    def test_catches_a_wrong_dtype(self):
        g = graph.trace(lambda x: x * 2, X).graph
        g.nodes[0].outputs[0].spec = TensorSpec((2, 3), np.float64, X.context)
        with pytest.raises(GraphError, match="disagrees with infer"):
            infer_shapes.run(g)

    def test_fills_missing_specs_downstream(self):
        g = graph.trace(lambda x: nd.relu(x * 2).sum(axis=1), X).graph
        mid = g.nodes[0].outputs[0]
        mid.spec = None                          # e.g. a hand-built graph that left a spec out
        new = infer_shapes.run(g)
        assert new.nodes[0].outputs[0].spec.shape == (2, 3)
        assert new.nodes[1].inputs[0] is new.nodes[0].outputs[0]
        new.verify()
        np.testing.assert_allclose(run_graph(new, X, optimize=False)[0], [6, 24])


class TestDeadCode:
    def test_removes_unused_nodes_and_constants(self):
        c = nd.array([1.0, 2.0, 3.0])

        def fn(x):
            unused = nd.exp(x) * c       # dead, and the only user of c
            return x + 1
        g = graph.trace(fn, X).graph
        assert len(g.nodes) == 3 and len(g.constants) == 1
        new = check_pure(dce.run, g)
        assert ops_of(new) == ["_plus_scalar"] and not new.constants
        assert new.inputs == g.inputs

    def test_keeps_effects_ops(self):
        def fn(x):
            nd.random.uniform(shape=(2, 3))      # unused draw still advances the generator
            return x * 2
        g = graph.trace(fn, X).graph
        new = dce.run(g)
        assert "_random_uniform" in ops_of(new)

    def test_keeps_inputs_of_live_multi_output_nodes(self):
        g = graph.trace(lambda x: nd.split(x * 3, num_outputs=3, axis=1)[1], X).graph
        new = dce.run(g)
        assert ops_of(new) == ["_mul_scalar", "SliceChannel"]
        np.testing.assert_allclose(run_graph(new, X, optimize=False)[0], [[3], [12]])


class TestCommonSubexpr:
    def test_merges_x_times_2_computed_twice(self):
        g = graph.trace(lambda x: (x * 2) + (x * 2), X).graph
        new = check_pure(cse.run, g)
        assert ops_of(new) == ["_mul_scalar", "elemwise_add"] or ops_of(new) == ["_mul_scalar", "broadcast_add"]
        add = new.nodes[1]
        assert add.inputs[0] is add.inputs[1]
        np.testing.assert_allclose(run_graph(new, X, optimize=False)[0], 4 * X.asnumpy())

    def test_different_attrs_or_attr_types_are_not_merged(self):
        g = graph.trace(lambda x: (x * 2) + (x * 3) + x.sum(axis=0) + x.sum(axis=(0,)).reshape((3,)), X).graph
        new = cse.run(g)
        assert ops_of(new).count("_mul_scalar") == 2
        assert ops_of(new).count("sum") == 2         # axis=0 and axis=(0,) are different attribute values
        assert cse.attrs_key({"a": 1}) != cse.attrs_key({"a": 1.0}) != cse.attrs_key({"a": True})

    def test_attrs_with_tuples_lists_dtypes_are_hashable(self):
        a = {"shape": (2, 3), "axes": [0, 1], "dtype": np.dtype("float32"), "nested": ((1, [2]), None)}
        b = {"nested": ((1, [2]), None), "dtype": np.dtype("float32"), "axes": [0, 1], "shape": (2, 3)}
        assert cse.attrs_key(a) == cse.attrs_key(b)
        assert cse.attrs_key(a) != cse.attrs_key(dict(a, dtype=np.dtype("float64")))
        hash(cse.attrs_key(a))

    def test_chains_merge_transitively(self):
        g = graph.trace(lambda x: nd.relu(x * 2) + nd.relu(x * 2), X).graph
        assert ops_of(cse.run(g)).count("relu") == 1

    def test_random_ops_are_not_merged(self):
        g = graph.trace(lambda x: x + nd.random.uniform(shape=(2, 3)) + nd.random.uniform(shape=(2, 3)), X).graph
        new = cse.run(g)
        assert ops_of(new).count("_random_uniform") == 2
        r = run_graph(new, nd.zeros((2, 3)), optimize=False)[0]
        assert r.shape == (2, 3)


class TestFoldConstants:
    def test_constant_subgraph_becomes_one_constant(self):
        c = nd.array([1.0, 2.0, 3.0])

        def fn(x):
            return x + nd.exp(c * 2 + 1).reshape((1, 3))
        g = graph.trace(fn, X).graph
        new = check_pure(fold.run, g)
        new = dce.run(new)
        assert ops_of(new) == ["broadcast_add"]
        assert len(new.constants) == 1
        (arr,) = new.constants.values()
        np.testing.assert_allclose(np.asarray(arr), np.exp(np.array([[1.0, 2, 3]]) * 2 + 1), rtol=1e-6)
        np.testing.assert_allclose(run_graph(new, X)[0], X.asnumpy() + np.exp(c.asnumpy() * 2 + 1), rtol=1e-6)

    def test_never_folds_effects_ops(self):
        g = graph.trace(lambda x: x + nd.random.uniform(shape=(2, 3)) * 2, X).graph
        new = fold.run(g)
        assert "_random_uniform" in ops_of(new) and "_mul_scalar" in ops_of(new)

    def test_size_cap(self, monkeypatch):
        c = nd.ones((4, 4))
        g = graph.trace(lambda x: x + (c * 2).sum(), X).graph
        monkeypatch.setattr(fold, "FOLD_MAX_BYTES", 8)
        assert ops_of(fold.run(g)) == ["_mul_scalar", "sum", "broadcast_add"]   # 64 bytes: too big
        monkeypatch.setattr(fold, "FOLD_MAX_BYTES", 1 << 20)
        assert ops_of(fold.run(g)) == ["broadcast_add"]

    def test_a_folded_output_is_copied_per_call(self):
        f = graph.compile(lambda x: (x + 1, nd.array([1.0, 2.0]) * 3))
        a, b = f(X)
        b[:] = 0                                   # the caller owns the result
        a2, b2 = f(X)
        assert b2.asnumpy().tolist() == [3.0, 6.0]


def test_passes_share_unchanged_nodes():
    g = graph.trace(lambda x: nd.relu(x * 2) + 1, X).graph
    assert dce.run(g).nodes == g.nodes
    assert all(a is b for a, b in zip(cse.run(g).nodes, g.nodes))
