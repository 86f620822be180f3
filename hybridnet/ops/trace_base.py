"""The trace protocol and the current-trace ``ContextVar``.

A trace owns values and knows how to apply an op to them: the eager trace (``nd/eager.py``) runs
kernels now; a graph trace (``graph/``, next issue) records nodes. ``bind`` picks the trace that owns
the arguments, falling back to the current trace (set while tracing), then to the eager trace.
"""
import contextvars

__all__ = ["Trace", "current_trace", "set_eager", "eager"]


class Trace:
    def apply(self, op, args, attrs, name=None):
        raise NotImplementedError

    def constant(self, value, dtype, device):
        """Turn a Python scalar / NumPy array into a value of this trace."""
        raise NotImplementedError


_current = contextvars.ContextVar("hybridnet_trace", default=None)
_EAGER = [None]


def current_trace():
    return _current.get()


def set_eager(trace):
    _EAGER[0] = trace


def eager():
    return _EAGER[0]
