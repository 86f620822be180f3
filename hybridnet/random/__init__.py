"""``mx.random``: seeding and MXNet's top-level samplers (the same functions as ``nd.random``).

>>> import hybridnet as mx
>>> mx.random.seed(128)
>>> a = mx.random.normal(shape=(2, 2)).asnumpy()
>>> mx.random.seed(128)
>>> bool((mx.random.normal(shape=(2, 2)).asnumpy() == a).all())
True
"""
import numbers

import numpy as np

from ..device import resolve
from ..nd.random import (exponential, gamma, multinomial, normal, poisson, randint, randn, shuffle,  # noqa: F401
                         uniform)

__all__ = ["seed", "uniform", "normal", "randn", "randint", "exponential", "gamma", "poisson",
           "multinomial", "shuffle"]


def seed(seed_state, ctx="all"):
    """Seed the random number generators (MXNet's ``mx.random.seed``).

    ``ctx='all'`` seeds every device from ``seed_state`` and the device id, so ``gpu(0)`` and ``gpu(1)``
    still draw different numbers. ``ctx=mx.gpu(1)`` (or ``'gpu(1)'``) seeds that device alone from
    ``seed_state`` only, so equal seeds give equal sequences on every device of a kind. CPU and GPU
    generators use different algorithms (NumPy PCG64, CuPy XORWOW), so their numbers differ. The
    process starts as if ``seed(0)`` had been called. ``seed_state`` is truncated to a C int, as MXNet.

    >>> import hybridnet as mx
    >>> mx.random.seed(42, ctx=mx.cpu())
    """
    if isinstance(seed_state, (bool, np.bool_)) or not isinstance(seed_state, numbers.Integral):
        raise ValueError("seed_state must be int")
    from ..kernels import seed_random
    if isinstance(ctx, str) and ctx == "all":
        seed_random(int(seed_state))
    else:
        seed_random(int(seed_state), resolve(ctx))
