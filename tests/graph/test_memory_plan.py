"""Memory planning and the static-arena executor: buffer reuse and in-place on chains, never touching
inputs/outputs/constants, no two live values in one buffer (checked on random graphs against the
unplanned executor), results independent across calls, passes switchable by env var, and a cache hit
that runs exactly one kernel call per step and no Python of the traced function."""
import numpy as np
import pytest

from hybridnet import autograd, graph, nd
from hybridnet.graph.executor import Executable
from hybridnet.graph.passes import plan_memory

X = nd.array(np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4))


@pytest.fixture(autouse=True)
def unfused(monkeypatch):
    """Plans are checked on unfused graphs (node counts stay predictable) with every other pass on,
    whatever HYBRIDNET_DISABLE_PASSES says outside; the random graphs also run the full pipeline."""
    monkeypatch.setenv("HYBRIDNET_DISABLE_PASSES", "fuse_elementwise")


def plan_of(fn, *args):
    ex = Executable(graph.trace(fn, *args).graph)
    return ex, ex.plan


def check_plan(g, plan):
    """No buffer holds two values whose lifetimes overlap (an in-place hand-off at one node is the only
    shared point); external values are never planned."""
    pos = {o: k for k, n in enumerate(g.nodes) for o in n.outputs}
    root = {}
    for n in g.nodes:
        if plan.kind.get(n.outputs[0]) == "alias":
            root[n.outputs[0]] = root.get(n.inputs[0], n.inputs[0])
    last = {}
    for k, n in enumerate(g.nodes):
        for v in n.inputs:
            if v is not None:
                last[root.get(v, v)] = k
    external = set(g.inputs) | set(g.constants) | set(g.outputs)
    assert not external & set(plan.buffer), "an input, constant or output got an arena buffer"
    inplace_at = {(k, g.nodes[k].inputs[i]) for k, i, _ in plan.inplace}
    by_buf = {}
    for v, b in plan.buffer.items():
        by_buf.setdefault(b, []).append((pos[v], last.get(v, pos[v]), v))
    for b, vals in by_buf.items():
        vals.sort(key=lambda t: t[0])
        for (s0, e0, v0), (s1, e1, v1) in zip(vals, vals[1:]):
            assert e0 <= s1, f"buffer {b}: {v0} (live {s0}..{e0}) overlaps {v1} (from {s1})"
            if e0 == s1:
                assert any(k == s1 and root.get(v, v) is v0 for k, v in inplace_at), \
                    f"buffer {b} reused at node {s1} while {v0} is read there (not a declared in-place)"
            assert plan.sizes[b] >= plan_memory._align(0) and plan.sizes[b] >= v1.spec.dtype.itemsize * \
                int(np.prod(v1.spec.shape))


def chain(x):
    y = x * 2
    for _ in range(6):
        y = nd.exp(nd.relu(y) * 0.5) - 1
    return y.sum(axis=1)


