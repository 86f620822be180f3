"""Where one hybridized Gluon MLP training step goes (the model of ``bench_mlp_training.py``).

Prints, per step (mean over ``--steps`` steps after warm-up, on an idle machine if one comes within
60 s): the phases (net forward, eager loss forward, ``loss.backward()``, ``trainer.step``), each kernel
of the compiled forward/backward graphs (timed by wrapping the executor's steps), and the generated
replay code. ``--what-if`` measures changes outside the kernels by monkeypatching them in this process
only (they are experiments, not fixes):

* ``wrt``: the hybridized backward graph differentiates only the inputs that need a gradient (here: the
  Parameters, not the data batch), so the first layer's unused data gradient (a 128x512 @ 512x784
  GEMM) is not computed. Needs ``HybridEntry.run`` (gluon/hybrid.py) to pass ``wrt`` to
  ``graph.autodiff.build_grad`` and key the pair by which inputs have a tape entry.
* ``nocopy``: ``autograd.backward`` hands the fresh gradient array to the Parameter's ``.grad`` for
  ``grad_req='write'`` instead of copying it into the old buffer. UNSAFE in general (a gradient array
  may be shared between two variables or be the head gradient); measures what writing gradients in
  place (MXNet's kWriteTo: the backward graph's output is the grad buffer) would save.

``--components`` prints instead one JSON line: min and median (µs) of ``trainer.step`` and of the
whole step over 300 steps, and of 3,000 batch-1 inference calls (how the before/after numbers of
BENCHMARKS.md "Gluon MLP training" were taken, with ``PYTHONPATH`` pointing at each tree).

``--kernels`` times the kernels changed for this benchmark in isolation (min and median µs): the
in-place ``sgd_mom_update`` on the first layer's 401,408 float32, the ``FullyConnected`` kernel on a
batch-1 784->512 layer, and the fused relu-backward group of a 128x512 layer serial vs ``prange``
right after a GEMM.

    python benchmarks/profile_mlp_step.py [--what-if wrt,nocopy] [--eager] [--components] [--kernels]
"""
import argparse
import os
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402


def patch_wrt():
    import hybridnet.gluon.hybrid as H
    from hybridnet.autograd import tape
    from hybridnet.graph.autodiff import build_grad
    from hybridnet.nd.ndarray import NDArray
    orig = H.HybridEntry.run

    def run(self, datas, param_arrays, recording, inputs_nd):
        if not recording or getattr(self, "state_params", None):
            return orig(self, datas, param_arrays, recording, inputs_nd)
        ex = self.executables(tuple(tuple(d.shape) for d in datas), True)
        inputs = list(datas) + list(param_arrays)
        need = tuple(a._entry is not None for a in inputs)
        pairs = self.__dict__.setdefault("_wrt_pairs", {})
        key = (id(ex[0]), need)
        if key not in pairs:
            wrt = [i for i, n in enumerate(need) if n]
            pairs[key] = build_grad(ex[0], wrt) + (wrt,)
        fwd, bwd, n_out, wrt = pairs[key]
        raw = fwd.run(*[a._data for a in inputs])
        outs = [NDArray(r, fwd.device) for r in raw[:self.n_visible]]
        residuals, device, n_in = raw[n_out:], fwd.device, len(inputs)

        def backward_fn(*out_grads):
            gs = bwd.run(*residuals, *[g._data for g in out_grads])
            res = [None] * n_in
            for i, g in zip(wrt, gs):
                res[i] = NDArray(g, device)
            return tuple(res)
        tape.record(None, None, inputs, outs, backward_fn)
        return outs
    H.HybridEntry.run = run


