"""Basic layers (MXNet 1.9.1 ``gluon/nn/basic_layers.py`` and contrib's containers): constructor
signatures, Parameter names, ``print(net)`` text and forward maths as MXNet's."""
import warnings

from .. import block as _block
from ..block import Block, HybridBlock, _indent

__all__ = ["Sequential", "HybridSequential", "Dense", "Dropout", "Embedding", "Flatten", "Lambda",
           "HybridLambda", "Identity", "Concatenate", "HybridConcatenate"]


class Sequential(Block):
    """Children run in order (``net.add(...)``; ``net[i]``, ``net[a:b]``, ``len(net)``).

    >>> from hybridnet import gluon, nd
    >>> net = gluon.nn.Sequential()
    >>> net.add(gluon.nn.Dense(4, in_units=3), gluon.nn.Dense(2, in_units=4))
    >>> net.initialize()
    >>> net(nd.ones((5, 3))).shape
    (5, 2)
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def add(self, *blocks):
        for block in blocks:
            self.register_child(block)

    def forward(self, x, *args):
        for block in self._children.values():
            x = block(x, *args)
            args = []
            if isinstance(x, (tuple, list)):
                args = x[1:]
                x = x[0]
        if args:
            x = tuple([x] + list(args))
        return x

    def __repr__(self):
        s = "{name}(\n{modstr}\n)"
        modstr = "\n".join(["  ({key}): {block}".format(key=key, block=_indent(block.__repr__(), 2))
                            for key, block in self._children.items()])
        return s.format(name=self.__class__.__name__, modstr=modstr)

    def __getitem__(self, key):
        layers = list(self._children.values())[key]
        if isinstance(layers, list):
            net = type(self)(prefix=self._prefix)
            with net.name_scope():
                net.add(*layers)
            return net
        return layers

    def __len__(self):
        return len(self._children)

    def __iter__(self):
        return iter(self._children.values())

    def hybridize(self, active=True, **kwargs):
        if self._children and all(isinstance(c, HybridBlock) for c in self._children.values()):
            warnings.warn("All children of this Sequential layer '%s' are HybridBlocks. Consider using "
                          "HybridSequential for the best performance." % self.prefix, stacklevel=2)
        super().hybridize(active, **kwargs)


class HybridSequential(HybridBlock):
    """Sequential of HybridBlocks; hybridizes into one graph.

    >>> from hybridnet import gluon, nd
    >>> net = gluon.nn.HybridSequential()
    >>> net.add(gluon.nn.Dense(4, in_units=3))
    >>> net.initialize(); net.hybridize()
    >>> net(nd.ones((2, 3))).shape
    (2, 4)
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    add = Sequential.add
    forward = Sequential.forward
    __repr__ = Sequential.__repr__
    __len__ = Sequential.__len__
    __iter__ = Sequential.__iter__
    __getitem__ = Sequential.__getitem__


_block._SEQUENTIAL_TYPES = (Sequential, HybridSequential)


class Dense(HybridBlock):
    """Fully connected layer ``y = act(x W^T + b)``; ``in_units=0`` defers to the first input.

    >>> from hybridnet import gluon, nd
    >>> d = gluon.nn.Dense(3, activation='relu')
    >>> d.initialize()
    >>> d(nd.ones((2, 5))).shape
    (2, 3)
    >>> d
    Dense(5 -> 3, Activation(relu))
    """

    def __init__(self, units, activation=None, use_bias=True, flatten=True, dtype="float32",
                 weight_initializer=None, bias_initializer="zeros", in_units=0, **kwargs):
        super().__init__(**kwargs)
        self._flatten = flatten
        with self.name_scope():
            self._units = units
            self._in_units = in_units
            self.weight = self.params.get("weight", shape=(units, in_units), init=weight_initializer,
                                          dtype=dtype, allow_deferred_init=True)
            if use_bias:
                self.bias = self.params.get("bias", shape=(units,), init=bias_initializer, dtype=dtype,
                                            allow_deferred_init=True)
            else:
                self.bias = None
            if activation is not None:
                from .activations import Activation
                self.act = Activation(activation, prefix=activation + "_")
            else:
                self.act = None

    def hybrid_forward(self, F, x, weight, bias=None):
        act = F.FullyConnected(x, weight, bias, no_bias=bias is None, num_hidden=self._units,
                               flatten=self._flatten, name="fwd")
        if self.act is not None:
            act = self.act(act)
        return act

    def __repr__(self):
        shape = self.weight.shape
        return "{name}({layout}, {act})".format(
            name=self.__class__.__name__, act=self.act if self.act else "linear",
            layout="{0} -> {1}".format(shape[1] if shape[1] else None, shape[0]))


class Dropout(HybridBlock):
    """Randomly zeroes units with probability ``rate`` in train mode (kept units scaled by
    1/(1-rate)); the identity in predict mode, hybridized or not. ``axes`` share the mask.

    >>> from hybridnet import gluon, nd, autograd
    >>> d = gluon.nn.Dropout(0.5)
    >>> d(nd.ones((2, 2))).asnumpy().tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """

    def __init__(self, rate, axes=(), **kwargs):
        super().__init__(**kwargs)
        self._rate = rate
        self._axes = axes

    def hybrid_forward(self, F, x):
        if self._rate > 0:
            return F.Dropout(x, p=self._rate, axes=self._axes, name="fwd", cudnn_off=False)
        return F.identity(x)

    def __repr__(self):
        return "{name}(p = {_rate}, axes={_axes})".format(name=self.__class__.__name__, **self.__dict__)


