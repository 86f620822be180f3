"""Run every benchmark for every framework, side by side, and print one report (optionally into BENCHMARKS.md).

Each framework runs in its own interpreter as a subprocess (``bench_*.py --framework X``) with the same
thread pinning; results come back as JSON. Runs are interleaved over ``--rounds`` (framework A, B, C,
D, then again) and the median over rounds is reported, because the machine may be shared; before each
subprocess the driver waits (up to ``--wait-idle`` s) for the CPUs to be idle and records how idle
they were.

Interpreters (a framework whose interpreter is missing or cannot import it is reported as skipped):

* hybridnet and NumPy: ``--hybridnet-python`` (default ``$HN_BENCH_PY``, else /work/venv/bin/python if
  it exists, else this interpreter);
* MXNet 1.9.1: ``--mxnet-python`` (default ``$HN_BENCH_MXNET_PY`` or /work/mx-oracle/bin/python);
* PyTorch: ``--torch-python`` (default ``$HN_BENCH_TORCH_PY`` or /work/torch-venv/bin/python).

    python benchmarks/run_all.py                       # everything, print the report
    python benchmarks/run_all.py --only dispatch       # one benchmark
    python benchmarks/run_all.py --write-md BENCHMARKS.md --json results.json
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import _common  # noqa: E402

BENCHES = ("stream", "dispatch", "bandwidth", "compile", "threshold", "guard", "mlp", "models")
MODULE = {"hybridnet": "hybridnet", "numpy": "numpy", "mxnet": "mxnet", "torch": "torch"}
# Extra rows for the bandwidth benchmark: (script framework, extra environment).
VARIANTS = {"hybridnet-serial": ("hybridnet", {"HYBRIDNET_PARALLEL_MIN_SIZE": str(2 ** 62)}),
            "hybridnet-parallel": ("hybridnet", {"HYBRIDNET_PARALLEL_MIN_SIZE": "131072"})}
BEGIN, END = "<!-- run_all:begin -->", "<!-- run_all:end -->"
MLP_BEGIN, MLP_END = "<!-- run_all_mlp:begin -->", "<!-- run_all_mlp:end -->"
MODELS_BEGIN, MODELS_END = "<!-- run_all_models:begin -->", "<!-- run_all_models:end -->"


def _default(env, path, fallback=None):
    if os.environ.get(env):
        return os.environ[env]
    if path and os.path.exists(path):
        return path
    return fallback


class Runner:
    def __init__(self, a):
        self.a = a
        self.py = {"hybridnet": a.hybridnet_python, "numpy": a.hybridnet_python,
                   "mxnet": a.mxnet_python, "torch": a.torch_python}
        self.skipped = {}
        self.log = []

    def env(self):
        e = dict(os.environ)
        n = str(self.a.threads)
        for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS",
                  "MXNET_OMP_MAX_THREADS"):
            e[k] = n
        e["PYTHONPATH"] = ROOT + os.pathsep + e.get("PYTHONPATH", "")
        return e

    def available(self, fw):
        py = self.py.get(fw)
        if fw in self.skipped:
            return False
        if not py or not os.path.exists(py):
            self.skipped[fw] = f"interpreter {py!r} not found"
            return False
        r = subprocess.run([py, "-c", f"import {MODULE[fw]}"], capture_output=True, text=True, env=self.env())
        if r.returncode != 0:
            self.skipped[fw] = f"{py} cannot import {MODULE[fw]}: {r.stderr.strip().splitlines()[-1:]}"
            return False
        return True

    def run(self, py, script, *args, env_extra=None, check=True):
        idle = _common.wait_for_idle(self.a.threads - 0.2, self.a.wait_idle) if self.a.wait_idle else None
        env = self.env()
        env.update(env_extra or {})
        cmd = [py, os.path.join(HERE, script), *map(str, args)]
        t = time.time()
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
        line = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
        self.log.append({"cmd": " ".join(cmd[1:]), "rc": p.returncode, "idle_cpus_before": idle,
                         "wall_s": round(time.time() - t, 1)})
        if not line.startswith("{"):
            if check:
                raise RuntimeError(f"{' '.join(cmd)} failed (rc {p.returncode}):\n{p.stdout[-2000:]}\n"
                                   f"{p.stderr[-4000:]}")
            return None
        r = json.loads(line)
        r["_idle_cpus_before"] = idle
        r["_rc"] = p.returncode
        return r


# ---- the benchmarks --------------------------------------------------------------------------------
def run_framework_bench(R, script, fws, rounds, extra=(), variants=()):
    per = {fw: [] for fw in list(fws) + list(variants)}
    for _ in range(rounds):
        for fw in per:
            base, env = VARIANTS.get(fw, (fw, None))
            per[fw].append(R.run(R.py[base], script, "--framework", base, "--threads", R.a.threads, *extra,
                                 env_extra=env))
    return per


def agg_dispatch(per):
    out = {}
    for fw, rs in per.items():
        if not rs:
            continue
        out[fw] = {"version": rs[0]["version"],
                   "us_per_op": _common.median([r["us_per_op_median"] for r in rs]),
                   "us_per_op_rounds": [r["us_per_op_median"] for r in rs],
                   "us_per_op_min": min(r["us_per_op_min"] for r in rs),
                   "breakdown_us": {k: round(_common.median([r["breakdown_us"][k] for r in rs]), 3)
                                    for k in rs[0]["breakdown_us"]},
                   "checksum": rs[0]["checksum"],
                   "idle_cpus_before": [r["_idle_cpus_before"] for r in rs]}
    return out


def agg_bandwidth(per):
    out = {}
    for fw, rs in per.items():
        if not rs:
            continue
        cases = {}
        for c in rs[0]["cases"]:
            ms = [r["cases"][c]["ms"] for r in rs]
            gb = [r["cases"][c]["GBps"] for r in rs]
            cases[c] = {"ms": round(_common.median(ms), 3), "ms_min": min(r["cases"][c]["ms_min"] for r in rs),
                        "GBps": round(_common.median(gb), 2),
                        "max_abs_err": max(r["cases"][c]["max_abs_err"] for r in rs)}
        out[fw] = {"version": rs[0]["version"], "cases": cases, "missing": rs[0]["missing"],
                   "parallel_min_size": rs[0].get("parallel_min_size"),
                   "idle_cpus_before": [r["_idle_cpus_before"] for r in rs]}
    return out


def agg_stream(rs):
    out = {}
    for size in rs[0]["sizes"]:
        out[size] = {c: round(max(r["sizes"][size]["cases"][c]["GBps_best"] for r in rs), 2)
                     for c in rs[0]["sizes"][size]["cases"]}
    return {"GBps_best": out, "threading_layer": rs[0].get("threading_layer")}


def bench_compile(R, rounds):
    rs = []
    for _ in range(rounds):
        d = tempfile.mkdtemp(prefix="hn_numba_cache_")
        try:
            cold = R.run(R.py["hybridnet"], "bench_compile.py", "--phase", "cold", "--cache-dir", d)
            warm = R.run(R.py["hybridnet"], "bench_compile.py", "--phase", "warm", "--cache-dir", d)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        rs.append((cold, warm))
    ops = {}
    for op in rs[0][0]["ops"]:
        if rs[0][0]["ops"][op] is None:
            ops[op] = None
            continue
        ops[op] = {ph: {"first_s": round(_common.median([r[i]["ops"][op]["first_s"] for r in rs]), 4),
                        "steady_us": round(_common.median([r[i]["ops"][op]["steady_us"] for r in rs]), 2)}
                   for i, ph in enumerate(("cold", "warm"))}
    return {"ops": ops,
            "import_hybridnet_s": round(_common.median([r[0]["import_hybridnet_s"] for r in rs]), 3),
            "import_numba_s": round(_common.median([r[0]["import_numba_s"] for r in rs]), 3),
            "cache_files": rs[0][1]["cache_files"], "rounds": rounds}


def bench_threshold(R, rounds, layers):
    from bench_parallel_threshold import crossover
    out = {}
    for layer in layers:
        extra = ("--threading-layer", layer) if layer else ()
        rs = [R.run(R.py["hybridnet"], "bench_parallel_threshold.py", "--threads", R.a.threads, *extra)
              for _ in range(rounds)]
        ops = {}
        for op in rs[0]["ops"]:
            # min over rounds, like the min over samples inside a round: the uncontended time
            rows = [[rs[0]["ops"][op]["rows_us"][i][0]] +
                    [round(min(r["ops"][op]["rows_us"][i][j] for r in rs), 2)
                     for j in range(1, len(rs[0]["ops"][op]["rows_us"][i]))]
                    for i in range(len(rs[0]["ops"][op]["rows_us"]))]
            sizes = [row[0] for row in rows]
            ops[op] = {"rows_us": rows,
                       "crossover_parallel": crossover(sizes, [r[1] for r in rows], [r[2] for r in rows]),
                       "crossover_prange": (crossover(sizes, [r[1] for r in rows], [r[3] for r in rows])
                                            if len(rows[0]) > 3 else None)}
        out[rs[0]["threading_layer"]] = {"ops": ops, "columns": rs[0]["columns"],
                                         "omp_wait_policy": rs[0]["omp_wait_policy"],
                                         "PARALLEL_MIN_SIZE": rs[0]["current_PARALLEL_MIN_SIZE"]}
    return out


# (framework, mode) rows of the MLP benchmark, in run order
MLP_CONFIGS = (("hybridnet", "eager"), ("hybridnet", "hybrid"), ("mxnet", "eager"), ("mxnet", "hybrid"),
               ("torch", "eager"))


# rows of the MLP benchmark only: the step hand-written on NumPy (the floor of OpenBLAS-based frameworks)
MLP_FLOOR_CONFIGS = (("numpy", "gemms"), ("numpy", "floor"))


def bench_mlp(R, fws, rounds, extra=()):
    """Issue 4's Gluon MLP benchmark: every (framework, mode) once per round, interleaved."""
    per = {c: [] for c in MLP_CONFIGS + MLP_FLOOR_CONFIGS if c[0] in fws}
    for _ in range(rounds):
        for fw, mode in per:
            per[(fw, mode)].append(R.run(R.py[fw], "bench_mlp_training.py", "--framework", fw, "--mode", mode,
                                         "--threads", R.a.threads, *extra))
    out = {}
    for (fw, mode), rs in per.items():
        out[f"{fw}/{mode}"] = {
            "framework": fw, "mode": mode, "version": rs[0]["version"], "loss_fn": rs[0]["loss_fn"],
            "samples_per_s": round(_common.median([r["samples_per_s_median"] for r in rs]), 1),
            "samples_per_s_rounds": [r["samples_per_s_median"] for r in rs],
            "samples_per_s_best": max(r["samples_per_s_best"] for r in rs),
            "first_step_s": round(_common.median([r["first_step_s"] for r in rs]), 3),
            "second_step_ms": round(_common.median([r["second_step_ms"] for r in rs]), 2),
            "infer_us": round(_common.median([r["infer_us_median"] for r in rs]), 1),
            "infer_us_best": min(r["infer_us_best"] for r in rs),
            "infer_first_s": round(_common.median([r["infer_first_s"] for r in rs]), 4),
            "losses": rs[0]["losses"],
            "idle_cpus_before": [r["_idle_cpus_before"] for r in rs]}
    return out