def patch_nocopy():
    import hybridnet.autograd as A
    from hybridnet.autograd.backward import run_backward

    def backward(heads, head_grads=None, retain_graph=False, train_mode=True):
        heads = A._as_list(heads)
        results = run_backward([h._entry for h in heads], A._head_grads(heads, head_grads), retain_graph,
                               False, train_mode)
        for leaf, g in results.items():
            var = leaf.ref()
            if var is None or leaf.grad_req == "null" or var._grad is None:
                continue
            leaf.fresh = True
            if leaf.grad_req == "add":
                var._grad._data += g._data
            else:
                var._grad._data = g._data      # experiment only (see the module doc)
    A.backward = backward


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--what-if", default="", help="comma list of: wrt, nocopy")
    p.add_argument("--eager", action="store_true", help="profile the eager (not hybridized) step")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--components", action="store_true", help="JSON: trainer.step, step and batch-1 timings")
    p.add_argument("--kernels", action="store_true", help="JSON: the changed kernels in isolation")
    a = p.parse_args()
    _common.pin_threads(a.threads)
    import bench_mlp_training as B
    whatif = [w for w in a.what_if.split(",") if w]
    for w in whatif:
        {"wrt": patch_wrt, "nocopy": patch_nocopy}[w]()
    fw = B.setup_gluon("hybridnet", "eager" if a.eager else "hybrid", False)
    step = fw["step"]
    for _ in range(5):
        step()
    env = {c: v.cell_contents for c, v in zip(step.__code__.co_freevars, step.__closure__)}
    net, loss_fn, trainer, X, Y = env["net"], env["loss_fn"], env["trainer"], env["X"], env["Y"]
    import hybridnet.gluon.hybrid as H
    from hybridnet import autograd
    if a.components:
        return components(fw, net, loss_fn, trainer, X, Y, a.threads)
    if a.kernels:
        return kernels(net, a.threads)
    T, N = defaultdict(float), defaultdict(int)

    def wrap(name, k):
        def timed(*args, **kw):
            t = time.perf_counter()
            r = k(*args, **kw)
            T[name] += time.perf_counter() - t
            N[name] += 1
            return r
        return timed
    execs = []
    entry = getattr(net, "_last_entry", None)
    if isinstance(entry, H.HybridEntry):
        for ex in entry.execs.values():
            pairs = [v[:2] for v in ex[2].values()] if isinstance(ex[2], dict) else [ex[2][:2]] if ex[2] else []
            pairs += [v[:2] for v in entry.__dict__.get("_wrt_pairs", {}).values()]
            for pair in pairs:
                for tag, e in zip(("fwd", "bwd"), pair):
                    execs.append((tag, e))
                    e.steps = [(wrap(f"{tag}{j:02d} {getattr(k, '__name__', type(k).__name__)}", k), ins, outs, kw, m)
                               for j, (k, ins, outs, kw, m) in enumerate(e.steps)]
    idle = _common.wait_for_idle(a.threads - 0.2, 60)
    ph = defaultdict(float)
    n = a.steps
    for i in range(n):
        x, y = X[i % len(X)], Y[i % len(Y)]
        t0 = time.perf_counter()
        with autograd.record():
            out = net(x)
            t1 = time.perf_counter()
            loss = loss_fn(out, y)
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        trainer.step(x.shape[0])
        t4 = time.perf_counter()
        for k, v in (("net forward", t1 - t0), ("loss forward (eager)", t2 - t1), ("loss.backward()", t3 - t2),
                     ("trainer.step", t4 - t3), ("total", t4 - t0)):
            ph[k] += v
    print(f"what-if: {whatif or 'none'}; mode: {'eager' if a.eager else 'hybrid'}; idle CPUs before: {idle}; "
          f"ms per step, mean of {n}")
    for k, v in ph.items():
        print(f"  {k:22s} {v / n * 1e3:7.3f}")
    if T:
        print("kernels of the compiled graphs (ms per step):")
        for k in sorted(T):
            print(f"  {k:40s} {T[k] / n * 1e3:7.3f}  x{N[k] // n}")
    for tag, e in execs:
        print(f"--- {tag} replay ---\n{e.source}")


def components(fw, net, loss_fn, trainer, X, Y, threads):
    import json
    import statistics
    from hybridnet import autograd
    idle = _common.wait_for_idle(threads - 0.2, 60)
    tr, st = [], []
    for i in range(300):
        t0 = time.perf_counter()
        with autograd.record():
            loss = loss_fn(net(X[i % len(X)]), Y[i % len(Y)])
        loss.backward()
        t = time.perf_counter()
        trainer.step(X[0].shape[0])
        t1 = time.perf_counter()
        tr.append(t1 - t)
        st.append(t1 - t0)
    infer = fw["infer"]
    for _ in range(50):
        infer()
    inf = []
    for _ in range(3000):
        t = time.perf_counter()
        infer()
        inf.append(time.perf_counter() - t)

    def q(v):
        return [round(min(v) * 1e6, 1), round(statistics.median(v) * 1e6, 1)]
    print(json.dumps({"idle_cpus_before": idle, "trainer_step_us_min_med": q(tr), "step_us_min_med": q(st),
                      "batch1_infer_us_min_med": q(inf)}))


def kernels(net, threads):
    import json
    import statistics
    import numpy as np
    from hybridnet.kernels.cpu import optim
    from hybridnet.kernels.generic.matmul import fully_connected

    def q(f, n, before=None):
        for _ in range(20):
            f()
        r = []
        for _ in range(n):
            if before is not None:
                before()
            t = time.perf_counter()
            f()
            r.append(time.perf_counter() - t)
        return [round(min(r) * 1e6, 1), round(statistics.median(r) * 1e6, 1)]
    rng = np.random.default_rng(0)
    w, g = rng.standard_normal(401408).astype(np.float32), rng.standard_normal(401408).astype(np.float32)
    m = np.zeros_like(w)
    x1, w1, b1 = (rng.standard_normal((1, 784)).astype(np.float32),
                  rng.standard_normal((512, 784)).astype(np.float32), np.zeros(512, np.float32))
    o1 = np.empty((1, 512), np.float32)
    res = {"idle_cpus_before": _common.wait_for_idle(threads - 0.2, 60)}
    res["sgd_mom_update_401408_inplace_us"] = q(
        lambda: optim.sgd_mom_update(w, g, m, out=w, lr=0.1, momentum=0.9, rescale_grad=1 / 128), 200)
    res["fc_batch1_784x512_us"] = q(lambda: fully_connected(x1, w1, b1, out=o1, num_hidden=512), 3000)
    entry = net._last_entry
    fused = [k for ex in entry.execs.values() if ex[2] for k, *_ in ex[2][1].steps
             if getattr(k, "__name__", "") == "cpu_fused"]
    if fused:
        k = fused[0]
        a, b = rng.standard_normal((128, 512)).astype(np.float32), rng.standard_normal((128, 512)).astype(np.float32)
        o, w2 = np.empty_like(a), rng.standard_normal((512, 512)).astype(np.float32)
        ser, par = k.ufunc(np.dtype(np.float32), False), k.ufunc(np.dtype(np.float32), True)
        gemm = lambda: np.matmul(a, w2, out=o)  # noqa: E731
        res["relu_bwd_group_128x512_after_gemm_serial_us"] = q(lambda: ser(a, b, out=o), 300, gemm)
        res["relu_bwd_group_128x512_after_gemm_prange_us"] = q(
            lambda: par(a.reshape(-1), b.reshape(-1), o.reshape(-1)), 300, gemm)
        res["relu_bwd_group_kernel_call_after_gemm_us"] = q(lambda: k(a, b, out=o), 300, gemm)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
