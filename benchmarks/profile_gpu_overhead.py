"""Where the host time of a small GPU workload goes: the MLP of ``bench_mlp_training.py`` on gpu(0),
eager and hybridized, batch-1 inference and batch-128 training steps, each under cProfile (top
functions by own time). On a GPU these workloads are bound by Python dispatch and launch cost, not by
the device, so the profile is the map of what to cut.

    python benchmarks/profile_gpu_overhead.py [--calls 300] [--steps 100] [--top 25]
"""
import argparse
import cProfile
import io
import os
import pstats
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402
import bench_mlp_training as B  # noqa: E402


def profile(label, fn, n, top):
    import cupy as cp
    per = _common.bench(fn, 1, n, warmup=20, sync=cp.cuda.get_current_stream().synchronize)[0] * 1e6
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(n):
        fn()
    cp.cuda.get_current_stream().synchronize()
    pr.disable()
    s = io.StringIO()
    pstats.Stats(pr, stream=s).sort_stats("tottime").print_stats(top)
    print(f"==== {label}: {per:.1f} us per call (unprofiled), top {top} by own time")
    print("\n".join(s.getvalue().splitlines()[4:]))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", type=int, default=300)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--modes", default="eager,hybrid")
    a = p.parse_args()
    for mode in a.modes.split(","):
        fw = B.setup_gluon("hybridnet", mode, False, "gpu")
        profile(f"{mode} batch-1 inference", fw["infer"], a.calls, a.top)
        profile(f"{mode} training step", fw["step"], a.steps, a.top)


if __name__ == "__main__":
    main()
