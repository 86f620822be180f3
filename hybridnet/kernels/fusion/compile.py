"""Compiling generated fused sources: CPU NumPy (g)ufuncs and CUDA grid-stride kernels.

CPU: one output -> ``numba.vectorize`` (the raw NumPy ufunc inside the DUFunc, as
``kernels/cpu/elementwise.py``), several -> ``numba.guvectorize`` with a ``(),()->(),()`` layout;
broadcasting and strided inputs are NumPy's ufunc machinery. From ``PARALLEL_MIN_SIZE`` elements with
C-contiguous same-shape operands (``CHEAP_PARALLEL_MIN_SIZE`` for groups of only ``CHEAP_OPS``: no libm
call, memory-bound): a generated ``@njit(parallel=True)`` ``prange`` loop; below it the same loop
serial. Groups with several expensive ops run block-staged loops instead (``codegen.staged_source``). The source is written to
``<cache dir>/fusion/hnfused_<hash>.py`` (cache dir: ``$HYBRIDNET_CACHE_DIR`` or ``~/.cache/hybridnet``)
and imported from there, so Numba's disk cache
(``cache=True``) works: a later process loads the machine code instead of compiling (~10x faster
first call). The hash covers the source, the formulas' bytecode and constants (and of the helpers
they call) and the Numba version, so an edited formula gets a new file rather than a stale cache hit.
Where the directory is not writable the source is exec'd and compiled per process.

GPU: the scalar function becomes a ``cuda.jit(device=True)`` function calling the ops' device
formulas, and the kernel around it is ``kernels/cuda/elementwise.py``'s grid-stride kernel (flat for
contiguous same-shape operands, else the strided broadcast index computation; several outputs store
a returned tuple); launches go through ``kernels/cuda/launch.py``. Compiled per process (no disk
cache for CUDA).

Everything is cached in-process by structure (``FusionGroup.key()``) and dtype / target / layout.
"""
import hashlib
import importlib.util
import os
import sys
import types

import numpy as np

from ..cpu.threading import CHEAP_PARALLEL_MIN_SIZE, PARALLEL_MIN_SIZE
from ..formula import float_type_for, prepare
from .codegen import compute_dtype, module_source, op_ident, scalar_source, stages

__all__ = ["CpuFusedKernel", "GpuFusedKernel", "cache_dir", "compile_stats"]

_F16 = np.dtype(np.float16)

# compile_stats["cpu"/"gpu"]: number of kernels compiled in this process and seconds spent
compile_stats = {"cpu": [0, 0.0], "gpu": [0, 0.0]}


def cache_dir():
    base = os.environ.get("HYBRIDNET_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "hybridnet")
    return os.path.join(base, "fusion")


# ---- fingerprints ------------------------------------------------------------------------------

def _code_fp(code, h):
    h.update(code.co_code)
    h.update(repr(code.co_names).encode())
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            _code_fp(c, h)
        else:
            h.update(repr(c).encode())


def _fn_fp(fn, h, seen):
    if id(fn) in seen:
        return
    seen.add(id(fn))
    _code_fp(fn.__code__, h)
    for n in fn.__code__.co_names:
        v = fn.__globals__.get(n)
        if getattr(v, "_hn_scalar_helper", False):
            _fn_fp(v, h, seen)
        elif isinstance(v, (int, float, complex, str, bytes, bool, np.generic)):
            h.update(f"{n}={v!r}".encode())


def _toolchain_fp():
    """Digest of the files that shape a fused kernel besides its own source: the formula toolchain
    and the ops' scalar helpers (``numba_cache``) and this code generator. Numba's disk cache
    does not see changes there, so they are part of the module name."""
    if not _CODEGEN:
        from ..numba_cache import toolchain_digest
        here = os.path.dirname(os.path.abspath(__file__))
        h = hashlib.sha256(toolchain_digest(ops=True))
        for rel in ("codegen.py", "compile.py"):
            try:
                with open(os.path.join(here, rel), "rb") as f:
                    h.update(f.read())
            except OSError:
                h.update(rel.encode())
        _CODEGEN.append(h.digest())
    return _CODEGEN[0]


_CODEGEN = []


def _source_hash(src, ops):
    import numba
    h = hashlib.sha256(src.encode())
    h.update(numba.__version__.encode())
    h.update(_toolchain_fp())
    seen = set()
    for op in ops:
        _fn_fp(op.scalar, h, seen)
    return h.hexdigest()[:24]


# ---- CPU ----------------------------------------------------------------------------------------

_CPU_FORMULAS = {}


def _cpu_formula(op, cdt):
    key = (id(op.scalar), cdt)
    f = _CPU_FORMULAS.get(key)
    if f is None:
        import numba
        jit = numba.njit(inline="always", error_model="numpy")   # no zero-division branches: vectorisable
        from ..cpu.simd import cpu_math   # the same vectorisable exp as the unfused CPU ufuncs
        f = _CPU_FORMULAS[key] = (jit(prepare(op.scalar, jit, math_module=cpu_math(float_type_for(cdt)),
                                              float_type=float_type_for(cdt))), op.scalar)
    return f[0]


def _load_module(src, ops, globs):
    """Import ``src`` from a file in the cache dir (so Numba can cache it); ``None`` if impossible."""
    name = "hnfused_" + _source_hash(src, ops)
    mod = sys.modules.get(name)
    if mod is not None:
        return mod, True
    d = cache_dir()
    path = os.path.join(d, name + ".py")
    try:
        os.makedirs(d, exist_ok=True)
        if not os.path.exists(path):
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "w") as f:
                f.write(src)
            os.replace(tmp, path)
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        mod.__dict__.update(globs)
        spec.loader.exec_module(mod)
        sys.modules[name] = mod
        return mod, True
    except OSError:
        mod = types.ModuleType(name)
        mod.__dict__.update(globs)
        exec(compile(src, f"<hybridnet fused {name}>", "exec"), mod.__dict__)
        return mod, False


