"""Random number generation: one generator per device, and the samplers the random kernels share.

Generators. The CPU has one NumPy ``Generator(PCG64)`` (all ``cpu(i)`` are the same host). Each GPU has
its own: a CuPy ``RandomState`` on a real GPU, and under ``NUMBA_ENABLE_CUDASIM=1`` (device arrays are
NumPy arrays there) a NumPy ``Generator`` of its own, so GPU draws are reproducible in CI too.
Generators are created on first use from the current seed; the process starts as if ``seed(0)`` had
been called (MXNet 1.x also starts from a fixed seed, so two runs draw the same numbers).

Seeding (``mx.random.seed``): ``seed(s)`` reseeds every device from ``s`` and the device id, so
``gpu(0)`` and ``gpu(1)`` draw different numbers; ``seed(s, device)`` reseeds that device from ``s``
alone, so ``seed(s, gpu(0))`` and ``seed(s, gpu(1))`` give the same sequence. ``s`` is truncated to a C
``int`` as MXNet does.

Samplers. ``Engine`` wraps one generator behind a small array-API surface (NumPy or CuPy); the
samplers below (``uniform``, ``normal``, ``multinomial``, ...) are written once against it and are
used by both ``kernels/cpu/random.py`` and ``kernels/cuda/random.py``. Nothing here imports cupy until
a real GPU asks for its generator.
"""
import threading

import numpy as np

from . import backend

__all__ = ["seed", "engine_for", "Engine", "uniform", "normal", "randint", "exponential", "gamma",
           "poisson", "sample_uniform", "sample_normal", "sample_exponential", "sample_gamma",
           "sample_poisson", "multinomial", "multinomial_backward", "shuffle"]

_DEVTYPE_ID = {"cpu": 1, "gpu": 2}
_lock = threading.Lock()
_global_seed = [0]
_engines = {}      # (device_type, device_id) -> Engine
_pinned = {}       # (device_type, device_id) -> seed material set by seed(s, device)


def _key(device):
    return ("cpu", 0) if device.device_type == "cpu" else ("gpu", device.device_id)


def _c_int(s):
    """MXNet passes the seed as a C ``int``: wrap to 32 bits, then use the bits as unsigned."""
    s = int(s)
    return ((s + 2 ** 31) % 2 ** 32 - 2 ** 31) & 0xFFFFFFFF


def seed(seed_state, device=None):
    """Reseed every device (``device=None``) or one device. See the module doc."""
    s = _c_int(seed_state)
    with _lock:
        if device is None:
            _global_seed[0] = s
            _pinned.clear()
            _engines.clear()
        else:
            key = _key(device)
            _pinned[key] = [s, _DEVTYPE_ID[key[0]], 0]
            _engines.pop(key, None)


def engine_for(device):
    """The ``Engine`` drawing numbers for ``device`` (created on first use from the current seed)."""
    key = _key(device)
    e = _engines.get(key)
    if e is None:
        with _lock:
            e = _engines.get(key)
            if e is None:
                material = _pinned.get(key) or [_global_seed[0], _DEVTYPE_ID[key[0]], key[1]]
                e = _engines[key] = _make_engine(key, material)
    return e


def _make_engine(key, material):
    ss = np.random.SeedSequence(material)
    if key[0] == "cpu" or backend.is_simulator():
        return Engine(np, np.random.Generator(np.random.PCG64(ss)), None)
    cp = backend._cupy()
    with cp.cuda.Device(key[1]):
        rs = cp.random.RandomState(int(ss.generate_state(1, np.uint64)[0]))
    return Engine(cp, rs, key[1])


