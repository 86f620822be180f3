"""CPU ufuncs generated from each elementwise op's ``scalar`` formula.

One real NumPy ufunc per (op, dtype, serial|parallel), compiled by ``numba.vectorize`` on first use
and cached on disk. Scalar attributes (``_plus_scalar``'s ``scalar``, ``clip``'s bounds) are extra
ufunc inputs cast to the array dtype (legacy nd: a scalar takes the array's dtype). float16 is computed
in float32 and rounded on store (Numba cannot do half arithmetic on the CPU).
"""
import numpy as np

from ...dtypes import compute_dtype
from ..formula import float_type_for, prepare
from .threading import UFUNC_PARALLEL_MIN_SIZE as PARALLEL_MIN_SIZE   # see threading.py

__all__ = ["make_elementwise_kernel", "build_ufunc"]

_F32 = np.dtype(np.float32)
_F16 = np.dtype(np.float16)


def _numba_type(dt):
    import numba
    return numba.from_dtype(dt)


def build_ufunc(fn, n_args, dtype, parallel, out_dtype=None):
    """Compile ``fn`` (a scalar formula of ``n_args`` scalars) to a NumPy ufunc for ``dtype``."""
    import numba
    from .simd import cpu_math
    fn = prepare(fn, lambda h: numba.njit(inline="always", error_model="numpy", cache=_cacheable(h))(h),
                 math_module=cpu_math(float_type_for(dtype)), float_type=float_type_for(dtype))
    t = _numba_type(dtype)
    ot = _numba_type(out_dtype or dtype)
    sig = ot(*([t] * n_args))
    target = "parallel" if parallel else "cpu"
    uf = numba.vectorize([sig], target=target, cache=_cacheable(fn), nopython=True)(fn)
    # Numba wraps the compiled loop in a DUFunc whose Python __call__ costs ~1 us; the raw NumPy
    # ufunc inside has exactly the one loop we compiled (measured: 1.7 us -> 0.56 us per call).
    return getattr(uf, "ufunc", uf)


def _cacheable(fn):
    """Numba can only cache functions defined in a real source file (not a notebook cell or exec)."""
    import os
    import sys
    f = fn.__code__.co_filename
    mod = sys.modules.get(getattr(fn, "__module__", None) or "")
    return (bool(f) and not f.startswith("<") and os.path.exists(f)
            and getattr(mod, "__file__", None) is not None)   # runpy/exec'd modules are not importable


LOOP_MIN_SIZE = 1024


def build_scalar_loop(fn, dtype):
    """``loop(x, s, out)``: ``out[i] = fn(x[i], s)`` over C-contiguous arrays, vectorisable by LLVM."""
    import numba
    from .simd import cpu_math
    f = numba.njit(inline="always", error_model="numpy")(
        prepare(fn, lambda h: numba.njit(inline="always", error_model="numpy")(h),
                math_module=cpu_math(float_type_for(dtype)), float_type=float_type_for(dtype)))

    @numba.njit(error_model="numpy")
    def loop(x, s, out):
        xf = x.ravel()
        of = out.ravel()
        for i in range(xf.size):
            of[i] = f(xf[i], s)
    return loop


