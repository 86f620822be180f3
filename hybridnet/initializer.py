"""Weight initializers (``mx.init`` / ``mx.initializer``), MXNet 1.9.1 semantics.

An initializer is called as ``init(InitDesc(name, attrs), arr)`` and writes into the NDArray ``arr`` in
place. Dispatch (MXNet 1.9.1 ``Initializer.__call__``):

- ``desc.attrs['__init__']`` set (Gluon passes the Parameter's own ``init`` there) ->
  ``create(that)._init_weight(desc, arr)``, whatever the name: so in Gluon a Parameter's own initializer
  (``bias_initializer='zeros'``) beats the global one, and the global one's ``_init_weight`` is applied to
  every other Parameter (``initialize(mx.init.Constant(3))`` sets Dense bias to 3 only when the bias has
  no own init; Dense's default ``'zeros'`` keeps it 0).
- otherwise the name suffix decides: ``weight`` -> ``_init_weight``, ``bias``/``beta``/``min`` -> 0,
  ``gamma``/``max`` -> 1, ``weight_quantize``/``bias_quantize``; anything else raises.
- a plain string name (not an ``InitDesc``) takes MXNet's deprecated legacy path (``upsampling*`` ->
  bilinear, ``moving_mean`` -> 0, ``moving_var`` -> 1, ...), with a ``DeprecationWarning``.

Random initializers draw with ``mx.nd.random`` on the array's device, so ``mx.random.seed`` makes them
reproducible (the numbers differ from MXNet's generator; the distributions and bounds are MXNet's).

>>> import hybridnet as mx
>>> mx.init.Xavier().dumps()
'["xavier", {"rnd_type": "uniform", "factor_type": "avg", "magnitude": 3}]'
>>> w = mx.nd.zeros((2, 3))
>>> mx.init.Constant(0.5)(mx.init.InitDesc('fc_weight'), w)
>>> w.asnumpy().tolist()
[[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]
"""
import json
import logging
import re
import warnings
from math import sqrt

import numpy as np

from . import nd as _nd
from . import random
from . import registry
from .errors import HybridNetError, ShapeError
from .nd import NDArray

__all__ = ["InitDesc", "Initializer", "InitializerError", "register", "alias", "create", "Load", "Mixed",
           "Zero", "One", "Constant", "Uniform", "Normal", "Orthogonal", "Xavier", "MSRAPrelu", "Bilinear",
           "LSTMBias", "FusedRNN"]


class InitializerError(HybridNetError, ValueError):
    """An initializer cannot be applied to an array (its name, shape or arguments)."""


class InitDesc(str):
    """Descriptor of the array to initialize: a ``str`` (the variable name) with ``attrs`` (dict, e.g.
    ``{'__init__': init}``) and ``global_init`` (the initializer to fall back to).

    >>> d = InitDesc('dense0_weight', {'__init__': 'zeros'})
    >>> d, d.attrs, d.global_init
    ('dense0_weight', {'__init__': 'zeros'}, None)
    """

    def __new__(cls, name, attrs=None, global_init=None):
        ret = super().__new__(cls, name)
        ret.attrs = attrs or {}
        ret.global_init = global_init
        return ret


