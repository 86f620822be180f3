"""Graph engine (c): memory planning on an MLP forward+backward graph.

A 3-layer MLP (FullyConnected + relu, FullyConnected + relu, FullyConnected) with a softmax
cross-entropy loss (``-pick(log_softmax(z), label).mean()``) is traced, differentiated into one joint
forward+backward graph (``graph.autodiff.joint_graph``), and optimised by the pass pipeline. Reported:
``naive_bytes`` (every intermediate in its own allocation) vs ``peak_bytes`` (the arena plus
intermediates left to their kernels), for several batch sizes; target peak <= 50% of naive. It also
checks that the planned executor gives the unplanned executor's results.

    /work/venv/bin/python benchmarks/bench_memory_plan.py [--batch 64 256] [--hidden 512]

Prints a table, then one JSON line (``_common.emit``).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

from _common import emit  # noqa: E402


def build(batch, d_in, hidden, classes):
    from hybridnet import nd
    from hybridnet.graph import trace
    from hybridnet.graph.autodiff import joint_graph

    def mlp(x, label, w1, b1, w2, b2, w3, b3):
        h = nd.relu(nd.FullyConnected(x, w1, b1, num_hidden=hidden))
        h = nd.relu(nd.FullyConnected(h, w2, b2, num_hidden=hidden))
        z = nd.FullyConnected(h, w3, b3, num_hidden=classes)
        return -nd.pick(nd.log_softmax(z, axis=-1), label, axis=-1).mean()
    rng = np.random.default_rng(0)
    shapes = [(batch, d_in), (batch,), (hidden, d_in), (hidden,), (hidden, hidden), (hidden,),
              (classes, hidden), (classes,)]
    args = [nd.array(rng.standard_normal(s).astype(np.float32) * 0.1) for s in shapes]
    args[1] = nd.array(rng.integers(0, classes, batch).astype(np.float32))
    g = trace(mlp, *args).graph
    jg = joint_graph(g, wrt=[0, 2, 3, 4, 5, 6, 7])[0]
    return jg, args


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, nargs="+", default=[64, 256])
    ap.add_argument("--d-in", type=int, default=784)
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--classes", type=int, default=10)
    a = ap.parse_args()
    from hybridnet.graph.executor import Executable
    rows = []
    for batch in a.batch:
        jg, args = build(batch, a.d_in, a.hidden, a.classes)
        ex = Executable(jg)
        plan = ex.plan
        inputs = [x._data for x in args] + [np.ones((1,), np.float32)]
        got = ex.run(*inputs)
        want = Executable(jg, optimize=False).run(*inputs)
        ok = all(np.allclose(np.asarray(p), np.asarray(q), rtol=1e-5, atol=1e-6) for p, q in zip(got, want))
        arena = sum(plan.arena_bytes.values())
        rows.append({"batch": batch, "nodes": len(ex.graph.nodes), "traced_nodes": len(jg.nodes),
                     "naive_bytes": plan.naive_bytes, "peak_bytes": plan.peak_bytes, "arena_bytes": arena,
                     "buffers": plan.n_buffers, "in_place": len(plan.inplace),
                     "peak_over_naive": round(plan.peak_bytes / plan.naive_bytes, 3), "matches_unplanned": ok})
    print(f"{'batch':>6} {'nodes':>6} {'naive MiB':>10} {'peak MiB':>9} {'peak/naive':>10} {'buffers':>8} "
          f"{'in-place':>8}  results")
    for r in rows:
        print(f"{r['batch']:>6} {r['nodes']:>6} {r['naive_bytes'] / 2**20:>10.2f} {r['peak_bytes'] / 2**20:>9.2f} "
              f"{r['peak_over_naive']:>10.1%} {r['buffers']:>8} {r['in_place']:>8}  "
              f"{'== unplanned' if r['matches_unplanned'] else 'MISMATCH'}")
    print("passes:", os.environ.get("HYBRIDNET_DISABLE_PASSES", "") and
          f"disabled {os.environ['HYBRIDNET_DISABLE_PASSES']}" or "full pipeline")
    emit({"bench": "memory_plan", "rows": rows, "disabled_passes": os.environ.get("HYBRIDNET_DISABLE_PASSES", "")})
    if not all(r["matches_unplanned"] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
