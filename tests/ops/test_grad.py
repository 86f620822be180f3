"""Template: numeric gradient checks (float64, random directions) for every differentiable OpCase;
second order for the records marked ``grad2`` (MXNet P10: higher-order gradients)."""
import numpy as np
import pytest

from hybridnet.testing import numeric_grad_check
from hybridnet.testing.op_cases import all_cases
from hybridnet.testing.op_runner import call_op, make_inputs

CASES = [c for c in all_cases() if c.grad and "float64" in c.dtypes]


def _samples(case):
    return [s for s in case.samples if s.grad][:2]


def _run(case, order, rng):
    checked = 0
    for s in _samples(case):
        xs = make_inputs(case, s, "float64", rng)
        if not all(x.size for x in xs if x.dtype.kind == "f"):
            continue
        wrt = case.grad_inputs
        if wrt is None:
            wrt = [i for i, x in enumerate(xs) if x.dtype.kind == "f"]
        numeric_grad_check(lambda *a: call_op(case, list(a), s.attrs), xs, wrt=wrt, order=order,
                           rtol=case.grad_rtol, atol=case.grad_atol)
        checked += 1
    assert checked, f"{case.name}: no sample was gradient-checked"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_grad(case):
    _run(case, 1, np.random.default_rng(1))


@pytest.mark.parametrize("case", [c for c in CASES if c.grad2], ids=lambda c: c.name)
def test_grad_second_order(case):
    _run(case, 2, np.random.default_rng(2))
