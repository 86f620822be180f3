"""CPU reduction and softmax kernels, below the op layer: the polynomial exp against a correctly rounded
reference, every Numba layout/engine against NumPy on arrays large enough for the parallel paths, and
destination passing (``out=``)."""
import numpy as np
import pytest

from hybridnet.kernels.cpu import reduce as R
from hybridnet.kernels.cpu import softmax as S
from hybridnet.kernels.cpu.simd import fast_exp
from hybridnet.kernels.cpu.threading import PARALLEL_MIN_SIZE
from hybridnet.ops.registry import get_op

RNG = np.random.default_rng(1234)


def _cpu(name):
    from hybridnet.kernels import load_kernels
    load_kernels("cpu")
    return get_op(name).kernels["cpu"]


# ---- fast exp ---------------------------------------------------------------------------------------

def _ulps32(got, x):
    """Error of float32 results in units in the last place of the correctly rounded value."""
    with np.errstate(all="ignore"):
        ref = np.exp(x.astype(np.float64))
        ref32 = ref.astype(np.float32)
    finite = np.isfinite(ref32) & (ref32 != 0)
    return np.abs(got[finite].astype(np.float64) - ref[finite]) / np.spacing(ref32[finite]).astype(np.float64), ref32


def test_exp32_within_one_ulp_over_the_whole_range():
    x = np.concatenate([np.linspace(-110.0, 90.0, 4_000_001, dtype=np.float32),
                        RNG.uniform(-1.0, 1.0, 200_000).astype(np.float32),
                        RNG.uniform(-90.0, 89.0, 200_000).astype(np.float32)])
    got = fast_exp(x)
    ulps, ref32 = _ulps32(got, x)
    assert ulps.max() <= 1.0, f"max error {ulps.max()} ulp"
    # outside the finite range the result is exactly inf / 0 where the rounded reference is
    assert np.array_equal(got[np.isinf(ref32)], ref32[np.isinf(ref32)])
    assert np.all(got[ref32 == 0] == 0)


def test_exp32_special_values_and_subnormals():
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 88.72283935546875, 88.7228, 88.72284,
                  -87.33654, -87.5, -100.0, -103.97, -103.9721, -104.0, -1e30, 1e30, 1e-30], np.float32)
    got = fast_exp(x)
    with np.errstate(all="ignore"):
        ref = np.exp(x.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    ok = ~np.isnan(ref)
    # subnormal results: within one subnormal step of the correctly rounded value
    np.testing.assert_allclose(got[ok], ref[ok], rtol=1.2e-7, atol=1.5e-45)
    assert got[5] == np.inf and got[1] == 0 and got[3] == 1


def test_exp32_matches_numpy_float32_exp():
    x = RNG.uniform(-80, 80, 1_000_000).astype(np.float32)
    a, b = fast_exp(x), np.exp(x)
    # ours is within 1 ulp of the true value (test above); NumPy's own SIMD float32 exp is off by up to
    # 2.5 ulp here (measured: x = -44.011223 gives 2.33 ulp), so they may differ by 3.5 ulp
    assert np.all(np.abs(a - b) <= 3.5 * np.spacing(np.maximum(a, b)))


def test_exp64_within_one_ulp():
    x = np.concatenate([np.linspace(-760.0, 720.0, 2_000_001), RNG.uniform(-1.0, 1.0, 200_000),
                        np.array([np.inf, -np.inf, np.nan, 0.0, 709.78, 709.79, -745.13, -745.2, -708.5])])
    got = fast_exp(x)
    with np.errstate(all="ignore"):
        ref = np.exp(x.astype(np.longdouble))           # x87 extended precision: a reference with margin
        ref64 = ref.astype(np.float64)
    normal = np.isfinite(ref64) & (ref64 >= np.finfo(np.float64).tiny)
    ulps = np.abs(got[normal].astype(np.longdouble) - ref[normal]) / np.spacing(ref64[normal])
    assert float(ulps.max()) <= 1.0, f"max error {float(ulps.max())} ulp"
    sub = np.isfinite(ref64) & (ref64 < np.finfo(np.float64).tiny)
    assert np.all(np.abs(got[sub] - ref64[sub]) <= 5e-324)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref64))
    inf = np.isinf(ref64)
    assert np.array_equal(got[inf], ref64[inf])


def test_fast_exp_rejects_other_dtypes():
    with pytest.raises(TypeError):
        fast_exp(np.array([1, 2], np.int32))


# ---- reductions: every layout and engine against NumPy -------------------------------------------

