"""``hybridnet.autograd``: MXNet's autograd API over the tape.

Example::

    >>> import hybridnet as mx
    >>> from hybridnet import autograd, nd
    >>> x = nd.array([1., 2.]); x.attach_grad()
    >>> with autograd.record():
    ...     y = (x * x).sum()
    >>> y.backward(); x.grad.asnumpy().tolist()
    [2.0, 4.0]
"""
import contextlib

from ..errors import AutogradError
from .backward import NOT_IN_GRAPH, run_backward
from .tape import (RECORDING, TRAINING, Leaf, is_recording, is_training, record as _record_node,
                   set_recording, set_training)

__all__ = ["record", "pause", "train_mode", "predict_mode", "is_recording", "is_training",
           "set_recording", "set_training", "mark_variables", "backward", "grad", "Function",
           "get_symbol"]


@contextlib.contextmanager
def _scope(recording, training):
    r = RECORDING.set(recording) if recording is not None else None
    t = TRAINING.set(training) if training is not None else None
    try:
        yield
    finally:
        if t is not None:
            TRAINING.reset(t)
        if r is not None:
            RECORDING.reset(r)


def record(train_mode=True):
    """Record operations for differentiation (and set train mode unless ``train_mode=False``)."""
    return _scope(True, train_mode)


def pause(train_mode=False):
    """Stop recording inside a ``record()`` block (predict mode unless ``train_mode=True``)."""
    return _scope(False, train_mode)


def train_mode():
    """Train-mode operator behaviour (Dropout active, BatchNorm batch stats); recording unchanged."""
    return _scope(None, True)


def predict_mode():
    """Predict-mode operator behaviour; recording unchanged."""
    return _scope(None, False)


def mark_variables(variables, gradients, grad_reqs="write"):
    """Mark arrays as variables whose gradients go into ``gradients`` (what ``attach_grad`` does)."""
    from ..ops.trace_base import eager  # noqa: F401  (arrays are eager NDArrays)
    if not isinstance(variables, (list, tuple)):
        variables, gradients = [variables], [gradients]
    if isinstance(grad_reqs, str):
        grad_reqs = [grad_reqs] * len(variables)
    for v, g, req in zip(variables, gradients, grad_reqs):
        if req not in ("write", "add", "null"):
            raise AutogradError(f"grad_req must be 'write', 'add' or 'null', got {req!r}")
        v._grad = g
        v._grad_req = req
        v._entry = (Leaf(v, req), 0)


def _as_list(x):
    if x is None:
        return None
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _head_grads(heads, head_grads):
    from ..ops.trace_base import eager
    hg = _as_list(head_grads)
    out = []
    for i, h in enumerate(heads):
        g = hg[i] if hg is not None and i < len(hg) else None
        if g is None:
            g = eager().ones(h.shape, h.dtype, h.device)
        elif g.shape != h.shape:
            raise AutogradError(f"head gradient {i} has shape {g.shape} but its head has shape {h.shape}; "
                                "pass a gradient of the head's shape")
        out.append(g)
    return out


def backward(heads, head_grads=None, retain_graph=False, train_mode=True):
    """Compute gradients of ``heads`` and write them into the variables' ``.grad``."""
    heads = _as_list(heads)
    entries = [h._entry for h in heads]
    if any(e is None for e in entries):
        raise AutogradError(NOT_IN_GRAPH)
    results = run_backward(entries, _head_grads(heads, head_grads), retain_graph, False, train_mode)
    for leaf, g in results.items():
        var = leaf.ref()
        if var is None or leaf.grad_req == "null" or var._grad is None:
            continue
        buf = var._grad._data
        leaf.fresh = True
        if leaf.grad_req == "add":
            buf += g._data
        else:
            buf[...] = g._data


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False, train_mode=True):
    """Return the gradients of ``heads`` w.r.t. ``variables`` (``.grad`` is left untouched).

    With ``create_graph=True`` the returned gradients are themselves recorded, so they can be
    differentiated again (second and higher derivatives, for every op whose grad rule is
    differentiable).
    """
    heads = _as_list(heads)
    single = not isinstance(variables, (list, tuple))
    variables = _as_list(variables)
    if retain_graph is None:
        retain_graph = create_graph
    entries = [h._entry for h in heads]
    if any(e is None for e in entries):
        raise AutogradError(NOT_IN_GRAPH)
    for v in variables:
        if v._entry is None or not isinstance(v._entry[0], Leaf):
            raise AutogradError("autograd.grad: every variable must have attach_grad() called before "
                                "autograd.record()")
    results = run_backward(entries, _head_grads(heads, head_grads), retain_graph, create_graph, train_mode)
    from ..ops.trace_base import eager
    out = []
    for v in variables:
        g = results.get(v._entry[0])
        out.append(g if g is not None else eager().zeros(v.shape, v.dtype, v.device))
    return out[0] if single and len(out) == 1 else out


class Function:
    """A custom differentiable function: subclass with ``forward`` and ``backward``.

    Example::

        >>> class Sigmoid(autograd.Function):
        ...     def forward(self, x):
        ...         y = 1 / (1 + nd.exp(-x)); self.save_for_backward(y); return y
        ...     def backward(self, dy):
        ...         y, = self.saved_tensors; return dy * y * (1 - y)
    """

    def __init__(self):
        self.saved_tensors = ()

    def save_for_backward(self, *args):
        self.saved_tensors = args

    def forward(self, *inputs):
        raise NotImplementedError

    def backward(self, *output_grads):
        raise NotImplementedError

    def __call__(self, *inputs):
        with pause(train_mode=is_training()):
            outputs = self.forward(*inputs)
        single = not isinstance(outputs, (list, tuple))
        outs = (outputs,) if single else tuple(outputs)
        if is_recording() and any(getattr(i, "_entry", None) is not None for i in inputs):
            outs = tuple(o.detach() for o in outs)
            n_in = len(inputs)

            def backward_fn(*out_grads):
                with pause(train_mode=is_training()):
                    res = self.backward(*out_grads)
                res = res if isinstance(res, (list, tuple)) else (res,)
                if len(res) != n_in:
                    raise AutogradError(f"{type(self).__name__}.backward returned {len(res)} gradients "
                                        f"for {n_in} inputs; return one per input of forward")
                return res
            _record_node(None, None, inputs, outs, backward_fn)
        return outs[0] if single else outs


def get_symbol(x):
    raise AutogradError("autograd.get_symbol is not supported: hybridize the block and use "
                        "export() instead")
