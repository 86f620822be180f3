"""float32 ``tanh``, ``log``, ``log1p`` and ``erf`` of CPU formulas (``kernels/cpu/simd.py``, put in the
formulas by ``cpu_math()``): accuracy in ulps against a float64 reference over the whole range,
special values, subnormals and signed zero, through the ops users call (``nd.tanh``, ``nd.log``,
``nd.log1p``, ``nd.erf``, ``Activation('tanh'/'softrelu')``, ``LeakyReLU('gelu')``), eager and fused.

``erf32``'s coefficients came from this fit (NumPy least squares against ``math.erf``/``math.erfc``,
then rounded to float32 and checked here)::

    s = (1 - np.cos(np.linspace(0, np.pi, 4000))) / 2; x = np.sqrt(s)
    g = np.array([math.erf(v) / v if v > 0 else 2 / math.sqrt(math.pi) for v in x])
    Q = np.polynomial.polynomial.polyfit(s, g - 1, 6, w=1 / g)        # |x| < 1: x + x Q(x*x)
    t = 1 + 2.92 * (1 - np.cos(np.linspace(0, np.pi, 6000))) / 2
    R = np.polynomial.polynomial.polyfit(t - 1.0, [math.log(math.erfc(v)) for v in t], 9)
"""
import math

import numpy as np
import pytest

from hybridnet import graph, nd

RNG = np.random.default_rng(7)


def _ulps(got, ref64):
    ref32 = ref64.astype(np.float32)
    fin = np.isfinite(ref32) & (ref32 != 0)
    return np.abs(got[fin].astype(np.float64) - ref64[fin]) / np.spacing(np.abs(ref32[fin])).astype(np.float64)


def test_tanh_float32_within_1_5_ulp_over_the_whole_range():
    x = np.concatenate([np.linspace(-20, 20, 2_000_001, dtype=np.float32),
                        RNG.uniform(-1, 1, 500_000).astype(np.float32),
                        (RNG.standard_normal(200_000) * 1e-3).astype(np.float32),
                        np.float32(0.625) + np.arange(-50, 50, dtype=np.float32) * np.float32(6e-8)])
    got = nd.tanh(nd.array(x)).asnumpy()
    assert got.dtype == np.float32
    u = _ulps(got, np.tanh(x.astype(np.float64)))
    assert u.max() <= 1.5, f"max error {u.max()} ulp"      # measured 1.31 (NumPy's own: 1.37)


def test_tanh_special_values_and_signed_zero():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 1e-45, 9.0, 100.0, -100.0], np.float32)
    got = nd.tanh(nd.array(x)).asnumpy()
    np.testing.assert_array_equal(got, np.tanh(x))
    assert np.signbit(got[1]) and not np.signbit(got[0])


def test_log_float32_within_one_ulp_incl_subnormals():
    x = np.concatenate([np.exp(np.linspace(-103, 88.7, 2_000_001)).astype(np.float32),
                        RNG.uniform(0.5, 2, 500_000).astype(np.float32),
                        np.float32(np.sqrt(2)) + np.arange(-50, 50, dtype=np.float32) * np.float32(1.2e-7)])
    assert (x < np.finfo(np.float32).tiny).any()            # subnormal inputs are in the set
    got = nd.log(nd.array(x)).asnumpy()
    u = _ulps(got, np.log(x.astype(np.float64)))
    assert u.max() <= 1.0, f"max error {u.max()} ulp"      # measured 0.82 (NumPy's own: 3.4)