MODEL_WORKLOADS = ("lenet", "resnet20", "lstm", "transformer", "lenet_infer")


def bench_models(R, fws, rounds, workloads, profile_workloads, extra=()):
    """Issue 5's model benchmarks: per round, per workload, every (framework, mode) once (interleaved);
    then ``profile_models.py`` (BLAS GFLOP/s + op-kind profile) for each of ``profile_workloads``."""
    per = {(w, fw, mode): [] for w in workloads for fw, mode in MLP_CONFIGS if fw in fws}
    for _ in range(rounds):
        for w in workloads:
            for fw, mode in MLP_CONFIGS:
                if fw not in fws:
                    continue
                r = R.run(R.py[fw], "bench_models.py", "--framework", fw, "--mode", mode, "--workload", w,
                          "--threads", R.a.threads, *extra, check=False)
                if r is None:
                    r = {"error": R.log[-1]}
                r["_loadavg"] = os.getloadavg()[0]
                per[(w, fw, mode)].append(r)
    out = {"rows": {}, "profiles": {}}
    for (w, fw, mode), rs in per.items():
        ok = [r for r in rs if "error" not in r]
        row = {"workload": w, "framework": fw, "mode": mode, "rounds": len(ok),
               "errors": [r["error"] for r in rs if "error" in r],
               "idle_cpus_before": [r.get("_idle_cpus_before") for r in rs],
               "loadavg": [round(r["_loadavg"], 2) for r in rs]}
        if ok:
            row["version"] = ok[0]["version"]
            if w == "lenet_infer":
                row.update(us=round(_common.median([r["us_median"] for r in ok]), 1),
                           us_rounds=[r["us_median"] for r in ok], us_best=min(r["us_best"] for r in ok),
                           first_call_s=round(_common.median([r["first_call_s"] for r in ok]), 4))
            else:
                row.update(per_s=round(_common.median([r["per_s_median"] for r in ok]), 1),
                           per_s_rounds=[r["per_s_median"] for r in ok],
                           per_s_best=max(r["per_s_best"] for r in ok), unit=ok[0]["unit"],
                           ms_per_step=round(_common.median([r["ms_per_step_median"] for r in ok]), 2),
                           first_step_s=round(_common.median([r["first_step_s"] for r in ok]), 3),
                           losses=ok[0]["losses_first_second_warm_last"])
        out["rows"][f"{w}/{fw}/{mode}"] = row
    if "hybridnet" in fws:
        for w in profile_workloads:
            r = R.run(R.py["hybridnet"], "profile_models.py", "--workload", w, "--mode", "hybrid", "--threads",
                      R.a.threads, "--json", *(() if w == profile_workloads[0] else ("--no-blas",)), check=False)
            out["profiles"][w] = r if r is not None else {"error": R.log[-1]}
    return out


