"""Graph engine (b): per-step overhead of a compiled 50-node graph on tiny inputs.

The graph is a chain of 50 elementwise ops (``*0.5``, ``+1``, ``relu``, ``exp``, ``-``, ...) on a
16-element float32 array, so the kernels do almost no work and the time is dispatch. Reported, in µs:

* ``call``: ``f(x)`` of ``graph.compile(fn)`` on a cache hit (key lookup, NDArray wrapping, executor);
* ``run``: ``Executable.run`` alone;
* ``kernels``: the same 50 kernel calls made back to back from a prepared argument list (no executor);
* per node: ``run / nodes`` (target <= 2 µs) and the executor's own share ``(run - kernels) / nodes``.

Fusion would turn this chain into one kernel, so the unfused executor is measured with
``fuse_elementwise`` disabled (``--fused`` measures the default pipeline instead).

    /work/venv/bin/python benchmarks/bench_graph_overhead.py [--nodes 50] [--repeat 200]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

from _common import bench, emit, median, pin_threads  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=50)
    ap.add_argument("--size", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--number", type=int, default=50)
    ap.add_argument("--fused", action="store_true", help="keep fuse_elementwise on")
    a = ap.parse_args()
    pin_threads(2)
    if not a.fused:
        off = {p for p in os.environ.get("HYBRIDNET_DISABLE_PASSES", "").split(",") if p}
        os.environ["HYBRIDNET_DISABLE_PASSES"] = ",".join(sorted(off | {"fuse_elementwise"}))
    from hybridnet import graph, nd

    steps = [lambda y: y * 0.5, lambda y: y + 1, nd.relu, nd.sigmoid, lambda y: y - 0.25]

    def fn(x):
        y = x
        for i in range(a.nodes):
            y = steps[i % len(steps)](y)
        return y
    x = nd.array(np.linspace(-1, 1, a.size, dtype=np.float32))
    f = graph.compile(fn)
    f(x)
    ex = f.entry(x).forward
    raw = x._data
    n = len(ex.steps)
    assert np.allclose(f(x).asnumpy(), fn(x).asnumpy(), rtol=1e-5)

    # the same kernel calls without the executor: arguments prepared once
    env = ex._env0.copy()
    env[1] = raw
    calls = []
    for kernel, ins, outs, kw, mode in ex.steps:
        args = [env[i] for i in ins]
        r = kernel(*args, **kw)
        env[outs] = r
        calls.append((kernel, args, kw))

    def kernels_only():
        for k, args, kw in calls:
            k(*args, **kw)
    t_call = median(bench(lambda: f(x), a.repeat, a.number)) * 1e6
    t_run = median(bench(lambda: ex.run(raw), a.repeat, a.number)) * 1e6
    t_k = median(bench(kernels_only, a.repeat, a.number)) * 1e6
    res = {"bench": "graph_overhead", "nodes": n, "size": a.size, "fused": a.fused,
           "call_us": round(t_call, 2), "run_us": round(t_run, 2), "kernels_us": round(t_k, 2),
           "run_us_per_node": round(t_run / n, 3), "executor_us_per_node": round((t_run - t_k) / n, 3),
           "call_us_per_node": round(t_call / n, 3)}
    print(f"{n} steps on {a.size} float32 ({'fused' if a.fused else 'unfused'}):")
    print(f"  compiled call   {t_call:8.1f} us  ({t_call / n:.2f} us/node)")
    print(f"  Executable.run  {t_run:8.1f} us  ({t_run / n:.2f} us/node)")
    print(f"  kernels alone   {t_k:8.1f} us  ({t_k / n:.2f} us/node)")
    print(f"  executor share  {(t_run - t_k) / n:8.2f} us/node")
    emit(res)


if __name__ == "__main__":
    main()