class Initializer:
    """Base class of initializers. Subclasses override ``_init_weight(self, name, arr)`` (and optionally
    ``_init_bias``, ``_init_gamma``, ``_init_beta``) and write into ``arr`` in place
    (``arr[:] = value``). Keyword arguments given to ``__init__`` are what ``dumps()`` serialises.

    >>> class Half(Initializer):
    ...     def _init_weight(self, name, arr):
    ...         arr[:] = 0.5
    >>> Half().dumps()
    '["half", {}]'
    """

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self._verbose = False
        self._print_func = None

    def set_verbosity(self, verbose=False, print_func=None):
        """Log ``Initialized <name> as <pattern>: <stat>`` (``logging.info``) after each array;
        ``print_func(arr) -> str`` defaults to ``norm(arr)/sqrt(size)``. Returns ``self``."""
        self._verbose = verbose
        if print_func is None:
            def asum_stat(x):
                """returns |x|/size(x)."""
                return str((_nd.norm(x) / sqrt(x.size)).asscalar())
            print_func = asum_stat
        self._print_func = print_func
        return self

    def _verbose_print(self, desc, init, arr):
        if self._verbose and self._print_func:
            logging.info('Initialized %s as %s: %s', desc, init, self._print_func(arr))

    def dumps(self):
        """The initializer as MXNet's JSON string ``[class name lower-cased, constructor kwargs]``.

        >>> import hybridnet as mx
        >>> mx.init.Normal(0.5).dumps()
        '["normal", {"sigma": 0.5}]'
        """
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __call__(self, desc, arr):
        """Initialize ``arr`` (an NDArray, written in place) as described by ``desc`` (an ``InitDesc``)."""
        if not isinstance(desc, InitDesc):
            self._legacy_init(desc, arr)
            return
        if desc.global_init is None:
            desc.global_init = self
        init = desc.attrs.get('__init__', "")
        if init:
            # the variable's own initializer (Gluon: Parameter.init) wins, applied as a weight
            create(init)._init_weight(desc, arr)
            self._verbose_print(desc, init, arr)
        elif desc.endswith('weight'):
            self._init_weight(desc, arr)
            self._verbose_print(desc, 'weight', arr)
        elif desc.endswith('bias'):
            self._init_bias(desc, arr)
            self._verbose_print(desc, 'bias', arr)
        elif desc.endswith('gamma'):
            self._init_gamma(desc, arr)
            self._verbose_print(desc, 'gamma', arr)
        elif desc.endswith('beta'):
            self._init_beta(desc, arr)
            self._verbose_print(desc, 'beta', arr)
        elif desc.endswith('min'):
            self._init_zero(desc, arr)
            self._verbose_print(desc, 'min', arr)
        elif desc.endswith('max'):
            self._init_one(desc, arr)
            self._verbose_print(desc, 'max', arr)
        elif desc.endswith('weight_quantize'):
            self._init_quantized_weight(desc, arr)
            self._verbose_print(desc, 'weight_quantize', arr)
        elif desc.endswith('bias_quantize'):
            self._init_quantized_bias(desc, arr)
            self._verbose_print(desc, 'bias_quantize', arr)
        else:
            self._init_default(desc, arr)

    def _legacy_init(self, name, arr):
        """MXNet's deprecated ``init(str, NDArray)`` path: dispatch on prefixes and suffixes of the name."""
        warnings.warn("Calling initializer with init(str, NDArray) has been deprecated. "
                      "please use init(mx.init.InitDesc(...), NDArray) instead.",
                      DeprecationWarning, stacklevel=3)
        if not isinstance(name, str):
            raise InitializerError(f"{type(self).__name__}: name must be string (or an mx.init.InitDesc), "
                                   f"got {type(name).__name__}.")
        if not isinstance(arr, NDArray):
            raise InitializerError(f"{type(self).__name__}: arr must be NDArray, got {type(arr).__name__}. "
                                   "Wrap it with mx.nd.array(...) and read the result back.")
        if name.startswith('upsampling'):
            self._init_bilinear(name, arr)
        elif name.startswith('stn_loc') and name.endswith('weight'):
            self._init_zero(name, arr)
        elif name.startswith('stn_loc') and name.endswith('bias'):
            self._init_loc_bias(name, arr)
        elif name.endswith('bias'):
            self._init_bias(name, arr)
        elif name.endswith('gamma'):
            self._init_gamma(name, arr)
        elif name.endswith('beta'):
            self._init_beta(name, arr)
        elif name.endswith('weight'):
            self._init_weight(name, arr)
        elif name.endswith("moving_mean"):
            self._init_zero(name, arr)
        elif name.endswith("moving_var"):
            self._init_one(name, arr)
        elif name.endswith("moving_inv_var"):
            self._init_zero(name, arr)
        elif name.endswith("moving_avg"):
            self._init_zero(name, arr)
        elif name.endswith('min'):
            self._init_zero(name, arr)
        elif name.endswith('max'):
            self._init_one(name, arr)
        else:
            self._init_default(name, arr)

    def _init_bilinear(self, name, arr):
        arr[:] = _bilinear_weight(name, arr.shape)

    def _init_loc_bias(self, name, arr):
        if arr.shape[0] != 6:
            raise ShapeError(f"Initializing {name}: a spatial-transformer localisation bias must have 6 "
                             f"elements (an affine transform), got shape {arr.shape}.")
        arr[:] = np.array([1.0, 0, 0, 0, 1.0, 0])

    def _init_zero(self, _, arr):
        arr[:] = 0.0

    def _init_one(self, _, arr):
        arr[:] = 1.0

    def _init_bias(self, _, arr):
        arr[:] = 0.0

    def _init_quantized_bias(self, _, arr):
        arr[:] = 0

    def _init_gamma(self, _, arr):
        arr[:] = 1.0

    def _init_beta(self, _, arr):
        arr[:] = 0.0

    def _init_weight(self, name, arr):
        """Abstract method to initialize a weight."""
        raise NotImplementedError(f"{type(self).__name__} must override _init_weight(self, name, arr) "
                                  f"to initialize {name}.")

    def _init_quantized_weight(self, _, arr):
        # MXNet draws ONE integer (shape (1,)) and fills the array with it; one draw per element here.
        arr[:] = random.randint(-127, 127, shape=arr.shape, dtype='int32').asnumpy().astype(np.int8)

    def _init_default(self, name, _):
        raise InitializerError(
            f'Unknown initialization pattern for {name}. Default initialization is now limited to '
            f'"weight", "bias", "gamma" (1.0), and "beta" (0.0). Please use mx.sym.Variable(init=mx.init.*) '
            f'(or a Parameter\'s init=) to set initialization pattern')

    def __eq__(self, other):
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and self._kwargs == other._kwargs

    __hash__ = None  # as MXNet 1.9.1: __eq__ compares constructor arguments, so instances are unhashable

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._kwargs.items())})"