def make_elementwise_kernel(op):
    """Kernel ``k(*arrays, out=None, **attrs)`` for an elementwise op, built from ``op.scalar``."""
    cache = {}
    n_in = len(op.inputs)
    sattrs = op.scalar_attrs
    from ..fusion.compile import CHEAP_OPS
    expensive = op.name not in CHEAP_OPS and not getattr(op, "variadic", False)
    n_args = n_in + len(sattrs)
    fn = op.scalar

    def get(dt, parallel):
        key = (dt, parallel)
        uf = cache.get(key)
        if uf is None:
            uf = cache[key] = build_ufunc(fn, n_args, dt, parallel)
        return uf

    if n_in == 1 and len(sattrs) == 1:   # the _*_scalar ops: x op s, the hot path of eager code
        # From LOOP_MIN_SIZE elements: a compiled loop with the scalar as a loop-invariant argument. A
        # ufunc gets the scalar as a stride-0 array, which keeps LLVM from vectorising (x*2 on 4 Mi
        # float32: loop 0.81 ms, ufunc 1.52 ms, NumPy 0.84 ms; 4096: 1.17 / 1.97 / 1.06 us). Below it
        # the raw ufunc's lower call cost wins (16 elements: 0.57 vs 0.77 us).
        sname = sattrs[0]
        serial = {}
        loops = {}

        def kernel(x, out=None, **attrs):
            dt = x.dtype
            if dt == _F16 or x.size >= PARALLEL_MIN_SIZE or (out is not None and not out.flags.c_contiguous):
                return general(x, out=out, **attrs)
            if x.size >= LOOP_MIN_SIZE and x.flags.c_contiguous:
                lp = loops.get(dt)
                if lp is None:
                    lp = loops[dt] = build_scalar_loop(fn, dt)
                r = np.empty(x.shape, dt) if out is None else out
                lp(x, dt.type(attrs[sname]), r)
                return r
            uf = serial.get(dt)
            if uf is None:
                uf = serial[dt] = get(dt, False)
            r = uf(x, dt.type(attrs[sname]), out=out)
            return r if type(r) is np.ndarray else np.asarray(r)
    if sattrs:
        def general(*xs, out=None, **attrs):
            dt = xs[0].dtype
            cdt = compute_dtype(dt)
            extra = [cdt.type(dt.type(attrs[a])) for a in sattrs]   # legacy: scalar -> array dtype first
            big = xs[0].size >= PARALLEL_MIN_SIZE
            if out is not None and not out.flags.c_contiguous:
                out[...] = general(*xs, **attrs)   # Numba ufuncs mis-write strided destinations
                return out
            if cdt is not dt:
                r = get(cdt, big)(*[x.astype(cdt) for x in xs], *extra).astype(dt)
                if out is not None:
                    out[...] = r
                    return out
                return r
            r = get(dt, big)(*xs, *extra, out=out)
            return r if type(r) is np.ndarray else np.asarray(r)
        if not (n_in == 1 and len(sattrs) == 1):
            kernel = general
    else:
        fused = []          # the op as a one-step fused kernel: contiguous float operands (see below)

        def kernel(*xs, out=None, **attrs):
            dt = xs[0].dtype
            x0 = xs[0]
            # An expensive formula (exp, tanh, erf, ...) on contiguous same-shape float operands runs as
            # a one-op fused kernel: a Numba loop with the formula inlined (vectorised; prange from
            # PARALLEL_MIN_SIZE). Numba's ufunc calls a large formula per element without inlining it:
            # erf on 1 Mi float32 14.5 ms as a ufunc, 1.1 ms as the loop; same bits either way.
            if (expensive and x0.size >= LOOP_MIN_SIZE and dt.kind == "f" and x0.flags.c_contiguous
                    and all(x.shape == x0.shape and x.dtype == dt and x.flags.c_contiguous for x in xs[1:])):
                if not fused:
                    from ..fusion import fused_kernel
                    from ..fusion.group import FusionGroup
                    fused.append(fused_kernel(FusionGroup(n_in, [(op, tuple(range(n_in)), ())], (n_in,)), "cpu"))
                return fused[0](*xs, out=out)
            big = (xs[0].size >= PARALLEL_MIN_SIZE or xs[1].size >= PARALLEL_MIN_SIZE) if n_in == 2 else \
                max(x.size for x in xs) >= PARALLEL_MIN_SIZE
            if out is not None and not out.flags.c_contiguous:
                out[...] = kernel(*xs)   # Numba ufuncs mis-write strided destinations
                return out
            if dt == _F16:
                r = get(_F32, big)(*[x.astype(_F32) for x in xs]).astype(dt)
                if out is not None:
                    out[...] = r
                    return out
                return r
            r = get(dt, big)(*xs, out=out)
            return r if type(r) is np.ndarray else np.asarray(r)
    kernel.__name__ = f"cpu_{op.name}"
    kernel._ufunc_for = get
    return kernel
