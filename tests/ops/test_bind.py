"""bind() is the single entry point: it hands a call to the trace that owns the arguments (a traced
value's trace, else the current trace, else eager) and promotes scalars / NumPy arrays among array
inputs to the first array's dtype and device."""
import numpy as np

from hybridnet import nd
from hybridnet.ops import get_op
from hybridnet.ops.bind import bind
from hybridnet.ops.methods import ArrayMethods
from hybridnet.ops.trace_base import Trace, _current


class RecordingTrace(Trace):
    """A minimal non-eager trace: records calls, returns traced values with a shape."""

    def __init__(self):
        self.calls = []

    def apply(self, op, args, attrs, name=None):
        self.calls.append((op.name, args, attrs))
        return Traced(self, args[0].shape if args else (), np.dtype(np.float32))

    def constant(self, value, dtype, device):
        return Traced(self, np.shape(value), dtype, const=np.asarray(value, dtype))


class Traced(ArrayMethods):
    def __init__(self, trace, shape, dtype, const=None):
        self._trace, self.shape, self.dtype, self.device, self.const = trace, shape, dtype, "cpu(0)", const


def test_traced_argument_owns_the_call():
    t = RecordingTrace()
    v = Traced(t, (2, 3), np.float32)
    out = v + 1                      # ArrayMethods -> bind -> the traced value's trace
    assert isinstance(out, Traced) and t.calls[-1][0] == "_plus_scalar" and t.calls[-1][2] == {"scalar": 1}
    out = nd.relu(v)                 # generated nd function, same route
    assert isinstance(out, Traced) and t.calls[-1][0] == "relu"
    v[0]                             # indexing lowers to registry ops on the owning trace
    assert t.calls[-1][0] in ("slice", "Reshape", "squeeze")


def test_current_trace_owns_calls_on_plain_values():
    t = RecordingTrace()
    tok = _current.set(t)
    try:
        out = bind(get_op("broadcast_add"), (nd.ones(2), nd.ones(2)), {})
    finally:
        _current.reset(tok)
    assert isinstance(out, Traced) and t.calls[-1][0] == "broadcast_add"


def test_scalars_and_numpy_promoted_through_the_owning_trace():
    t = RecordingTrace()
    v = Traced(t, (3,), np.dtype(np.int32))
    bind(get_op("broadcast_mul"), (v, np.array([1.5, 2.5, 3.5])), {})
    _, args, _ = t.calls[-1]
    assert isinstance(args[1], Traced) and args[1].const.dtype == np.int32      # takes v's dtype
    r = bind(get_op("broadcast_add"), (nd.array([1, 2], dtype="int32"), 0.5), {})  # eager
    assert r.dtype == np.int32 and r.asnumpy().tolist() == [1, 2]


def test_eager_is_the_default():
    r = bind(get_op("relu"), (nd.array([-1.0, 1.0]),), {})
    assert isinstance(r, nd.NDArray) and r.asnumpy().tolist() == [0.0, 1.0]