def _bilinear_weight(name, shape):
    """MXNet's bilinear upsampling kernel over the last two axes of a 4-D ``shape`` (float32)."""
    if len(shape) != 4:
        raise ShapeError(f"Bilinear initializer needs a 4-D (num_filter, channels, kh, kw) array, got shape "
                         f"{tuple(shape)} for {name}. Use it for Deconvolution upsampling weights.")
    size = int(np.prod(shape))
    f = np.ceil(shape[3] / 2.)
    c = (2 * f - 1 - f % 2) / (2. * f)
    i = np.arange(size)
    x = i % shape[3]
    y = (i // shape[3]) % shape[2]
    weight = ((1 - np.abs(x / f - c)) * (1 - np.abs(y / f - c))).astype(np.float32)
    return weight.reshape(shape)


_register = registry.get_register_func(Initializer, 'initializer')
alias = registry.get_alias_func(Initializer, 'initializer')
_create = registry.get_create_func(Initializer, 'initializer')


def create(*args, **kwargs):
    """An initializer from a registered name (``'zeros'``, ``'ones'``, ``'xavier'``, ``'normal'``,
    ``'uniform'``, ... and lower-cased class names, with constructor arguments), a ``dumps()`` JSON string,
    or an instance (returned as is; ``Mixed`` and ``Load`` too).

    >>> import hybridnet as mx
    >>> mx.init.create('normal', sigma=0.5).dumps()
    '["normal", {"sigma": 0.5}]'
    >>> mx.init.create('["xavier", {"magnitude": 2}]').magnitude
    2.0
    """
    if args and isinstance(args[0], (Mixed, Load)):
        if len(args) > 1 or kwargs:
            raise registry.RegistryError("initializer is already an instance. Additional arguments are "
                                         "invalid: pass them to its constructor instead.")
        return args[0]
    return _create(*args, **kwargs)


def register(klass):
    """Register a custom initializer class under its lower-cased name, so ``create(name)`` and string
    ``init=`` arguments find it.

    >>> import hybridnet as mx
    >>> @mx.init.register
    ... class MyInit(mx.init.Initializer):
    ...     def _init_weight(self, _, arr):
    ...         arr[:] = 0.1
    >>> type(mx.init.create('myinit')).__name__
    'MyInit'
    """
    return _register(klass)


def _sub_init_weight(init, desc, arr):
    """Apply ``init`` as a weight initializer (Initializer, Mixed or Load)."""
    if isinstance(init, (Mixed, Load)):
        init._init_weight(desc, arr)
    else:
        create(init)._init_weight(desc, arr)


class Load:
    """Initialize from a dict ``name -> NDArray`` (or an ``nd.save`` file): ``arg:``/``aux:`` prefixes are
    dropped; names not found use ``default_init`` (an error without one).

    >>> import hybridnet as mx
    >>> init = mx.init.Load({'arg:w': mx.nd.ones((2,))})
    >>> a = mx.nd.zeros((2,))
    >>> init('w', a)
    >>> a.asnumpy().tolist()
    [1.0, 1.0]
    """

    def __init__(self, param, default_init=None, verbose=False):
        if isinstance(param, str):
            param = _nd.load(param)
        if not isinstance(param, dict):
            raise InitializerError(f"mx.init.Load needs a dict name -> NDArray or a file saved from one "
                                   f"(nd.save(fname, dict)), got {type(param).__name__}.")
        self.param = {}
        for name, arr in param.items():
            if name.startswith('arg:') or name.startswith('aux:'):
                self.param[name[4:]] = arr
            else:
                self.param[name] = arr
        self.default_init = default_init
        self.verbose = verbose

    def _load(self, name, arr):
        src = self.param[name]
        if tuple(arr.shape) != tuple(src.shape):
            raise ShapeError(f"Parameter {name} cannot be initialized from loading. Shape mismatch, target "
                             f"{tuple(arr.shape)} vs loaded {tuple(src.shape)}. Load a file saved from the "
                             f"same architecture.")
        arr[:] = src
        if self.verbose:
            logging.info('Initialized %s by loading', name)

    def _no_default(self, name):
        return InitializerError(f"Cannot Initialize {name}. Not found in loaded param and no default "
                                f"Initializer is provided. Pass default_init=mx.init.Uniform() (or another "
                                f"initializer) to mx.init.Load.")

    def __call__(self, name, arr):
        if name in self.param:
            self._load(name, arr)
        else:
            if self.default_init is None:
                raise self._no_default(name)
            self.default_init(name, arr)
            if self.verbose:
                logging.info('Initialized %s by default', name)

    def _init_weight(self, name, arr):
        # Gluon path (this Load is a Parameter's init): load, else the default initializer's _init_weight
        if name in self.param:
            self._load(name, arr)
        else:
            if self.default_init is None:
                raise self._no_default(name)
            _sub_init_weight(self.default_init, name, arr)


class Mixed:
    """Several initializers chosen by regular expression on the name (``re.match``, first match wins).

    Works as a global initializer in Gluon too (``net.initialize(Mixed(...))``; MXNet 1.9.1 raised there):
    the matched initializer initializes the Parameter as a weight, a Parameter's own ``init`` still wins.

    >>> import hybridnet as mx
    >>> init = mx.init.Mixed(['.*bias', '.*'], [mx.init.Zero(), mx.init.Constant(2)])
    >>> a = mx.nd.ones((2,))
    >>> init(mx.init.InitDesc('fc_bias'), a)
    >>> a.asnumpy().tolist()
    [0.0, 0.0]
    """

    def __init__(self, patterns, initializers):
        if len(patterns) != len(initializers):
            raise InitializerError(f"mx.init.Mixed: {len(patterns)} patterns but {len(initializers)} "
                                   "initializers; give one initializer per pattern.")
        self.map = list(zip([re.compile(p) for p in patterns], initializers))

    def _match(self, name):
        for prog, init in self.map:
            if prog.match(name):
                return init
        raise InitializerError(f'Parameter name {name} did not match any pattern. Consider add a ".*" pattern '
                               f'at the end with default Initializer.')

    def __call__(self, name, arr):
        self._match(name)(name, arr)

    def _init_weight(self, name, arr):
        _sub_init_weight(self._match(name), name, arr)


@register
@alias("zeros")
class Zero(Initializer):
    """Initializes weights to zero (names ``'zeros'``, ``'zero'``).

    >>> import hybridnet as mx
    >>> mx.init.Zero().dumps()
    '["zero", {}]'
    """

    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        arr[:] = 0


@register
@alias("ones")
class One(Initializer):
    """Initializes weights to one (names ``'ones'``, ``'one'``).

    >>> import hybridnet as mx
    >>> mx.init.One().dumps()
    '["one", {}]'
    """

    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        arr[:] = 1


@register
class Constant(Initializer):
    """Initializes weights to ``value``: a scalar, or an array (NumPy or NDArray) of the weight's shape.

    >>> import hybridnet as mx
    >>> mx.init.Constant(3).dumps()
    '["constant", {"value": 3}]'
    """

    def __init__(self, value):
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, name, arr):
        value = self.value
        if isinstance(value, NDArray) or isinstance(value, (np.ndarray, list, tuple)):
            shape = tuple(value.shape) if hasattr(value, "shape") else np.shape(value)
            try:
                np.broadcast_shapes(shape, tuple(arr.shape))
            except ValueError:
                raise ShapeError(f"Constant initializer: value of shape {shape} cannot fill {name} of shape "
                                 f"{tuple(arr.shape)}. Give a scalar or an array of shape "
                                 f"{tuple(arr.shape)}.") from None
            if isinstance(value, (list, tuple)):
                value = np.asarray(value)
        arr[:] = value

    def dumps(self):
        val = self._kwargs['value']
        if not np.isscalar(val):
            self._kwargs['value'] = val.tolist() if isinstance(val, np.ndarray) else (
                val.asnumpy().tolist() if isinstance(val, NDArray) else val)
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])


