"""Pooling, padding and pixel-shuffle layers with MXNet 1.9.1's constructors and ``print(net)`` text:
``MaxPool1D/2D/3D``, ``AvgPool1D/2D/3D`` (``count_include_pad``), ``GlobalMaxPool1D/2D/3D``,
``GlobalAvgPool1D/2D/3D`` (the ``Pooling`` op, name prefix ``pool``), ``ReflectionPad2D`` (``pad`` with
``mode='reflect'``), and ``PixelShuffle1D/2D/3D`` (MXNet 1.x ``gluon.contrib.nn``, ``gluon.nn`` in 2.0:
reshape/transpose exactly as MXNet writes them, channel order ``(C, f1, f2, ...)``).

Bad input raises ``AssertionError`` at construction as in MXNet (layout, pool_size length) and a
``ShapeError`` naming the layer, the shapes and the fix when called (e.g. 3-D data into ``MaxPool2D``).
"""
import numbers

from ..block import HybridBlock

__all__ = ["MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
           "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D",
           "GlobalAvgPool3D", "ReflectionPad2D", "PixelShuffle1D", "PixelShuffle2D", "PixelShuffle3D"]


class _Pooling(HybridBlock):
    """MXNet 1.9.1's ``_Pooling``: the shared body of the pooling layers."""

    def __init__(self, pool_size, strides, padding, ceil_mode, global_pool, pool_type, layout,
                 count_include_pad=None, **kwargs):
        super().__init__(**kwargs)
        if strides is None:
            strides = pool_size
        if isinstance(strides, numbers.Integral):
            strides = (strides,) * len(pool_size)
        if isinstance(padding, numbers.Integral):
            padding = (padding,) * len(pool_size)
        self._kwargs = {"kernel": pool_size, "stride": strides, "pad": padding, "global_pool": global_pool,
                        "pool_type": pool_type, "layout": layout,
                        "pooling_convention": "full" if ceil_mode else "valid"}
        if count_include_pad is not None:
            self._kwargs["count_include_pad"] = count_include_pad

    def _alias(self):
        return "pool"

    def hybrid_forward(self, F, x):
        return F.Pooling(x, name="fwd", **self._kwargs)

    def __repr__(self):
        s = "{name}(size={kernel}, stride={stride}, padding={pad}, ceil_mode={ceil_mode}"
        s += ", global_pool={global_pool}, pool_type={pool_type}, layout={layout})"
        return s.format(name=self.__class__.__name__, ceil_mode=self._kwargs["pooling_convention"] == "full",
                        **self._kwargs)


def _check(layout, allowed, dims, pool_size=None):
    assert layout in allowed, "Only {} and {} layouts are valid for {}D Pooling".format(allowed[0], allowed[1], dims)
    if pool_size is None:
        return None
    if isinstance(pool_size, numbers.Integral):
        pool_size = (pool_size,) * dims
    assert len(pool_size) == dims, "pool_size must be a number or a list of {} ints".format(dims)
    return pool_size


class MaxPool1D(_Pooling):
    """Max pooling over the W axis of (N, C, W) data (``layout='NWC'``: (N, W, C)). ``strides=None``
    uses ``pool_size``; ``ceil_mode=True`` is MXNet's ``pooling_convention='full'``."""

    def __init__(self, pool_size=2, strides=None, padding=0, layout="NCW", ceil_mode=False, **kwargs):
        pool_size = _check(layout, ("NCW", "NWC"), 1, pool_size)
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout, **kwargs)


