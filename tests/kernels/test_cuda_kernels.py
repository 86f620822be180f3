"""Kernel-level tests for the GPU path, run on every device (CPU, and gpu(0): Numba's CUDA simulator
in CI, a real GPU where there is one) so the CUDA kernels are held to the same NumPy results as the
CPU ones. Kernels are called directly (``kernel_for(op, device)``) with device arrays, including the
cases the op templates don't reach: strided broadcasting, non-contiguous inputs and destinations,
float16, 0-size, leading-axis and long-row reductions, softmax rows with -inf. Arrays stay tiny
(the simulator runs one Python thread per CUDA thread)."""
import numpy as np
import pytest

from hybridnet.kernels import backend, kernel_for
from hybridnet.ops.registry import REGISTRY, get_op


def dev_array(a, device):
    return backend.to_device(np.asarray(a), device)


def host(a):
    return backend.to_host(a)


def run(op_name, device, *arrays, out=None, **attrs):
    op = get_op(op_name)
    from hybridnet.ops.bind import normalize_attrs
    full = normalize_attrs(op, attrs)
    k = kernel_for(op, device)
    r = k(*[dev_array(a, device) for a in arrays], out=out, **full)
    return r


def close(got, want, dtype=None, rtol=None, atol=None):
    got = host(got)
    want = np.asarray(want)
    assert got.shape == want.shape, f"shape {got.shape} != {want.shape}"
    dt = np.dtype(dtype or got.dtype)
    if dt.kind in "iub":
        np.testing.assert_array_equal(got, want.astype(dt))
        return
    r, a = {"float16": (2e-3, 2e-3), "float32": (2e-6, 1e-6), "float64": (1e-12, 1e-14)}[dt.name]
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol or r, atol=atol or a,
                               equal_nan=True)


RNG = np.random.default_rng(7)


def rand(shape, dtype="float32", lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, size=shape).astype(dtype)