class TestPlan:
    def test_chain_reuses_buffers_and_runs_in_place(self):
        ex, plan = plan_of(chain, X)
        arena_vals = [v for v, k in plan.kind.items() if k == "arena"]
        assert len(arena_vals) == 1 + 6 * 4
        assert plan.n_buffers <= 2, plan
        assert plan.inplace, "unary elementwise ops on a dying input should run in place"
        assert plan.peak_bytes <= plan.naive_bytes / 5
        check_plan(ex.graph, plan)
        np.testing.assert_allclose(ex.run(X._data)[0], chain(X).asnumpy(), rtol=1e-6)

    def test_elementwise_chain_is_one_buffer(self):
        ex, plan = plan_of(lambda x: nd.sqrt(nd.abs(nd.exp(nd.relu(x * 3)))) + 0, X)
        assert plan.n_buffers == 1
        assert len(plan.inplace) == 4
        check_plan(ex.graph, plan)

    def test_never_reuses_inputs_outputs_constants(self):
        c = nd.array(np.ones((3, 4), np.float32))

        def fn(x, w):
            a = nd.relu(x)               # x dies here, but is a graph input: never written in place
            b = a * c                     # c is a constant
            return b, nd.exp(b) + w       # b is an output: fresh memory, never overwritten
        x0, w0 = X.asnumpy().copy(), np.full((3, 4), 2, np.float32)
        ex, plan = plan_of(fn, X, nd.array(w0))
        check_plan(ex.graph, plan)
        xs, ws = nd.array(x0), nd.array(w0)
        b, out = ex.run(xs._data, ws._data)
        np.testing.assert_array_equal(xs.asnumpy(), x0)
        np.testing.assert_array_equal(ws.asnumpy(), w0)
        np.testing.assert_array_equal(c.asnumpy(), 1)
        np.testing.assert_allclose(b, np.maximum(x0, 0))
        np.testing.assert_allclose(out, np.exp(np.maximum(x0, 0)) + 2, rtol=1e-6)

    def test_peak_at_most_naive(self):
        for fn in (chain, lambda x: x + 1, lambda x: (x * 2, x * 3)):
            ex, plan = plan_of(fn, X)
            assert plan.peak_bytes <= plan.naive_bytes or plan.naive_bytes == 0

    def test_views_alias_their_input_buffer(self):
        def fn(x):
            h = nd.exp(x * 2)
            v = h.reshape((4, 3))         # a view of h's buffer
            w = nd.relu(x) + 1            # must not land in h's buffer while v is alive
            return v.sum(axis=1) + w.reshape((12,))[:4]
        ex, plan = plan_of(fn, X)
        assert "alias" in plan.kind.values()
        check_plan(ex.graph, plan)
        for _ in range(2):
            np.testing.assert_allclose(ex.run(X._data)[0], fn(X).asnumpy(), rtol=1e-6)

    def test_view_of_an_arena_buffer_returned_as_output_is_copied(self):
        f = graph.compile(lambda x: nd.exp(x * 2).reshape((12,)))
        r1 = f(X)
        want = r1.asnumpy().copy()
        r2 = f(X * 0)
        np.testing.assert_allclose(r1.asnumpy(), want)
        np.testing.assert_allclose(r2.asnumpy(), 1)

    def test_multi_output_nodes_with_tuple_out(self):
        def fn(x):
            a, b, c = nd.split(nd.exp(x), num_outputs=3, axis=0)
            return nd.relu(a) + b * c, b          # b is also a graph output: fresh per call
        ex, plan = plan_of(fn, X)
        split = next(n for n in ex.graph.nodes if n.op.name == "SliceChannel")
        assert [plan.kind[o] for o in split.outputs] == ["arena", "fresh", "arena"]
        check_plan(ex.graph, plan)
        r1 = ex.run(X._data)
        keep = [np.array(r, copy=True) for r in r1]
        r2 = ex.run((X * 2)._data)
        for got, want in zip(r1, fn(X)):
            np.testing.assert_allclose(got, want.asnumpy(), rtol=1e-6)
        for got, want in zip(r2, fn(X * 2)):
            np.testing.assert_allclose(got, want.asnumpy(), rtol=1e-6)
        for a, k in zip(r1, keep):
            np.testing.assert_array_equal(a, k)

    def test_multi_output_kernels_without_tuple_out_allocate(self):
        def fn(p):
            s, logp = nd.sample_multinomial(p, shape=(2,), get_prob=True)
            return logp * 2 + s.astype("float32")
        p = nd.array([[0.2, 0.8], [1.0, 0.0]])
        ex, plan = plan_of(fn, p)
        node = next(n for n in ex.graph.nodes if n.op.name == "_sample_multinomial")
        assert all(plan.kind[o] == "fresh" for o in node.outputs)
        check_plan(ex.graph, plan)
        assert ex.run(p._data)[0].shape == (2, 2)


