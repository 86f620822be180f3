"""The autograd tape: mode flags (``contextvars``) and ``Node``s that point at registry ops.

A node keeps its op, attrs, the input arrays (only if ``op.saves`` has "inputs"), the output data
(only if "outputs"), and the input specs, never a closure, so a recorded computation can be inspected
and re-run. Variables (``attach_grad``) are ``Leaf`` nodes holding a weak reference to their array.
"""
import contextvars
import weakref

__all__ = ["Node", "Leaf", "record", "is_recording", "is_training", "set_recording", "set_training",
           "RECORDING", "TRAINING"]

RECORDING = contextvars.ContextVar("hybridnet_recording", default=False)
from ..ops.trace_base import TRAINING  # noqa: E402  (defined below the front ends: kernels read it)


def is_recording():
    return RECORDING.get()


def is_training():
    return TRAINING.get()


def set_recording(flag):
    """Set recording on/off; returns the previous state."""
    prev = RECORDING.get()
    RECORDING.set(bool(flag))
    return prev


def set_training(flag):
    """Set train mode on/off; returns the previous state."""
    prev = TRAINING.get()
    TRAINING.set(bool(flag))
    return prev


class Spec:
    __slots__ = ("shape", "dtype", "device")

    def __init__(self, a):
        self.shape, self.dtype, self.device = a.shape, a.dtype, a.device


class Node:
    __slots__ = ("op", "attrs", "parents", "inputs", "out_data", "in_specs", "out_specs", "freed",
                 "backward_fn", "__weakref__")

    def __init__(self, op, attrs, parents, inputs, out_data, in_specs, out_specs, backward_fn=None):
        self.op = op
        self.attrs = attrs
        self.parents = parents        # per input: (node, out_index) or None
        self.inputs = inputs          # saved input arrays (or None)
        self.out_data = out_data      # saved output buffers (or None)
        self.in_specs = in_specs
        self.out_specs = out_specs
        self.freed = False
        self.backward_fn = backward_fn  # for autograd.Function / compiled graph calls

    def __repr__(self):
        return f"<tape node {self.op.name if self.op else self.backward_fn}>"


class Leaf:
    """A variable: where gradients land."""
    __slots__ = ("ref", "grad_req", "fresh", "__weakref__")
    freed = False

    def __init__(self, array, grad_req):
        self.ref = weakref.ref(array)
        self.grad_req = grad_req
        self.fresh = False      # set by backward() when it writes the gradient (Trainer's stale check)


def record(op, attrs, args, outs, backward_fn=None):
    """Put one op call on the tape: link each output to a new node."""
    parents = tuple(a._entry if a is not None else None for a in args)
    saves = op.saves if op is not None else ()
    node = Node(op, attrs, parents,
                tuple(args) if "inputs" in saves else None,
                tuple(o._data for o in outs) if "outputs" in saves else None,
                tuple(Spec(a) if a is not None else None for a in args),
                tuple(Spec(o) for o in outs), backward_fn)
    for i, o in enumerate(outs):
        o._entry = (node, i)
    return node