def build_cpu(group, dtype, parallel):
    """For arrays of ``dtype`` (float16: float32 arrays in and out): ``parallel=False`` -> the NumPy
    ufunc (one output) or gufunc (several) computing ``group`` (any strides, broadcasting);
    ``True`` -> ``fused_loop(*flat_ins, *flat_outs)``, an ``@njit(parallel=True)`` ``prange`` loop over
    C-contiguous same-shape operands; ``"serial"`` -> ``fused_loop_serial``, the same loop serial;
    ``"staged"`` / ``"staged_serial"`` -> ``fused_staged(_serial)``, the block-staged loops
    (``codegen.staged_source``) for groups with several expensive ops.
    (Numba's ``vectorize(target="parallel")`` measured 20x slower than the serial ufunc here on 1M
    float32, the ``prange`` loop 3x faster; and the ufunc of a long chain with transcendentals ~14x
    slower than the serial loop: see BENCHMARKS.md "Fusion".)"""
    import time

    import numba

    from ..numba_cache import install
    install()                     # idempotent; fused kernels may be built before any load_kernels
    t0 = time.perf_counter()
    dt = np.dtype(dtype)
    cdt = compute_dtype(dt)
    src = module_source(group, dt, cheap=_is_cheap)
    ops = [op for op, _, _ in group.steps]
    globs = {op_ident(op): _cpu_formula(op, cdt) for op in ops}
    globs["CT"] = numba.from_dtype(cdt)
    globs["prange"] = numba.prange
    globs["np"] = np
    mod, cacheable = _load_module(src, ops, globs)
    t = numba.from_dtype(cdt)
    n_out = len(group.outputs)
    if parallel:
        if "fused_nb" not in mod.__dict__:
            mod.fused_nb = numba.njit(inline="always", error_model="numpy")(mod.fused)
        flat = t[::1]      # compiled here (eager signature), so compile_stats counts it
        sig = numba.void(*([flat] * (group.n_in + n_out)))
        fn = {"serial": "fused_loop_serial", "staged": "fused_staged",
              "staged_serial": "fused_staged_serial"}.get(parallel, "fused_loop")
        f = numba.njit(sig, parallel=parallel in (True, "staged"), cache=cacheable,
                       error_model="numpy")(getattr(mod, fn))
    elif n_out == 1:
        uf = numba.vectorize([t(*([t] * group.n_in))], cache=cacheable, nopython=True)(mod.fused)
        f = getattr(uf, "ufunc", uf)
    else:
        layout = ",".join(["()"] * group.n_in) + "->" + ",".join(["()"] * n_out)
        sig = numba.void(*([t] * group.n_in), *([t[:]] * n_out))
        f = numba.guvectorize([sig], layout, cache=cacheable, nopython=True)(mod.fused_gu)
    compile_stats["cpu"][0] += 1
    compile_stats["cpu"][1] += time.perf_counter() - t0
    return f