@register
class Uniform(Initializer):
    """Weights drawn uniformly from ``[-scale, scale]`` (default ``scale=0.07``, Gluon's default).

    >>> import hybridnet as mx
    >>> w = mx.nd.zeros((100,))
    >>> mx.init.Uniform(0.1)._init_weight('w', w)
    >>> bool(abs(w.asnumpy()).max() <= 0.1)
    True
    """

    def __init__(self, scale=0.07):
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _, arr):
        random.uniform(-self.scale, self.scale, arr.shape, out=arr)


@register
class Normal(Initializer):
    """Weights drawn from N(0, ``sigma``²) (default ``sigma=0.01``).

    >>> import hybridnet as mx
    >>> mx.init.Normal().dumps()
    '["normal", {"sigma": 0.01}]'
    """

    def __init__(self, sigma=0.01):
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _, arr):
        random.normal(0, self.sigma, arr.shape, out=arr)


@register
class Orthogonal(Initializer):
    """An orthogonal matrix (Saxe et al. 2013) times ``scale``: the SVD factor of a random
    ``(shape[0], prod(shape[1:]))`` matrix (``rand_type`` ``'uniform'`` in [-1, 1] or ``'normal'``), so rows
    (or columns, whichever are fewer) are orthonormal before scaling.

    >>> import hybridnet as mx, numpy as np
    >>> w = mx.nd.zeros((3, 5))
    >>> mx.init.Orthogonal(scale=1.0)._init_weight('w', w)
    >>> bool(np.allclose(w.asnumpy() @ w.asnumpy().T, np.eye(3), atol=1e-5))
    True
    """

    def __init__(self, scale=1.414, rand_type="uniform"):
        super().__init__(scale=scale, rand_type=rand_type)
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, name, arr):
        if len(arr.shape) < 1 or arr.size == 0:
            raise ShapeError(f"Orthogonal initializer needs a non-empty array with at least 1 dimension, "
                             f"got shape {tuple(arr.shape)} for {name}.")
        nout = arr.shape[0]
        nin = int(np.prod(arr.shape[1:]))
        if self.rand_type == "uniform":
            tmp = random.uniform(-1.0, 1.0, shape=(nout, nin)).asnumpy()
        elif self.rand_type == "normal":
            tmp = random.normal(0.0, 1.0, shape=(nout, nin)).asnumpy()
        else:
            raise InitializerError(f"Orthogonal: unknown rand_type {self.rand_type!r}; use 'uniform' or "
                                   "'normal'.")
        u, _, v = np.linalg.svd(tmp, full_matrices=False)  # pylint: disable=invalid-name
        res = u if u.shape == tmp.shape else v
        arr[:] = self.scale * res.reshape(arr.shape)


