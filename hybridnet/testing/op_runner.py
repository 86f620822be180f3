"""Turning an ``OpCase`` sample into inputs and calls; shared by every template in ``tests/ops``."""
import numpy as np

__all__ = ["make_inputs", "call_op", "to_nd", "noncontiguous"]


def make_inputs(case, sample, dtype, rng):
    out = []
    dts = case.input_dtypes
    for i, spec in enumerate(sample.inputs):
        dt = np.dtype(dts[i] if dts and dts[i] is not None else dtype)
        if isinstance(spec, tuple) and all(isinstance(d, int) for d in spec):
            lo, hi = case.domain
            if dt.kind in "iu":
                lo_i, hi_i = (int(np.floor(lo)), int(np.ceil(hi))) if dt.kind == "i" else (0, max(int(hi), 1))
                a = rng.integers(lo_i, hi_i + 1, size=spec).astype(dt)
            else:
                a = rng.uniform(lo, hi, size=spec).astype(dt)
        else:
            a = np.asarray(spec)
            a = a.astype(dt) if (a.dtype.kind == "f" or dts and dts[i] is not None or dt.kind == a.dtype.kind
                                 or a.dtype.kind in "iub") else a
        out.append(a)
    return out


def noncontiguous(a):
    """The same values as a strided (non-C-contiguous) view."""
    if a.ndim == 0 or a.size == 0:
        return a
    big = np.zeros(a.shape[:-1] + (a.shape[-1] * 2,), a.dtype)
    big[..., ::2] = a
    v = big[..., ::2]
    assert not v.flags.c_contiguous or a.shape[-1] == 1
    return v


def to_nd(a, device=None):
    from .. import nd
    from ..kernels import backend
    from ..device import cpu
    device = device or cpu()
    return nd.NDArray(backend.to_device(a, device), device)


def call_op(case, arrays, attrs):
    from .. import nd
    if case.call is not None:
        return case.call(nd, *arrays, **attrs)
    from ..ops.api import __getattr__ as _fn
    return _fn(case.op)(*arrays, **attrs)