# Ops with no libm call in their formula: a group of only these is memory-bound, and goes parallel from
# CHEAP_PARALLEL_MIN_SIZE elements instead of PARALLEL_MIN_SIZE (kernels/cpu/threading.py).
CHEAP_OPS = frozenset("""
    Activation_relu BlockGrad _copy _div_scalar _equal _equal_scalar _greater _greater_equal _greater_equal_scalar
    _greater_scalar _lesser _lesser_equal _lesser_equal_scalar _lesser_scalar _logical_and
    _logical_and_scalar _logical_or _logical_or_scalar _logical_xor _logical_xor_scalar _maximum
    _maximum_scalar _minimum _minimum_scalar _minus_scalar _mul_scalar _not_equal _not_equal_scalar
    _plus_scalar _rdiv_scalar _rminus_scalar abs broadcast_add broadcast_div broadcast_equal
    broadcast_greater broadcast_greater_equal broadcast_lesser broadcast_lesser_equal broadcast_logical_and
    broadcast_logical_or broadcast_logical_xor broadcast_maximum broadcast_minimum broadcast_mul
    broadcast_not_equal broadcast_sub ceil clip degrees elemwise_add elemwise_div elemwise_mul elemwise_sub
    fix floor hard_sigmoid negative ones_like radians reciprocal relu rint round sign square trunc
    zeros_like""".split())


def _is_cheap(op):
    return op.name in CHEAP_OPS


# Groups with more than one expensive (non-``CHEAP_OPS``) op run the block-staged loops from this many
# elements (``codegen.staged_source``). Measured on the `mix` chain (5 sigmoids, one core): chain loop vs
# staged 0.3 vs 0.4 us at 4 elements, equal at 16, 0.6 vs 0.5 at 64, 2.5 vs 1.5 at 256, 351 vs 234 at
# 64 Ki; below ~32 the block buffers' allocation costs more than the staging saves.
STAGED_MIN_SIZE = int(os.environ.get("HYBRIDNET_FUSED_STAGED_MIN_SIZE", 32))

# Contiguous same-shape operands from this many elements run the generated serial loop instead of
# the ufunc: measured faster at every size from 4 elements (a chain with 5 sigmoids: 0.36 vs 0.73 us at
# 4, 28 vs 387 us at 4096; BENCHMARKS.md "Fusion").
SERIAL_LOOP_MIN_SIZE = int(os.environ.get("HYBRIDNET_FUSED_LOOP_MIN_SIZE", 1))


class CpuFusedKernel:
    """``k(*arrays, out=None)`` for a fused group on the CPU; ``out`` is a tuple for several outputs."""

    def __init__(self, group):
        self.group = group
        self.n_out = len(group.outputs)
        self._ufuncs = {}
        self.__name__ = "cpu_fused"
        self.cheap = all(op.name in CHEAP_OPS for op, _, _ in group.steps)
        self.staged = len(stages(group, _is_cheap)) > 1

    def parallel_min_size(self):
        """Elements from which the ``prange`` loop runs (read at call time: tests patch the constants)."""
        return max(PARALLEL_MIN_SIZE, CHEAP_PARALLEL_MIN_SIZE) if self.cheap else PARALLEL_MIN_SIZE

    def ufunc(self, dtype, parallel):
        key = (np.dtype(dtype), parallel)
        uf = self._ufuncs.get(key)
        if uf is None:
            uf = self._ufuncs[key] = build_cpu(self.group, dtype, parallel)
        return uf

    def __call__(self, *xs, out=None):
        dt = xs[0].dtype
        multi = self.n_out > 1
        x0 = xs[0]
        if x0.size >= SERIAL_LOOP_MIN_SIZE and x0.flags.c_contiguous and \
                all(x.shape == x0.shape and x.flags.c_contiguous for x in xs):
            par = x0.size >= self.parallel_min_size()
            if self.staged and x0.size >= STAGED_MIN_SIZE:
                return self._loop(xs, dt, out, multi, "staged" if par else "staged_serial")
            return self._loop(xs, dt, out, multi, True if par else "serial")
        uf = self.ufunc(dt, False)
        outs = None if out is None else (tuple(out) if multi else (out,))
        direct = (dt != _F16 and outs is not None
                  and all(o.flags.c_contiguous and o.dtype == dt for o in outs))
        if dt == _F16:
            xs = [x.astype(np.float32) for x in xs]
        if direct:
            uf(*xs, out=outs if multi else outs[0])
            return out
        r = uf(*xs)
        rs = r if multi else (r,)
        rs = tuple(np.asarray(a).astype(dt, copy=False) if type(a) is not np.ndarray or a.dtype != dt
                   else a for a in rs)
        if outs is None:
            return rs if multi else rs[0]
        for o, a in zip(outs, rs):   # Numba ufuncs mis-write strided destinations: copy in
            o[...] = a
        return out

    def _loop(self, xs, dt, out, multi, parallel):
        loop = self.ufunc(dt, parallel)
        cdt = compute_dtype(dt)
        shape = xs[0].shape
        flat = [x.reshape(-1) if cdt == dt else x.reshape(-1).astype(cdt) for x in xs]
        outs = None if out is None else (tuple(out) if multi else (out,))
        if outs is not None and cdt == dt and all(o.flags.c_contiguous and o.dtype == dt for o in outs):
            loop(*flat, *[o.reshape(-1) for o in outs])
            return out
        res = [np.empty(flat[0].size, cdt) for _ in range(self.n_out)]
        loop(*flat, *res)
        res = [r.reshape(shape) if cdt == dt else r.reshape(shape).astype(dt) for r in res]
        if outs is not None:
            for o, r in zip(outs, res):
                o[...] = r
            return out
        return tuple(res) if multi else res[0]