class Engine:
    """One device's generator behind the calls the samplers need. ``xp`` is numpy or cupy."""

    def __init__(self, xp, gen, cuda_device):
        self.xp = xp
        self.gen = gen
        self.numpy = xp is np
        self.cuda_device = cuda_device   # CuPy device id to draw on (None: NumPy)
        self.lock = threading.Lock()     # NumPy generators are not thread-safe

    def on_device(self):
        if self.cuda_device is None:
            return _nullcontext
        return self.xp.cuda.Device(self.cuda_device)

    # Floating draws are made in float32 or float64 (float16 is drawn in float32 and cast).
    def random(self, size, dtype):
        if self.numpy:
            return self.gen.random(size, dtype=dtype)
        return self.gen.random_sample(size, dtype=dtype)

    def standard_normal(self, size, dtype):
        return self.gen.standard_normal(size, dtype=dtype)

    def standard_exponential(self, size, dtype):
        return self.gen.standard_exponential(size, dtype=dtype)

    def standard_gamma(self, shape, size, dtype):
        return self.gen.standard_gamma(shape, size, dtype=dtype)

    def poisson(self, lam, size):
        return self.gen.poisson(lam, size)

    def integers(self, low, high, size, dtype):
        if self.numpy:
            return self.gen.integers(low, high, size, dtype=dtype)
        n = high - low
        if n <= 2 ** 32:
            # CuPy's randint rejects with host round trips (about 70 ms for 1e7 on an H100); a float64
            # draw scaled to the range is one kernel, with a bias below n / 2**53.
            u = self.gen.random_sample(size, dtype=np.float64)
            r = self.xp.minimum(self.xp.floor(u * n).astype(np.int64), n - 1)
            return (r + low).astype(dtype)
        return self.gen.randint(low, high, size, dtype=dtype)

    def permutation(self, n):
        return self.gen.permutation(n)


class _NullContext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


_nullcontext = _NullContext()


def _draw_dtype(dtype):
    """The dtype draws are made in: float16 is drawn in float32 (no generator makes half floats)."""
    return np.float64 if np.dtype(dtype) == np.float64 else np.float32


def _emit(eng, r, dtype, out):
    r = r.astype(dtype, copy=False)
    if out is None:
        return r
    out[...] = r
    return out


def _half_open(xp, r, low, high, dtype):
    """Keep ``low + (high - low) * u`` below ``high`` after rounding (``u < 1`` can round up)."""
    if high > low:
        top = float(np.nextafter(np.asarray(high, dtype), np.asarray(low, dtype)))
        r = xp.minimum(r.astype(dtype, copy=False), top)
    return r


# --- scalar-parameter samplers (``_random_*`` and ``_random_*_like``) ---

def uniform(eng, shape, dtype, low, high, out=None):
    with eng.lock, eng.on_device():
        u = eng.random(shape, _draw_dtype(dtype))
        r = u * (high - low) + low if (low, high) != (0, 1) else u
        return _emit(eng, _half_open(eng.xp, r, low, high, dtype), dtype, out)


def normal(eng, shape, dtype, loc, scale, out=None):
    with eng.lock, eng.on_device():
        z = eng.standard_normal(shape, _draw_dtype(dtype))
        if (loc, scale) != (0, 1):
            z = z * scale + loc
        return _emit(eng, z, dtype, out)


def randint(eng, shape, dtype, low, high, out=None):
    with eng.lock, eng.on_device():
        return _emit(eng, eng.integers(low, high, shape, dtype), dtype, out)


def exponential(eng, shape, dtype, lam, out=None):
    with eng.lock, eng.on_device():
        e = eng.standard_exponential(shape, _draw_dtype(dtype))
        return _emit(eng, e / lam if lam != 1 else e, dtype, out)


def gamma(eng, shape, dtype, alpha, beta, out=None):
    with eng.lock, eng.on_device():
        g = eng.standard_gamma(alpha, shape, _draw_dtype(dtype))
        return _emit(eng, g * beta if beta != 1 else g, dtype, out)


def poisson(eng, shape, dtype, lam, out=None):
    with eng.lock, eng.on_device():
        return _emit(eng, eng.poisson(lam, shape), dtype, out)


# --- per-element parameters (``_sample_*``): output shape = param shape + sample shape ---

def _params(eng, params, sample_shape, dtype):
    """Parameter arrays as the draw dtype, with ``len(sample_shape)`` trailing axes of size 1."""
    cd = _draw_dtype(dtype)
    base = params[0].shape
    return [p.astype(cd, copy=False).reshape(base + (1,) * len(sample_shape)) for p in params], \
        tuple(base) + tuple(sample_shape), cd


