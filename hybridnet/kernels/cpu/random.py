"""CPU kernels of the random ops (``ops/random.py``): NumPy's ``Generator(PCG64)``, one for the host,
reseeded by ``mx.random.seed``. The samplers live in ``kernels/rng.py`` (shared with the GPU)."""
from ...device import Device
from ...ops.registry import register_kernel
from .. import rng

_CPU = Device("cpu", 0)


def _engine_of(arrays, ctx):
    return rng.engine_for(_CPU)


for _name, _fn in rng.make_kernels(_engine_of).items():
    register_kernel(_name, "cpu")(_fn)
