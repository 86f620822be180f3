"""NaN-producing domains: with hybridnet.debug.nan_check() an op turning finite inputs into NaN raises
an error naming the op, shapes, line and fix; without it NaN propagates (NumPy/MXNet behaviour)."""
import doctest

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import nd


def test_off_by_default_nan_propagates():
    assert np.isnan(nd.log(nd.array([-1.0])).asnumpy()[0])


@pytest.mark.parametrize("expr", [lambda: nd.log(nd.array([1.0, -1.0])),
                                  lambda: nd.sqrt(nd.array([-4.0])),
                                  lambda: nd.zeros(2) / nd.zeros(2),
                                  lambda: nd.arcsin(nd.array([2.0]))])
def test_nan_from_finite_inputs_raises(expr):
    with mx.debug.nan_check():
        with pytest.raises(mx.errors.NaNError, match=r"(?s)Error in operator \w+: produced NaN.*inputs:.*at: .*fix:"):
            expr()


def test_nan_already_in_input_is_not_blamed():
    with mx.debug.nan_check():
        r = nd.exp(nd.array([np.nan, 1.0]))
    assert np.isnan(r.asnumpy()[0])


def test_module_doc_example():
    assert doctest.testmod(mx.debug, optionflags=doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL).failed == 0