def sample_uniform(eng, low, high, sample_shape, dtype, out=None):
    with eng.lock, eng.on_device():
        (lo, hi), size, cd = _params(eng, (low, high), sample_shape, dtype)
        return _emit(eng, lo + (hi - lo) * eng.random(size, cd), dtype, out)


def sample_normal(eng, mu, sigma, sample_shape, dtype, out=None):
    with eng.lock, eng.on_device():
        (m, s), size, cd = _params(eng, (mu, sigma), sample_shape, dtype)
        return _emit(eng, m + s * eng.standard_normal(size, cd), dtype, out)


def sample_exponential(eng, lam, sample_shape, dtype, out=None):
    with eng.lock, eng.on_device():
        (lm,), size, cd = _params(eng, (lam,), sample_shape, dtype)
        return _emit(eng, eng.standard_exponential(size, cd) / lm, dtype, out)


def sample_gamma(eng, alpha, beta, sample_shape, dtype, out=None):
    with eng.lock, eng.on_device():
        xp = eng.xp
        (a, b), size, cd = _params(eng, (alpha, beta), sample_shape, dtype)
        a = xp.ascontiguousarray(xp.broadcast_to(a, size))
        bad = ~(a >= 0)                  # negative or NaN shape: NaN, not a generator error
        g = eng.standard_gamma(xp.where(bad, 1, a).astype(cd, copy=False), size, cd) * b
        return _emit(eng, xp.where(bad, np.nan, g), dtype, out)


def sample_poisson(eng, lam, sample_shape, dtype, out=None):
    with eng.lock, eng.on_device():
        xp = eng.xp
        (lm,), size, _ = _params(eng, (lam,), sample_shape, np.float64)
        lm = xp.ascontiguousarray(xp.broadcast_to(lm, size))
        bad = ~((lm >= 0) & (lm < 1e15))  # negative, NaN or beyond the generator's range: NaN
        r = eng.poisson(xp.where(bad, 0, lm), size).astype(np.float64)
        return _emit(eng, xp.where(bad, np.nan, r), dtype, out)


# --- categorical sampling and shuffling ---

def multinomial(eng, data, sample_shape, get_prob, dtype, out=None):
    """Draw ``prod(sample_shape)`` category indices per distribution along ``data``'s last axis.

    As MXNet: the sample is the first category whose running sum of probabilities reaches a uniform
    draw ``u`` in [0, 1) (rows need not be normalised; if a row sums to less than ``u`` the last
    category is returned where MXNet would read past the row). Negative probabilities count as 0.
    One ``searchsorted`` over all rows at once: row ``i``'s cumulative sums, clipped to [0, 1], are
    offset by ``2 i`` so the concatenated rows stay sorted.
    """
    xp = eng.xp
    k = data.shape[-1]
    batch = data.shape[:-1]
    n = int(np.prod(batch, dtype=np.int64))
    m = int(np.prod(sample_shape, dtype=np.int64))
    out_shape = (tuple(sample_shape) or (1,)) if data.ndim == 1 else tuple(batch) + tuple(sample_shape)
    with eng.lock, eng.on_device():
        u = eng.random((n, m), np.float64)
    with eng.on_device():
        p = xp.maximum(data.reshape(n, k).astype(np.float64), 0)
        cdf = xp.minimum(xp.cumsum(p, axis=1), 1.0)
        cdf[:, -1] = 1.0
        offs = 2.0 * xp.arange(n, dtype=np.float64)
        flat = (cdf + offs[:, None]).ravel()
        pos = xp.searchsorted(flat, (u + offs[:, None]).ravel(), side="right").reshape(n, m)
        idx = pos - (xp.arange(n, dtype=pos.dtype) * k)[:, None]
        idx = xp.minimum(idx, k - 1)
        s = idx.reshape(out_shape)
        if out is not None and not isinstance(out, (tuple, list)):
            out = (out,)
        res_s = _emit(eng, s, dtype, out[0] if out is not None else None)
        if not get_prob:
            return res_s
        prob = xp.log(xp.take_along_axis(data.reshape(n, k), idx, axis=1)).reshape(out_shape)
        return res_s, _emit(eng, prob, data.dtype, out[1] if out is not None else None)


