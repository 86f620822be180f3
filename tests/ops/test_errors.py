"""Template: every OpCase's bad inputs raise the documented HybridNetError subclass, with a message
that names the op and matches the record."""
import numpy as np
import pytest

import hybridnet as mx
from hybridnet.ops.registry import get_op
from hybridnet.testing.op_cases import ErrorCase, all_cases
from hybridnet.testing.op_runner import call_op, make_inputs, to_nd

ERRS = [(c, e) for c in all_cases() for e in c.errors]


@pytest.mark.parametrize("case,err", ERRS, ids=lambda x: getattr(x, "name", None) or getattr(x, "match", "")[:30])
def test_error(case, err):
    rng = np.random.default_rng(0)
    dt = case.dtypes[0]
    xs = []
    for i, spec in enumerate(err.inputs):
        sub = ErrorCase((spec,))
        sub_case = type(case)(case.op, None, [], dtypes=case.dtypes, domain=case.domain,
                              input_dtypes=(err.dtypes[i],) if err.dtypes else
                              ((case.input_dtypes[i],) if case.input_dtypes else None))
        xs.extend(make_inputs(sub_case, type(case.samples[0])(sub.inputs) if case.samples else sub, dt, rng))
    with pytest.raises(err.exc or mx.HybridNetError, match=err.match) as info:
        call_op(case, [to_nd(x) for x in xs], err.attrs)
    assert isinstance(info.value, mx.HybridNetError)
    op = get_op(case.op)
    assert op.name in str(info.value) or any(a in str(info.value) for a in op.aliases), \
        f"error message does not name the operator: {info.value}"