def _traj_diff(a, b):
    return max(abs(x - y) for x, y in zip(a, b)) if a and b else None


# ---- the report ------------------------------------------------------------------------------------
def _table(header, rows):
    w = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda r: "| " + " | ".join(str(x).ljust(n) for x, n in zip(r, w)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (n + 2) for n in w) + "|"] + [line(r) for r in rows])


def _pms(n):
    return "?" if n is None else ("2**62, never parallel" if n >= 2 ** 62 else str(n))


def _f(x, nd=2):
    return "—" if x is None else f"{x:.{nd}f}"


def report(res, a, machine, cmdline):
    out = [f"Generated by `{cmdline}` on {time.strftime('%Y-%m-%d %H:%M')}.", ""]
    m = machine
    out.append(f"Machine: {m.get('Model name', '?')}, {m.get('CPU(s)', '?')} CPUs "
               f"({m.get('Core(s) per socket', '?')} cores/socket, {m.get('Thread(s) per core', '?')} "
               f"thread/core), L2 {m.get('L2 cache', '?')}, L3 {m.get('L3 cache', '?')}, SIMD {m.get('simd', '?')}, "
               f"{m.get('mem_gib', '?')} GiB RAM, {m.get('Hypervisor vendor', 'bare metal')} VM; "
               f"Python {m.get('python')}; threads pinned to {a.threads} (OMP/MKL/OpenBLAS/Numba/MXNet); "
               f"median of {a.rounds} interleaved rounds.")
    if res.get("versions"):
        out.append("Versions: " + ", ".join(f"{k} {v}" for k, v in res["versions"].items()) + ".")
    if res.get("skipped"):
        out.append("Skipped: " + "; ".join(f"{k}: {v}" for k, v in res["skipped"].items()) + ".")
    out.append("")
    st = res.get("stream")
    if st:
        out += ["### Memory bandwidth (STREAM, `bench_stream.py`)", ""]
        out += ['Command: `python benchmarks/run_all.py --only stream --rounds 3` (one round: `/work/venv/bin/python benchmarks/bench_stream.py --threads 2`).', ""]
        cases = list(st["GBps_best"]["dram"])
        out.append(_table(["kernel"] + [f"GB/s {s}" for s in st["GBps_best"]],
                          [[c] + [_f(st["GBps_best"][s][c]) for s in st["GBps_best"]] for c in cases]))
        out += ["", "`dram`: 128 MiB float64 arrays (> 4x L3); `16MiB`: 4096x1024 float32, the size of the "
                "bandwidth benchmark (partly L3-resident). Best run over all rounds (15 runs per round).", ""]
    d = res.get("dispatch")
    if d:
        out += ["### (a) Eager dispatch: 1,000 chained ops on 16 float32 (`bench_dispatch.py`)", ""]
        out += ['Command: `python benchmarks/run_all.py --only dispatch --rounds 3` (one round of one framework: `<its python> benchmarks/bench_dispatch.py --framework hybridnet|mxnet|torch|numpy --threads 2`).', ""]
        t = d.get("torch", {}).get("us_per_op")
        tm = d.get("torch", {}).get("us_per_op_min")
        rows = []
        for fw in ("hybridnet", "mxnet", "torch", "numpy"):
            if fw in d:
                r = d[fw]
                b = r["breakdown_us"]
                rows.append([fw, r["version"], _f(r["us_per_op"]), _f(r["us_per_op_min"]),
                             _f(r["us_per_op"] / t) + "x" if t else "—",
                             _f(r["us_per_op_min"] / tm) + "x" if tm else "—",
                             _f(b["mul"]), _f(b["plus_scalar"]), _f(b["relu"]), _f(b["exp"])])
        out.append(_table(["framework", "version", "µs/op (median)", "µs/op (best)", "vs PyTorch (median)",
                           "vs PyTorch (best)",
                           "mul", "+scalar", "relu", "exp"], rows))
        h = d.get("hybridnet", {}).get("us_per_op")
        hm = d.get("hybridnet", {}).get("us_per_op_min")
        mx = d.get("mxnet", {}).get("us_per_op")
        mxm = d.get("mxnet", {}).get("us_per_op_min")
        if h and t:
            ok = h <= 1.5 * t and hm <= 1.5 * tm
            out += ["", f"Target hybridnet <= 1.5x PyTorch: {h / t:.2f}x (median), {hm / tm:.2f}x (best) -> "
                    f"**{'met' if ok else 'NOT met'}** (both must hold)."
                    + (f" Target below MXNet: {h / mx:.2f}x (median), {hm / mxm:.2f}x (best) of MXNet -> "
                       f"**{'met' if h < mx and hm < mxm else 'NOT met'}**." if mx else "")]
        out += ["", "Median: median over rounds of each round's median chain; best: fastest chain of all "
                "rounds (least disturbed by other load). Per-op columns: µs per call of one op kind called "
                "1,000 times (median).", ""]
    b = res.get("bandwidth")
    if b:
        out += ["### (b) Bandwidth on 4096x1024 float32 (`bench_bandwidth.py`)", ""]
        out += ['Command: `python benchmarks/run_all.py --only stream,bandwidth --rounds 3` (one round: `<its python> benchmarks/bench_bandwidth.py --framework F --threads 2`; the serial/parallel rows set `HYBRIDNET_PARALLEL_MIN_SIZE`).', ""]
        ref = (st or {}).get("GBps_best", {})
        copy16 = ref.get("16MiB", {}).get("numpy_copy")
        copyd = ref.get("dram", {}).get("numpy_copy")
        rows = []
        for case in ("mul_add", "relu", "softmax"):
            tt = b.get("torch", {}).get("cases", {}).get(case, {}).get("ms")
            for fw in ("hybridnet", *VARIANTS, "mxnet", "torch", "numpy"):
                c = b.get(fw, {}).get("cases", {}).get(case)
                if fw in b and c is None:
                    rows.append([case, fw, "not implemented", "", "", "", "", ""])
                    continue
                if c is None:
                    continue
                rows.append([case, fw, _f(c["ms"], 3), _f(c["ms_min"], 3), _f(c["GBps"]),
                             f"{c['GBps'] / copy16 * 100:.0f}%" if copy16 else "—",
                             f"{c['GBps'] / copyd * 100:.0f}%" if copyd else "—",
                             _f(c["ms"] / tt) + "x" if tt else "—"])
        out.append(_table(["case", "framework", "ms (median)", "ms (best)", "GB/s (median)", "% STREAM copy 16MiB",
                           "% STREAM copy DRAM", "time vs PyTorch"], rows))
        out += ["", "Traffic counted: mul_add 4x16 MiB (two ops), relu and softmax 2x16 MiB. Eager, "
                "out-of-place (allocation included), as users write it. `hybridnet-serial`: the same "
                "hybridnet run with HYBRIDNET_PARALLEL_MIN_SIZE=2**62 (serial elementwise ufuncs and serial "
                "softmax kernels); `hybridnet-parallel`: with HYBRIDNET_PARALLEL_MIN_SIZE=131072 (parallel "
                "variants at this size); `hybridnet`: the default threshold "
                f"({_pms((b.get('hybridnet') or {}).get('parallel_min_size'))}).", ""]
    c = res.get("compile")
    if c:
        out += ["### (c) JIT compile time, hybridnet (`bench_compile.py`)", "",
                "Command: `python benchmarks/run_all.py --only compile --rounds 3` (one round: "
                "`bench_compile.py --phase cold --cache-dir D` then `--phase warm --cache-dir D` with a fresh "
                "empty D).", "",
                f"`import hybridnet`: {c['import_hybridnet_s']:.3f} s (compiles nothing); `import numba` "
                f"(paid by the first kernel): {c['import_numba_s']:.3f} s; cache files after the cold run: "
                f"{c['cache_files']}.", ""]
        rows = []
        for op, r in c["ops"].items():
            if r is None:
                rows.append([op, "not implemented", "", ""])
                continue
            rows.append([op, _f(r["cold"]["first_s"] * 1e3, 1), _f(r["warm"]["first_s"] * 1e3, 1),
                         _f(r["warm"]["steady_us"], 1)])
        out.append(_table(["op", "first call, cold cache (ms)", "first call, warm cache (ms)",
                           "steady call (µs)"], rows))
        out += ["", "First call on a 10x100 float32 array (serial kernel; the first op also pays Numba's "
                "one-time LLVM initialisation); `relu[parallel]` builds the parallel-target ufunc (what the "
                "first call at `PARALLEL_MIN_SIZE` elements compiles); its steady time is on 2**20 elements.", ""]
    th = res.get("threshold")
    if th:
        out += ["### (d) Parallel vs serial elementwise kernels (`bench_parallel_threshold.py`)", ""]
        out += ['Command: `python benchmarks/run_all.py --only threshold --threshold-rounds 3` (one round: `/work/venv/bin/python benchmarks/bench_parallel_threshold.py --threads 2 [--threading-layer workqueue]`).', ""]
        for layer, r in th.items():
            out += [f"Threading layer `{layer}`, OMP_WAIT_POLICY={r['omp_wait_policy']}, "
                    f"default PARALLEL_MIN_SIZE={_pms(r['PARALLEL_MIN_SIZE'])} (not used here). µs per call, float32, out= preallocated, "
                    f"min over interleaved samples and {a.threshold_rounds} round(s):", ""]
            ops = list(r["ops"])
            header = ["size"] + [f"{op} {col.replace('_us', '')}" for op in ops for col in r["columns"][1:]]
            n = len(r["ops"][ops[0]]["rows_us"])
            rows = [[r["ops"][ops[0]]["rows_us"][i][0]] +
                    [_f(v, 1) for op in ops for v in r["ops"][op]["rows_us"][i][1:]] for i in range(n)]
            out.append(_table(header, rows))
            out += ["", "Crossover (smallest size from which the variant beats serial at every larger size): " +
                    "; ".join(f"{op}: parallel ufunc {r['ops'][op]['crossover_parallel'] or 'never'}, "
                              f"prange {r['ops'][op]['crossover_prange'] or 'never'}" for op in ops) + ".", ""]
    m = res.get("mlp")
    if m:
        out += report_mlp(m, a)
    mo = res.get("models")
    if mo:
        out += report_models(mo, a)
    g = res.get("guard")
    if g:
        out += ["### OMP_WAIT_POLICY guard (`bench_omp_guard.py`)", ""]
        out += ['Command: `/work/venv/bin/python benchmarks/bench_omp_guard.py --threads 2` (exit status 1 when the guard fails; also run by `run_all.py`, whose exit status follows it).', ""]
        rows = [[k, v["policy_env"], v["policy_libgomp"], _f(v["matmul_before_pool_ms"], 3),
                 _f(v["matmul_pool_started_ms"], 3), _f(v["matmul_after_parallel_ms"], 3), _f(v["slowdown"]) + "x"]
                for k, v in (("hybridnet default", g["default"]), ("user forced ACTIVE", g["forced_active"]))]
        out.append(_table(["process", "env policy", "libgomp policy", "matmul before pool (ms)",
                           "pool started (ms)", "after parallel kernel (ms)", "slowdown"], rows))
        out += ["", f"Guard: **{'PASS' if g['ok'] else 'FAIL: ' + '; '.join(g['problems'])}** "
                "(512x512 float32 np.matmul; the default process must report PASSIVE and slow down <= 1.5x).", ""]
    return "\n".join(out)


