"""Where a hybridnet training step of a ``bench_models.py`` workload goes, and the machine's BLAS peak.

1. BLAS reference: NumPy ``float32`` matmul (OpenBLAS sgemm) of ``--gemm-n`` cubed, with the BLAS
   library's threads at ``--threads`` and at 1 (GFLOP/s, best and median of ``--gemm-repeats`` calls).
2. Profile: every CPU kernel of the registry (and every kernel the graph executor / eager dispatch /
   optimizer looks up later, e.g. fused groups) is wrapped with a timer, so one step of the model is
   split by op (exclusive time: a kernel that calls another kernel is charged without it). Ops are grouped
   into kinds (FullyConnected, Convolution forward, Convolution backward data / weight, BatchNorm
   forward/backward, Pooling, optimizer updates, other) and the rest of the step (Python: Gluon, autograd,
   the executor, allocation) is the difference to the step's wall time. For Convolution,
   Deconvolution (the data gradient), ``_backward_conv_weight``, FullyConnected, ``dot`` and
   ``batch_dot`` the wrapper counts multiply-adds from the shapes, so each reports its achieved GFLOP/s
   against the BLAS number.

    python benchmarks/profile_models.py --workload resnet20 --mode hybrid [--steps 10] [--json]

``--json`` prints one JSON object as the last line (``run_all.py`` reads it).
"""
import argparse
import os
import sys
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _common  # noqa: E402


def blas_gflops(n, repeats, threads):
    """GFLOP/s of an n x n x n float32 NumPy matmul with OpenBLAS at ``threads`` threads and at 1."""
    import numpy as np
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    c = np.empty((n, n), np.float32)
    out = {}
    for nt in sorted({threads, 1}, reverse=True):
        _set_blas_threads(nt)
        np.matmul(a, b, out=c)
        ts = []
        for _ in range(repeats):
            t = time.perf_counter()
            np.matmul(a, b, out=c)
            ts.append(time.perf_counter() - t)
        flops = 2.0 * n ** 3
        out[nt] = {"gflops_best": round(flops / min(ts) / 1e9, 1),
                   "gflops_median": round(flops / _common.median(ts) / 1e9, 1)}
    _set_blas_threads(None)
    return out


def _set_blas_threads(n):
    """Set OpenBLAS's thread count through hybridnet's handle on it (None: its default, and tell
    hybridnet's per-GEMM switch so it re-sets what it needs)."""
    from hybridnet.kernels.cpu import threading as T
    if not T._BLAS["looked"]:
        T._find_openblas()
    setn = T._BLAS["set"]
    if setn is None:
        raise RuntimeError("OpenBLAS not found next to NumPy: cannot set its thread count")
    n = T._BLAS["default"] if n is None else n
    setn(n)
    T._BLAS["current"] = n


KINDS = (("FullyConnected", "FullyConnected (GEMM)"),
         ("Convolution", "Convolution forward"),
         ("Deconvolution", "Convolution backward data (Deconvolution)"),
         ("_backward_conv_weight", "Convolution backward weight"),
         ("dot", "dot / batch_dot (GEMM)"), ("batch_dot", "dot / batch_dot (GEMM)"),
         ("BatchNorm", "BatchNorm forward"), ("_backward_BatchNorm", "BatchNorm backward"),
         ("Pooling", "Pooling fwd/bwd"), ("_backward_Pooling", "Pooling fwd/bwd"),
         ("RNN", "RNN (fused LSTM)"), ("_backward_RNN", "RNN (fused LSTM)"),
         ("LayerNorm", "LayerNorm fwd/bwd"), ("_backward_LayerNorm", "LayerNorm fwd/bwd"))


def kind_of(name, doc=""):
    if name.startswith("_fused_"):
        if "_greater_scalar" in doc and "broadcast_sub" in doc:
            return "BatchNorm backward + relu mask (fused elementwise)"
        return "fused elementwise (other)"
    if name == "sum" and doc == "resnet20":
        return "BatchNorm backward reductions (sum)"
    for k, v in KINDS:
        if name == k:
            return v
    low = name.lower()
    if "update" in low:
        return "optimizer updates"
    if "rnn" in low:
        return "RNN (fused LSTM)"
    if "pool" in low:
        return "Pooling fwd/bwd"
    if "batchnorm" in low:
        return "BatchNorm backward" if "backward" in low else "BatchNorm forward"
    if "softmax" in low or "pick" in low:
        return "softmax / loss"
    return "other (elementwise, reductions, copies, ...)"


CONV_OPS = ("Convolution", "Deconvolution", "_backward_conv_weight")


def gemm_equivalent(key):
    """(M, K, N) of the one GEMM that im2col + BLAS would run for a whole-batch conv kernel call (NCHW)."""
    name, a, b, r = key
    if name == "Convolution":          # W (O, C*k) @ cols (C*k, N*Ho*Wo)
        return r[1], _prod(b[1:]), r[0] * _prod(r[2:])
    if name == "Deconvolution":        # W^T (C*k, O) @ dY (O, N*Ho*Wo), then col2im
        return _prod(b[1:]), b[0], a[0] * _prod(a[2:])
    return r[0], a[0] * _prod(a[2:]), _prod(r[1:])   # dW: dY (O, N*Ho*Wo) @ cols^T (N*Ho*Wo, C*k)