@register
class Xavier(Initializer):
    """Xavier/Glorot initialization: ``c = sqrt(magnitude / factor)`` with ``factor`` the average of
    (``'avg'``), or one of (``'in'``, ``'out'``), ``fan_in = shape[1] * prod(shape[2:])`` and
    ``fan_out = shape[0] * prod(shape[2:])``; draws from U(-c, c) (``rnd_type='uniform'``) or N(0, c²)
    (``'gaussian'``). Needs at least 2-D arrays.

    >>> import hybridnet as mx
    >>> mx.init.Xavier(factor_type='in', magnitude=2.34).dumps()
    '["xavier", {"rnd_type": "uniform", "factor_type": "in", "magnitude": 2.34}]'
    """

    def __init__(self, rnd_type="uniform", factor_type="avg", magnitude=3):
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _scale(self, name, shape):
        hw_scale = 1.
        if len(shape) < 2:
            raise InitializerError(f'Xavier initializer cannot be applied to vector {name}. It requires at'
                                   f' least 2D.')
        if len(shape) > 2:
            hw_scale = np.prod(shape[2:])
        fan_in, fan_out = shape[1] * hw_scale, shape[0] * hw_scale
        if self.factor_type == "avg":
            factor = (fan_in + fan_out) / 2.0
        elif self.factor_type == "in":
            factor = fan_in
        elif self.factor_type == "out":
            factor = fan_out
        else:
            raise InitializerError(f"Incorrect factor type {self.factor_type!r}: use 'avg', 'in' or 'out'.")
        if factor == 0:
            raise ShapeError(f"{type(self).__name__} initializer cannot be applied to {name} of shape "
                             f"{tuple(shape)}: its fan is 0 (an unknown or empty dimension).")
        return np.sqrt(self.magnitude / factor)

    def _init_weight(self, name, arr):
        scale = self._scale(name, arr.shape)
        if self.rnd_type == "uniform":
            random.uniform(-scale, scale, arr.shape, out=arr)
        elif self.rnd_type == "gaussian":
            random.normal(0, scale, arr.shape, out=arr)
        else:
            raise InitializerError(f"Unknown random type {self.rnd_type!r}: use 'uniform' or 'gaussian'.")


