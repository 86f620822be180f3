"""(a) Elementwise fusion: a 20-op chain on 1M float32, side by side.

Two chains on a float32 vector of 2**20 elements:

* ``mix``: sigmoid / scale / shift / relu repeated 5 times (20 ops, 5 ``exp``);
* ``cheap``: scale / shift / relu / scale repeated 5 times (20 ops, no transcendental): its fused
  kernel should be limited by memory, so it is also reported in GB/s (4 MiB read + 4 MiB written per
  call) against the machine's bandwidth for the same working set (a Numba ``prange`` copy of the same
  arrays, measured here) and for DRAM (``bench_stream.py``, run as a subprocess).

Frameworks, each in its own interpreter (``--framework``):

* ``hybridnet``: eager ``nd`` ops, and ``graph.compile(fn)`` (traced, passes incl. fusion: one generated
  Numba kernel). JIT compile time of the fused kernel is reported separately (cold: empty
  ``HYBRIDNET_CACHE_DIR``; warm: a second process with the disk cache filled);
* ``mxnet`` (1.9.1, ``/work/mx-oracle/bin/python``): the same chain as ``mx.sym``, ``simple_bind``,
  ``forward(is_train=False)`` + ``wait_to_read``;
* ``torch`` (``/work/torch-venv/bin/python``): ``torch.compile(fn)`` (inductor, C++ codegen) and eager.

Threads pinned to 2 everywhere. ``python benchmarks/bench_fusion.py`` runs all and prints a table
(``--json`` for the raw numbers, ``--markdown`` for the BENCHMARKS.md section).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

N = 1 << 20
HERE = os.path.dirname(os.path.abspath(__file__))
PY = {"hybridnet": os.environ.get("HN_BENCH_PY", "/work/venv/bin/python"),
      "mxnet": os.environ.get("HN_BENCH_MXNET_PY", "/work/mx-oracle/bin/python"),
      "torch": os.environ.get("HN_BENCH_TORCH_PY", "/work/torch-venv/bin/python")}


def chain(x, sigmoid, relu, kind):
    """The chain written once for every framework: ``sigmoid``/``relu`` are the framework's functions,
    scale and shift are ``*`` and ``+`` with Python scalars."""
    for k in range(20):
        r = k % 4
        if kind == "mix":
            x = sigmoid(x) if r == 0 else x * 1.5 if r == 1 else x + (-0.5) if r == 2 else relu(x)
        else:
            x = x * 1.25 if r == 0 else x + (-0.25) if r == 1 else relu(x) if r == 2 else x * 0.75
    return x


def _times(fn, repeat):
    s = _common.bench(fn, repeat, warmup=3)
    return {"ms_median": round(_common.median(s) * 1e3, 4), "ms_min": round(min(s) * 1e3, 4)}


def run_hybridnet(a):
    import numpy as np
    import hybridnet as mx
    from hybridnet import graph, nd
    from hybridnet.kernels.fusion.compile import compile_stats
    x = nd.array(np.random.default_rng(0).uniform(-2, 2, N).astype(np.float32))
    out = {"version": mx.__version__ if hasattr(mx, "__version__") else "0.1.0", "chains": {}}
    for kind in ("mix", "cheap"):
        def fn(v, kind=kind):
            return chain(v, nd.sigmoid, nd.relu, kind)
        eager = lambda: fn(x).wait_to_read()          # noqa: E731
        eager()
        cf = graph.compile(fn)
        c0 = compile_stats["cpu"][1]
        import time
        t = time.perf_counter()
        cf(x).wait_to_read()
        first = time.perf_counter() - t
        jit = compile_stats["cpu"][1] - c0
        ref = fn(x).asnumpy()
        got = cf(x).asnumpy()
        err = float(np.max(np.abs(ref.astype(np.float64) - got)))
        fused = [n for n in cf.entry(x).forward.graph.nodes if getattr(n.op, "fusion", None) is not None]
        k = fused[0].op.kernels["cpu"]
        dst = np.empty(N, np.float32)
        out["chains"][kind] = {"eager": _times(eager, a.repeat), "fused": _times(lambda: cf(x).wait_to_read(), a.repeat),
                               "kernel_out": _times(lambda: k(x._data, out=dst), a.repeat),
                               "jit_s": round(jit, 3), "first_call_s": round(first, 3), "max_abs_err": err,
                               "fused_nodes": len(fused),
                               "graph_nodes": len(cf.entry(x).forward.graph.nodes)}
    # one eager op of each kind: what bounds "fused vs eager" for a compute-bound chain (markdown())
    out["eager_op"] = {"sigmoid": _times(lambda: nd.sigmoid(x).wait_to_read(), a.repeat),
                       "mul_scalar": _times(lambda: (x * 1.5).wait_to_read(), a.repeat)}
    # same working set, memory-bound reference: a parallel Numba copy of 4 MiB -> 4 MiB
    import numba

    @numba.njit(parallel=True)
    def pcopy(src, dst):
        for i in numba.prange(src.size):
            dst[i] = src[i]
    src = np.ones(N, np.float32)
    dst = np.empty(N, np.float32)
    t = _times(lambda: pcopy(src, dst), a.repeat * 3)
    out["copy_same_size"] = {**t, "GBps_best": round(2 * 4 * N / (t["ms_min"] / 1e3) / 1e9, 2)}
    # the cheap chain's fused kernel where DRAM is the bound: 2**24 float32 (64 MiB in, 64 MiB out;
    # the 1 Mi arrays above sit in the 32 MiB L3), against a parallel copy of the same arrays
    big = 1 << 24
    xb = nd.array(np.random.default_rng(0).uniform(-2, 2, big).astype(np.float32))
    cf = graph.compile(lambda v: chain(v, nd.sigmoid, nd.relu, "cheap"))
    cf(xb)
    kb = [n for n in cf.entry(xb).forward.graph.nodes if getattr(n.op, "fusion", None) is not None][0].op.kernels["cpu"]
    srcb, dstb = xb.asnumpy(), np.empty(big, np.float32)
    kt = _times(lambda: kb(xb._data, out=dstb), a.repeat)
    ct = _times(lambda: pcopy(srcb, dstb), a.repeat)
    gbs = lambda ms: round(2 * 4 * big / (ms / 1e3) / 1e9, 2)   # noqa: E731
    out["cheap_dram"] = {"n": big, "kernel": kt, "copy": ct, "kernel_GBps_best": gbs(kt["ms_min"]),
                         "kernel_GBps_median": gbs(kt["ms_median"]), "copy_GBps_best": gbs(ct["ms_min"]),
                         "copy_GBps_median": gbs(ct["ms_median"])}
    return out


def run_mxnet(a):
    import mxnet as mx
    import numpy as np
    out = {"version": mx.__version__, "chains": {}}
    xv = np.random.default_rng(0).uniform(-2, 2, N).astype(np.float32)
    for kind in ("mix", "cheap"):
        data = mx.sym.var("data")
        s = chain(data, mx.sym.sigmoid, mx.sym.relu, kind)
        exe = s.simple_bind(mx.cpu(), data=(N,), grad_req="null")
        exe.arg_dict["data"][:] = xv

        def fwd():
            exe.forward(is_train=False)
            exe.outputs[0].wait_to_read()
        xnd = mx.nd.array(xv)
        res = {"graph": _times(fwd, a.repeat),
               "eager": _times(lambda: chain(xnd, mx.nd.sigmoid, mx.nd.relu, kind).wait_to_read(), a.repeat)}
        out["chains"][kind] = res
    return out


def run_torch(a):
    import numpy as np
    import torch
    torch.set_num_threads(a.threads)
    out = {"version": torch.__version__, "chains": {}}
    x = torch.from_numpy(np.random.default_rng(0).uniform(-2, 2, N).astype(np.float32))
    import time
    for kind in ("mix", "cheap"):
        def fn(v, kind=kind):
            return chain(v, torch.sigmoid, torch.relu, kind)
        res = {"eager": _times(lambda: fn(x), a.repeat)}
        try:
            cfn = torch.compile(fn)
            t = time.perf_counter()
            with torch.no_grad():
                cfn(x)
            res["compile_s"] = round(time.perf_counter() - t, 2)

            def run():
                with torch.no_grad():
                    cfn(x)
            res["compiled"] = _times(run, a.repeat)
        except Exception as e:   # no C++ compiler etc.: report eager only, with the reason
            res["compiled_error"] = f"{type(e).__name__}: {str(e)[:200]}"
        out["chains"][kind] = res
    return out


def _sub(framework, a, env=None):
    cmd = [PY[framework], os.path.abspath(__file__), "--framework", framework, "--repeat", str(a.repeat),
           "--threads", str(a.threads)]
    if not os.path.exists(PY[framework]):
        return {"skipped": f"{PY[framework]} not found"}
    _common.wait_for_idle(a.threads, 30)
    r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if r.returncode != 0:
        return {"error": r.stderr[-2000:]}
    return json.loads(r.stdout.strip().splitlines()[-1])


def _stream(a):
    r = subprocess.run([PY["hybridnet"], os.path.join(HERE, "bench_stream.py"), "--threads", str(a.threads),
                        "--repeat", "5"], capture_output=True, text=True)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": r.stderr[-1000:]}


def markdown(res):
    hn, mxr, th = res["hybridnet"], res["mxnet"], res["torch"]
    lines = ["| chain | hybridnet eager | hybridnet fused | MXNet eager | MXNet bound graph | torch eager | "
             "torch.compile | fused vs hn eager | fused vs MXNet graph | fused vs torch.compile |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for kind in ("mix", "cheap"):
        h = hn["chains"][kind]
        m = mxr.get("chains", {}).get(kind, {})
        t = th.get("chains", {}).get(kind, {})
        f = h["fused"]["ms_median"]

        def g(d, k):
            return d.get(k, {}).get("ms_median")

        def fmt(v):
            return "-" if v is None else f"{v:.3f}"

        def ratio(v):
            return "-" if v is None else f"{v / f:.1f}x"
        lines.append(f"| {kind} | {fmt(g(h, 'eager'))} | {fmt(f)} | {fmt(g(m, 'eager'))} | {fmt(g(m, 'graph'))} | "
                     f"{fmt(g(t, 'eager'))} | {fmt(g(t, 'compiled'))} | {ratio(g(h, 'eager'))} | "
                     f"{ratio(g(m, 'graph'))} | {ratio(g(t, 'compiled'))} |")
    cheap = hn["chains"]["cheap"]["fused"]
    gbps = round(2 * 4 * N / (cheap["ms_min"] / 1e3) / 1e9, 2)
    kern = hn["chains"]["cheap"]["kernel_out"]
    kgbps = round(2 * 4 * N / (kern["ms_min"] / 1e3) / 1e9, 2)
    kgbps_med = round(2 * 4 * N / (kern["ms_median"] / 1e3) / 1e9, 2)
    copy = hn["copy_same_size"]["GBps_best"]
    st = res.get("stream", {}).get("sizes", {})
    dram = st.get("dram", {}).get("cases", {}).get("numba_parallel_copy", {}).get("GBps_best")
    lines += ["", f"Times in ms per call (median of {res['repeat']}), 2**20 float32, 2 threads. "
              "`mix` = (sigmoid, x*1.5, x-0.5, relu) x 5; `cheap` = (x*1.25, x-0.25, relu, x*0.75) x 5.", "",
              f"Fused `cheap` kernel alone (`out=` a preallocated array): {kern['ms_median']:.3f} ms median, "
              f"{kern['ms_min']:.3f} ms best = {kgbps_med} / **{kgbps} GB/s** (8 MiB moved) = "
              f"{100 * kgbps_med / copy:.0f}% / **{100 * kgbps / copy:.0f}%** of a parallel Numba copy of the same "
              f"arrays ({copy} GB/s, L3-resident)"
              + (f", {100 * kgbps / dram:.0f}% of the DRAM copy bandwidth ({dram} GB/s)." if dram else ".") + " "
              f"Whole compiled call (fresh output array each call): {gbps} GB/s best = "
              f"**{100 * gbps / copy:.0f}%** of a parallel Numba copy of the same arrays ({copy} GB/s, L3-resident)"
              + (f", {100 * gbps / dram:.0f}% of the DRAM copy bandwidth ({dram} GB/s, `bench_stream.py`)." if dram else ".")]
    d = hn.get("cheap_dram")
    if d:
        lines += ["", f"Where DRAM is the bound (2**24 float32, 64 MiB in + 64 MiB out): the fused `cheap` kernel "
                  f"{d['kernel_GBps_median']} / **{d['kernel_GBps_best']} GB/s** (median / best) = "
                  f"{100 * d['kernel_GBps_median'] / d['copy_GBps_median']:.0f}% / "
                  f"**{100 * d['kernel_GBps_best'] / d['copy_GBps_best']:.0f}%** of a parallel copy of the same "
                  f"arrays ({d['copy_GBps_median']} / {d['copy_GBps_best']} GB/s)"
                  + (f", {100 * d['kernel_GBps_best'] / dram:.0f}% of STREAM's DRAM copy ({dram} GB/s)." if dram
                     else "."), ""]
    op = hn.get("eager_op")
    if op:
        S, C = op["sigmoid"]["ms_median"], op["mul_scalar"]["ms_median"]
        e = hn["chains"]["mix"]["eager"]["ms_median"]
        lines += [f"Ceiling for `mix` (compute-bound): an eager sigmoid takes S = {S:.3f} ms and an eager scalar "
                  f"multiply C = {C:.3f} ms (eager ops with an expensive formula use both cores from 64 Ki "
                  f"elements). A fused kernel computing its 5 sigmoids at the eager kernel's cost, with the 15 "
                  f"cheap ops free, takes 5 x S = {5 * S:.3f} ms: at most **{e / (5 * S):.1f}x** eager. More "
                  "needs a cheaper sigmoid, which eager shares.", ""]
    for kind in ("mix", "cheap"):
        h = hn["chains"][kind]
        w = res.get("warm", {}).get(kind, ("?", "?"))
        lines.append(f"- `{kind}`: {h['graph_nodes']} node(s) after the passes ({h['fused_nodes']} fused); JIT compile of "
                     f"the fused kernel {h['jit_s']} s cold (empty cache dir), {w[0]} s warm (Numba disk cache, "
                     f"new process); whole first call (trace + passes + compile + run) {h['first_call_s']} s cold, "
                     f"{w[1]} s warm; max |fused - eager| = {h['max_abs_err']:.2g}")
    for kind in ("mix", "cheap"):
        t = th.get("chains", {}).get(kind, {})
        if "compile_s" in t:
            lines.append(f"- torch.compile `{kind}`: first call (compile) {t['compile_s']} s")
        elif "compiled_error" in t:
            lines.append(f"- torch.compile `{kind}` failed ({t['compiled_error']}); eager torch reported")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--framework", choices=("hybridnet", "mxnet", "torch"))
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json")
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--no-stream", action="store_true")
    a = p.parse_args()
    _common.pin_threads(a.threads)
    if a.framework:
        _common.emit({"hybridnet": run_hybridnet, "mxnet": run_mxnet, "torch": run_torch}[a.framework](a))
        return
    res = {"bench": "fusion", "repeat": a.repeat, "machine": _common.machine_info()}
    with tempfile.TemporaryDirectory() as cache:
        env = {"HYBRIDNET_CACHE_DIR": cache}
        res["hybridnet"] = _sub("hybridnet", a, env)        # cold: compiles the fused kernels
        warm = _sub("hybridnet", a, env)                    # warm: loads them from the disk cache
        res["warm"] = {k: (v["jit_s"], v["first_call_s"]) for k, v in warm.get("chains", {}).items()}
    res["mxnet"] = _sub("mxnet", a)
    res["torch"] = _sub("torch", a)
    if not a.no_stream:
        res["stream"] = _stream(a)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    print(markdown(res))


if __name__ == "__main__":
    main()