def gemm_ceiling(gemms, threads, repeats=5):
    """Seconds per step that OpenBLAS needs for the conv calls' equivalent GEMMs alone, by op (best of
    ``threads`` and 1 BLAS thread per shape): the im2col + BLAS ceiling of each conv kind."""
    import numpy as np
    out = defaultdict(float)
    cache = {}
    for key, calls in gemms.items():
        m, k, n = gemm_equivalent(key)
        if (m, k, n) not in cache:
            a = np.ones((m, k), np.float32)
            b = np.ones((k, n), np.float32)
            c = np.empty((m, n), np.float32)
            best = float("inf")
            for nt in sorted({threads, 1}):
                _set_blas_threads(nt)
                np.matmul(a, b, out=c)
                for _ in range(repeats):
                    t = time.perf_counter()
                    np.matmul(a, b, out=c)
                    best = min(best, time.perf_counter() - t)
            _set_blas_threads(None)
            cache[(m, k, n)] = best
        out[key[0]] += cache[(m, k, n)] * calls
    return out


def _size(a):
    return int(getattr(a, "size", 0) or 0)


def _prod(t):
    p = 1
    for d in t:
        p *= int(d)
    return p


def flops_of(name, args, kw, res):
    """Floating-point operations (2 x multiply-adds) of one GEMM-like kernel call, or 0."""
    try:
        if name == "Convolution":
            w = args[1]
            return 2 * _size(res) * _prod(w.shape[1:])
        if name == "Deconvolution":
            g, w = args[0], args[1]
            return 2 * _size(g) * _prod(w.shape[1:])
        if name == "_backward_conv_weight":
            return 2 * _size(args[0]) * _prod(res.shape[1:])
        if name == "FullyConnected":
            return 2 * _size(res) * int(args[1].shape[1])
        if name in ("dot", "batch_dot"):
            a = args[0]
            k = a.shape[-2] if kw.get("transpose_a") else a.shape[-1]
            return 2 * _size(res) * int(k)
    except (AttributeError, IndexError, TypeError):
        return 0
    return 0