# ---- GPU ----------------------------------------------------------------------------------------

_GPU_FORMULAS = {}


def build_gpu(group, dtype, ndim, flat):
    import time

    from ..cuda import elementwise as E
    from ..cuda import launch as L
    t0 = time.perf_counter()
    cuda = L.cuda()
    dt = np.dtype(dtype)
    cdt = compute_dtype(dt)
    src = scalar_source(group, dt)
    g = {"math": __import__("math")}
    ft = float_type_for(cdt)
    for op, _, _ in group.steps:
        f = _GPU_FORMULAS.get((id(op.scalar), ft))
        if f is None:
            f = _GPU_FORMULAS[(id(op.scalar), ft)] = (E.device_formula(op.scalar, ft), op.scalar)
        g[op_ident(op)] = f[0]
    g["CT"] = E._sim_store(cdt) if L.SIM else L.nb_type(cdt)
    names = "+".join(op.name for op, _, _ in group.steps)
    exec(compile(src, f"<hybridnet fused cuda {names}>", "exec"), g)
    fn_dev = g["fused"] if L.SIM else cuda.jit(device=True)(g["fused"])
    k = E.build_kernel(fn_dev, group.n_in, 0, ndim, flat, cdt, dt, n_out=len(group.outputs))
    compile_stats["gpu"][0] += 1
    compile_stats["gpu"][1] += time.perf_counter() - t0
    return k


class GpuFusedKernel:
    """``k(*arrays, out=None)`` for a fused group on the GPU (CuPy arrays; NumPy under the simulator)."""

    def __init__(self, group):
        self.group = group
        self.n_out = len(group.outputs)
        self._kernels = {}
        self.__name__ = "gpu_fused"

    def kernel(self, dtype, ndim, flat):
        key = (np.dtype(dtype), ndim, flat)
        k = self._kernels.get(key)
        if k is None:
            k = self._kernels[key] = build_gpu(self.group, dtype, ndim, flat)
        return k

    def __call__(self, *xs, out=None):
        from ..backend import xp_of
        from ..cuda import launch as L
        x0 = xs[0]
        dt = x0.dtype
        s0 = x0.shape
        shape = s0 if all(x.shape == s0 for x in xs) else tuple(np.broadcast_shapes(*[x.shape for x in xs]))
        xp = xp_of(x0)
        multi = self.n_out > 1
        with L.on_device_of(x0):
            outs = (tuple(out) if multi else (out,)) if out is not None else \
                tuple(xp.empty(shape, dt) for _ in range(self.n_out))
            n = outs[0].size
            if n:
                flat = (all(o.flags.c_contiguous for o in outs)
                        and all(x.shape == shape and x.flags.c_contiguous for x in xs))
                if flat:
                    args = [L.Flat(o) for o in outs] + [L.Flat(x) for x in xs]
                    ndim = 1
                else:
                    ndim = max(len(shape), 1)
                    oshape = shape if shape else (1,)
                    args = [o.reshape(oshape) for o in outs] + \
                        [x.reshape((1,) * (ndim - x.ndim) + x.shape) for x in xs]
                blocks, threads = L.elementwise_config(n)
                L.launch(self.kernel(dt, ndim, flat), blocks, threads, *args, np.int64(n))
        return outs if multi else outs[0]
