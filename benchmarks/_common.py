"""Shared helpers for the benchmark scripts (stdlib + NumPy only, so every framework's interpreter can
import it: /work/venv for hybridnet, the MXNet 1.9.1 oracle venv with NumPy 1.23, the PyTorch venv).

Each ``bench_*.py`` prints ONE JSON object on its last stdout line; ``run_all.py`` collects them.
"""
import json
import os
import platform
import statistics
import subprocess
import sys
import time

FRAMEWORKS = ("hybridnet", "mxnet", "torch", "numpy")


def pin_threads(n):
    """Set every thread-count knob to ``n`` (call before importing a framework)."""
    n = str(n)
    for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS",
              "MXNET_OMP_MAX_THREADS"):
        os.environ[k] = n


def median(xs):
    return statistics.median(xs)


def emit(obj):
    """Print the result as the last stdout line (the driver reads that line)."""
    sys.stdout.flush()
    print(json.dumps(obj), flush=True)


def bench(fn, repeat, number=1, warmup=1, sync=None):
    """Run ``fn`` ``warmup`` times, then ``repeat`` samples of ``number`` calls; seconds per call.
    ``sync`` (a GPU stream synchronisation): called after the warm-up and inside each sample's timing,
    after its calls, so a sample is the wall time of the work, not of its queueing."""
    for _ in range(warmup):
        fn()
    if sync is not None:
        sync()
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        if sync is not None:
            sync()
        samples.append((time.perf_counter() - t) / number)
    return samples


def machine_info():
    """CPU model, core count and memory, from lscpu and /proc (Linux)."""
    info = {"python": platform.python_version(), "platform": platform.platform(),
            "logical_cpus": os.cpu_count()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            k, _, v = line.partition(":")
            k, v = k.strip(), v.strip()
            if k in ("Model name", "Core(s) per socket", "Socket(s)", "Thread(s) per core", "L3 cache",
                     "L2 cache", "Hypervisor vendor", "CPU(s)"):
                info[k] = v
        flags = next((l.split(":", 1)[1].split() for l in out.splitlines() if l.startswith("Flags")), [])
        info["simd"] = " ".join(f for f in ("avx2", "avx512f", "fma") if f in flags)
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        info["mem_gib"] = round(kb / 2 ** 20, 1)
    except (OSError, ValueError, IndexError):
        pass
    return info


def _cpu_times():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return idle, sum(v)


def idle_cpus(interval=0.5):
    """How many CPUs were idle on average over ``interval`` seconds (Linux /proc/stat; None elsewhere)."""
    try:
        i0, t0 = _cpu_times()
        time.sleep(interval)
        i1, t1 = _cpu_times()
    except (OSError, ValueError):
        return None
    if t1 == t0:
        return float(os.cpu_count() or 1)
    return round((i1 - i0) / (t1 - t0) * (os.cpu_count() or 1), 2)


def wait_for_idle(need, max_wait):
    """Wait (up to ``max_wait`` s) until at least ``need`` CPUs are idle; return the idle count seen."""
    deadline = time.time() + max_wait
    seen = idle_cpus()
    while seen is not None and seen < need and time.time() < deadline:
        seen = idle_cpus()
    return seen