def report_mlp(m, a):
    out = ["### Gluon MLP training and batch-1 inference, issue 4 (`bench_mlp_training.py`)", "",
           f"Command: `python benchmarks/run_all.py --only mlp --rounds {a.rounds}` (one round of one row: "
           "`<its python> benchmarks/bench_mlp_training.py --framework hybridnet|mxnet|torch --mode eager|hybrid "
           "--threads 2`).", ""]
    mxh = m.get("mxnet/hybrid", {})
    th = m.get("torch/eager", {})
    rows = []
    names = {"eager": "eager", "hybrid": "hybridize(static_alloc, static_shape)",
             "gemms": "the step's 8 GEMMs only (no framework)", "floor": "whole step hand-written (no framework)"}
    for k, r in m.items():
        sps = r["samples_per_s"]
        rows.append([r["framework"], names[r["mode"]] if r["framework"] != "torch" else "eager",
                     f"{sps:,.0f}", f"{r['samples_per_s_best']:,.0f}", _f(128 / sps * 1e3),
                     _f(sps / mxh["samples_per_s"]) + "x" if mxh else "—",
                     _f(sps / th["samples_per_s"]) + "x" if th else "—",
                     _f(r["first_step_s"], 3), _f(r["infer_us"], 1), _f(r["infer_us_best"], 1),
                     _f(r["infer_first_s"] * 1e3, 1)])
    out.append(_table(["framework", "mode", "samples/s (median)", "samples/s (best)", "ms/step",
                       "vs MXNet hybridized", "vs PyTorch", "first step (s)", "batch-1 µs (median)",
                       "batch-1 µs (best)", "batch-1 first call (ms)"], rows))
    hh = m.get("hybridnet/hybrid")
    if hh and mxh and th:
        s, im = hh["samples_per_s"], hh["infer_us"]
        ok1, ok2 = s >= 1.5 * mxh["samples_per_s"], s >= 1.2 * th["samples_per_s"]
        ok3, ok4 = im <= mxh["infer_us"], im <= th["infer_us"]
        out += ["", f"Targets (medians): hybridized >= 1.5x MXNet hybridized: {s / mxh['samples_per_s']:.2f}x -> "
                f"**{'met' if ok1 else 'NOT met'}**; >= 1.2x PyTorch eager: {s / th['samples_per_s']:.2f}x -> "
                f"**{'met' if ok2 else 'NOT met'}**; batch-1 latency <= MXNet hybridized: {im:.1f} vs "
                f"{mxh['infer_us']:.1f} µs -> **{'met' if ok3 else 'NOT met'}**; <= PyTorch eager: {im:.1f} vs "
                f"{th['infer_us']:.1f} µs -> **{'met' if ok4 else 'NOT met'}**."]
    g = m.get("numpy/gemms")
    if g and th:
        c = g["samples_per_s"] / th["samples_per_s"]
        out += ["", f"Floor: the step's 8 GEMMs alone, back to back on NumPy's OpenBLAS with nothing else, run at "
                f"{g['samples_per_s']:,.0f} samples/s = {c:.2f}x PyTorch's whole step; no framework built on these "
                f"GEMMs can be faster than {c:.2f}x PyTorch here (hybridnet hybridized reaches "
                f"{hh['samples_per_s'] / g['samples_per_s']:.0%} of the GEMMs-only rate)." if hh else ""]
    he = m.get("hybridnet/eager")
    checks = []
    if hh and he:
        checks.append(f"hybridnet hybridized vs eager {_traj_diff(hh['losses'], he['losses']):.2e}")
    for k in ("mxnet/hybrid", "torch/eager", "numpy/floor"):
        if hh and k in m:
            checks.append(f"hybridnet hybridized vs {k.replace('/', ' ')} {_traj_diff(hh['losses'], m[k]['losses']):.2e}")
    n = len((hh or he or {}).get("losses", []))
    out += ["", "MLP 784-512(relu)-512(relu)-10, batch 128, SGD momentum 0.9 lr 0.1, softmax cross-entropy "
            f"(Gluon: `{(hh or he or {}).get('loss_fn', '?')}`, loss block eager; PyTorch: `nn.CrossEntropyLoss`), "
            "synthetic data (fixed seed, 8 batches cycled), the same initial weights in every framework. "
            "samples/s: median over rounds of each round's median of 7 samples x 20 steps (after 5 warm-up "
            "steps); first step: the first training step of the process (JIT/trace/graph build); batch-1: "
            "`net(x)` on a (1, 784) input outside autograd (PyTorch under `no_grad`), synchronised per call.",
            "", f"Correctness: max |loss difference| over the first {n} steps (same weights, same batches): "
            + "; ".join(checks) + ".", ""]
    return out


