"""The small-input CPU Convolution path (``kernels/cpu/conv.py``: one Numba im2col kernel + one batched
GEMM, used while the column matrix has at most ``SMALL_MAX`` elements) against the general im2col + GEMM
path on small geometries: stride, padding, dilation, groups, 1-D/2-D/3-D, channels-last, non-contiguous
data, bias / no bias, float32 / float64, destination passing (``out=``)."""
import numpy as np
import pytest

from hybridnet.kernels import load_kernels

load_kernels("cpu")

from hybridnet.kernels.cpu import conv as C  # noqa: E402

RNG = np.random.default_rng(7)

# data shape (channels-first), num_filter, attrs
GEOMS = [
    ((1, 1, 28, 28), 6, dict(kernel=(5, 5))),                                     # LeNet conv1
    ((1, 6, 12, 12), 16, dict(kernel=(5, 5))),                                    # LeNet conv2
    ((2, 3, 9, 11), 4, dict(kernel=(3, 3), pad=(1, 1))),
    ((1, 3, 9, 11), 4, dict(kernel=(3, 2), stride=(2, 3), pad=(1, 2))),
    ((2, 2, 10, 9), 3, dict(kernel=(3, 3), dilate=(2, 1), pad=(2, 0))),
    ((1, 4, 7, 8), 6, dict(kernel=(3, 3), num_group=2, pad=(1, 1), stride=(2, 1))),
    ((3, 4, 6, 6), 8, dict(kernel=(1, 1))),
    ((1, 2, 5, 5), 3, dict(kernel=(5, 5), pad=(4, 4), stride=(3, 3))),           # rows entirely in the pad
    ((1, 2, 4, 4), 3, dict(kernel=(2, 2), pad=(3, 3), dilate=(3, 3))),
    ((2, 3, 13), 5, dict(kernel=(3,), stride=(2,), pad=(1,))),                   # 1-D
    ((1, 2, 5, 6, 7), 3, dict(kernel=(2, 3, 2), pad=(1, 0, 1), stride=(1, 2, 2))),  # 3-D
]

_LAST = {3: "NWC", 4: "NHWC", 5: "NDHWC"}


def _case(xs, nf, attrs, dtype, last):
    g = attrs.get("num_group", 1)
    ws = (nf, xs[1] // g) + tuple(attrs["kernel"])
    x = RNG.standard_normal(xs).astype(dtype)
    w = RNG.standard_normal(ws).astype(dtype)
    b = RNG.standard_normal(nf).astype(dtype)
    attrs = dict(attrs, num_filter=nf)
    if last:
        x = np.ascontiguousarray(np.moveaxis(x, 1, -1))
        w = np.ascontiguousarray(np.moveaxis(w, 1, -1))
        attrs["layout"] = _LAST[len(xs)]
    return x, w, b, attrs


def _plan_is_small(x, w, attrs):
    C._PLANS.clear()
    key = (attrs["kernel"], attrs.get("stride", ()), attrs.get("dilate", ()), attrs.get("pad", ()),
           attrs.get("layout"), attrs.get("num_group", 1), x.shape, w.shape)
    return C._plan(key, x.shape, w.shape) is not C._NO


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("last", [False, True])
@pytest.mark.parametrize("xs,nf,attrs", GEOMS)
def test_small_path_matches_general_path(xs, nf, attrs, dtype, last):
    x, w, b, attrs = _case(xs, nf, attrs, dtype, last)
    assert _plan_is_small(x, w, attrs)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for bias, no_bias in ((b, False), (None, True), (b, True)):
        want = C._conv(x, w, bias, no_bias=no_bias, **attrs)
        got = C.convolution(x, w, bias, no_bias=no_bias, **attrs)
        assert got.dtype == want.dtype and got.shape == want.shape and got.flags.c_contiguous
        np.testing.assert_allclose(got, want, **tol)
        out = np.full(want.shape, np.nan, dtype)                 # destination passing, contiguous
        assert C.convolution(x, w, bias, out=out, no_bias=no_bias, **attrs) is out
        np.testing.assert_allclose(out, want, **tol)
        big = np.full(want.shape[:-1] + (2 * want.shape[-1],), np.nan, dtype)     # strided out
        outs = big[..., ::2]
        assert C.convolution(x, w, bias, out=outs, no_bias=no_bias, **attrs) is outs
        np.testing.assert_allclose(outs, want, **tol)


@pytest.mark.parametrize("xs,nf,attrs", GEOMS[:6])
def test_small_path_non_contiguous_inputs(xs, nf, attrs):
    x, w, b, attrs = _case(xs, nf, attrs, np.float32, False)
    want = C._conv(x, w, b, **attrs)
    xn = np.repeat(x, 2, axis=-1)[..., ::2]                     # strided data
    xf = np.asfortranarray(x)
    wn = np.repeat(w, 2, axis=0)[::2]                            # strided weight
    for xx, ww in ((xn, w), (xf, w), (x, wn), (xn, wn)):
        assert not (xx.flags.c_contiguous and ww.flags.c_contiguous)
        np.testing.assert_allclose(C.convolution(xx, ww, b, **attrs), want, rtol=1e-5, atol=1e-5)
    xl = np.moveaxis(x, 1, -1)                                   # a channels-last view, not a copy
    wl = np.moveaxis(w, 1, -1)
    got = C.convolution(xl, wl, b, **dict(attrs, layout=_LAST[x.ndim]))
    np.testing.assert_allclose(got, np.moveaxis(want, 1, -1), rtol=1e-5, atol=1e-5)


def test_large_inputs_and_other_dtypes_take_the_general_path():
    x, w, b, attrs = _case((64, 6, 12, 12), 16, dict(kernel=(5, 5)), np.float32, False)
    assert not _plan_is_small(x, w, attrs)                       # LeNet conv2 at batch 64
    x, w, b, attrs = _case((1, 8, 8, 8), 8, dict(kernel=(3, 3), num_group=8), np.float32, False)
    assert not _plan_is_small(x, w, attrs)                       # depthwise: its own Numba loops
    x, w, b, attrs = _case((1, 2, 6, 6), 3, dict(kernel=(3, 3)), np.float16, False)
    got = C.convolution(x, w, b, **attrs)                        # float16: computed in float32 (general)
    assert got.dtype == np.float16
    want = C._conv(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), **attrs)
    np.testing.assert_allclose(got.astype(np.float32), want, rtol=2e-3, atol=2e-2)
