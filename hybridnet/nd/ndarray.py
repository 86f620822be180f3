"""``NDArray``: a device buffer, its device, and its autograd link. All math comes from the registry
through the shared ``ArrayMethods`` mixin, so an expression means the same eagerly and traced."""
import numbers

import numpy as np

from .. import dtypes
from ..device import Device, current_context
from ..errors import AutogradError, ConcretizationError, ShapeError, HybridNetError
from ..kernels import backend
from ..ops import indexing as _ix
from ..ops.methods import ArrayMethods
from ..ops.trace_base import current_trace as _current_trace
from ..autograd.tape import is_recording as _is_recording

__all__ = ["NDArray"]


class NDArray(ArrayMethods):
    """An n-dimensional array on a device (legacy ``mx.nd`` semantics).

    Example::

        >>> import hybridnet as mx
        >>> x = mx.nd.array([[1, 2], [3, 4]])
        >>> (x * 2 + 1).asnumpy().tolist()
        [[3.0, 5.0], [7.0, 9.0]]
    """
    __slots__ = ("_data", "_device", "_entry", "_grad", "_grad_req", "__weakref__")
    _trace = None            # owned by the eager trace
    __array_priority__ = 1000.0

    def __init__(self, data, device=None):
        self._data = data
        self._device = device if device is not None else current_context()
        self._entry = None   # (tape node, output index) when recorded or attached
        self._grad = None
        self._grad_req = "null"

    # ---- metadata -------------------------------------------------------------------------
    @property
    def shape(self):
        return self._data.shape

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def size(self):
        return self._data.size

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def context(self):
        return self._device

    ctx = context
    device = context

    @property
    def stype(self):
        return "default"

    @property
    def handle(self):
        return self._data

    @property
    def grad(self):
        return self._grad

    @property
    def writable(self):
        return True

    # ---- conversion -----------------------------------------------------------------------
    def asnumpy(self):
        """A NumPy copy of the data (blocks until computed)."""
        return np.array(backend.to_host(self._data), copy=True)

    def asscalar(self):
        """The single element as a NumPy scalar of the array's dtype."""
        if self.size != 1:
            raise ValueError(f"The current array is not a scalar (shape {self.shape}); "
                             "index an element first, e.g. x[0].asscalar()")
        return backend.to_host(self._data).reshape(-1)[0]

    item = asscalar

    def __array__(self, dtype=None, copy=None):
        a = backend.to_host(self._data)
        return a.astype(dtype) if dtype is not None else a

    def tolist(self):
        return self.asnumpy().tolist()

    def __float__(self):
        return float(self.asscalar())

    def __int__(self):
        return int(self.asscalar())

    def __bool__(self):
        if self.size == 1:
            return bool(self.asscalar())
        if self.size == 0:
            return False
        raise ValueError("The truth value of an NDArray with multiple elements is ambiguous. "
                         "Use (x != 0).sum() or a reduction.")

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d NDArray")
        return self.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    __hash__ = object.__hash__

    def __repr__(self):
        shape = "x".join(str(d) for d in self.shape)
        body = np.array2string(backend.to_host(self._data), separator=" ", precision=8)
        return f"\n{body}\n<NDArray {shape} @{self._device}>"

    def __reduce__(self):
        return (_rebuild, (self.asnumpy(), self._device.device_type, self._device.device_id))

    # ---- copies and devices ---------------------------------------------------------------
    def copy(self):
        return NDArray(self._data.copy(), self._device)

    def copyto(self, other):
        """Copy to a device (returns a new array) or into another NDArray (returns it)."""
        if isinstance(other, Device):
            return NDArray(_move(self._data, self._device, other), other)
        if isinstance(other, NDArray):
            if other.shape != self.shape:
                raise ShapeError(f"copyto: shape {self.shape} does not match the target's {other.shape}")
            other._data[...] = _move(self._data, self._device, other._device)
            return other
        raise TypeError(f"copyto expects a Device or an NDArray, got {type(other).__name__}")

    def as_in_context(self, context):
        """This array on ``context`` (no copy when it is already there)."""
        if context == self._device:
            return self
        return self.copyto(context)

    as_in_ctx = as_in_context
    to_device = as_in_context

    def wait_to_read(self):
        backend.synchronize(self._device)

    def wait_to_write(self):
        backend.synchronize(self._device)

    # ---- in-place operators: compute, then write into this buffer (MXNet's `out=self`) -----
    def _inplace(self, result):
        from ..autograd import is_recording
        if self._entry is not None and is_recording():
            raise AutogradError("Inplace operations (+=, -=, x[:]=, etc) are not supported when recording "
                                "with autograd: write y = x + 1 instead of x += 1 inside autograd.record()")
        if result.shape != self.shape:
            raise ShapeError(f"in-place operation would change the shape {self.shape} to {result.shape}; "
                             "use y = x op z instead")
        self._data[...] = result._data
        return self

    def __iadd__(self, other):
        return self._inplace(self + other)

    def __isub__(self, other):
        return self._inplace(self - other)

    def __imul__(self, other):
        return self._inplace(self * other)

    def __itruediv__(self, other):
        return self._inplace(self / other)

    __idiv__ = __itruediv__

    def __imod__(self, other):
        return self._inplace(self % other)

    def __ipow__(self, other):
        return self._inplace(self ** other)

    # ---- indexing (key rules in ops/indexing.py; MXNet 1.9.1 legacy nd semantics) ----------
    def __getitem__(self, key):
        """``x[key]``. Basic keys (ints, slices, None, ...) give a view sharing memory with ``x``
        where MXNet does (the selected block is contiguous, e.g. ``x[1:3]``, ``x[i]``), else a copy;
        keys with index arrays (NDArray, list, NumPy; float arrays truncate) give a copy. Indexing
        every axis with an int gives shape (1,). Recorded or traced, it is ``slice``/``Reshape``/
        ``gather_nd`` on the tape or in the graph."""
        if (type(key) is tuple and not key) or (type(key) is slice and key == slice(None)):
            return self
        shape = self._data.shape
        if not shape:
            _ix.check_key_scalar(key)
        parts = _ix.parse_key(key, shape)
        basic = not _ix.is_advanced(parts)
        if basic and _current_trace() is None and (self._entry is None or not _is_recording()):
            return NDArray(self._basic_view(parts, shape), self._device)
        out = _ix.lower(self, parts, shape)     # registry ops: on the tape / in the graph
        if basic and out is not self and out._trace is None and _ix.is_contiguous_view(parts, shape):
            out._data = self._data[tuple(parts) + (Ellipsis,)].reshape(out.shape)   # shares memory
        return out

    def _basic_view(self, parts, shape):
        data = self._data[tuple(parts) + (Ellipsis,)]   # "...": a 0-d view, not a scalar
        if data.ndim == 0:
            data = data.reshape(1)
        if not _ix.is_contiguous_view(parts, shape):
            data = data.copy()
        return data

    def __setitem__(self, key, value):
        """``x[key] = value``: writes into this array's buffer (and so into every view of it),
        broadcasting ``value`` (scalar, NDArray, NumPy array or list; cast to x's dtype). ``key`` is
        any key ``x[key]`` accepts; with repeated indices the last write wins."""
        if self._entry is not None and _is_recording():
            raise AutogradError(
                "Assigning to an NDArray that is already in a recorded computation (x[key] = value inside "
                "autograd.record()) would make its gradients undefined; MXNet refuses it too: you cannot use "
                "in-place operations like +=, *=, x[idx] = v inside a record section.\n"
                "  fix: build a new array instead (nd.where(mask, v, x), nd.concat(...)), or assign outside "
                "autograd.record() / before attach_grad()")
        shape = self._data.shape
        if not shape:
            _ix.check_key_scalar(key)
            self._data[...] = self._setitem_value(value)
            return
        parts = _ix.parse_key(key, shape)
        if self._data.size == 0:
            return
        if _ix.is_advanced(parts):
            np_key = self._advanced_key(parts, shape)
        else:
            np_key = tuple(parts)
        v = self._setitem_value(value)
        try:
            self._data[np_key] = v
        except ValueError:
            vshape = getattr(v, "shape", ())
            tshape = self._data[np_key].shape
            raise ShapeError(f"NDArray assignment: cannot broadcast a value of shape {tuple(vshape)} to "
                             f"x[{_fmt_key(key)}] of shape {tuple(tshape)} (x has shape {shape})\n"
                             "  fix: give a value whose shape broadcasts to the selection") from None

    def _setitem_value(self, value):
        if isinstance(value, NDArray):
            d = value._data if value._device == self._device else _move(value._data, value._device,
                                                                        self._device)
            return d if d.dtype == self.dtype else d.astype(self.dtype)
        if getattr(value, "_trace", None) is not None:
            raise ConcretizationError("cannot assign a traced value into an NDArray; return it from the "
                                      "traced function instead")
        if isinstance(value, (numbers.Number, np.generic)):
            return np.asarray(value).astype(self.dtype)[()]
        try:
            a = np.asarray(value, dtype=self.dtype)
        except (TypeError, ValueError) as e:
            raise ShapeError(f"NDArray assignment: cannot convert the value {value!r} to an array of "
                             f"{self.dtype} ({e})\n  fix: assign a scalar, an NDArray or an array-like") from None
        return backend.to_device(a, self._device)

    def _advanced_key(self, parts, shape):
        """The key with every index array as int64 data on this device, negatives resolved."""
        xp = backend.xp_for(self._device)
        key, ax = [], 0
        for p in parts:
            if p is None:
                key.append(None)
                continue
            n = shape[ax]
            ax += 1
            if type(p) is int or type(p) is slice:
                key.append(p)
                continue
            if isinstance(p, NDArray):
                idx = p._data if p._device == self._device else _move(p._data, p._device, self._device)
                idx = idx.astype(np.int64)
            elif isinstance(p, np.ndarray):
                idx = backend.to_device(p, self._device)
            else:
                raise ConcretizationError("cannot index an NDArray assignment with a traced value")
            if idx.size:
                bad = (idx < -n) | (idx >= n)
                if bool(bad.any()):
                    first = int(idx[bad].reshape(-1)[0])
                    raise _ix.IndexOutOfRangeError(
                        f"NDArray assignment: index {first} is out of bounds for axis {ax - 1} with size {n} "
                        f"(array shape {shape})\n  fix: use indices in [{-n}, {n})")
            key.append(xp.where(idx < 0, idx + n, idx))
        return tuple(key)

    # ---- autograd -------------------------------------------------------------------------
    def attach_grad(self, grad_req="write", stype=None):
        """Allocate ``.grad`` and mark this array as a variable to differentiate."""
        from ..autograd import mark_variables
        xp = backend.xp_for(self._device)
        mark_variables([self], [NDArray(xp.zeros(self.shape, self.dtype), self._device)], grad_req)

    def detach(self):
        """The same data, cut off from the autograd graph."""
        return NDArray(self._data, self._device)

    def backward(self, out_grad=None, retain_graph=False, train_mode=True):
        """Compute the gradients of this array w.r.t. attached variables (written to ``.grad``)."""
        from ..autograd import backward
        backward([self], None if out_grad is None else [out_grad], retain_graph, train_mode)

    # ---- interop --------------------------------------------------------------------------
    def __dlpack__(self, stream=None, **kwargs):
        return self._data.__dlpack__(**({"stream": stream} if stream is not None else {}))

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def to_dlpack_for_read(self):
        """A DLPack capsule of the data (zero-copy)."""
        return self._data.__dlpack__()

    to_dlpack_for_write = to_dlpack_for_read


def _fmt_key(key):
    parts = key if type(key) is tuple else (key,)
    out = []
    for k in parts:
        if k is Ellipsis:
            out.append("...")
        elif type(k) is slice:
            out.append(":".join("" if v is None else str(v) for v in (k.start, k.stop))
                       + ("" if k.step is None else f":{k.step}"))
        elif isinstance(k, NDArray):
            out.append(f"<NDArray {k.shape}>")
        else:
            out.append(repr(k))
    return ", ".join(out)


def _move(data, src, dst):
    if src == dst:
        return data.copy()
    host = backend.to_host(data)
    return backend.to_device(np.array(host, copy=True) if dst.device_type == "cpu" else host, dst)


def _rebuild(arr, dev_type, dev_id):
    return NDArray(arr, Device(dev_type, dev_id))