_MODEL_TITLES = {"lenet": "LeNet training, batch 64, 1x28x28", "resnet20": "ResNet-20 training, batch 32, 3x32x32",
                 "lstm": "2-layer LSTM LM training (vocab 10k, hidden 256, seq 35, batch 32)",
                 "transformer": "pre-LN transformer encoder layer (d 256, 4 heads, FFN 1024, seq 64, batch 16), "
                                "fwd+bwd+Adam",
                 "lenet_infer": "LeNet batch-1 inference latency"}


def report_models(mo, a):
    out = ["### Model training and batch-1 inference, issue 5 (`bench_models.py`, `profile_models.py`)", "",
           f"Command: `python benchmarks/run_all.py --only models --rounds {a.rounds}` (one round of one row: "
           "`<its python> benchmarks/bench_models.py --framework hybridnet|mxnet|torch --mode eager|hybrid "
           "--workload lenet|resnet20|lstm|transformer|lenet_infer --threads 2`; the profile: "
           "`/work/venv/bin/python benchmarks/profile_models.py --workload resnet20 --mode hybrid`).", ""]
    names = {"eager": "eager", "hybrid": "hybridized"}
    rows, verdicts = [], []
    for w in MODEL_WORKLOADS:
        rs = {k.split("/", 1)[1]: v for k, v in mo["rows"].items() if v["workload"] == w}
        if not rs:
            continue
        infer = w == "lenet_infer"
        key = "us" if infer else "per_s"
        # speed relative to a peer: throughput ratio, or latency ratio inverted
        rel = (lambda r, ref: ref[key] / r[key]) if infer else (lambda r, ref: r[key] / ref[key])
        mxh, th = rs.get("mxnet/hybrid", {}), rs.get("torch/eager", {})
        for k, r in rs.items():
            if key not in r:
                rows.append([w, r["framework"], names[r["mode"]], "failed: " + str(r["errors"][:1])[:60],
                             "", "", "", "", "", ""])
                continue
            val = f"{r[key]:,.1f} µs" if infer else f"{r[key]:,.0f} {r['unit'].split('/')[0]}/s"
            best = f"{r['us_best']:,.1f}" if infer else f"{r['per_s_best']:,.0f}"
            rows.append([w, r["framework"], names[r["mode"]] if r["framework"] != "torch" else "eager", val, best,
                         "" if infer else _f(r["ms_per_step"], 1),
                         _f(rel(r, mxh)) + "x" if key in mxh else "—",
                         _f(rel(r, th)) + "x" if key in th else "—",
                         _f(r["first_call_s"] if infer else r["first_step_s"], 3),
                         ", ".join(f"{x:.1f}" for x in r["loadavg"])])
        hh = rs.get("hybridnet/hybrid", {})
        if key in hh and key in mxh and key in th:
            r1, r2 = rel(hh, mxh), rel(hh, th)
            verdicts.append(f"- {_MODEL_TITLES[w]}: hybridized vs MXNet hybridized {r1:.2f}x (target 1.2x) -> "
                            f"**{'met' if r1 >= 1.2 else 'NOT met'}**; vs PyTorch eager {r2:.2f}x (target 1.0x) -> "
                            f"**{'met' if r2 >= 1.0 else 'NOT met'}**.")
    out.append(_table(["workload", "framework", "mode", "median", "best", "ms/step", "vs MXNet hybridized",
                       "vs PyTorch", "first step / call (s)", "load avg per round"], rows))
    out += ["", "Throughput: samples/s (tokens/s for the LSTM LM: 35 x 32 per step), median over rounds of each "
            "round's median of 5 samples (each ~1.5 s of steps, after 3 warm-up steps); batch-1: µs per call. "
            "`vs` columns: speed relative to the peer (latency ratio inverted for batch-1), > 1 = hybridnet "
            "faster. First step: the process's first training step (JIT compile / trace / graph build), "
            "not in the throughput. Load average: the 1-minute load after each round's run of that row (2 CPUs; "
            "other sessions share the machine; the driver waited for idle CPUs before each run).", ""]
    out += ["Targets (issue 5: hybridized >= 1.2x MXNet hybridized and >= 1.0x PyTorch eager):", ""] + verdicts + [""]
    peak = None
    for w, pr in (mo.get("profiles") or {}).items():
        if not pr or "kinds" not in pr:
            out += [f"Profile {w}: failed ({pr.get('error') if pr else '?'})", ""]
            continue
        blas = pr.get("blas")
        if blas:
            peak = blas[str(a.threads)]["gflops_best"] if str(a.threads) in blas else blas.get(a.threads, {}).get(
                "gflops_best")
            out += [f"BLAS reference (NumPy float32 matmul {pr['gemm_n']}^3, OpenBLAS): " +
                    "; ".join(f"{k} thread(s) **{v['gflops_best']} GFLOP/s** best ({v['gflops_median']} median)"
                              for k, v in blas.items()) + ".", ""]
        out += [f"Profile of one hybridized hybridnet {w} step (`profile_models.py --workload {w}`): "
                f"{pr['step_ms']:.1f} ms/step with the kernel timers ({pr['step_ms_unwrapped']:.1f} without); "
                f"idle CPUs before {pr['idle_cpus_before']}, load {pr['loadavg']}.", ""]
        krows = []
        for k, v in pr["kinds"].items():
            gf = v.get("gflops")
            go = v.get("gemm_only_ms")
            krows.append([k, _f(v["ms"]), f"{v['share'] * 100:.1f}%", _f(gf, 1) if gf else "",
                          f"{gf / peak * 100:.0f}%" if gf and peak else "",
                          f"{go:.1f} ms = {v['gemm_only_gflops']:.0f} GFLOP/s" if go else ""])
        out.append(_table(["op kind", "ms/step", "share", "GFLOP/s", f"% of BLAS ({a.threads} threads)",
                           "its GEMMs alone (im2col+BLAS ceiling)"], krows))
        out.append("")
    return out