@register
class MSRAPrelu(Xavier):
    """He/MSRA initialization for (P)ReLU networks: Xavier with ``rnd_type='gaussian'`` and
    ``magnitude = 2 / (1 + slope²)``.

    >>> import hybridnet as mx
    >>> mx.init.MSRAPrelu().dumps()
    '["msraprelu", {"factor_type": "avg", "slope": 0.25}]'
    """

    def __init__(self, factor_type="avg", slope=0.25):
        magnitude = 2. / (1 + slope ** 2)
        super().__init__("gaussian", factor_type, magnitude)
        self._kwargs = {'factor_type': factor_type, 'slope': slope}


@register
class Bilinear(Initializer):
    """Bilinear-interpolation weights for upsampling (Deconvolution) kernels, 4-D arrays.

    >>> import hybridnet as mx
    >>> w = mx.nd.zeros((1, 1, 2, 2))
    >>> mx.init.Bilinear()._init_weight('up_weight', w)
    >>> w.asnumpy().ravel().tolist()
    [1.0, 0.0, 0.0, 0.0]
    """

    def __init__(self):
        super().__init__()

    def _init_weight(self, name, arr):
        arr[:] = _bilinear_weight(name, arr.shape)


@register
class LSTMBias(Initializer):
    """LSTM biases: 0 except the forget gate (the second quarter, gate order i, f, c, o) = ``forget_bias``.

    >>> import hybridnet as mx
    >>> b = mx.nd.ones((8,))
    >>> mx.init.LSTMBias(forget_bias=1.0)._init_weight('lstm_bias', b)
    >>> b.asnumpy().tolist()
    [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    """

    def __init__(self, forget_bias=1.0):
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, name, arr):
        arr[:] = 0.0
        num_hidden = int(arr.shape[0] / 4)
        arr[num_hidden:2 * num_hidden] = self.forget_bias


