"""GPU kernels of the random ops (``ops/random.py``). On a real GPU each device draws with its own
CuPy ``RandomState``; under ``NUMBA_ENABLE_CUDASIM=1`` (device arrays are NumPy arrays) each simulated
GPU has its own NumPy generator, so the same code runs in CI. The samplers are shared with the CPU
(``kernels/rng.py``); the device comes from the array inputs, else the ``ctx`` attribute, else the
current CuPy device."""
from ...device import Device, resolve
from ...ops.registry import register_kernel
from .. import backend, rng


def _engine_of(arrays, ctx):
    dev_id = None
    for a in arrays:
        if a is not None:
            dev_id = 0 if backend.is_simulator() else a.device.id
            break
    if dev_id is None:
        d = resolve(ctx) if ctx is not None else None
        if d is not None and d.device_type == "gpu":
            dev_id = d.device_id
        elif backend.is_simulator():
            dev_id = 0
        else:
            dev_id = backend._cupy().cuda.runtime.getDevice()
    return rng.engine_for(Device("gpu", dev_id))


for _name, _fn in rng.make_kernels(_engine_of).items():
    register_kernel(_name, "gpu")(_fn)