def write_md(path, text, begin=BEGIN, end=END):
    """Replace the text between ``begin`` and ``end`` in ``path`` (append a "Latest run" section if absent)."""
    block = f"{begin}\n{text}\n{end}"
    if os.path.exists(path):
        s = open(path).read()
        if begin in s and end in s:
            s = s[:s.index(begin)] + block + s[s.index(end) + len(end):]
        else:
            s = s.rstrip() + "\n\n## Latest run\n\n" + block + "\n"
    else:
        s = "# Benchmarks\n\n## Latest run\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(s)

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threshold-rounds", type=int, default=1,
                   help="rounds of the (slow, ~1-2 min) threshold benchmark per threading layer")
    p.add_argument("--only", default=",".join(BENCHES), help=f"comma list of {BENCHES}")
    p.add_argument("--frameworks", default="hybridnet,mxnet,torch,numpy")
    p.add_argument("--hybridnet-python", default=_default("HN_BENCH_PY", "/work/venv/bin/python", sys.executable))
    p.add_argument("--mxnet-python", default=_default("HN_BENCH_MXNET_PY", "/work/mx-oracle/bin/python"))
    p.add_argument("--torch-python", default=_default("HN_BENCH_TORCH_PY", "/work/torch-venv/bin/python"))
    p.add_argument("--threading-layers", default="default,workqueue",
                   help="Numba threading layers for the threshold benchmark ('default' = Numba's choice)")
    p.add_argument("--variants", default="hybridnet-serial,hybridnet-parallel",
                   help=f"extra bandwidth rows, from {list(VARIANTS)} (hybridnet-serial: "
                        "HYBRIDNET_PARALLEL_MIN_SIZE=2**62, serial kernels; hybridnet-parallel: 131072, "
                        "parallel kernels from 128 Ki elements)")
    p.add_argument("--workloads", default=",".join(MODEL_WORKLOADS),
                   help=f"workloads of the models benchmark, from {MODEL_WORKLOADS}")
    p.add_argument("--profile-workloads", default="resnet20",
                   help="hybridnet workloads profiled by profile_models.py after the models benchmark (the "
                        "first one also measures the BLAS GFLOP/s)")
    p.add_argument("--wait-idle", type=float, default=60.0,
                   help="seconds to wait for idle CPUs before each subprocess (0: do not wait)")
    p.add_argument("--write-md", help="replace the generated section of this Markdown file")
    p.add_argument("--json", help="write all raw results here")
    a = p.parse_args()
    only = [x.strip() for x in a.only.split(",") if x.strip()]
    bad = [x for x in only if x not in BENCHES]
    if bad:
        p.error(f"unknown benchmark(s) {bad}; choose from {BENCHES}")
    R = Runner(a)
    fws = [fw for fw in a.frameworks.split(",") if R.available(fw)]
    res = {"machine": _common.machine_info(), "threads": a.threads, "rounds": a.rounds}
    t0 = time.time()
    if "stream" in only:
        print("stream ...", file=sys.stderr, flush=True)
        res["stream"] = agg_stream([R.run(R.py["hybridnet"], "bench_stream.py", "--threads", a.threads)
                                    for _ in range(a.rounds)])
    if "dispatch" in only:
        print("dispatch ...", file=sys.stderr, flush=True)
        res["dispatch"] = agg_dispatch(run_framework_bench(R, "bench_dispatch.py", fws, a.rounds))
    if "bandwidth" in only:
        print("bandwidth ...", file=sys.stderr, flush=True)
        res["bandwidth"] = agg_bandwidth(run_framework_bench(
            R, "bench_bandwidth.py", fws, a.rounds,
            variants=[v for v in a.variants.split(",") if v and VARIANTS.get(v, ("",))[0] in fws]))
    if "compile" in only and "hybridnet" in fws:
        print("compile ...", file=sys.stderr, flush=True)
        res["compile"] = bench_compile(R, a.rounds)
    if "threshold" in only and "hybridnet" in fws:
        print("threshold ...", file=sys.stderr, flush=True)
        layers = [None if x == "default" else x for x in a.threading_layers.split(",") if x]
        res["threshold"] = bench_threshold(R, a.threshold_rounds, layers)
    if "mlp" in only:
        print("mlp ...", file=sys.stderr, flush=True)
        res["mlp"] = bench_mlp(R, fws, a.rounds)
    if "models" in only:
        print("models ...", file=sys.stderr, flush=True)
        wl = [w for w in a.workloads.split(",") if w]
        pw = [w for w in a.profile_workloads.split(",") if w]
        res["models"] = bench_models(R, fws, a.rounds, wl, pw)
    if "guard" in only and "hybridnet" in fws:
        print("guard ...", file=sys.stderr, flush=True)
        res["guard"] = R.run(R.py["hybridnet"], "bench_omp_guard.py", "--threads", a.threads, check=False)
    versions = {}
    for key in ("dispatch", "bandwidth"):
        for fw, r in (res.get(key) or {}).items():
            if fw not in VARIANTS:
                versions[fw] = r["version"]
    for r in (res.get("mlp") or {}).values():
        versions.setdefault(r["framework"], r["version"])
    for r in ((res.get("models") or {}).get("rows") or {}).values():
        if r.get("version"):
            versions.setdefault(r["framework"], r["version"])
    res["versions"] = versions
    res["skipped"] = R.skipped
    res["runs"] = R.log
    res["wall_s"] = round(time.time() - t0, 1)
    cmdline = "python benchmarks/run_all.py " + " ".join(sys.argv[1:])
    text = report(res, a, res["machine"], cmdline.strip())
    print(text)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    if a.write_md:
        if only == ["mlp"]:     # the issue-4 section has its own markers (a full run writes the run_all block)
            write_md(a.write_md, text, MLP_BEGIN, MLP_END)
        elif only == ["models"]:  # so has issue 5's
            write_md(a.write_md, text, MODELS_BEGIN, MODELS_END)
        else:
            write_md(a.write_md, text)
    g = res.get("guard")
    return 1 if g is not None and not g.get("ok", False) else 0


if __name__ == "__main__":
    sys.exit(main())
