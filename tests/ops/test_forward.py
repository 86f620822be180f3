"""Template: every OpCase sample x dtype against its NumPy reference; the op's inference rule must
agree with the kernel's output (shape and dtype); non-contiguous inputs give the same result."""
import numpy as np
import pytest

from hybridnet.ops.registry import get_op
from hybridnet.testing import tolerances
from hybridnet.testing.op_cases import all_cases
from hybridnet.testing.op_runner import call_op, make_inputs, noncontiguous, to_nd

CASES = all_cases()


def _outs(r):
    return list(r) if isinstance(r, (list, tuple)) else [r]


def _check(case, dtype, out, expected, note):
    outs, exps = _outs(out), _outs(expected)
    assert len(outs) == len(exps), f"{case.name}: {len(outs)} outputs, reference has {len(exps)}"
    for o, e in zip(outs, exps):
        e = np.asarray(e)
        got = o.asnumpy()
        assert got.shape == e.shape, f"{case.name} {note}: shape {got.shape} != reference {e.shape}"
        if case.compare is not None:
            case.compare(got, e, dtype)
            continue
        rtol, atol = tolerances(got.dtype)
        rtol = case.rtol if case.rtol is not None else rtol
        atol = case.atol if case.atol is not None else atol
        if got.dtype.kind in "iub":
            np.testing.assert_array_equal(got, e.astype(got.dtype), err_msg=f"{case.name} {note}")
        else:
            np.testing.assert_allclose(got.astype(np.float64), e.astype(np.float64), rtol=rtol, atol=atol,
                                       equal_nan=True, err_msg=f"{case.name} {note} dtype={dtype}")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_forward(case, rng):
    op = get_op(case.op)
    for dtype in tuple(case.dtypes) + tuple(case.int_dtypes):
        for k, s in enumerate(case.samples):
            xs = make_inputs(case, s, dtype, rng)
            with np.errstate(all="ignore"):
                expected = case.ref(*xs, **s.attrs) if not case.nondeterministic else None
            out = call_op(case, [to_nd(x) for x in xs], s.attrs)
            if case.call is None:
                spec = op.infer(*[to_nd(x) for x in xs], **_full_attrs(op, s.attrs))
                for sp, o in zip(_outs(spec), _outs(out)):
                    assert tuple(sp.shape) == o.shape, f"{case.name}: infer says {sp.shape}, kernel gave {o.shape}"
                    assert np.dtype(sp.dtype) == o.dtype, f"{case.name}: infer says {sp.dtype}, kernel gave {o.dtype}"
            if case.nondeterministic:
                continue
            _check(case, dtype, out, expected, f"sample {k} {s.note}")
            if any(x.ndim and x.size for x in xs):
                out_nc = call_op(case, [to_nd(noncontiguous(x)) for x in xs], s.attrs)
                _check(case, dtype, out_nc, expected, f"sample {k} non-contiguous")


def _full_attrs(op, attrs):
    from hybridnet.ops.bind import normalize_attrs
    return normalize_attrs(op, attrs)


@pytest.mark.parametrize("case", [c for c in CASES if c.gpu], ids=lambda c: c.name)
def test_forward_gpu_matches_cpu(case, rng):
    """The first sample on gpu(0) (the CUDA simulator in CI) equals the CPU result."""
    import hybridnet as mx
    if mx.num_gpus() == 0:
        pytest.skip("no GPU and no simulator")
    s = case.samples[0]
    dtype = case.dtypes[0]
    xs = make_inputs(case, s, dtype, rng)
    cpu_out = call_op(case, [to_nd(x) for x in xs], s.attrs)
    gpu_out = call_op(case, [to_nd(x, mx.gpu(0)) for x in xs], s.attrs)
    for c, g in zip(_outs(cpu_out), _outs(gpu_out)):
        assert g.context == mx.gpu(0)
        if not case.nondeterministic:
            rtol, atol = tolerances(c.dtype)
            np.testing.assert_allclose(g.asnumpy(), c.asnumpy(), rtol=max(rtol, 1e-5), atol=max(atol, 1e-6),
                                       equal_nan=True, err_msg=case.name)
