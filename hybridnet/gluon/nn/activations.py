"""Activation layers (MXNet 1.9.1 ``gluon/nn/activations.py``)."""
from ..block import HybridBlock

__all__ = ["Activation", "LeakyReLU", "PReLU", "ELU", "SELU", "Swish", "SiLU", "GELU"]


class Activation(HybridBlock):
    """``act_type`` one of relu, sigmoid, tanh, softrelu, softsign. Named ``relu0`` etc.

    >>> from hybridnet import gluon, nd
    >>> gluon.nn.Activation('relu')(nd.array([-1, 2])).asnumpy().tolist()
    [0.0, 2.0]
    """

    def __init__(self, activation, **kwargs):
        self._act_type = activation
        super().__init__(**kwargs)

    def _alias(self):
        return self._act_type

    def hybrid_forward(self, F, x):
        return F.Activation(x, act_type=self._act_type, name="fwd")

    def __repr__(self):
        return "{name}({_act_type})".format(name=self.__class__.__name__, **self.__dict__)


class LeakyReLU(HybridBlock):
    """``max(x, alpha*x)``.

    >>> from hybridnet import gluon, nd
    >>> gluon.nn.LeakyReLU(0.1)(nd.array([-1, 2])).asnumpy().tolist()
    [-0.10000000149011612, 2.0]
    """

    def __init__(self, alpha, **kwargs):
        if alpha < 0:
            raise AssertionError("Slope coefficient for LeakyReLU must be no less than 0.")
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type="leaky", slope=self._alpha, name="fwd")

    def __repr__(self):
        return "{name}({alpha})".format(name=self.__class__.__name__, alpha=self._alpha)


class PReLU(HybridBlock):
    """Leaky ReLU with a learned slope ``alpha`` (per channel with ``in_channels``).

    >>> from hybridnet import gluon, nd
    >>> p = gluon.nn.PReLU()
    >>> p.initialize()
    >>> p(nd.array([-4, 2])).asnumpy().tolist()
    [-1.0, 2.0]
    """

    def __init__(self, alpha_initializer=None, in_channels=1, **kwargs):
        super().__init__(**kwargs)
        from ... import initializer
        if alpha_initializer is None:
            alpha_initializer = initializer.Constant(0.25)
        with self.name_scope():
            self.alpha = self.params.get("alpha", shape=(in_channels,), init=alpha_initializer)

    def hybrid_forward(self, F, x, alpha):
        return F.LeakyReLU(x, gamma=alpha, act_type="prelu", name="fwd")


class ELU(HybridBlock):
    """``x`` if positive else ``alpha*(exp(x)-1)``.

    >>> from hybridnet import gluon, nd
    >>> gluon.nn.ELU()(nd.array([0.0, 2.0])).asnumpy().tolist()
    [0.0, 2.0]
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type="elu", slope=self._alpha)


class SELU(HybridBlock):
    """Scaled ELU (Klambauer et al.).

    >>> from hybridnet import gluon, nd
    >>> gluon.nn.SELU()(nd.array([0.0])).asnumpy().tolist()
    [0.0]
    """

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type="selu", name="fwd")


class GELU(HybridBlock):
    """Gaussian error linear unit ``x * Phi(x)`` (erf form, as MXNet).

    >>> from hybridnet import gluon, nd
    >>> gluon.nn.GELU()(nd.array([0.0])).asnumpy().tolist()
    [0.0]
    """

    def hybrid_forward(self, F, x):
        return F.LeakyReLU(x, act_type="gelu", name="fwd")


class Swish(HybridBlock):
    """``x * sigmoid(beta * x)``.

    >>> from hybridnet import gluon, nd
    >>> gluon.nn.Swish()(nd.array([0.0])).asnumpy().tolist()
    [0.0]
    """

    def __init__(self, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self._beta = beta

    def hybrid_forward(self, F, x):
        return x * F.sigmoid(self._beta * x, name="fwd")


class SiLU(Swish):
    """2.0's name for ``Swish(beta=1)``.

    >>> from hybridnet import gluon, nd
    >>> gluon.nn.SiLU()(nd.array([0.0])).asnumpy().tolist()
    [0.0]
    """

    def __init__(self, **kwargs):
        super().__init__(beta=1.0, **kwargs)
