"""(d) At what size does the parallel elementwise kernel beat the serial one on this machine?

For a cheap op (``broadcast_add``, two inputs) and expensive ones (``exp``, ``sigmoid``), float32,
contiguous, sizes 2**10 .. 2**23, destination-passing (``out=`` preallocated so allocation is not
measured), this times:

* ``serial``: hybridnet's serial ufunc (``numba.vectorize(target="cpu")`` of the op's scalar formula),
  exactly what ``kernels/cpu/elementwise.py`` runs below ``PARALLEL_MIN_SIZE``;
* ``parallel``: hybridnet's parallel ufunc (``target="parallel"``), what it runs at and above
  ``PARALLEL_MIN_SIZE`` -- with whatever Numba threading layer is active (``--threading-layer``);
* ``prange``: a candidate, ``@njit(parallel=True)`` ``prange`` loop over the flat arrays calling the
  same scalar formula (not used by hybridnet today; measured to inform the kernel design).

Samples of the variants are interleaved so load from other processes hits them alike, and the
reported time is the MIN over ``--repeat`` samples (each sample runs enough calls to take ~4 ms): the
question is what each variant does on an otherwise idle machine. Before each size the script waits
(up to ``--wait-idle`` s) for the CPUs to be idle. The crossover is the smallest size from which the
parallel variant is faster at every larger size.

    python benchmarks/bench_parallel_threshold.py [--threads 2] [--threading-layer omp|workqueue|tbb]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

OPS = ("broadcast_add", "exp", "sigmoid")


def make_prange(fn, n_in):
    """A prange kernel over flat contiguous arrays calling the scalar formula ``fn``."""
    import numba
    from hybridnet.kernels.formula import prepare
    f = numba.njit(inline="always")(prepare(fn, lambda h: numba.njit(inline="always")(h)))
    if n_in == 1:
        @numba.njit(parallel=True)
        def k1(a, out):
            for i in numba.prange(a.size):
                out[i] = f(a[i])
        return lambda a, out: k1(a, out)

    @numba.njit(parallel=True)
    def k2(a, b, out):
        for i in numba.prange(a.size):
            out[i] = f(a[i], b[i])
    return lambda a, b, out: k2(a, b, out)


def time_pair(fns, args, out, target_s=0.004, repeat=11):
    """Min over samples of seconds per call of each fn in ``fns``, samples interleaved."""
    for f in fns:
        _call(f, args, out)
    # calls per sample so that one sample of the slowest variant takes ~target_s
    t = time.perf_counter()
    for f in fns:
        _call(f, args, out)
    one = max((time.perf_counter() - t) / len(fns), 1e-7)
    number = max(1, int(target_s / one))
    samples = [[] for _ in fns]
    for _ in range(repeat):
        for i, f in enumerate(fns):
            t = time.perf_counter()
            for _ in range(number):
                _call(f, args, out)
            samples[i].append((time.perf_counter() - t) / number)
    return [min(s) for s in samples]


def _call(f, args, out):
    if isinstance(f, tuple):
        f[0](*args, out)
    else:
        f(*args, out=out)


def crossover(sizes, serial, par):
    """Smallest size from which ``par`` < ``serial`` at every larger size (None: never)."""
    best = None
    for n, s, p in reversed(list(zip(sizes, serial, par))):
        if p < s:
            best = n
        else:
            break
    return best


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--threading-layer", default=None, help="NUMBA_THREADING_LAYER (default: Numba's choice)")
    p.add_argument("--min-log2", type=int, default=10)
    p.add_argument("--max-log2", type=int, default=23)
    p.add_argument("--repeat", type=int, default=11)
    p.add_argument("--no-prange", action="store_true")
    p.add_argument("--wait-idle", type=float, default=10.0)
    a = p.parse_args()
    _common.pin_threads(a.threads)
    if a.threading_layer:
        os.environ["NUMBA_THREADING_LAYER"] = a.threading_layer
    import numpy as np
    import hybridnet  # noqa: F401  (sets OMP_WAIT_POLICY=PASSIVE before Numba starts its pool)
    import numba
    from hybridnet.device import cpu
    from hybridnet.kernels import kernel_for
    from hybridnet.kernels.cpu import threading as hthreading
    from hybridnet.ops.registry import get_op

    dt = np.dtype(np.float32)
    sizes = [2 ** k for k in range(a.min_log2, a.max_log2 + 1)]
    rng = np.random.default_rng(0)
    result = {}
    for name in OPS:
        op = get_op(name)
        k = kernel_for(op, cpu())
        ser, par = k._ufunc_for(dt, False), k._ufunc_for(dt, True)
        n_in = len(op.inputs)
        fns = [ser, par]
        if not a.no_prange:
            fns.append((make_prange(op.scalar, n_in),))
        rows = []
        for n in sizes:
            if a.wait_idle:
                _common.wait_for_idle(a.threads - 0.2, a.wait_idle)
            args = tuple(rng.uniform(-3, 3, n).astype(dt) for _ in range(n_in))
            out = np.empty(n, dt)
            ts = time_pair(fns, args, out, repeat=a.repeat)
            rows.append([n] + [round(t * 1e6, 2) for t in ts])
        serial = [r[1] for r in rows]
        result[name] = {"rows_us": rows,
                        "crossover_parallel": crossover(sizes, serial, [r[2] for r in rows]),
                        "crossover_prange": (crossover(sizes, serial, [r[3] for r in rows])
                                             if not a.no_prange else None)}
    _common.emit({"bench": "parallel_threshold", "threads": a.threads,
                  "threading_layer": numba.threading_layer(),
                  "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
                  "current_PARALLEL_MIN_SIZE": hthreading.PARALLEL_MIN_SIZE,
                  "columns": ["size", "serial_us", "parallel_ufunc_us"] + ([] if a.no_prange else ["prange_us"]),
                  "ops": result})


if __name__ == "__main__":
    main()
