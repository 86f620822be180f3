"""Formulas compute in float32 for float32 arrays (kernels/formula.prepare(float_type=...)): a Python
float literal would otherwise promote the arithmetic to float64 (MXNet computes in float32; the float64
division kept sigmoid ~1.5x slower), except helpers marked ``@scalar_helper(float64=True)``."""
import numpy as np
import pytest

import hybridnet as mx
from hybridnet.kernels.formula import prepare
from hybridnet.ops.registry import get_op


def _return_type(op_name, float_type, arg=np.float32(0.7)):
    import numba
    from hybridnet.kernels.cpu.simd import cpu_math
    jit = numba.njit(error_model="numpy")
    f = jit(prepare(get_op(op_name).scalar, jit, math_module=cpu_math(), float_type=float_type))
    f(arg)
    return f.nopython_signatures[0].return_type


@pytest.mark.parametrize("name", ["sigmoid", "softrelu", "Activation"])
def test_float32_formulas_stay_float32(name):
    import numba
    if name == "Activation":   # helper-based: act_sigmoid through the Activation op's formula
        from hybridnet.ops.nn_basic import act_sigmoid
        jit = numba.njit(error_model="numpy")
        f = jit(prepare(act_sigmoid, jit, float_type=np.float32))
        f(np.float32(0.7))
        assert f.nopython_signatures[0].return_type == numba.float32
        return
    assert _return_type(name, np.float32) == numba.float32
    if name == "sigmoid":     # without float_type the literal 1.0 promotes to float64
        assert _return_type(name, None) == numba.float64


def test_float64_helpers_opt_out():
    import numba
    assert _return_type("digamma", np.float32) == numba.float64
    # digamma near its root keeps float64 accuracy for float32 arrays (rounded once on store)
    x = mx.nd.array([1.4616321], dtype="float32")
    got = mx.nd.digamma(x).asnumpy()[0]
    assert abs(float(got)) < 1e-6


def test_eager_and_fused_sigmoid_chain_agree_bitwise():
    from hybridnet import graph, nd
    x = nd.array(np.random.default_rng(0).uniform(-3, 3, 4096).astype(np.float32))

    def fn(v):
        return nd.relu(nd.sigmoid(v) * 1.5 + (-0.5))
    np.testing.assert_array_equal(graph.compile(fn)(x).asnumpy(), fn(x).asnumpy())
    ref = 1.0 / (1.0 + np.exp(-x.asnumpy().astype(np.float64)))
    np.testing.assert_allclose(nd.sigmoid(x).asnumpy(), ref, rtol=2e-7, atol=0)
