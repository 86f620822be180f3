"""Numba building blocks that keep CPU loops vectorised (AVX-512 here) without global fastmath.

Built lazily by ``helpers()`` (importing this module imports no numba). Measured on this machine
(256x1024 float32, one thread, us): row max with ``llvm.maximum`` 20 vs a ``v if v > m else m`` loop
155 (not vectorised, nor is any loop that also counts NaNs) vs NumPy 35; row sum with ``radd`` 15 vs
strict order 75 vs NumPy 47; exp of 256K floats: ``exp32`` 133 vs NumPy's SIMD ``np.exp`` 118 vs
``math.exp`` in a Numba loop (scalar libm: no SVML in the pip llvmlite) 728.

- ``radd(a, b)`` / ``rmul(a, b)``: for floats ``a + b`` / ``a * b`` carrying LLVM's ``reassoc`` flag on
  that one instruction (plain integer ops otherwise), so a reduction loop over them is vectorised
  (partial sums in lanes). Everything else in the loop keeps IEEE semantics, unlike
  ``fastmath=True``, which also allows no-NaN/no-inf assumptions and reassociates the exp
  polynomial's power-of-two scaling (overflowing/underflowing it).
- ``vmax(a, b)`` / ``vmin(a, b)``: ``llvm.maximum``/``llvm.minimum`` for floats (NaN propagates, as
  ``np.max``), which LLVM vectorises as a reduction; plain compare-select for integers.
- ``fma(a, b, c)``: ``llvm.fma``, ``a * b + c`` rounded once.
- ``tanh32(x)`` / ``log32(x)`` / ``log1p32(x)`` / ``erf32(x)``: float32 ``tanh`` (<= 1.31 ulp), ``log``
  (<= 0.82 ulp), ``log1p`` (<= 1.5 ulp), ``erf`` (<= 1.04 ulp), branch-free (``f2i``/``i2f`` bitcasts for
  the exponent); ``cpu_math(np.float32)`` puts them in float32 formulas.
- ``exp32(x)`` / ``exp64(x)`` / ``fexp(x)`` (either, by type): Cephes-style ``exp`` with a polynomial
  (for float32, Horner steps as explicit ``fma``) and the ``2**n`` scale built from exponent bits, branch-free.
  ``+-inf``, NaN and subnormal results are exact cases; error <= 1 ulp against a correctly rounded
  reference (see the kernel tests). The explicit ``fma`` made 1 Mi float32 ``exp`` 0.56 -> 0.41 ms and
  sigmoid 0.64 -> 0.49 ms on one core here (NumPy's SIMD ``np.exp``: 0.47 ms), and since it is written
  out, an eager op and the same op inside a fused kernel still give the same bits (global FMA
  contraction would contract across op boundaries in fused code).

Numba's on-disk cache of a kernel is keyed on its own source file; ``kernels/numba_cache.py`` adds
this file's digest (and the formula toolchain's) to the key of every hybridnet kernel that inlines these
helpers, so editing it recompiles them.
"""
import math

import numpy as np

__all__ = ["helpers", "fast_exp", "cpu_math"]

_NS = {}