class Profiler:
    def __init__(self):
        self.t = defaultdict(float)
        self.n = defaultdict(int)
        self.flops = defaultdict(float)
        self.stack = []
        self.on = False
        self.doc = {}
        self.gemms = defaultdict(int)   # (op, data shape, weight shape, out shape) -> calls

    def wrap(self, name, k, doc=""):
        if getattr(k, "_hn_prof", False):
            return k
        prof = self
        self.doc[name] = doc or ""

        def timed(*args, **kw):
            if not prof.on:
                return k(*args, **kw)
            prof.stack.append(0.0)
            t = time.perf_counter()
            try:
                r = k(*args, **kw)
            finally:
                dt = time.perf_counter() - t
                child = prof.stack.pop()
                if prof.stack:
                    prof.stack[-1] += dt
            prof.t[name] += dt - child
            prof.n[name] += 1
            res = r[0] if isinstance(r, (tuple, list)) else r
            f = flops_of(name, args, kw, res)
            if f:
                prof.flops[name] += f
                if name in CONV_OPS and kw.get("num_group", 1) == 1:
                    prof.gemms[(name, tuple(args[0].shape), tuple(args[1].shape), tuple(res.shape))] += 1
            return r
        timed._hn_prof = True
        timed.__name__ = getattr(k, "__name__", name)
        return timed

    def install(self):
        import hybridnet.kernels as K
        from hybridnet.ops.registry import REGISTRY
        K.load_kernels("cpu")
        seen = set()
        for op in REGISTRY.values():
            if id(op) in seen:
                continue
            seen.add(id(op))
            k = op.kernels.get("cpu")
            if k is not None:
                op.kernels["cpu"] = self.wrap(op.name, k, op.doc)
        orig = K.kernel_for

        def kernel_for(op, device):
            k = orig(op, device)
            if device.device_type == "cpu" and not getattr(k, "_hn_prof", False):
                k = op.kernels["cpu"] = self.wrap(op.name, k, getattr(op, "doc", ""))
            return k
        import importlib
        for mod in ("hybridnet.kernels", "hybridnet.graph.executor", "hybridnet.nd.eager",
                    "hybridnet.optimizer.optimizer"):
            m = importlib.import_module(mod)
            if getattr(m, "kernel_for", None) is orig:
                m.kernel_for = kernel_for


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workload", default="resnet20",
                   choices=("lenet", "resnet20", "lstm", "transformer", "lenet_infer"),
                   help="lenet_infer: one 'step' is one batch-1 inference call (use --steps 1000)")
    p.add_argument("--mode", default="hybrid", choices=("eager", "hybrid"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=10, help="profiled steps (and as many unprofiled ones before)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--gemm-n", type=int, default=2048)
    p.add_argument("--gemm-repeats", type=int, default=10)
    p.add_argument("--no-blas", action="store_true")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    _common.pin_threads(a.threads)
    import bench_models as B
    prof = Profiler()
    prof.install()
    idle = _common.wait_for_idle(a.threads - 0.2, 60)
    load0 = os.getloadavg()[0]
    blas = None if a.no_blas else blas_gflops(a.gemm_n, a.gemm_repeats, a.threads)
    fw = B.setup_gluon("hybridnet", a.mode, a.workload)
    step, sync = fw.get("step") or fw["infer"], fw["sync"]
    for _ in range(a.warmup):
        loss = step()
    sync(loss)
    # untimed steps first (the wall time without the wrappers), then the profiled ones
    t = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    sync(loss)
    plain = (time.perf_counter() - t) / a.steps
    prof.on = True
    t = time.perf_counter()
    for _ in range(a.steps):
        loss = step()
    sync(loss)
    wall = (time.perf_counter() - t) / a.steps
    prof.on = False
    n = a.steps
    ceiling = gemm_ceiling(prof.gemms, a.threads)
    ops = {name: {"ms": prof.t[name] / n * 1e3, "calls": prof.n[name] // n,
                  "kind": kind_of(name, a.workload if name == "sum" else prof.doc.get(name, "")),
                  "gemm_only_ms": round(ceiling[name] / n * 1e3, 3) if name in ceiling else None,
                  "gflops": (prof.flops[name] / prof.t[name] / 1e9) if prof.flops.get(name) else None,
                  "gflop_per_step": prof.flops[name] / n / 1e9 if prof.flops.get(name) else None}
           for name in prof.t}
    kinds = defaultdict(lambda: {"ms": 0.0, "gflop": 0.0, "gemm_ms": 0.0})
    for name, r in ops.items():
        kinds[r["kind"]]["ms"] += r["ms"]
        kinds[r["kind"]]["gflop"] += r["gflop_per_step"] or 0.0
        kinds[r["kind"]]["gemm_ms"] += r["gemm_only_ms"] or 0.0
    kern = sum(r["ms"] for r in ops.values())
    kinds["rest of the step (Python: Gluon, autograd, executor, allocation)"]["ms"] = wall * 1e3 - kern
    peak = blas[a.threads]["gflops_best"] if blas else None
    res = {"bench": "profile_models", "workload": a.workload, "mode": a.mode, "threads": a.threads,
           "idle_cpus_before": idle, "loadavg": round(load0, 2), "blas": blas, "gemm_n": a.gemm_n,
           "step_ms_unwrapped": round(plain * 1e3, 2), "step_ms": round(wall * 1e3, 2),
           "kinds": {k: {"ms": round(v["ms"], 3), "share": round(v["ms"] / (wall * 1e3), 4),
                         "gflop_per_step": round(v["gflop"], 4),
                         "gflops": round(v["gflop"] / v["ms"] * 1e3, 1) if v["gflop"] and v["ms"] > 0 else None,
                         "gemm_only_ms": round(v["gemm_ms"], 3) if v["gemm_ms"] else None,
                         "gemm_only_gflops": round(v["gflop"] / v["gemm_ms"] * 1e3, 1) if v["gemm_ms"] else None,
                         "pct_blas": (round(v["gflop"] / v["ms"] * 1e3 / peak * 100, 1)
                                      if v["gflop"] and v["ms"] > 0 and peak else None)}
                     for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]["ms"])},
           "ops": {k: {kk: (round(vv, 4) if isinstance(vv, float) else vv) for kk, vv in v.items()}
                   for k, v in sorted(ops.items(), key=lambda kv: -kv[1]["ms"])}}
    if a.json:
        _common.emit(res)
        return
    if blas:
        print("BLAS (NumPy float32 matmul %d^3): " % a.gemm_n +
              "; ".join(f"{k} thread(s) {v['gflops_best']} GFLOP/s best, {v['gflops_median']} median"
                        for k, v in blas.items()))
    print(f"{a.workload} {a.mode}: {wall * 1e3:.3f} ms/step profiled ({plain * 1e3:.1f} unwrapped); "
          f"idle CPUs before {idle}, load {load0:.2f}")
    for k, v in res["kinds"].items():
        g = f"  {v['gflops']:.1f} GFLOP/s" if v["gflops"] else ""
        g += f" = {v['pct_blas']:.0f}% BLAS" if v["pct_blas"] else ""
        if v.get("gemm_only_ms"):
            g += f"; its GEMMs alone {v['gemm_only_ms']:.2f} ms = {v['gemm_only_gflops']:.1f} GFLOP/s"
        print(f"  {k:62s} {v['ms']:8.2f} ms {v['share'] * 100:5.1f}%{g}")
    print("ops:")
    for k, v in res["ops"].items():
        g = f"  {v['gflops']:.1f} GFLOP/s" if v["gflops"] else ""
        print(f"  {k:40s} {v['ms']:8.3f} ms  x{v['calls']}{g}")


if __name__ == "__main__":
    main()