class MaxPool2D(_Pooling):
    """Max pooling over (H, W) of (N, C, H, W) data (``layout='NHWC'``: (N, H, W, C)).

    >>> from hybridnet import gluon, nd
    >>> gluon.nn.MaxPool2D()(nd.arange(16).reshape((1, 1, 4, 4))).asnumpy().tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding=0, layout="NCHW", ceil_mode=False, **kwargs):
        pool_size = _check(layout, ("NCHW", "NHWC"), 2, pool_size)
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout, **kwargs)


class MaxPool3D(_Pooling):
    """Max pooling over (D, H, W) of (N, C, D, H, W) data (``layout='NDHWC'``: channels last)."""

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding=0, ceil_mode=False, layout="NCDHW", **kwargs):
        pool_size = _check(layout, ("NCDHW", "NDHWC"), 3, pool_size)
        super().__init__(pool_size, strides, padding, ceil_mode, False, "max", layout, **kwargs)


class AvgPool1D(_Pooling):
    """Average pooling over W; ``count_include_pad=False`` divides by the real (unpadded) cell count."""

    def __init__(self, pool_size=2, strides=None, padding=0, layout="NCW", ceil_mode=False, count_include_pad=True,
                 **kwargs):
        pool_size = _check(layout, ("NCW", "NWC"), 1, pool_size)
        super().__init__(pool_size, strides, padding, ceil_mode, False, "avg", layout, count_include_pad, **kwargs)


class AvgPool2D(_Pooling):
    """Average pooling over (H, W); ``count_include_pad=False`` divides by the real cell count."""

    def __init__(self, pool_size=(2, 2), strides=None, padding=0, ceil_mode=False, layout="NCHW",
                 count_include_pad=True, **kwargs):
        pool_size = _check(layout, ("NCHW", "NHWC"), 2, pool_size)
        super().__init__(pool_size, strides, padding, ceil_mode, False, "avg", layout, count_include_pad, **kwargs)


class AvgPool3D(_Pooling):
    """Average pooling over (D, H, W); ``count_include_pad=False`` divides by the real cell count."""

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding=0, ceil_mode=False, layout="NCDHW",
                 count_include_pad=True, **kwargs):
        pool_size = _check(layout, ("NCDHW", "NDHWC"), 3, pool_size)
        super().__init__(pool_size, strides, padding, ceil_mode, False, "avg", layout, count_include_pad, **kwargs)


class GlobalMaxPool1D(_Pooling):
    """Max over the whole W axis: (N, C, W) -> (N, C, 1)."""

    def __init__(self, layout="NCW", **kwargs):
        _check(layout, ("NCW", "NWC"), 1)
        super().__init__((1,), None, 0, True, True, "max", layout, **kwargs)


class GlobalMaxPool2D(_Pooling):
    """Max over the whole (H, W) plane: (N, C, H, W) -> (N, C, 1, 1)."""

    def __init__(self, layout="NCHW", **kwargs):
        _check(layout, ("NCHW", "NHWC"), 2)
        super().__init__((1, 1), None, 0, True, True, "max", layout, **kwargs)


class GlobalMaxPool3D(_Pooling):
    """Max over the whole (D, H, W) volume: (N, C, D, H, W) -> (N, C, 1, 1, 1)."""

    def __init__(self, layout="NCDHW", **kwargs):
        _check(layout, ("NCDHW", "NDHWC"), 3)
        super().__init__((1, 1, 1), None, 0, True, True, "max", layout, **kwargs)


class GlobalAvgPool1D(_Pooling):
    """Mean over the whole W axis: (N, C, W) -> (N, C, 1)."""

    def __init__(self, layout="NCW", **kwargs):
        _check(layout, ("NCW", "NWC"), 1)
        super().__init__((1,), None, 0, True, True, "avg", layout, **kwargs)


class GlobalAvgPool2D(_Pooling):
    """Mean over the whole (H, W) plane: (N, C, H, W) -> (N, C, 1, 1).

    >>> from hybridnet import gluon
    >>> gluon.nn.GlobalAvgPool2D()
    GlobalAvgPool2D(size=(1, 1), stride=(1, 1), padding=(0, 0), ceil_mode=True, global_pool=True, pool_type=avg, layout=NCHW)
    """

    def __init__(self, layout="NCHW", **kwargs):
        _check(layout, ("NCHW", "NHWC"), 2)
        super().__init__((1, 1), None, 0, True, True, "avg", layout, **kwargs)


class GlobalAvgPool3D(_Pooling):
    """Mean over the whole (D, H, W) volume: (N, C, D, H, W) -> (N, C, 1, 1, 1)."""

    def __init__(self, layout="NCDHW", **kwargs):
        _check(layout, ("NCDHW", "NDHWC"), 3)
        super().__init__((1, 1, 1), None, 0, True, True, "avg", layout, **kwargs)


class ReflectionPad2D(HybridBlock):
    """Pad the H and W axes of (N, C, H, W) data with their reflection (edge excluded). ``padding``: an
    int (all four sides) or MXNet's 8-tuple ``pad_width``.

    >>> from hybridnet import gluon, nd
    >>> gluon.nn.ReflectionPad2D(1)(nd.arange(4).reshape((1, 1, 2, 2))).asnumpy().tolist()
    [[[[3.0, 2.0, 3.0, 2.0], [1.0, 0.0, 1.0, 0.0], [3.0, 2.0, 3.0, 2.0], [1.0, 0.0, 1.0, 0.0]]]]
    """

    def __init__(self, padding=0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, numbers.Integral):
            padding = (0, 0, 0, 0, padding, padding, padding, padding)
        assert len(padding) == 8
        self._padding = padding

    def hybrid_forward(self, F, x):
        return F.pad(x, mode="reflect", pad_width=self._padding)


class PixelShuffle1D(HybridBlock):
    """(N, f*C, W) -> (N, C, W*f): groups of ``f`` channels become ``f`` neighbouring pixels.

    >>> from hybridnet import gluon, nd
    >>> gluon.nn.PixelShuffle1D(2)(nd.zeros((1, 8, 3))).shape
    (1, 4, 6)
    """

    def __init__(self, factor):
        super().__init__()
        self._factor = int(factor)

    def hybrid_forward(self, F, x):
        f = self._factor
        x = F.reshape(x, (0, -4, -1, f, 0))     # (N, C, f, W)
        x = F.transpose(x, (0, 1, 3, 2))        # (N, C, W, f)
        return F.reshape(x, (0, 0, -3))         # (N, C, W*f)

    def __repr__(self):
        return "{}({})".format(self.__class__.__name__, self._factor)


class PixelShuffle2D(HybridBlock):
    """(N, f1*f2*C, H, W) -> (N, C, H*f1, W*f2) (sub-pixel convolution upsampling, Shi et al. 2016).

    >>> from hybridnet import gluon, nd
    >>> gluon.nn.PixelShuffle2D((2, 3))(nd.zeros((1, 12, 3, 5))).shape
    (1, 2, 6, 15)
    """

    def __init__(self, factor):
        super().__init__()
        try:
            self._factors = (int(factor),) * 2
        except TypeError:
            self._factors = tuple(int(fac) for fac in factor)
            assert len(self._factors) == 2, "wrong length {}".format(len(self._factors))

    def hybrid_forward(self, F, x):
        f1, f2 = self._factors
        x = F.reshape(x, (0, -4, -1, f1 * f2, 0, 0))    # (N, C, f1*f2, H, W)
        x = F.reshape(x, (0, 0, -4, f1, f2, 0, 0))      # (N, C, f1, f2, H, W)
        x = F.transpose(x, (0, 1, 4, 2, 5, 3))          # (N, C, H, f1, W, f2)
        return F.reshape(x, (0, 0, -3, -3))             # (N, C, H*f1, W*f2)

    def __repr__(self):
        return "{}({})".format(self.__class__.__name__, self._factors)


class PixelShuffle3D(HybridBlock):
    """(N, f1*f2*f3*C, D, H, W) -> (N, C, D*f1, H*f2, W*f3).

    >>> from hybridnet import gluon, nd
    >>> gluon.nn.PixelShuffle3D((2, 3, 4))(nd.zeros((1, 48, 3, 5, 7))).shape
    (1, 2, 6, 15, 28)
    """

    def __init__(self, factor):
        super().__init__()
        try:
            self._factors = (int(factor),) * 3
        except TypeError:
            self._factors = tuple(int(fac) for fac in factor)
            assert len(self._factors) == 3, "wrong length {}".format(len(self._factors))

    def hybrid_forward(self, F, x):
        f1, f2, f3 = self._factors
        x = F.reshape(x, (0, -4, -1, f1 * f2 * f3, 0, 0, 0))    # (N, C, f1*f2*f3, D, H, W)
        x = F.swapaxes(x, 2, 3)                                 # (N, C, D, f1*f2*f3, H, W)
        x = F.reshape(x, (0, 0, 0, -4, f1, f2 * f3, 0, 0))      # (N, C, D, f1, f2*f3, H, W)
        x = F.reshape(x, (0, 0, -3, 0, 0, 0))                   # (N, C, D*f1, f2*f3, H, W)
        x = F.swapaxes(x, 3, 4)                                 # (N, C, D*f1, H, f2*f3, W)
        x = F.reshape(x, (0, 0, 0, 0, -4, f2, f3, 0))           # (N, C, D*f1, H, f2, f3, W)
        x = F.reshape(x, (0, 0, 0, -3, 0, 0))                   # (N, C, D*f1, H*f2, f3, W)
        x = F.swapaxes(x, 4, 5)                                 # (N, C, D*f1, H*f2, W, f3)
        return F.reshape(x, (0, 0, 0, 0, -3))                   # (N, C, D*f1, H*f2, W*f3)

    def __repr__(self):
        return "{}({})".format(self.__class__.__name__, self._factors)
