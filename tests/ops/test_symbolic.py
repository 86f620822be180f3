"""Template: the hybrid contract for every OpCase — the op traced into a graph and replayed by the
executor gives what eager gives, and gradients through the compiled call (one tape node whose backward
is a graph derived from the grad rules) equal eager gradients."""
import numpy as np
import pytest

from hybridnet import autograd, graph
from hybridnet.testing.op_cases import all_cases
from hybridnet.testing.op_runner import call_op, make_inputs, to_nd

CASES = all_cases()


def _outs(r):
    return list(r) if isinstance(r, (list, tuple)) else [r]


def _close(a, b, what):
    a, b = a.asnumpy(), b.asnumpy()
    assert a.shape == b.shape and a.dtype == b.dtype, f"{what}: {a.shape}/{a.dtype} vs {b.shape}/{b.dtype}"
    np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=1e-6, atol=1e-7,
                               equal_nan=True, err_msg=what)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_traced_equals_eager(case):
    rng = np.random.default_rng(3)
    dtype = case.dtypes[-1]
    for s in case.samples[:3]:
        xs = make_inputs(case, s, dtype, rng)
        f = graph.compile(lambda *a: call_op(case, list(a), s.attrs))
        got = f(*[to_nd(x) for x in xs])
        want = call_op(case, [to_nd(x) for x in xs], s.attrs)
        for g, w in zip(_outs(got), _outs(want)):
            if case.nondeterministic:
                assert g.shape == w.shape and g.dtype == w.dtype
            else:
                _close(g, w, f"{case.name} traced vs eager")
        f(*[to_nd(x) for x in xs])
        assert f.trace_count == 1, "a cache hit re-ran the Python function"


@pytest.mark.parametrize("case", [c for c in CASES if c.grad and "float64" in c.dtypes], ids=lambda c: c.name)
def test_traced_gradients_equal_eager(case):
    rng = np.random.default_rng(4)
    s, xs = next((s, xs) for s in case.samples if s.grad
                 for xs in [make_inputs(case, s, "float64", rng)] if all(x.size for x in xs if x.dtype.kind == "f"))
    wrt = case.grad_inputs if case.grad_inputs is not None else [i for i, x in enumerate(xs) if x.dtype.kind == "f"]
    f = graph.compile(lambda *a: call_op(case, list(a), s.attrs))
    grads = []
    for fn in (f, lambda *a: call_op(case, list(a), s.attrs)):
        arrs = [to_nd(x) for x in xs]
        for i in wrt:
            arrs[i].attach_grad()
        with autograd.record():
            outs = _outs(fn(*arrs))
            heads = [o * to_nd(np.linspace(0.5, 1.5, o.size).reshape(o.shape).astype(o.dtype)) for o in outs]
        autograd.backward(heads)
        grads.append([arrs[i].grad for i in wrt])
    for g, w in zip(*grads):
        _close(g, w, f"{case.name} gradient traced vs eager")
