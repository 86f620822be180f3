"""All Numba (and CuPy) code lives under this package; nothing here compiles at import time.

``kernel_for(op, device)`` returns the destination-passing kernel ``k(*arrays, out=None, **attrs)``
for an op on a device: the one attached with ``register_kernel`` by ``kernels/cpu`` or ``kernels/cuda``,
or, for elementwise ops with a ``scalar`` formula, one generated from that formula (CPU ufunc or CUDA
kernel) on first use.
"""
from ..errors import MissingKernelError

__all__ = ["kernel_for", "load_kernels"]

_loaded = set()


def load_kernels(device_type):
    """Import the modules that register kernels for ``device_type`` (idempotent, compiles nothing)."""
    if device_type in _loaded:
        return
    _loaded.add(device_type)
    from .numba_cache import install
    install()              # Numba's disk cache: writes under a lock, stamps covering inlined code
    from . import generic  # noqa: F401  (array-API kernels shared by both devices)
    if device_type == "cpu":
        from . import cpu  # noqa: F401
    else:
        from . import cuda  # noqa: F401


def kernel_for(op, device):
    dt = device.device_type
    k = op.kernels.get(dt)
    if k is not None:
        return k
    load_kernels(dt)
    k = op.kernels.get(dt)
    if k is None and op.scalar is not None:
        if dt == "cpu":
            from .cpu.elementwise import make_elementwise_kernel
        else:
            from .cuda.elementwise import make_elementwise_kernel
        k = op.kernels[dt] = make_elementwise_kernel(op)
    if k is None:
        why = f" ({op.cpu_only})" if dt == "gpu" and op.cpu_only else ""
        raise MissingKernelError(f"operator {op.name} has no kernel for {device}{why}. "
                                 f"Move the inputs to the CPU with .as_in_context(mx.cpu()).")
    return k


def seed_random(seed_state, device=None):
    """Reseed the random generators of every device (``device=None``) or of one ``device``; the
    state lives in ``kernels/rng.py`` (see ``mx.random.seed``)."""
    from .rng import seed
    seed(seed_state, device)
