"""The trace protocol and the current-trace ``ContextVar``.

A trace owns values and knows how to apply an op to them: the eager trace (``nd/eager.py``) runs
kernels now; a graph trace (``graph/``, next issue) records nodes. ``bind`` picks the trace that owns
the arguments, falling back to the current trace (set while tracing), then to the eager trace.
"""
import contextvars

__all__ = ["Trace", "current_trace", "set_eager", "eager", "TRAINING"]


class Trace:
    def apply(self, op, args, attrs, name=None):
        raise NotImplementedError

    def constant(self, value, dtype, device):
        """Turn a Python scalar / NumPy array into a value of this trace."""
        raise NotImplementedError

    def write_state(self, target, value):
        """An op produced ``value`` as the new content of its input ``target`` (``OpDef.state_outputs``)."""
        raise NotImplementedError


_current = contextvars.ContextVar("hybridnet_trace", default=None)

# The train/predict flag (``autograd.is_training()``; ``autograd/tape.py`` re-exports it). It lives here,
# below the front ends, because the kernels of mode-dependent ops (Dropout, LeakyReLU rrelu) read it when
# they run -- eagerly, in compiled graphs and in the Symbol executor alike, as MXNet reads ``is_train``
# at every call.
TRAINING = contextvars.ContextVar("hybridnet_training", default=False)
_EAGER = [None]


def current_trace():
    return _current.get()


def set_eager(trace):
    _EAGER[0] = trace


def eager():
    return _EAGER[0]