def test_log_special_values():
    x = np.array([0.0, -0.0, -1.0, -np.inf, np.inf, np.nan, 1.0, 1e-45], np.float32)
    got = nd.log(nd.array(x)).asnumpy()
    with np.errstate(all="ignore"):
        want = np.log(x.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("fn", [lambda v: nd.tanh(v * 3.0) + nd.log(v + 1.5),
                                lambda v: nd.Activation(nd.log(nd.abs(v) + 0.1), act_type="tanh")],
                         ids=["tanh_log", "activation_tanh"])
def test_fused_equals_eager_bit_for_bit(fn):
    x = nd.array(RNG.uniform(-1, 1, 5000).astype(np.float32))
    np.testing.assert_array_equal(graph.compile(fn)(x).asnumpy(), fn(x).asnumpy())


def test_float64_keeps_libm():
    x = np.linspace(-5, 5, 1001)
    np.testing.assert_array_equal(nd.tanh(nd.array(x, dtype="float64")).asnumpy(), [math.tanh(v) for v in x])
    p = x[x > 0]
    np.testing.assert_array_equal(nd.log(nd.array(p, dtype="float64")).asnumpy(), [math.log(v) for v in p])


def test_log1p_float32_within_1_5_ulp():
    x = np.concatenate([np.exp(np.linspace(-40, 88, 1_000_001)).astype(np.float32),
                        -np.exp(np.linspace(-40, -1e-7, 1_000_001)).astype(np.float32),
                        RNG.uniform(-1e-3, 1e-3, 200_000).astype(np.float32)])
    got = nd.log1p(nd.array(x)).asnumpy()
    u = _ulps(got, np.log1p(x.astype(np.float64)))
    assert u.max() <= 1.5, f"max error {u.max()} ulp"
    sp = np.array([0.0, -0.0, -1.0, -2.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45], np.float32)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(nd.log1p(nd.array(sp)).asnumpy(), np.log1p(sp.astype(np.float64)).astype(np.float32))


def test_erf_float32_within_1_1_ulp():
    x = np.concatenate([np.linspace(-6, 6, 2_000_001, dtype=np.float32), RNG.uniform(-1e-3, 1e-3, 100_000).astype(np.float32),
                        np.float32(1) + np.arange(-50, 50, dtype=np.float32) * np.float32(6e-8),
                        np.float32(3.92) + np.arange(-50, 50, dtype=np.float32) * np.float32(2.4e-7)])
    got = nd.erf(nd.array(x)).asnumpy()
    u = _ulps(got, np.array([math.erf(v) for v in x.astype(np.float64)]))
    assert u.max() <= 1.1, f"max error {u.max()} ulp"       # measured 1.04
    sp = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-40], np.float32)
    got = nd.erf(nd.array(sp)).asnumpy()
    np.testing.assert_array_equal(got[:5], [0.0, -0.0, 1.0, -1.0, np.nan])
    assert np.signbit(got[1])
    np.testing.assert_allclose(got[5:], [1.1283791e-40, -1.1283791e-40], rtol=0, atol=3e-45)   # subnormal


@pytest.mark.parametrize("fn", [lambda v: nd.LeakyReLU(v, act_type="gelu"), lambda v: nd.Activation(v, act_type="softrelu"),
                                lambda v: nd.erf(v * 0.7) + nd.log1p(nd.abs(v))],
                         ids=["gelu", "softrelu", "erf_log1p"])
def test_gelu_softrelu_match_float64_and_fused(fn):
    xv = RNG.uniform(-4, 4, 20_000).astype(np.float32)
    x = nd.array(xv)
    got = fn(x).asnumpy()
    want = fn(nd.array(xv, dtype="float64")).asnumpy()
    np.testing.assert_allclose(got, want, rtol=3e-7, atol=3e-7)   # erf + log1p cancel: absolute errors add
    np.testing.assert_array_equal(graph.compile(fn)(x).asnumpy(), got)


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
@pytest.mark.parametrize("name", ["erf", "tanh", "sigmoid", "log1p"])
def test_eager_loop_path_equals_ufunc_path(name, dtype):
    # contiguous >= 1024 elements: the one-op fused loop; a strided view: Numba's ufunc. Same bits.
    base = RNG.uniform(0.01, 2, (4096, 2)).astype(dtype)
    contiguous = nd.array(np.ascontiguousarray(base[:, 0]), dtype=dtype)
    f = getattr(nd, name)
    from hybridnet.kernels import kernel_for
    from hybridnet.ops.registry import get_op
    k = kernel_for(get_op(name), contiguous.context)
    view = base[:, 0]
    assert not view.flags.c_contiguous
    got = f(contiguous).asnumpy()
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(k(view), got)