def helpers():
    """A namespace with ``radd, rmul, vmax, vmin, exp32, exp64, fexp, isnan`` (the generic ones
    dispatch on float/integer types)."""
    h = _NS.get("h")
    if h is not None:
        return h
    from types import SimpleNamespace

    from llvmlite import ir
    from numba import njit, types
    from numba.extending import intrinsic, overload

    def _same_float(a, b):
        return isinstance(a, types.Float) and a == b

    @intrinsic
    def radd_f(typingctx, a, b):
        if not _same_float(a, b):
            return None

        def codegen(context, builder, sig, args):
            return builder.fadd(args[0], args[1], flags=("reassoc", "nsz"))
        return a(a, b), codegen

    @intrinsic
    def rmul_f(typingctx, a, b):
        if not _same_float(a, b):
            return None

        def codegen(context, builder, sig, args):
            return builder.fmul(args[0], args[1], flags=("reassoc", "nsz"))
        return a(a, b), codegen

    def _minmax_intrinsic(name):
        @intrinsic
        def f(typingctx, a, b):
            if not _same_float(a, b):
                return None

            def codegen(context, builder, sig, args):
                ty = args[0].type
                fn = builder.module.declare_intrinsic(name, [ty], ir.FunctionType(ty, [ty, ty]))
                return builder.call(fn, args)
            return a(a, b), codegen
        return f

    fmaximum = _minmax_intrinsic("llvm.maximum")     # IEEE 754-2019 maximum: NaN propagates
    fminimum = _minmax_intrinsic("llvm.minimum")

    @intrinsic
    def fma(typingctx, a, b, c):
        """``a * b + c`` rounded once (``llvm.fma``: one vfmadd where the CPU has FMA). Written out
        where it is wanted, so the result does not depend on whether LLVM chose to contract."""
        if not (_same_float(a, b) and a == c):
            return None

        def codegen(context, builder, sig, args):
            ty = args[0].type
            fn = builder.module.declare_intrinsic("llvm.fma", [ty], ir.FunctionType(ty, [ty, ty, ty]))
            return builder.call(fn, args)
        return a(a, b, c), codegen

    @intrinsic
    def pow2_f32(typingctx, f):
        """2**f for an integral float32 ``f`` in [-126, 127]: the exponent bits, no libm."""
        if f != types.float32:
            return None

        def codegen(context, builder, sig, args):
            i32 = ir.IntType(32)
            i = builder.fptosi(args[0], i32)
            i = builder.shl(builder.add(i, ir.Constant(i32, 127)), ir.Constant(i32, 23))
            return builder.bitcast(i, ir.FloatType())
        return types.float32(f), codegen

    @intrinsic
    def pow2_f64(typingctx, f):
        """2**f for an integral float64 ``f`` in [-1022, 1023]."""
        if f != types.float64:
            return None

        def codegen(context, builder, sig, args):
            i64 = ir.IntType(64)
            i = builder.fptosi(args[0], i64)
            i = builder.shl(builder.add(i, ir.Constant(i64, 1023)), ir.Constant(i64, 52))
            return builder.bitcast(i, ir.DoubleType())
        return types.float64(f), codegen

    f4 = np.float32
    # float32: Cephes expf. x = n ln2 + r, |r| <= ln2/2, e**r by a degree-7 polynomial; ln2 in two
    # parts (C1 exact in a few bits) so r is exact. 2**n = 2**n1 * 2**n2 with n1 = floor(n/2): both
    # are normal even for subnormal results, and the last multiply rounds once.
    LOG2E32, HALF32, ONE32, ZERO32 = f4(1.4426950408889634), f4(0.5), f4(1.0), f4(0.0)
    NC1_32, NC2_32 = f4(-0.693145751953125), f4(-1.428606765330187045e-06)     # -C1, -C2: r = fma(fn, -C1, x)
    P0, P1, P2, P3, P4, P5 = (f4(0.000198527617612853646278381), f4(0.00139304355252534151077271),
                              f4(0.00833336077630519866943359), f4(0.0416664853692054748535156),
                              f4(0.166666671633720397949219), f4(0.5))
    HI32 = f4(88.72283935546875)      # exp(HI32) rounds to inf in float32
    LO32 = f4(-103.97208404541016)    # below this exp(x) rounds to 0 (half the smallest subnormal)
    INF32 = f4(np.inf)

    @njit(inline="always")
    def exp32(x):
        xc = x if x >= LO32 else LO32                     # NaN -> LO32: the integer part stays defined
        xc = HI32 if xc > HI32 else xc
        fn = np.floor(fma(xc, LOG2E32, HALF32))
        r = fma(fn, NC1_32, xc)
        r = fma(fn, NC2_32, r)
        p = fma(fma(fma(fma(fma(P0, r, P1), r, P2), r, P3), r, P4), r, P5)
        p = fma(p, r * r, r) + ONE32
        fn1 = np.floor(fn * HALF32)
        y = p * pow2_f32(fn1) * pow2_f32(fn - fn1)
        y = INF32 if x > HI32 else y
        y = y if x >= LO32 else ZERO32
        return x if x != x else y

    # float64: the same reduction (fdlibm's two-part ln2) and a degree-13 Taylor polynomial on
    # |r| <= ln2/2 (truncation error < 1e-17 relative).
    LOG2E64, LN2HI, LN2LO = 1.4426950408889634, 6.93147180369123816490e-01, 1.90821492927058770002e-10
    HI64, LO64 = 709.782712893384, -745.1332191019412
    C = [1.0 / math.factorial(k) for k in range(14)]
    Q13, Q12, Q11, Q10, Q9, Q8, Q7, Q6, Q5, Q4, Q3, Q2 = (C[13], C[12], C[11], C[10], C[9], C[8], C[7],
                                                          C[6], C[5], C[4], C[3], C[2])

    @njit(inline="always")
    def exp64(x):
        xc = x if x >= LO64 else LO64
        xc = HI64 if xc > HI64 else xc
        # no FMA here: with FMA Horner steps this polynomial measured 1.001 ulp (<= 1 without)
        fn = np.floor(xc * LOG2E64 + 0.5)
        r = (xc - fn * LN2HI) - fn * LN2LO
        p = ((((((((((Q13 * r + Q12) * r + Q11) * r + Q10) * r + Q9) * r + Q8) * r + Q7) * r + Q6) * r
                 + Q5) * r + Q4) * r + Q3) * r + Q2
        p = p * (r * r) + r + 1.0
        fn1 = np.floor(fn * 0.5)
        y = p * pow2_f64(fn1) * pow2_f64(fn - fn1)
        y = np.inf if x > HI64 else y
        y = y if x >= LO64 else 0.0
        return x if x != x else y

    @intrinsic
    def f2i(typingctx, f):
        """The bits of a float32 as an int32."""
        if f != types.float32:
            return None

        def codegen(context, builder, sig, args):
            return builder.bitcast(args[0], ir.IntType(32))
        return types.int32(f), codegen

    @intrinsic
    def i2f(typingctx, i):
        """The float32 whose bits are the low 32 bits of an integer."""
        if not isinstance(i, types.Integer):
            return None

        def codegen(context, builder, sig, args):
            v = args[0]
            if v.type.width != 32:
                v = builder.trunc(v, ir.IntType(32))
            return builder.bitcast(v, ir.FloatType())
        return types.float32(i), codegen

    # float32 tanh (Cephes tanhf): |x| < 0.625: x + x z P(z), z = x*x; else sign(x) (1 - 2 / (e**2|x| + 1))
    # (exp32 overflows to inf for large |x|: the result is exactly +-1). Both sides are computed and one
    # selected, so the loop stays branch-free. <= 1.31 ulp (NumPy's SIMD tanh: 1.37), tested.
    T0, T1, T2, T3, T4 = (f4(-5.70498872745e-3), f4(2.06390887954e-2), f4(-5.37397155531e-2),
                          f4(1.33314422036e-1), f4(-3.33332819422e-1))
    TSMALL, TWO32 = f4(0.625), f4(2.0)

    @njit(inline="always")
    def tanh32(x):
        a = abs(x)
        z = x * x
        p = fma(fma(fma(fma(T0, z, T1), z, T2), z, T3), z, T4)
        small = fma(p * z, x, x)
        big = ONE32 - TWO32 / (exp32(a + a) + ONE32)
        big = big if x >= ZERO32 else -big
        r = small if a < TSMALL else big
        return x if a == ZERO32 else r                   # keeps -0.0

    # float32 log (Cephes logf): x = m 2**e with m in [sqrt(1/2), sqrt(2)) from the bits (subnormals
    # scaled by 2**23 first), log(m) = f - f**2/2 + f**3 P(f) with f = m - 1, plus e ln2 in two parts.
    # <= 0.82 ulp (NumPy's SIMD log: 3.4), tested; 0 -> -inf, x < 0 -> NaN, +inf and NaN pass through.
    L0, L1, L2, L3, L4, L5, L6, L7, L8 = (f4(7.0376836292e-2), f4(-1.1514610310e-1), f4(1.1676998740e-1),
                                          f4(-1.2420140846e-1), f4(1.4249322787e-1), f4(-1.6668057665e-1),
                                          f4(2.0000714765e-1), f4(-2.4999993993e-1), f4(3.3333331174e-1))
    SQRT2_32, MINNORM32, TWO23_32, F23_32 = f4(1.41421356237), f4(1.17549435e-38), f4(8388608.0), f4(23.0)
    LN2LO32, LN2HI32, NHALF32, F127_32 = f4(-2.12194440e-4), f4(0.693359375), f4(-0.5), f4(127.0)
    NINF32, NAN32 = f4(-np.inf), f4(np.nan)

    @njit(inline="always")
    def log32(x):
        tiny = x < MINNORM32
        bits = f2i(x * TWO23_32 if tiny else x)
        e = (bits >> 23) & 255
        m = i2f((bits & 0x007FFFFF) | 0x3F800000)          # [1, 2)
        big = m > SQRT2_32
        m = m * HALF32 if big else m
        ef = f4(e) - F127_32 + (ONE32 if big else ZERO32) - (F23_32 if tiny else ZERO32)
        f = m - ONE32
        z = f * f
        y = fma(fma(fma(fma(fma(fma(fma(fma(L0, f, L1), f, L2), f, L3), f, L4), f, L5), f, L6), f, L7), f, L8)
        y = fma(ef, LN2LO32, y * f * z)
        y = fma(z, NHALF32, y)
        r = fma(ef, LN2HI32, f + y)
        r = NINF32 if x == ZERO32 else r
        r = NAN32 if x < ZERO32 else r
        return x if (x != x or x == INF32) else r

    # float32 log1p = log(u) + (x - (u - 1)) / u, u = 1 + x rounded: the second term corrects u's
    # rounding to first order (Goldberg's log(u) * x / (u - 1) measured 2.3 ulp); x where u == 1
    # (tiny x); u == 0 or +inf: log(u) alone. <= 1.5 ulp, tested.
    @njit(inline="always")
    def log1p32(x):
        u = x + ONE32
        c = (x - (u - ONE32)) / u
        c = ZERO32 if (u == ZERO32 or u == INF32) else c
        r = log32(u) + c
        return x if u == ONE32 else r

    # float32 erf: |x| < 1: x + x Q(x*x) (Q: degree-6 fit of erf(x)/x - 1 in x*x); 1 <= |x| < 3.92:
    # sign(x) (1 - exp(R(|x| - 1))) (R: degree-9 fit of log(erfc), centred at 1 so the float32 Horner
    # steps do not cancel where erfc is largest); beyond, +-1. Fitted with NumPy least squares
    # against math.erf/erfc in float64 (the script is in tests/kernels/test_cpu_vector_math.py's
    # docstring). <= 1.04 ulp, tested.
    E0, E1, E2, E3, E4, E5, E6 = (f4(0.12837916612625122), f4(-0.3761262595653534), f4(0.1128358244895935),
                                  f4(-0.026853691786527634), f4(0.0051880995742976665),
                                  f4(-0.0008008193108253181), f4(7.847262168070301e-05))
    R0, R1, R2, R3, R4, R5, R6, R7, R8, R9 = (
        f4(-1.8496055603027344), f4(-2.638967990875244), f4(-0.8431021571159363), f4(-0.04158579558134079),
        f4(0.010096658021211624), f4(-0.0020736006554216146), f4(0.00033164158230647445),
        f4(-3.6839122913079336e-05), f4(2.3423056063620606e-06), f4(-5.307067496573836e-08))
    ERF_ONE_AT = f4(3.92)

    @njit(inline="always")
    def erf32(x):
        a = abs(x)
        s = x * x
        small = fma(x, fma(fma(fma(fma(fma(fma(E6, s, E5), s, E4), s, E3), s, E2), s, E1), s, E0), x)
        u = a - ONE32
        q = fma(fma(fma(fma(fma(fma(fma(fma(fma(R9, u, R8), u, R7), u, R6), u, R5), u, R4), u, R3), u, R2), u,
                    R1), u, R0)
        big = ONE32 - exp32(q)
        big = ONE32 if a >= ERF_ONE_AT else big
        big = big if x >= ZERO32 else -big
        return small if a < ONE32 else big                # NaN: a < 1 is false, exp32(NaN) is NaN

    def fexp(x):           # typed by the overload below; Python fallback for completeness
        return np.exp(x)

    @overload(fexp)
    def _fexp(x):
        if x == types.float32:
            return lambda x: exp32(x)
        if x == types.float64:
            return lambda x: exp64(x)
        return lambda x: math.exp(x)              # integers etc.: libm, as math.exp would

    def radd(a, b):
        return a + b

    def rmul(a, b):
        return a * b

    @overload(radd)
    def _radd(a, b):
        if _same_float(a, b):
            return lambda a, b: radd_f(a, b)
        if isinstance(a, types.Integer) and isinstance(b, types.Integer):
            return lambda a, b: a + b          # integer adds are associative: LLVM vectorises them
        return None

    @overload(rmul)
    def _rmul(a, b):
        if _same_float(a, b):
            return lambda a, b: rmul_f(a, b)
        if isinstance(a, types.Integer) and isinstance(b, types.Integer):
            return lambda a, b: a * b
        return None

    def vmax(a, b):
        return max(a, b)

    def vmin(a, b):
        return min(a, b)

    @overload(vmax, inline="always")
    def _vmax(a, b):
        if _same_float(a, b):
            return lambda a, b: fmaximum(a, b)
        if isinstance(a, types.Integer) and isinstance(b, types.Integer):
            return lambda a, b: a if a >= b else b
        return None

    @overload(vmin, inline="always")
    def _vmin(a, b):
        if _same_float(a, b):
            return lambda a, b: fminimum(a, b)
        if isinstance(a, types.Integer) and isinstance(b, types.Integer):
            return lambda a, b: a if a <= b else b
        return None

    def isnan(v):
        return v != v

    @overload(isnan)
    def _isnan(v):
        if isinstance(v, types.Float):
            return lambda v: v != v
        return lambda v: False

    h = _NS["h"] = SimpleNamespace(radd=radd, rmul=rmul, vmax=vmax, vmin=vmin, exp32=exp32, exp64=exp64,
                                   fexp=fexp, isnan=isnan, fma=fma, tanh32=tanh32, log32=log32,
                                   log1p32=log1p32, erf32=erf32)
    return h


