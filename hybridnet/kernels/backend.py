"""Array storage per device: NumPy on the CPU, CuPy on the GPU.

Under ``NUMBA_ENABLE_CUDASIM=1`` (CI, no GPU) the GPU is Numba's CUDA simulator: device arrays are
NumPy arrays and every GPU kernel is a real ``numba.cuda`` kernel run by the simulator, so the GPU code
paths are exercised on every commit. Nothing here imports numba or cupy until a GPU is asked for.
"""
import os

import numpy as np

__all__ = ["xp_for", "gpu_count", "is_simulator", "to_host", "to_device", "empty_cache"]

_state = {}


def is_simulator():
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def _cupy():
    if "cupy" not in _state:
        try:
            import cupy
            cupy.cuda.runtime.getDeviceCount()
            _state["cupy"] = cupy
        except Exception:  # no cupy, or no driver
            _state["cupy"] = None
    return _state["cupy"]


def gpu_count():
    if "count" not in _state:
        n = 0
        if is_simulator():
            n = 1
        else:
            cp = _cupy()
            if cp is not None:
                try:
                    n = cp.cuda.runtime.getDeviceCount()
                except Exception:
                    n = 0
        _state["count"] = n
    return _state["count"]


def xp_for(device):
    """The array namespace for ``device`` (numpy or cupy)."""
    if device.device_type == "cpu" or is_simulator():
        return np
    return _cupy()


def to_device(host_array, device):
    """Copy a NumPy array onto ``device`` (no copy for the CPU)."""
    if device.device_type == "cpu" or is_simulator():
        return host_array
    cp = _cupy()
    with cp.cuda.Device(device.device_id):
        return cp.asarray(host_array)


def to_host(array):
    """NumPy view/copy of any device array."""
    if isinstance(array, np.ndarray):
        return array
    return array.get()


def empty_cache():
    cp = _cupy() if not is_simulator() else None
    if cp is not None:
        cp.get_default_memory_pool().free_all_blocks()


def synchronize(device):
    """Wait for queued work on ``device`` (a no-op on the CPU, which runs synchronously)."""
    if device.device_type == "gpu" and not is_simulator():
        cp = _cupy()
        with cp.cuda.Device(device.device_id):
            cp.cuda.get_current_stream().synchronize()


def xp_of(array):
    """The namespace (numpy or cupy) an array belongs to."""
    if isinstance(array, np.ndarray):
        return np
    return _cupy()
