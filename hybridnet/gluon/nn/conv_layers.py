"""Convolution layers with MXNet 1.9.1's constructors, Parameter names (``conv0_weight``, ``conv0_bias``,
prefix alias ``conv``), ``print(net)`` text and forward maths: ``Conv1D/2D/3D`` (the ``Convolution`` op) and
``Conv1DTranspose/2DTranspose/3DTranspose`` (the ``Deconvolution`` op, ``output_padding`` = its ``adj``).

``in_channels=0`` defers the weight's input-channel dim to the first forward (the ops' ``infer_params``).
Weight shapes: ``(channels, in_channels / groups, *kernel_size)`` for convolutions and
``(in_channels, channels / groups, *kernel_size)`` for transposed ones (channels-last layouts put the
kernel dims before the last: ``(channels, *kernel_size, in_channels / groups)``).

``print(net)`` text is MXNet's (``Conv2D(3 -> 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1),
Activation(relu))``; ``None -> 8`` before the input channels are known; the left side is the weight's
second dim, i.e. ``in_channels / groups`` for grouped convolutions, as MXNet prints it), with two
deliberate fixes of MXNet 1.9.1 quirks (gluon-semantics.md 2.2): a transposed convolution prints
``in_channels -> channels`` (MXNet prints ``channels / groups -> in_channels``, e.g. ``8 -> 0`` before the
first forward) and its ``output_padding`` when non-zero (MXNet's check reads a misspelled attribute and
never prints it); a channels-last layer prints its real input channels (MXNet prints a kernel size).
"""
import numbers

from ...errors import AttrError, ShapeError
from ...ops.conv import conv_geom, conv_weight_shape, deconv_weight_shape
from ..block import HybridBlock
from .activations import Activation

__all__ = ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"]


class LayoutError(AttrError, AssertionError):
    """A layout or kernel size the layer does not support (MXNet raises ``AssertionError``)."""


def _tuple(v, n, what, cls):
    """A number becomes an n-tuple; a tuple or list of n ints is kept as given (MXNet passes it on, so
    a list prints and exports as a list)."""
    if isinstance(v, numbers.Integral):
        return (int(v),) * n
    if len(tuple(v)) != n:
        raise LayoutError(f"{cls}: {what} must be a number or a list of {n} ints, got {v!r}; pass one int or {n}")
    return v


