"""``EagerTrace``: validate, run the kernel now, and hand the call to the tape when recording."""
import numpy as np

from ..device import resolve
from ..debug import NAN_CHECK as _NAN_CHECK
from ..errors import DeviceError, DTypeError, HybridNetError, NaNError
from ..kernels import backend, kernel_for
from ..ops.opdef import Pattern
from ..ops.check import op_error
from ..ops.trace_base import Trace, set_eager
from ..autograd import tape
from .ndarray import NDArray

__all__ = ["EagerTrace"]

_FAST = (Pattern.ELEMWISE, Pattern.BROADCAST)


class EagerTrace(Trace):
    def wrap(self, data, device):
        return NDArray(data, device)

    def zeros(self, shape, dtype, device):
        return NDArray(backend.xp_for(device).zeros(shape, dtype), device)

    def ones(self, shape, dtype, device):
        return NDArray(backend.xp_for(device).ones(shape, dtype), device)

    def constant(self, value, dtype, device):
        if isinstance(value, NDArray):
            return value
        if device is None:
            device = resolve()
        arr = np.asarray(value, dtype=dtype)
        return NDArray(backend.to_device(arr, device), device)

    def write_state(self, target, value):
        target._data[...] = value._data          # in place, outside the tape (a state, not a result)

    def apply(self, op, args, attrs, name=None):
        if len(args) == 1 and args[0] is not None:   # the common unary / scalar-op path
            a = args[0]
            device = a._device
            if op.eager_infer:
                op.infer(a, **attrs)
            kernel = op.kernels.get(device.device_type) or kernel_for(op, device)
            try:
                res = kernel(a._data, **attrs)
            except HybridNetError:
                raise
            except Exception as e:
                op.infer(a, **attrs)
                raise op_error(op, args, HybridNetError, f"kernel failed: {type(e).__name__}: {e}") from e
            if type(res) is tuple or type(res) is list:
                outs = tuple(NDArray(r, device) for r in res)
            else:
                outs = NDArray(res, device)
            if _NAN_CHECK.get():
                _check_nan(op, args, (a._data,), outs)
            if a._entry is not None and tape.RECORDING.get():
                tape.record(op, attrs, args, outs if type(outs) is tuple else (outs,))
            return outs
        if len(args) == 2 and args[0] is not None and args[1] is not None:   # binary ops
            a, b = args
            device = a._device
            if b._device is not device and b._device != device:
                raise op_error(op, args, DeviceError, f"inputs are on different devices ({device} and "
                               f"{b._device})", "move them to one device with x.as_in_context(ctx) first")
            da, db = a._data, b._data
            if op.eager_infer:
                op.infer(a, b, **attrs)
            elif op.dtype_check == "same":
                if da.dtype != db.dtype:
                    raise op_error(op, args, DTypeError,
                                   f"input dtypes differ ({da.dtype} vs {db.dtype}); legacy nd never promotes "
                                   "between arrays", "cast one input with .astype(...) so both match")
                if da.shape != db.shape and op.pattern is Pattern.ELEMWISE:
                    op.infer(a, b, **attrs)   # raises: elemwise_* ops do not broadcast
            kernel = op.kernels.get(device.device_type) or kernel_for(op, device)
            try:
                res = kernel(da, db, **attrs)
            except HybridNetError:
                raise
            except Exception as e:
                op.infer(a, b, **attrs)
                raise op_error(op, args, HybridNetError, f"kernel failed: {type(e).__name__}: {e}") from e
            if type(res) is tuple or type(res) is list:
                outs = tuple(NDArray(r, device) for r in res)
            else:
                outs = NDArray(res, device)
            if _NAN_CHECK.get():
                _check_nan(op, args, (da, db), outs)
            if (a._entry is not None or b._entry is not None) and tape.RECORDING.get():
                tape.record(op, attrs, args, outs if type(outs) is tuple else (outs,))
            return outs
        device = None
        datas = []
        need_grad = False
        for a in args:
            if a is None:
                datas.append(None)
                continue
            d = a._device
            if device is None:
                device = d
            elif d is not device and d != device:
                raise op_error(op, args, DeviceError,
                               f"inputs are on different devices ({device} and {d})",
                               "move them to one device with x.as_in_context(ctx) first")
            datas.append(a._data)
            if a._entry is not None:
                need_grad = True
        if device is None:
            device = resolve(attrs.get("ctx"))
        if op.pattern in _FAST and op.dtype_check == "same" and len(datas) > 1:
            dt = datas[0].dtype
            sh = datas[0].shape
            for x in datas:
                if x.shape != sh and op.pattern is Pattern.ELEMWISE:
                    op.infer(*args, **attrs)   # raises: elemwise_* ops do not broadcast
                if x.dtype != dt:
                    raise op_error(op, args, DTypeError,
                                   f"input dtypes differ ({dt} vs {x.dtype}); legacy nd never promotes "
                                   "between arrays", "cast one input with .astype(...) so both match")
        elif op.eager_infer:
            op.infer(*args, **attrs)   # validates; raises a HybridNetError naming the op
        kernel = op.kernels.get(device.device_type) or kernel_for(op, device)
        try:
            res = kernel(*datas, **attrs)
        except HybridNetError:
            raise
        except Exception as e:
            # The fast path skipped inference: run it now so the error names shapes and the fix.
            op.infer(*args, **attrs)
            raise op_error(op, args, HybridNetError, f"kernel failed: {type(e).__name__}: {e}") from e
        if type(res) is tuple or type(res) is list:
            outs = tuple(NDArray(r, device) for r in res)
        else:
            outs = NDArray(res, device)
        if _NAN_CHECK.get():
            _check_nan(op, args, datas, outs)
        if need_grad and tape.is_recording():
            tape.record(op, attrs, args, outs if type(outs) is tuple else (outs,))
        return outs


def _check_nan(op, args, datas, outs):
    xp = backend.xp_for(args[0].device if args and args[0] is not None else resolve())
    for o in (outs if type(outs) is tuple else (outs,)):
        if o.dtype.kind == "f" and o.size and bool(xp.isnan(o._data).any()):
            if any(d is not None and d.dtype.kind == "f" and bool(xp.isnan(d).any()) for d in datas):
                return   # NaN came in: not this op's doing
            raise op_error(op, args, NaNError, "produced NaN from finite inputs",
                           "check the input domain (log/sqrt of negatives, 0/0, inf-inf); clip or mask the "
                           "inputs, or leave hybridnet.debug.nan_check() to let NaN propagate")


set_eager(EagerTrace())