class Embedding(HybridBlock):
    """Maps integer indices to rows of a ``(input_dim, output_dim)`` weight.

    >>> from hybridnet import gluon, nd
    >>> e = gluon.nn.Embedding(10, 4)
    >>> e.initialize()
    >>> e(nd.array([[1, 2, 3]])).shape
    (1, 3, 4)
    """

    def __init__(self, input_dim, output_dim, dtype="float32", weight_initializer=None, sparse_grad=False,
                 **kwargs):
        super().__init__(**kwargs)
        grad_stype = "row_sparse" if sparse_grad else "default"
        self._kwargs = {"input_dim": input_dim, "output_dim": output_dim, "dtype": dtype,
                        "sparse_grad": sparse_grad}
        self.weight = self.params.get("weight", shape=(input_dim, output_dim), init=weight_initializer,
                                      dtype=dtype, allow_deferred_init=True, grad_stype=grad_stype)

    def hybrid_forward(self, F, x, weight):
        return F.Embedding(x, weight, name="fwd", **self._kwargs)

    def __repr__(self):
        return "{block_name}({input_dim} -> {output_dim}, {dtype})".format(
            block_name=self.__class__.__name__, **self._kwargs)


class Flatten(HybridBlock):
    """Collapses all axes but the first: ``(N, a, b) -> (N, a*b)``.

    >>> from hybridnet import gluon, nd
    >>> gluon.nn.Flatten()(nd.ones((2, 3, 4))).shape
    (2, 12)
    """

    def hybrid_forward(self, F, x):
        return F.Flatten(x)

    def __repr__(self):
        return self.__class__.__name__


class Lambda(Block):
    """Wraps a function (or the name of an ``nd`` function) as a Block.

    >>> from hybridnet import gluon, nd
    >>> gluon.nn.Lambda('tanh')(nd.zeros((2,))).asnumpy().tolist()
    [0.0, 0.0]
    """

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        from ... import nd
        if isinstance(function, str):
            if not hasattr(nd, function):
                raise AssertionError("Function name %s is not found in ndarray." % function)
            self._func_impl = getattr(nd, function)
        elif callable(function):
            self._func_impl = function
        else:
            raise ValueError("Unrecognized function in lambda: {} of type {}".format(function, type(function)))

    def forward(self, *args):
        return self._func_impl(*args)

    def __repr__(self):
        return "{name}({function})".format(name=self.__class__.__name__, function=self._func_impl.__name__)


class HybridLambda(HybridBlock):
    """Wraps ``fn(F, *args)`` (or an op name) as a HybridBlock.

    >>> from hybridnet import gluon, nd
    >>> gluon.nn.HybridLambda(lambda F, x: F.relu(x))(nd.array([-1, 2])).asnumpy().tolist()
    [0.0, 2.0]
    """

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            from ... import nd
            if not hasattr(nd, function):
                raise AssertionError("Function name %s is not found in symbol/ndarray." % function)
            func_dict = {"F": None}
            self._func = lambda F, *args: getattr(F, function)(*args)
            self._func_name = function
            del func_dict
        elif callable(function):
            self._func = function
            self._func_name = function.__name__
        else:
            raise ValueError("Unrecognized function in lambda: {} of type {}".format(function, type(function)))

    def hybrid_forward(self, F, x, *args):
        return self._func(F, x, *args)

    def __repr__(self):
        return "{name}({function})".format(name=self.__class__.__name__, function=self._func_name)


class Identity(HybridBlock):
    """Returns its input (block placeholder).

    >>> from hybridnet import gluon, nd
    >>> gluon.nn.Identity()(nd.ones((2,))).asnumpy().tolist()
    [1.0, 1.0]
    """

    def hybrid_forward(self, F, x):
        return x


class Concatenate(Sequential):
    """Runs every child on the same input and concatenates the outputs along ``axis``
    (``contrib.nn.Concurrent`` in 1.x).

    >>> from hybridnet import gluon, nd
    >>> c = gluon.nn.Concatenate(axis=1)
    >>> c.add(gluon.nn.Identity(), gluon.nn.Identity())
    >>> c(nd.ones((2, 3))).shape
    (2, 6)
    """

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x):
        from ... import nd
        return nd.concat(*[block(x) for block in self._children.values()], dim=self.axis)


class HybridConcatenate(HybridSequential):
    """``Concatenate`` of HybridBlocks (``contrib.nn.HybridConcurrent`` in 1.x).

    >>> from hybridnet import gluon, nd
    >>> c = gluon.nn.HybridConcatenate(axis=1)
    >>> c.add(gluon.nn.Identity(), gluon.nn.Identity())
    >>> c.hybridize()
    >>> c(nd.ones((2, 3))).shape
    (2, 6)
    """

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x):
        from ... import nd
        return nd.concat(*[block(x) for block in self._children.values()], dim=self.axis)