class _Conv(HybridBlock):
    """MXNet 1.9.1's ``_Conv``: the shared body of every convolution layer."""

    def __init__(self, channels, kernel_size, strides, padding, dilation, groups, layout, in_channels=0,
                 activation=None, use_bias=True, weight_initializer=None, bias_initializer="zeros",
                 op_name="Convolution", adj=None, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        n = len(kernel_size)
        cls = type(self).__name__
        with self.name_scope():
            self._channels = channels
            self._in_channels = in_channels
            strides = _tuple(strides, n, "strides", cls)
            padding = _tuple(padding, n, "padding", cls)
            dilation = _tuple(dilation, n, "dilation", cls)
            self._op_name = op_name
            self._kwargs = {
                "kernel": kernel_size, "stride": strides, "dilate": dilation,
                "pad": padding, "num_filter": channels, "num_group": groups,
                "no_bias": not use_bias, "layout": layout}
            if adj is not None:
                self._kwargs["adj"] = adj
            geom = conv_geom(tuple(kernel_size), tuple(strides), tuple(dilation), tuple(padding), layout, groups)
            if in_channels and in_channels % groups:
                raise ShapeError(f"{cls} '{self.prefix}': in_channels={in_channels} is not divisible by "
                                 f"groups={groups} (MXNet: 'input num_filter must divide group size'); pass "
                                 "in_channels and groups such that groups divides in_channels")
            if channels % groups:
                raise ShapeError(f"{cls} '{self.prefix}': channels={channels} is not divisible by groups={groups} "
                                 "(MXNet: 'output num_filter must divide group size'); pass a multiple of groups")
            shape_fn = conv_weight_shape if op_name == "Convolution" else deconv_weight_shape
            self.weight = self.params.get("weight", shape=shape_fn(in_channels, channels, geom),
                                          init=weight_initializer, allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get("bias", shape=(channels,), init=bias_initializer,
                                            allow_deferred_init=True)
            else:
                self.bias = None
            if activation is not None:
                self.act = Activation(activation, prefix=activation + "_")
            else:
                self.act = None

    def hybrid_forward(self, F, x, weight, bias=None):
        op = getattr(F, self._op_name)
        if bias is None:
            act = op(x, weight, name="fwd", **self._kwargs)
        else:
            act = op(x, weight, bias, name="fwd", **self._kwargs)
        if self.act is not None:
            act = self.act(act)
        return act

    def _alias(self):
        return "conv"

    def _in_out(self):
        """``(left, right)`` of the ``a -> b`` in the repr."""
        shape = self.weight.shape
        last = self._kwargs["layout"][-1] == "C"
        second = shape[-1] if last else shape[1]
        return (second if second else None), shape[0]

    def __repr__(self):
        s = "{name}({mapping}, kernel_size={kernel}, stride={stride}"
        n = len(self._kwargs["kernel"])
        if self._kwargs["pad"] != (0,) * n:
            s += ", padding={pad}"
        if self._kwargs["dilate"] != (1,) * n:
            s += ", dilation={dilate}"
        if tuple(self._kwargs.get("adj", (0,) * n)) != (0,) * n:
            s += ", output_padding={adj}"
        if self._kwargs["num_group"] != 1:
            s += ", groups={num_group}"
        if self.bias is None:
            s += ", bias=False"
        if self.act:
            s += ", {}".format(self.act)
        s += ")"
        a, b = self._in_out()
        return s.format(name=self.__class__.__name__, mapping="{0} -> {1}".format(a, b), **self._kwargs)


class _ConvTranspose(_Conv):
    def _in_out(self):
        shape = self.weight.shape
        return (shape[0] if shape[0] else None), self._channels


def _check_layout(cls, layout, allowed):
    if layout not in allowed:
        raise LayoutError(f"{cls}: Only supports {' and '.join(repr(a) for a in allowed)} layout for now, got "
                          f"layout={layout!r}; pass layout={allowed[0]!r}"
                          + (f" (or {allowed[1]!r} for channels-last data)" if len(allowed) > 1 else ""))


def _kernel(cls, kernel_size, n):
    return _tuple(kernel_size, n, "kernel_size", cls)


class Conv1D(_Conv):
    """1-D convolution over ``(batch, in_channels, width)`` data (layout ``'NCW'``); output width
    ``floor((width + 2 * padding - dilation * (kernel_size - 1) - 1) / strides) + 1``.

    >>> from hybridnet import gluon, nd
    >>> c = gluon.nn.Conv1D(4, 3, padding=1)
    >>> c.initialize()
    >>> c(nd.ones((2, 3, 10))).shape
    (2, 4, 10)
    >>> c
    Conv1D(3 -> 4, kernel_size=(3,), stride=(1,), padding=(1,))
    """

    def __init__(self, channels, kernel_size, strides=1, padding=0, dilation=1, groups=1, layout="NCW",
                 activation=None, use_bias=True, weight_initializer=None, bias_initializer="zeros",
                 in_channels=0, **kwargs):
        _check_layout("Conv1D", layout, ("NCW",))
        kernel_size = _kernel("Conv1D", kernel_size, 1)
        op_name = kwargs.pop("op_name", "Convolution")
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout, in_channels,
                         activation, use_bias, weight_initializer, bias_initializer, op_name, **kwargs)


class Conv2D(_Conv):
    """2-D convolution over ``(batch, in_channels, height, width)`` data (layout ``'NCHW'``, or
    ``'NHWC'``); ``groups`` splits the channels (``groups = in_channels = channels``: depthwise).

    >>> from hybridnet import gluon, nd
    >>> c = gluon.nn.Conv2D(16, 3, strides=2, padding=1, activation='relu')
    >>> c.initialize()
    >>> c(nd.ones((1, 3, 32, 32))).shape
    (1, 16, 16, 16)
    >>> c
    Conv2D(3 -> 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), Activation(relu))
    """

    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
                 layout="NCHW", activation=None, use_bias=True, weight_initializer=None, bias_initializer="zeros",
                 in_channels=0, **kwargs):
        _check_layout("Conv2D", layout, ("NCHW", "NHWC"))
        kernel_size = _kernel("Conv2D", kernel_size, 2)
        op_name = kwargs.pop("op_name", "Convolution")
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout, in_channels,
                         activation, use_bias, weight_initializer, bias_initializer, op_name, **kwargs)