_SHAPES_AXES = [((512, 300), (1,)),          # rows, parallel
                ((300, 512), (0,)),          # (outer, n, inner) with outer = 1, parallel
                ((8, 64, 300), (1,)),        # middle axis, several outer slices
                ((6, 50, 40, 30), (1, 2)),   # a middle block of two axes
                ((20, 30, 40), (0, 2)),      # non-adjacent: transposed copy
                ((300, 700), (0, 1)),        # full: one row split into chunks
                ((3, 200_000), (1,)),        # few long rows: chunked
                ((7, 5), (1,)), ((7, 5), (0,))]  # tiny (serial kernels)


def _data(shape, mode, dtype, nan=False):
    if dtype.kind == "f":
        lo, hi = (0.97, 1.03) if mode in (R.PROD, R.NANPROD) else (-3.0, 3.0)
        x = RNG.uniform(lo, hi, shape).astype(dtype)
        if nan:
            x.reshape(-1)[RNG.integers(0, x.size, max(1, x.size // 500))] = np.nan
        return x
    lo, hi = (-1, 2) if mode in (R.PROD, R.NANPROD) else (-100, 100)
    return RNG.integers(lo, hi, shape).astype(dtype)


@pytest.mark.parametrize("mode_name", sorted(R.MODES))
@pytest.mark.parametrize("shape,axes", _SHAPES_AXES, ids=lambda v: str(v))
def test_reduce_numba_matches_numpy(mode_name, shape, axes):
    mode = R.MODES[mode_name]
    for dt in (np.float32, np.float64):
        x = _data(shape, mode, np.dtype(dt), nan=mode_name in ("nansum", "nanprod", "max", "min"))
        got = np.asarray(R.reduce_numba(x, axes, mode)).reshape(-1)
        want = np.asarray(R.reduce_numpy(x, axes, mode)).reshape(-1)
        assert got.dtype == want.dtype
        # both accumulate float32 in float64; only the summation order differs
        np.testing.assert_allclose(got, want, rtol=1e-12 if mode not in (R.MAX, R.MIN) else 0,
                                   atol=0, equal_nan=True, err_msg=f"{mode_name} {dt.__name__}")


@pytest.mark.parametrize("mode_name", ["prod", "nansum", "max", "min", "norm1", "norm2"])
def test_reduce_numba_integers_wrap_like_numpy(mode_name):
    mode = R.MODES[mode_name]
    for dt in (np.int32, np.uint8, np.int64):
        for shape, axes in [((400, 300), (1,)), ((300, 400), (0,)), ((300, 700), (0, 1))]:
            x = _data(shape, mode, np.dtype(dt))
            got = R.reduce_numba(x, axes, mode).reshape(-1)
            want = np.asarray(R.reduce_numpy(x, axes, mode)).reshape(-1)
            np.testing.assert_array_equal(got.astype(want.dtype), want, err_msg=f"{mode_name} {dt.__name__}")


def test_max_min_propagate_nan_in_every_layout():
    for shape, axes in _SHAPES_AXES:
        x = RNG.standard_normal(shape).astype(np.float32)
        x.reshape(-1)[x.size // 3] = np.nan
        for mode, f in ((R.MAX, np.max), (R.MIN, np.min)):
            got = np.asarray(R.reduce_numba(x, axes, mode)).reshape(-1)
            np.testing.assert_array_equal(got, np.asarray(f(x, axis=axes)).reshape(-1))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_arg_kernels_match_numpy_with_ties_and_nan(name):
    k = _cpu(name)
    f = np.argmax if name == "argmax" else np.argmin
    for shape, axis in [((600, 300), 0), ((8, 300, 64), 1), ((300, 600), 1), ((5, 4), 0), ((40, 30, 20), -1)]:
        x = RNG.integers(-3, 3, shape).astype(np.float32)     # many ties
        x.reshape(-1)[RNG.integers(0, x.size, 20)] = np.nan
        got = k(x, axis=axis)
        np.testing.assert_array_equal(got, f(x, axis=axis).astype(np.float32))
        assert got.dtype == np.float32


def test_l2_norm_does_not_overflow_or_underflow():
    k = _cpu("norm")
    x = np.array([[1e200, 1e200, -1e200], [1e-200, 3e-200, 0], [0, 0, 0], [np.inf, 1, 2], [np.nan, 1, np.inf]])
    got = k(x, axis=1)
    xl = x.astype(np.longdouble)
    want = np.sqrt(np.sum(xl * xl, axis=1)).astype(np.float64)
    np.testing.assert_allclose(got, want, rtol=1e-15, equal_nan=True)
    big = np.full((3, 5000), 1e30, np.float32)
    np.testing.assert_allclose(k(big, axis=1), np.full(3, 1e30 * np.sqrt(5000), np.float32), rtol=1e-6)


# ---- softmax --------------------------------------------------------------------------------------

def _softmax_ref(x, axis, scale=1.0, log=False):
    z = x.astype(np.float64) * scale
    m = np.max(z, axis=axis, keepdims=True)
    e = np.exp(z - m)
    s = np.sum(e, axis=axis, keepdims=True)
    return z - m - np.log(s) if log else e / s


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,axis", [((4096, 1024), -1), ((300, 517), 0), ((6, 40, 900), 1), ((64, 33), -1),
                                        ((5, 3), 0), ((2, 3, 1), 1)], ids=str)
def test_softmax_kernels_match_float64_formula(shape, axis, log):
    k = S.softmax_kernel("log_softmax" if log else "softmax")
    x = (RNG.standard_normal(shape) * 4).astype(np.float32)
    got = k(x, axis=axis)
    assert got.dtype == np.float32 and got.shape == x.shape
    want = _softmax_ref(x, axis, log=log)
    # float32: x - max is rounded to float32 (|x - max| up to ~30 here, half an ulp ~1e-6), which e**
    # turns into a relative error of that size; the exp itself adds <= 1 ulp
    if log:
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6)
    else:
        np.testing.assert_allclose(got, want, rtol=5e-6, atol=1e-12)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(k(x64, axis=axis), _softmax_ref(x64, axis, log=log), rtol=1e-13,
                               atol=1e-14 if log else 1e-300)


def test_softmax_parallel_and_serial_paths_agree(monkeypatch):
    monkeypatch.setattr(S, "PARALLEL_MIN_SIZE", 131072)   # the default is "never parallel" (threading.py)
    x = RNG.standard_normal((131072 // 100 + 7, 100)).astype(np.float32)
    k = S.softmax_kernel("softmax")
    whole = k(x)                          # parallel kernel
    parts = np.concatenate([k(x[i:i + 50]) for i in range(0, x.shape[0], 50)])   # serial kernel
    # Bit-equal when both kernels are compiled in one process (a clean run), but not always when one
    # of them comes from Numba's disk cache: LLVM then vectorises the row sum with another lane split
    # (seen: up to 4 ulp on ~8% of the entries; each path is within ~9 ulp of a float64 softmax).
    np.testing.assert_array_max_ulp(whole, parts, maxulp=8)


def test_softmax_edge_rows():
    k, kl = S.softmax_kernel("softmax"), S.softmax_kernel("log_softmax")
    x = np.array([[-np.inf, -np.inf, -np.inf], [np.nan, 0, 1], [np.inf, 0, 1], [-np.inf, 0, 1], [1e30, 0, -1e30],
                  [-200, -200, -200]], np.float32)
    for ax_x in (x, np.ascontiguousarray(x.T)):
        ax = 1 if ax_x is x else 0
        with np.errstate(all="ignore"):
            want = _softmax_ref(ax_x, ax)
            want_log = _softmax_ref(ax_x, ax, log=True)
        np.testing.assert_allclose(k(ax_x, axis=ax), want, rtol=1e-6, atol=1e-30, equal_nan=True)
        np.testing.assert_allclose(kl(ax_x, axis=ax), want_log, rtol=1e-6, atol=1e-30, equal_nan=True)
    got = k(x)
    assert np.isnan(got[:3]).all() and np.array_equal(got[3], [0, *_softmax_ref(x[3:4, 1:], 1)[0].astype(np.float32)])


def test_softmax_temperature_and_softmin():
    x = RNG.standard_normal((50, 70)).astype(np.float32)
    for t in (0.3, 2.0, -1.5):
        np.testing.assert_allclose(S.softmax_kernel("softmax")(x, temperature=t), _softmax_ref(x, -1, 1 / t),
                                   rtol=1e-5, atol=1e-12)
        np.testing.assert_allclose(S.softmax_kernel("softmax", negate=True)(x, axis=0, temperature=t),
                                   _softmax_ref(x, 0, -1 / t), rtol=1e-5, atol=1e-12)
    assert np.isnan(S.softmax_kernel("softmax")(x, temperature=0.0)).all()     # MXNet: NaN


def test_softmax_lengths():
    k = S.softmax_kernel("softmax")
    x = RNG.standard_normal((300, 500)).astype(np.float32)
    lens = RNG.integers(-2, 520, 300)
    got = k(x, lens, use_length=True)
    for i in (0, 1, 50, 299):
        n = int(np.clip(lens[i], 0, 500))
        want = np.zeros(500)
        if n:
            want[:n] = _softmax_ref(x[i:i + 1, :n], 1)[0]
        np.testing.assert_allclose(got[i], want, rtol=2e-6, atol=1e-12)
    # another axis: moved last, same masking
    x3 = RNG.standard_normal((4, 9, 5)).astype(np.float32)
    l3 = RNG.integers(0, 10, (4, 5))
    got3 = k(x3, l3, axis=1, use_length=True)
    np.testing.assert_allclose(got3, np.moveaxis(k(np.moveaxis(x3, 1, -1).copy(), l3, use_length=True), -1, 1),
                               rtol=0, atol=0)


def test_softmax_float16_and_output_dtype():
    k = S.softmax_kernel("softmax")
    x = RNG.standard_normal((40, 30)).astype(np.float16)
    got = k(x)
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float64), _softmax_ref(x, -1), rtol=1e-3, atol=1e-4)
    got64 = k(x, dtype="float64")
    assert got64.dtype == np.float64
    np.testing.assert_allclose(got64, _softmax_ref(x, -1), rtol=1e-12)


def test_softmax_zero_size():
    k = S.softmax_kernel("log_softmax")
    for shape, axis in [((0, 5), -1), ((5, 0), -1), ((3, 0, 4), 1), ((0, 3, 4), 1)]:
        got = k(np.zeros(shape, np.float32), axis=axis)
        assert got.shape == shape and got.dtype == np.float32


# ---- destination passing -------------------------------------------------------------------------

def test_noncontiguous_inputs():
    x = RNG.standard_normal((200, 600)).astype(np.float32)[:, ::3]      # (200, 200), strided
    assert not x.flags.c_contiguous
    np.testing.assert_allclose(S.softmax_kernel("softmax")(x, axis=0), _softmax_ref(x, 0), rtol=5e-6, atol=1e-12)
    y = x * 0.01 + 1
    np.testing.assert_allclose(_cpu("prod")(y, axis=1), np.prod(y.astype(np.float64), axis=1), rtol=1e-6)
    np.testing.assert_array_equal(_cpu("argmin")(x, axis=0), np.argmin(x, axis=0).astype(np.float32))


@pytest.mark.parametrize("name,attrs", [("prod", {"axis": 1}), ("max", {"axis": 0}), ("min", {}),
                                        ("nansum", {"axis": (0, 2)}), ("nanprod", {"axis": 1, "keepdims": True}),
                                        ("mean", {"axis": 2}), ("sum", {"axis": 1}),
                                        ("norm", {"axis": 1}), ("norm", {"ord": 1}),
                                        ("argmax", {"axis": 1}), ("argmin", {"axis": 0}), ("argmax_channel", {})])
def test_reduce_kernels_write_into_out(name, attrs):
    k = _cpu(name)
    x = RNG.uniform(0.9, 1.1, (30, 40, 50)).astype(np.float32)
    want = k(x, **attrs)
    out = np.full(want.shape, -7, want.dtype)
    r = k(x, out=out, **attrs)
    assert r is out
    np.testing.assert_array_equal(out, want)
    # a strided destination (a view into a bigger buffer) is written in place too
    big = np.full(want.shape[:-1] + (want.shape[-1] * 2,), -7, want.dtype)
    view = big[..., ::2]
    assert k(x, out=view, **attrs) is view
    np.testing.assert_array_equal(big[..., ::2], want)
    assert np.all(big[..., 1::2] == -7)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("axis", [-1, 1])
def test_softmax_kernels_write_into_out(name, axis):
    k = _cpu(name)
    x = RNG.standard_normal((20, 30, 40)).astype(np.float32)
    want = k(x, axis=axis)
    out = np.empty_like(want)
    assert k(x, out=out, axis=axis) is out
    np.testing.assert_array_equal(out, want)
    # non-contiguous destination, and one of another dtype (cast on store)
    big = np.zeros((20, 30, 80), np.float32)
    assert k(x, out=big[..., ::2], axis=axis) is not None
    np.testing.assert_array_equal(big[..., ::2], want)
    out64 = np.empty(want.shape, np.float64)
    k(x, out=out64, axis=axis, dtype="float64")
    np.testing.assert_allclose(out64, want, rtol=2e-6)
