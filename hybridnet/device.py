"""Devices: ``Device`` (alias ``Context``), ``cpu(i)``, ``gpu(i)``, ``current_context()``, ``with ctx:``.

CPU arrays are ``numpy.ndarray``; GPU arrays are ``cupy.ndarray`` (or NumPy arrays standing in for
device memory under ``NUMBA_ENABLE_CUDASIM=1``). Only ``hybridnet.kernels`` knows which; code above
asks the device, never the array type.
"""
import contextvars

from .errors import DeviceError

__all__ = ["Device", "Context", "cpu", "gpu", "cpu_pinned", "current_context", "current_device",
           "num_gpus", "resolve"]

_GPU_HELP = ("install the GPU extra (`pip install 'hybridnet[gpu]'`, which brings cupy-cuda12x and "
             "numba-cuda) on a machine with an NVIDIA GPU, or set NUMBA_ENABLE_CUDASIM=1 to run GPU "
             "kernels in Numba's CUDA simulator (slow; for tests)")


class Device:
    """A device: ``Device('cpu', 0)``, ``Device('gpu', 1)``. ``Context`` is the same class.

    Example::

        >>> import hybridnet as mx
        >>> mx.cpu(0) == mx.Context('cpu', 0)
        True
    """
    __slots__ = ("device_type", "device_id", "_token")
    devtype2id = {"cpu": 1, "gpu": 2, "cpu_pinned": 3, "cpu_shared": 5}
    devid2type = {v: k for k, v in devtype2id.items()}

    def __init__(self, device_type, device_id=0):
        if isinstance(device_type, Device):
            device_type, device_id = device_type.device_type, device_type.device_id
        if device_type not in self.devtype2id:
            raise DeviceError(f"unknown device type {device_type!r}; use 'cpu' or 'gpu'")
        if device_type == "gpu":
            n = num_gpus()
            if device_id >= n:
                have = "no GPU is available" if n == 0 else f"only {n} GPU(s) are available"
                raise DeviceError(f"gpu({device_id}) was requested but {have}. To use a GPU, {_GPU_HELP}.")
        # cpu_pinned / cpu_shared are host memory: hybridnet treats them as the CPU.
        if device_type in ("cpu_pinned", "cpu_shared"):
            device_type = "cpu"
        self.device_type = device_type
        self.device_id = int(device_id)
        self._token = []

    @property
    def device_typeid(self):
        return self.devtype2id[self.device_type]

    def __eq__(self, other):
        return (isinstance(other, Device) and self.device_type == other.device_type
                and self.device_id == other.device_id)

    def __hash__(self):
        return hash((self.device_type, self.device_id))

    def __repr__(self):
        return f"{self.device_type}({self.device_id})"

    __str__ = __repr__

    def __enter__(self):
        self._token.append(_current.set(self))
        return self

    def __exit__(self, *exc):
        _current.reset(self._token.pop())
        return False

    def empty_cache(self):
        """Release cached device memory (no-op on CPU)."""
        if self.device_type == "gpu":
            from .kernels import backend
            backend.empty_cache()


Context = Device


def cpu(device_id=0):
    """The CPU device. ``device_id`` is accepted for MXNet compatibility."""
    return Device("cpu", device_id)


def cpu_pinned(device_id=0):
    """Pinned host memory: the CPU in hybridnet."""
    return Device("cpu", device_id)


def gpu(device_id=0):
    """GPU ``device_id``. Raises ``DeviceError`` (saying how to install the GPU extra) if absent."""
    return Device("gpu", device_id)


_CPU0 = Device("cpu", 0)
_current = contextvars.ContextVar("hybridnet_device", default=_CPU0)


def current_context():
    """The default device: ``cpu(0)`` unless inside ``with ctx:``."""
    return _current.get()


current_device = current_context


def num_gpus():
    """Number of usable GPUs (1 under the CUDA simulator)."""
    from .kernels import backend
    return backend.gpu_count()


def resolve(ctx=None, device=None):
    """Merge the ``ctx=`` and ``device=`` keywords (either may be given) into a ``Device``."""
    d = device if device is not None else ctx
    if d is None:
        return _current.get()
    if isinstance(d, Device):
        return d
    if isinstance(d, str):  # 'cpu', 'gpu(1)', 'cpu(0)'
        s = d.strip()
        if "(" in s:
            t, i = s.rstrip(")").split("(")
            return Device(t, int(i))
        return Device(s, 0)
    raise DeviceError(f"expected a Device such as mx.cpu() or mx.gpu(0), got {d!r}")