class Conv3D(_Conv):
    """3-D convolution over ``(batch, in_channels, depth, height, width)`` data (layout ``'NCDHW'``, or
    ``'NDHWC'``).

    >>> from hybridnet import gluon, nd
    >>> c = gluon.nn.Conv3D(2, (1, 3, 3), padding=(0, 1, 1))
    >>> c.initialize()
    >>> c(nd.ones((1, 4, 2, 5, 5))).shape
    (1, 2, 2, 5, 5)
    """

    def __init__(self, channels, kernel_size, strides=(1, 1, 1), padding=(0, 0, 0), dilation=(1, 1, 1), groups=1,
                 layout="NCDHW", activation=None, use_bias=True, weight_initializer=None, bias_initializer="zeros",
                 in_channels=0, **kwargs):
        _check_layout("Conv3D", layout, ("NCDHW", "NDHWC"))
        kernel_size = _kernel("Conv3D", kernel_size, 3)
        op_name = kwargs.pop("op_name", "Convolution")
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout, in_channels,
                         activation, use_bias, weight_initializer, bias_initializer, op_name, **kwargs)


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1-D convolution (``Deconvolution``); output width
    ``(width - 1) * strides - 2 * padding + dilation * (kernel_size - 1) + 1 + output_padding``.

    >>> from hybridnet import gluon, nd
    >>> c = gluon.nn.Conv1DTranspose(2, 4, strides=2, padding=1)
    >>> c.initialize()
    >>> c(nd.ones((1, 3, 5))).shape
    (1, 2, 10)
    """

    def __init__(self, channels, kernel_size, strides=1, padding=0, output_padding=0, dilation=1, groups=1,
                 layout="NCW", activation=None, use_bias=True, weight_initializer=None, bias_initializer="zeros",
                 in_channels=0, **kwargs):
        _check_layout("Conv1DTranspose", layout, ("NCW",))
        kernel_size = _kernel("Conv1DTranspose", kernel_size, 1)
        output_padding = _tuple(output_padding, 1, "output_padding", "Conv1DTranspose")
        op_name = kwargs.pop("op_name", "Deconvolution")
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout, in_channels,
                         activation, use_bias, weight_initializer, bias_initializer, op_name=op_name,
                         adj=output_padding, **kwargs)
        self.outpad = output_padding


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-D convolution (``Deconvolution``, e.g. GAN generators): layout ``'NCHW'`` or ``'NHWC'``.

    >>> from hybridnet import gluon, nd
    >>> c = gluon.nn.Conv2DTranspose(8, 4, strides=2, padding=1)
    >>> c.initialize()
    >>> c(nd.ones((1, 16, 7, 7))).shape
    (1, 8, 14, 14)
    >>> c
    Conv2DTranspose(16 -> 8, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1))
    """

    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0), output_padding=(0, 0),
                 dilation=(1, 1), groups=1, layout="NCHW", activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer="zeros", in_channels=0, **kwargs):
        _check_layout("Conv2DTranspose", layout, ("NCHW", "NHWC"))
        kernel_size = _kernel("Conv2DTranspose", kernel_size, 2)
        output_padding = _tuple(output_padding, 2, "output_padding", "Conv2DTranspose")
        op_name = kwargs.pop("op_name", "Deconvolution")
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout, in_channels,
                         activation, use_bias, weight_initializer, bias_initializer, op_name=op_name,
                         adj=output_padding, **kwargs)
        self.outpad = output_padding


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3-D convolution (``Deconvolution``): layout ``'NCDHW'`` or ``'NDHWC'``.

    >>> from hybridnet import gluon, nd
    >>> c = gluon.nn.Conv3DTranspose(2, 2, strides=2)
    >>> c.initialize()
    >>> c(nd.ones((1, 3, 2, 2, 2))).shape
    (1, 2, 4, 4, 4)
    """

    def __init__(self, channels, kernel_size, strides=(1, 1, 1), padding=(0, 0, 0), output_padding=(0, 0, 0),
                 dilation=(1, 1, 1), groups=1, layout="NCDHW", activation=None, use_bias=True,
                 weight_initializer=None, bias_initializer="zeros", in_channels=0, **kwargs):
        _check_layout("Conv3DTranspose", layout, ("NCDHW", "NDHWC"))
        kernel_size = _kernel("Conv3DTranspose", kernel_size, 3)
        output_padding = _tuple(output_padding, 3, "output_padding", "Conv3DTranspose")
        op_name = kwargs.pop("op_name", "Deconvolution")
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, layout, in_channels,
                         activation, use_bias, weight_initializer, bias_initializer, op_name=op_name,
                         adj=output_padding, **kwargs)
        self.outpad = output_padding