def _exp_array():
    k = _NS.get("exp_array")
    if k is not None:
        return k
    from numba import njit
    fexp = helpers().fexp

    @njit(cache=True)
    def exp_array(x, out):
        for i in range(x.shape[0]):
            out[i] = fexp(x[i])

    k = _NS["exp_array"] = exp_array
    return k


def fast_exp(x, out=None):
    """Elementwise ``exp`` with the kernels' polynomial, for float32/float64 arrays (used by tests and
    benchmarks to check ``exp32``/``exp64`` against NumPy)."""
    x = np.asarray(x)
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"fast_exp takes float32 or float64 arrays, not {x.dtype}")
    flat = np.ascontiguousarray(x).reshape(-1)
    res = np.empty_like(flat)
    _exp_array()(flat, res)
    res = res.reshape(x.shape)
    if out is None:
        return res
    out[...] = res
    return out


def cpu_math(float_type=None):
    """A stand-in for ``math`` in CPU scalar formulas: everything is ``math``'s, except

    - ``float_type=np.float32`` (formulas compiled for float32/float16 data): ``exp``, ``tanh``, ``log``,
      ``log1p`` and ``erf`` are ``exp32``, ``tanh32``, ``log32``, ``log1p32`` and ``erf32``, inlined into
      the formula (libm's calls keep a loop scalar: on 1 Mi float32, tanh 20.5 -> 0.70 ms, log 4.2 ->
      0.56 ms, erf 13.6 -> 1.1 ms on one core);
    - otherwise ``exp`` is ``exp32``/``exp64`` by argument type (``math.exp`` for other types), the rest
      libm's.

    (An ``@overload`` stand-in is compiled as a separate function, which LLVM did not inline for the
    larger ``erf32``: the loop stayed scalar at 13.6 ms; hence the direct helpers for float32.)"""
    key = "math32" if float_type is np.float32 else "math"
    m = _NS.get(key)
    if m is not None:
        return m
    import types as pytypes
    h = helpers()
    m = pytypes.ModuleType("hybridnet_cpu_math")
    m.__dict__.update({k: v for k, v in vars(math).items() if not k.startswith("__")})
    if key == "math32":
        m.exp, m.tanh, m.log, m.log1p, m.erf = h.exp32, h.tanh32, h.log32, h.log1p32, h.erf32
        m._hn_float64 = cpu_math()      # for @scalar_helper(float64=True) helpers (formula.prepare)
    else:
        m.exp = h.fexp                  # exp32 / exp64 by argument type, libm for others
    _NS[key] = m
    return m
