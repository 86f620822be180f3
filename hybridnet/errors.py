"""Public error types. Every error hybridnet raises on bad input is a ``HybridNetError``.

``MXNetError`` is the same class, so ``except mx.base.MXNetError`` in ported code keeps working.
Messages follow one shape: what went wrong (op or Block path, shapes/dtypes), where (the user's
line), and what to do next.
"""
import os
import sys

__all__ = ["HybridNetError", "MXNetError", "ShapeError", "DTypeError", "DeviceError", "AttrError",
           "ConcretizationError", "MissingKernelError", "AutogradError", "FormatError", "NaNError",
           "user_line"]


class HybridNetError(Exception):
    """Base class of every hybridnet error (alias: ``MXNetError``)."""


MXNetError = HybridNetError


class ShapeError(HybridNetError, ValueError):
    """Input shapes are incompatible with an op (or an axis/index is out of range)."""


class DTypeError(HybridNetError, TypeError):
    """Input dtypes are incompatible with an op (legacy nd never promotes between arrays)."""


class DeviceError(HybridNetError, RuntimeError):
    """Inputs live on different devices, or a requested device is unavailable."""


class AttrError(HybridNetError, TypeError):
    """An unknown, misspelled, missing or ill-typed operator attribute."""


class ConcretizationError(HybridNetError, TypeError):
    """A traced value was used where a concrete Python value is needed."""


class MissingKernelError(HybridNetError, NotImplementedError):
    """No kernel exists for an op on the requested device/dtype."""


class AutogradError(HybridNetError, RuntimeError):
    """Misuse of autograd (backward without a graph, twice without retain_graph, ...)."""


class NaNError(HybridNetError, FloatingPointError):
    """An op produced NaN from finite inputs while ``hybridnet.debug.nan_check()`` is active."""


class FormatError(HybridNetError, ValueError):
    """A file is truncated, corrupt or not in the expected format."""


_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


def user_line():
    """Return ``'file:line: source'`` of the innermost frame outside hybridnet, or ''."""
    f = sys._getframe(1)
    while f is not None:
        fn = os.path.abspath(f.f_code.co_filename)
        if (not fn.startswith(_PKG_DIR) and "importlib" not in fn
                and not f.f_code.co_filename.startswith("<hybridnet")):
            import linecache
            src = linecache.getline(fn, f.f_lineno).strip()
            return f"{fn}:{f.f_lineno}: {src}" if src else f"{fn}:{f.f_lineno}"
        f = f.f_back
    return ""