class TestExecutor:
    def test_outputs_of_consecutive_calls_are_independent(self):
        f = graph.compile(lambda x: (nd.relu(x * 2) + 1, nd.exp(x).sum(axis=0)))
        x1, x2 = X, X * -1
        a1, b1 = f(x1)
        s1 = (a1.asnumpy().copy(), b1.asnumpy().copy())
        a2, b2 = f(x2)
        assert a1 is not a2 and a1._data is not a2._data and not np.shares_memory(a1._data, a2._data)
        np.testing.assert_array_equal(a1.asnumpy(), s1[0])
        np.testing.assert_array_equal(b1.asnumpy(), s1[1])
        np.testing.assert_allclose(a2.asnumpy(), np.maximum(-2 * X.asnumpy(), 0) + 1)

    def test_arena_is_allocated_once_per_executable(self):
        ex, plan = plan_of(chain, X)
        arena = dict(ex.arenas)
        for _ in range(3):
            ex.run(X._data)
        assert ex.arenas == arena and all(a is arena[d] for d, a in ex.arenas.items())
        assert sum(a.nbytes for a in arena.values()) == sum(plan.arena_bytes.values())

    def test_disable_plan_memory_by_env(self, monkeypatch):
        monkeypatch.setenv("HYBRIDNET_DISABLE_PASSES", "plan_memory")
        ex, plan = plan_of(chain, X)
        assert plan is None and not ex.arenas
        np.testing.assert_allclose(ex.run(X._data)[0], chain(X).asnumpy(), rtol=1e-6)

    def test_optimize_false_runs_the_graph_as_traced(self):
        g = graph.trace(lambda x: (x * 2) + (x * 2), X).graph
        ex = Executable(g, optimize=False)
        assert ex.graph is g and ex.plan is None and len(ex.steps) == 3

    def test_cache_hit_runs_one_kernel_call_per_step_and_no_python(self):
        calls = []

        def fn(x):
            calls.append(1)
            return chain(x) + 1
        f = graph.compile(fn)
        f(X)
        ex = f.entry(X).forward
        count = [0]

        def counted(k):
            def wrapper(*a, **kw):
                count[0] += 1
                return k(*a, **kw)
            return wrapper
        ex.steps = [(counted(k), *rest) for k, *rest in ex.steps]
        r = f(X)
        assert calls == [1]
        assert count[0] == len(ex.steps) > 0
        np.testing.assert_allclose(r.asnumpy(), chain(X).asnumpy() + 1, rtol=1e-6)

    def test_gradients_through_planned_graphs(self):
        f = graph.compile(lambda x: (nd.exp(nd.relu(x * 2)) * x).reshape((12,)).sum())
        for _ in range(2):
            a = X.copy()
            a.attach_grad()
            with autograd.record():
                y = f(a)
            y.backward()
            b = X.copy()
            b.attach_grad()
            with autograd.record():
                z = (nd.exp(nd.relu(b * 2)) * b).reshape((12,)).sum()
            z.backward()
            np.testing.assert_allclose(a.grad.asnumpy(), b.grad.asnumpy(), rtol=1e-5)


UNARY = [nd.relu, nd.exp, nd.negative, nd.abs, nd.sigmoid, lambda v: v * 0.5, lambda v: v + 1]


def random_fn(seed):
    rng = np.random.default_rng(seed)
    steps = []
    for _ in range(rng.integers(4, 14)):
        kind = rng.integers(0, 5)
        steps.append((kind, int(rng.integers(0, 10**6)), int(rng.integers(0, len(UNARY)))))
    n_out = int(rng.integers(1, 3))

    def fn(x):
        vals = [x]
        for kind, pick, u in steps:
            a = vals[pick % len(vals)]
            b = vals[(pick // 7) % len(vals)]
            if kind == 0:
                vals.append(UNARY[u](a))
            elif kind == 1:
                vals.append(a + b)
            elif kind == 2:
                vals.append(a.reshape((12,)).reshape((3, 4)) * 1.5)
            elif kind == 3:
                vals.append(nd.broadcast_mul(a, b.sum(axis=0, keepdims=True)))
            else:
                vals.append(nd.expand_dims(a, axis=0).reshape((3, 4)))
        return tuple(vals[-1 - i] for i in range(n_out))
    return fn


@pytest.mark.parametrize("pipeline", ["unfused", "full"])
@pytest.mark.parametrize("seed", range(40))
def test_random_graphs_planned_equal_unplanned(seed, pipeline, monkeypatch):
    if pipeline == "full":
        monkeypatch.delenv("HYBRIDNET_DISABLE_PASSES")
    fn = random_fn(seed)
    g = graph.trace(fn, X).graph
    planned, plain = Executable(g), Executable(g, optimize=False)
    check_plan(planned.graph, planned.plan)
    x = nd.array(np.random.default_rng(seed).uniform(-1, 1, (3, 4)).astype(np.float32))
    x_before = x.asnumpy().copy()
    first = None
    for _ in range(2):
        got = planned.run(x._data)
        want = plain.run(x._data)
        for a, b in zip(got, want):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-6)
        if first is None:
            first = [np.array(a, copy=True) for a in got], got
    for kept, arr in zip(*first):
        np.testing.assert_array_equal(np.asarray(arr), kept)
    np.testing.assert_array_equal(x.asnumpy(), x_before)