class TestKernels:
    """Each test runs once per device (the conftest ``device`` fixture): CPU and gpu(0)."""

    # ---- elementwise kernels generated from scalar formulas -------------------------------------

    def test_unary_edge_values(self, device):
        x = np.array([-np.inf, -2.5, -1.0, -0.0, 0.0, 0.5, 3.0, np.inf, np.nan], np.float32)
        with np.errstate(all="ignore"):
            close(run("exp", device, x), np.exp(x))
            close(run("sqrt", device, x), np.sqrt(x))
            close(run("log", device, x), np.log(x))
            close(run("relu", device, x), np.where(np.isnan(x), x, np.maximum(x, 0)))
            close(run("reciprocal", device, x), 1 / x)
        close(run("sign", device, x), np.nan_to_num(np.sign(x)))      # MXNet: sign(nan) = 0

    def test_unary_2d_and_0d(self, device):
        x = rand((3, 5))
        close(run("sigmoid", device, x), 1 / (1 + np.exp(-x.astype(np.float64))), rtol=1e-6)
        z = np.array(0.5, np.float32)
        r = run("tanh", device, z)
        assert host(r).shape == ()
        close(r, np.tanh(z))

    def test_helper_formula(self, device):
        # softrelu and erfinv call @scalar_helper functions (compiled as device functions on the GPU)
        x = rand((8,), "float64")
        close(run("softrelu", device, x), np.logaddexp(0, x))
        y = rand((6,), "float64", -0.9, 0.9)
        r = host(run("erfinv", device, y))
        from math import erf
        np.testing.assert_allclose([erf(v) for v in r], y, rtol=1e-10, atol=1e-12)

    @pytest.mark.parametrize("sa,sb", [((2, 3), (3,)), ((2, 1, 4), (3, 1)), ((4,), ()), ((1, 3), (2, 1)),
                                       ((2, 3), (2, 3))])
    def test_binary_broadcasting(self, device, sa, sb):
        a, b = rand(sa), rand(sb)
        close(run("broadcast_add", device, a, b), a + b)
        close(run("broadcast_mul", device, a, b), a * b)

    def test_binary_nan_and_ints(self, device):
        a = np.array([1.0, np.nan, 3.0, -np.inf], np.float32)
        b = np.array([np.nan, 2.0, 1.0, 0.0], np.float32)
        # the formula is `a if a >= b else b` (MXNet's): a NaN rhs wins, a NaN lhs loses
        close(run("broadcast_maximum", device, a, b), [np.nan, 2.0, 3.0, 0.0])
        ai = np.array([[7, -7, 5], [0, 9, -9]], np.int32)
        bi = np.array([3, 3, -2], np.int32)
        close(run("broadcast_mod", device, ai, bi), np.mod(ai, bi))
        close(run("broadcast_greater", device, ai, bi), (ai > bi).astype(np.int32))

    def test_scalar_attrs_take_array_dtype(self, device):
        xi = np.array([1, 2, 3], np.int32)
        r = run("_plus_scalar", device, xi, scalar=2.7)       # legacy: 2.7 -> int32 2
        assert host(r).dtype == np.int32
        close(r, xi + 2)
        x = rand((2, 3))
        close(run("_rminus_scalar", device, x, scalar=1.5), 1.5 - x)
        close(run("clip", device, x, a_min=-0.5, a_max=0.75), np.clip(x, -0.5, 0.75))

    def test_float16_computed_in_float32(self, device):
        x = rand((2, 5), "float16")
        r = run("exp", device, x)
        assert host(r).dtype == np.float16
        close(r, np.exp(x.astype(np.float32)).astype(np.float16))
        y = rand((5,), "float16")
        close(run("broadcast_div", device, x, y), (x.astype(np.float32) / y.astype(np.float32)).astype(np.float16))

    def test_zero_size(self, device):
        x = np.zeros((0, 3), np.float32)
        r = run("exp", device, x)
        assert host(r).shape == (0, 3)
        r = run("broadcast_add", device, x, np.ones((1, 3), np.float32))
        assert host(r).shape == (0, 3)

    def test_noncontiguous_inputs(self, device):
        base = rand((4, 6))
        a = dev_array(base, device)[:, ::2]        # strided view
        bt = dev_array(rand((3, 4)), device).T     # transposed view
        k = kernel_for(get_op("broadcast_sub"), device)
        close(k(a, bt), host(a) - host(bt))
        close(kernel_for(get_op("square"), device)(bt), host(bt) ** 2)

    def test_out_destination(self, device, request):
        xp = backend.xp_for(device)
        a, b = rand((2, 3)), rand((3,))
        out = xp.zeros((2, 3), np.float32)
        k = kernel_for(get_op("broadcast_add"), device)
        r = k(dev_array(a, device), dev_array(b, device), out=out)
        assert r is out
        close(out, a + b)
        big = xp.zeros((2, 6), np.float32)
        view = big[:, 1::2]                        # non-contiguous destination
        k(dev_array(a, device), dev_array(b, device), out=view)
        want = np.zeros((2, 6), np.float32)
        want[:, 1::2] = a + b
        close(big, want)

    # ---- reductions ---------------------------------------------------------------------------

    @pytest.mark.parametrize("shape,attrs", [
        ((3, 4), {}), ((3, 4), {"axis": 1}), ((3, 4), {"axis": 0}), ((2, 3, 4), {"axis": (0, 2)}),
        ((2, 3, 4), {"axis": -1, "keepdims": True}), ((2, 3, 4), {"axis": 1, "exclude": True}),
        ((1, 64), {"axis": 1}), ((64,), {}), ((4, 16), {"axis": 0}), ((0, 3), {"axis": 0}),
        ((3, 0), {"axis": 1}), ((2, 3), {"axis": ()}), ((4, 33), {"axis": 1}), ((40, 2), {"axis": 0}), ((3, 20), {"axis": 1})])
    def test_sum(self, device, shape, attrs):
        for dt in ("float32", "float16", "int32"):
            x = rand(shape, dt, -9, 9)
            axis = attrs.get("axis")
            ax = tuple(range(len(shape))) if axis is None else ((axis,) if isinstance(axis, int) else axis)
            ax = tuple(a % len(shape) for a in ax)
            if attrs.get("exclude"):
                ax = tuple(i for i in range(len(shape)) if i not in ax)
            want = np.sum(x.astype(np.float64), axis=ax, keepdims=attrs.get("keepdims", False))
            want = want.reshape(1) if want.ndim == 0 else want
            got = run("sum", device, x, **attrs)
            assert host(got).dtype == np.dtype(dt)
            close(got, want.astype(dt) if dt == "int32" else want, dt, rtol=1e-2 if dt == "float16" else 1e-5,
                  atol=5e-2 if dt == "float16" else 1e-5)

    def test_sum_noncontiguous_and_out(self, device):
        xp = backend.xp_for(device)
        x = dev_array(rand((4, 8)), device)[:, ::2]
        k = kernel_for(get_op("sum"), device)
        close(k(x, axis=(0,), keepdims=False, exclude=False), host(x).sum(0), rtol=1e-5)
        out = xp.zeros((4,), np.float32)
        r = k(x, out=out, axis=(1,), keepdims=False, exclude=False)
        assert r is out
        close(out, host(x).sum(1), rtol=1e-5)

    @pytest.mark.parametrize("name,ref", [("mean", np.mean), ("max", np.max), ("min", np.min),
                                          ("prod", np.prod), ("nansum", np.nansum), ("nanprod", np.nanprod)])
    def test_other_reductions(self, device, name, ref):
        if name not in REGISTRY:
            pytest.skip(f"{name} is not defined yet")
        x = rand((2, 3, 4), "float32", 0.5, 1.5)
        x[0, 1, 2] = np.nan if name.startswith("nan") else x[0, 1, 2]
        for attrs, ax in [({}, None), ({"axis": 1}, 1), ({"axis": (0, 2)}, (0, 2)), ({"axis": 0}, 0)]:
            want = np.asarray(ref(x, axis=ax)).astype(np.float32).reshape(-1 if ax is None else
                                                                          np.asarray(ref(x, axis=ax)).shape)
            close(run(name, device, x, **attrs), want, rtol=1e-5)
        long = rand((1, 64), "float32", 0.9, 1.1)
        close(run(name, device, long, axis=1), np.asarray(ref(long, axis=1)).astype(np.float32), rtol=1e-5)

    @pytest.mark.parametrize("name", ["argmax", "argmin"])
    def test_arg_reductions(self, device, name):
        if name not in REGISTRY:
            pytest.skip(f"{name} is not defined yet")
        ref = getattr(np, name)
        x = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, np.nan, 5.0, np.nan], [-1.0, -1.0, -1.0, -1.0]], np.float32)
        close(run(name, device, x, axis=1), ref(x, axis=1).astype(np.float32))   # ties: first; NaN wins
        close(run(name, device, x, axis=0, keepdims=True), ref(x, axis=0, keepdims=True).astype(np.float32))
        close(run(name, device, x), np.array([ref(x)], np.float32))             # axis=None: flat index
        close(run(name, device, np.full((2, 3), -np.inf, np.float32), axis=1), [0.0, 0.0])
        xi = np.array([[4, 9, 9], [7, 1, 1]], np.int32)
        r = run(name, device, xi, axis=1)
        assert host(r).dtype == np.int32                                       # the input's dtype
        close(r, ref(xi, axis=1))
        long = rand((1, 64))
        long[0, 40] = 9.0 if name == "argmax" else -9.0
        close(run(name, device, long, axis=1), np.array([40], np.float32))

    def test_argmax_channel(self, device):
        if "argmax_channel" not in REGISTRY:
            pytest.skip("argmax_channel is not defined yet")
        x = rand((2, 3, 4))
        close(run("argmax_channel", device, x), np.argmax(x, axis=1).astype(np.float32))

    def test_integer_mean_and_sum_wrap(self, device):
        if "mean" not in REGISTRY:
            pytest.skip("mean is not defined yet")
        close(run("mean", device, np.array([-7, 0, 0], np.int32)), np.array([-2], np.int32))   # MXNet
        close(run("mean", device, np.array([200, 100], np.uint8)), np.array([22], np.uint8))   # wraps
        close(run("sum", device, np.array([200, 100], np.uint8)), np.array([44], np.uint8))

    def test_norm(self, device):
        if "norm" not in REGISTRY:
            pytest.skip("norm is not defined yet")
        x = rand((3, 4))
        close(run("norm", device, x), np.array([np.linalg.norm(x)], np.float32), rtol=1e-6)
        close(run("norm", device, x, ord=1, axis=1), np.abs(x).sum(1), rtol=1e-6)
        close(run("norm", device, x, axis=0, keepdims=True), np.linalg.norm(x, axis=0, keepdims=True), rtol=1e-6)
        big32 = np.array([1e30, 1e30], np.float32)                  # squares overflow float32
        close(run("norm", device, big32), np.array([np.sqrt(2) * 1e30], np.float32), rtol=1e-6)
        big64 = np.array([[1e200, -1e200, 0.0], [3e-200, 4e-200, 0.0], [np.inf, 1.0, 0.0]])
        close(run("norm", device, big64, axis=1), [np.sqrt(2) * 1e200, 5e-200, np.inf], rtol=1e-14)
        r = run("norm", device, x, out_dtype="float64")
        assert host(r).dtype == np.float64

    # ---- softmax ------------------------------------------------------------------------------

    @staticmethod
    def _softmax_ref(x, axis=-1, scale=1.0, log=False):
        x = x.astype(np.float64) * scale
        m = np.max(x, axis=axis, keepdims=True)
        with np.errstate(invalid="ignore"):
            e = np.exp(x - m)
            s = e.sum(axis=axis, keepdims=True)
            return (x - m - np.log(s)) if log else e / s

    @pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
    def test_softmax_rows(self, device, name):
        if name not in REGISTRY:
            pytest.skip(f"{name} is not defined yet")
        log = name == "log_softmax"
        scale = -1.0 if name == "softmin" else 1.0
        x = rand((3, 5))
        x[0, 1] = -np.inf                                  # one -inf: probability 0
        x[1, :] = -np.inf if name != "softmin" else np.inf  # a whole row of -inf: NaN like NumPy
        close(run(name, device, x), self._softmax_ref(x, -1, scale, log), rtol=1e-5, atol=1e-6)
        y = rand((2, 3, 4))
        close(run(name, device, y, axis=1), self._softmax_ref(y, 1, scale, log), rtol=1e-5, atol=1e-6)
        close(run(name, device, y, axis=0, temperature=2.0), self._softmax_ref(y, 0, scale / 2, log),
              rtol=1e-5, atol=1e-6)
        mid = rand((3, 12))                                 # a warp (lanes) per row in the simulator
        mid[2, 3] = -np.inf
        close(run(name, device, mid), self._softmax_ref(mid, -1, scale, log), rtol=1e-5, atol=1e-6)
        long = rand((1, 64))                                # one block per row
        close(run(name, device, long), self._softmax_ref(long, -1, scale, log), rtol=1e-5, atol=1e-6)
        h = rand((2, 5), "float16")
        got = run(name, device, h)
        assert host(got).dtype == np.float16
        close(got, self._softmax_ref(h, -1, scale, log), rtol=1e-2, atol=1e-2)

    def test_softmax_use_length(self, device):
        if "softmax" not in REGISTRY:
            pytest.skip("softmax is not defined yet")
        x = rand((3, 6))
        lens = np.array([2, 0, 6], np.int32)
        want = np.zeros_like(x, np.float64)
        for i, n in enumerate(lens):
            if n:
                want[i, :n] = self._softmax_ref(x[i:i + 1, :n])[0]
        close(run("softmax", device, x, lens, use_length=True), want, rtol=1e-5, atol=1e-6)
        x = rand((2, 12))
        lens = np.array([12, 5], np.int64)
        want = np.zeros_like(x, np.float64)
        want[0] = self._softmax_ref(x[:1])[0]
        want[1, :5] = self._softmax_ref(x[1:, :5])[0]
        close(run("softmax", device, x, lens, use_length=True), want, rtol=1e-5, atol=1e-6)

