"""User-defined ops (hybridnet.ops.defop) are tested like built-in ops: reference, gradients (first and
second order), generated nd function, GPU kernel (simulator in CI), errors, and the example runs."""
import math
import runpy
from pathlib import Path

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import nd, ops
from hybridnet.testing import numeric_grad_check

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "custom_op.py"


@pytest.fixture(scope="module")
def example_ops():
    runpy.run_path(str(EXAMPLE), run_name="custom_op_example")   # defines swish and smooth_max
    return ops.get_op("swish"), ops.get_op("smooth_max")


def _swish_ref(x, beta=1.0):
    return x / (1 + np.exp(-beta * x))


def test_generated_function_has_signature_and_doc(example_ops):
    import inspect
    sig = inspect.signature(nd.swish)
    assert list(sig.parameters)[:2] == ["data", "beta"]
    assert "Swish" in nd.swish.__doc__ and ">>>" in nd.swish.__doc__


def test_forward_matches_numpy(example_ops, rng):
    x = rng.uniform(-3, 3, (4, 5)).astype(np.float32)
    np.testing.assert_allclose(nd.swish(nd.array(x), beta=1.5).asnumpy(), _swish_ref(x, 1.5), rtol=1e-5, atol=1e-6)
    a, b = rng.normal(size=(3, 1)), rng.normal(size=(4,))
    out = nd.smooth_max(nd.array(a, dtype="float64"), nd.array(b, dtype="float64"))
    np.testing.assert_allclose(out.asnumpy(), np.logaddexp(a, b), rtol=1e-12)


def test_gradients_first_and_second_order(example_ops, rng):
    x = rng.uniform(-2, 2, (3, 4))
    numeric_grad_check(lambda a: nd.swish(a, beta=2.0), [x], order=1)
    numeric_grad_check(lambda a: nd.swish(a, beta=2.0), [x], order=2)
    a, b = rng.normal(size=(3, 1)), rng.normal(size=(4,))
    numeric_grad_check(nd.smooth_max, [a, b], order=1)
    numeric_grad_check(nd.smooth_max, [a, b], order=2)


def test_gpu_kernel_generated_from_same_formula(example_ops, rng):
    if mx.num_gpus() == 0:
        pytest.skip("no GPU and no simulator")
    x = rng.uniform(-3, 3, (8,)).astype(np.float32)
    g = nd.swish(nd.array(x, ctx=mx.gpu(0)), beta=0.5)
    assert g.context == mx.gpu(0)
    np.testing.assert_allclose(g.asnumpy(), _swish_ref(x, 0.5), rtol=1e-5, atol=1e-6)


def test_errors(example_ops):
    with pytest.raises(mx.HybridNetError, match="already exists"):
        ops.defop("swish", ("data",), scalar=lambda x: x)
    with pytest.raises(mx.errors.AttrError, match="Did you mean 'beta'"):
        nd.swish(nd.ones(2), bata=1.0)
    with pytest.raises(mx.errors.ShapeError, match="smooth_max.*could not be broadcast"):
        nd.smooth_max(nd.ones((2, 3)), nd.ones((3, 2)))
    with pytest.raises(mx.HybridNetError, match="give `pattern`"):
        ops.defop("no_formula_op", ("data",))
