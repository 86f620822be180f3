"""Debugging switches.

``nan_check()``: while active (or with ``HYBRIDNET_NAN_CHECK=1``), every eager op whose floating-point
inputs are finite but whose output has a NaN raises ``NaNError`` naming the op, the input shapes, your
line and the likely fix (``log`` of a negative, ``0/0``, ...). Off by default: NaN propagation is
legitimate in normal code, and the check costs a pass over each output.

>>> import hybridnet as mx
>>> from hybridnet import nd
>>> with mx.debug.nan_check():
...     nd.log(nd.array([-1.0]))
Traceback (most recent call last):
hybridnet.errors.NaNError: Error in operator log: produced NaN from finite inputs ...
"""
import contextlib
import contextvars
import os

__all__ = ["nan_check", "nan_check_enabled"]

NAN_CHECK = contextvars.ContextVar("hybridnet_nan_check",
                                   default=os.environ.get("HYBRIDNET_NAN_CHECK", "0") not in ("", "0"))


def nan_check_enabled():
    return NAN_CHECK.get()


@contextlib.contextmanager
def nan_check(enabled=True):
    tok = NAN_CHECK.set(bool(enabled))
    try:
        yield
    finally:
        NAN_CHECK.reset(tok)