def multinomial_backward(xp, ograd, data, sample, out=None):
    """Gradient of ``log(data[..., sample])`` w.r.t. ``data``: ``ograd / p`` added at each sample."""
    k = data.shape[-1]
    n = int(np.prod(data.shape[:-1], dtype=np.int64))
    g = xp.zeros((n, k), data.dtype)
    m = int(np.prod(sample.shape[data.ndim - 1:], dtype=np.int64))
    idx = sample.reshape(n, m).astype(np.int64)
    if idx.size:
        picked = xp.take_along_axis(data.reshape(n, k), idx, axis=1)
        vals = (ograd.reshape(n, m) / picked).astype(data.dtype, copy=False)
        flat_idx = (idx + (xp.arange(n, dtype=np.int64) * k)[:, None]).ravel()
        add_at = getattr(xp.add, "at", None)
        if add_at is not None:           # NumPy, CuPy >= 13
            add_at(g.reshape(-1), flat_idx, vals.ravel())
        else:
            import cupyx
            cupyx.scatter_add(g.reshape(-1), flat_idx, vals.ravel())
    g = g.reshape(data.shape)
    if out is None:
        return g
    out[...] = g
    return out


def shuffle(eng, x, out=None):
    """A copy of ``x`` with its first axis randomly permuted."""
    with eng.lock, eng.on_device():
        perm = eng.permutation(x.shape[0])
        if out is None:
            return eng.xp.take(x, perm, axis=0)
        out[...] = eng.xp.take(x, perm, axis=0)
        return out


# --- kernels: one set, bound to a way of finding the engine (CPU, or the GPU the call runs on) ---

_SCALAR = {"uniform": (uniform, ("low", "high")), "normal": (normal, ("loc", "scale")),
           "exponential": (exponential, ("lam",)), "gamma": (gamma, ("alpha", "beta")),
           "poisson": (poisson, ("lam",))}
_SAMPLE = {"uniform": sample_uniform, "normal": sample_normal, "exponential": sample_exponential,
           "gamma": sample_gamma, "poisson": sample_poisson}


def make_kernels(engine_of):
    """Destination-passing kernels for every random op. ``engine_of(arrays, ctx)`` returns the
    ``Engine`` of the device the call runs on (from its array inputs, else the ``ctx`` attribute)."""
    ks = {}
    for dist, (fn, pnames) in _SCALAR.items():
        def k(out=None, shape=(), ctx=None, dtype=None, _fn=fn, _p=pnames, **params):
            dt = np.dtype(dtype) if dtype is not None else np.dtype(np.float32)
            return _fn(engine_of((), ctx), tuple(shape), dt, *[params[n] for n in _p], out=out)

        def k_like(data, out=None, _fn=fn, _p=pnames, **params):
            return _fn(engine_of((data,), None), data.shape, data.dtype, *[params[n] for n in _p], out=out)
        ks[f"_random_{dist}"] = k
        ks[f"_random_{dist}_like"] = k_like

    def k_randint(out=None, low=0, high=1, shape=(), ctx=None, dtype=None):
        dt = np.dtype(dtype) if dtype is not None else np.dtype(np.int32)
        return randint(engine_of((), ctx), tuple(shape), dt, low, high, out=out)
    ks["_random_randint"] = k_randint

    for dist, fn in _SAMPLE.items():
        def k_sample(*params, out=None, shape=(), dtype=None, _fn=fn):
            dt = np.dtype(dtype) if dtype is not None else np.dtype(np.float32)
            return _fn(engine_of(params, None), *params, tuple(shape), dt, out=out)
        ks[f"_sample_{dist}"] = k_sample

    def k_multinomial(data, out=None, shape=(), get_prob=False, dtype=np.int32):
        return multinomial(engine_of((data,), None), data, tuple(shape), get_prob, np.dtype(dtype), out=out)
    ks["_sample_multinomial"] = k_multinomial

    def k_multinomial_backward(ograd, data, sample, out=None):
        eng = engine_of((data,), None)
        with eng.on_device():
            return multinomial_backward(eng.xp, ograd, data, sample, out=out)
    ks["_backward_sample_multinomial"] = k_multinomial_backward

    def k_shuffle(data, out=None):
        return shuffle(engine_of((data,), None), data, out=out)
    ks["_shuffle"] = k_shuffle
    return ks