_GATES = {'rnn_relu': [''], 'rnn_tanh': [''], 'lstm': ['_i', '_f', '_c', '_o'], 'gru': ['_r', '_z', '_o']}


def _fused_rnn_slices(mode, num_layers, bidirectional, size, num_hidden, name):
    """MXNet's ``FusedRNNCell._slice_weights``: ``{piece name: (start, shape)}`` in the flat vector."""
    if mode not in _GATES:
        raise InitializerError(f"FusedRNN: unknown mode {mode!r}; use one of {sorted(_GATES)}.")
    gates = _GATES[mode]
    directions = ['l', 'r'] if bidirectional else ['l']
    b, m, h = len(directions), len(gates), num_hidden
    li = size // b // h // m - (num_layers - 1) * (h + b * h + 2) - h - 2
    out, p = {}, 0
    for layer in range(num_layers):
        for d in directions:
            for g in gates:
                shp = (h, b * h) if layer > 0 else (h, li)
                out[f'{d}{layer}_i2h{g}_weight'] = (p, shp)
                p += shp[0] * shp[1]
            for g in gates:
                out[f'{d}{layer}_h2h{g}_weight'] = (p, (h, h))
                p += h * h
    for layer in range(num_layers):
        for d in directions:
            for kind in ('i2h', 'h2h'):
                for g in gates:
                    out[f'{d}{layer}_{kind}{g}_bias'] = (p, (h,))
                    p += h
    if li <= 0 or p != size:
        raise ShapeError(f"FusedRNN: {name} has {size} elements, which is not a valid fused {mode} parameter "
                         f"vector for num_hidden={num_hidden}, num_layers={num_layers}, "
                         f"bidirectional={bidirectional}. Check the arguments match the RNN layer.")
    return out


@register
class FusedRNN(Initializer):
    """Initialize a fused RNN parameter vector piece by piece: every unpacked weight/bias
    (``l0_i2h_i_weight``, ...) is initialized by ``init`` (or the global initializer when ``None``), and the
    LSTM forget-gate biases are set to ``forget_bias``. Layout as MXNet's ``FusedRNNCell``.

    >>> import hybridnet as mx
    >>> mx.init.FusedRNN(None, 4, 1, 'lstm').dumps()  # doctest: +ELLIPSIS
    '["fusedrnn", {"init": null, "num_hidden": 4, "num_layers": 1, "mode": "lstm", ...}]'
    """

    def __init__(self, init, num_hidden, num_layers, mode, bidirectional=False, forget_bias=1.0):
        if isinstance(init, str):
            klass, kwargs = json.loads(init)
            init = create(klass, **kwargs)
        super().__init__(init=init.dumps() if init is not None else None,
                         num_hidden=num_hidden, num_layers=num_layers, mode=mode,
                         bidirectional=bidirectional, forget_bias=forget_bias)
        self._init = init
        self._num_hidden = num_hidden
        self._num_layers = num_layers
        self._mode = mode
        self._bidirectional = bidirectional
        self._forget_bias = forget_bias

    def _init_weight(self, desc, arr):  # pylint: disable=arguments-differ
        slices = _fused_rnn_slices(self._mode, self._num_layers, self._bidirectional, arr.size,
                                   self._num_hidden, desc)
        flat = np.zeros((arr.size,), dtype=arr.dtype)
        global_init = getattr(desc, "global_init", None)
        for name, (start, shape) in slices.items():
            n = int(np.prod(shape))
            if self._mode == 'lstm' and name.endswith("_f_bias"):
                flat[start:start + n] = self._forget_bias
                continue
            piece = _nd.zeros(shape, ctx=arr.context, dtype=arr.dtype)
            arg_desc = InitDesc(name, global_init=global_init)
            if self._init is None:
                if global_init is None:
                    raise InitializerError(f"FusedRNN(init=None) initializing {desc}: no global initializer "
                                           "to fall back to. Call it with an InitDesc, or give init=.")
                global_init(arg_desc, piece)
            else:
                self._init(arg_desc, piece)
            flat[start:start + n] = piece.asnumpy().ravel()
        arr[:] = flat.reshape(arr.shape)
