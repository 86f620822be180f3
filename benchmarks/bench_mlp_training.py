"""Gluon MLP training and batch-1 inference (issue 4, item 11).

Model: ``Dense(512, relu) -> Dense(512, relu) -> Dense(10)`` on 784 inputs (784-512-512-10), batch 128,
SGD (momentum 0.9, lr 0.1, wd 0), softmax cross-entropy, synthetic data from a fixed seed (8 batches of
standard-normal inputs labelled by a random linear teacher, cycled). Every framework starts from the
SAME initial weights (NumPy, seed 1, Xavier-uniform ranges, zero biases), so the loss trajectories are
comparable across frameworks, not only across hybridnet's two modes.

The step is the standard loop of each framework:

* Gluon (hybridnet, MXNet 1.9.1): ``with autograd.record(): loss = loss_fn(net(x), y)``,
  ``loss.backward()``, ``trainer.step(batch)`` with ``gluon.loss.SoftmaxCrossEntropyLoss`` (hybridnet
  falls back to ``-nd.pick(nd.log_softmax(out), y)`` when its ``gluon.loss`` module is absent);
  ``--mode hybrid`` calls ``net.hybridize(static_alloc=True, static_shape=True)`` (the loss block stays
  eager, as in most Gluon scripts; ``--hybridize-loss`` hybridizes it too);
* PyTorch (eager only): ``opt.zero_grad()``, ``loss_fn(net(x), y).backward()``, ``opt.step()`` with
  ``nn.CrossEntropyLoss()`` (mean over the batch = Gluon's per-sample loss with ``rescale 1/batch``).

* NumPy (``--framework numpy --mode gemms|floor``, no framework): the step hand-written on NumPy
  arrays, the floor for anything built on NumPy's OpenBLAS. ``gemms`` times only the step's 8 matrix
  products; a framework's step cannot be faster than that with these GEMMs.

Measured, in this order, in one process:

1. ``first_step_s``: the first training step from the initial weights (JIT compile, trace and graph
   compile for hybridnet; MXNet's graph build), then ``--check-steps`` more steps whose per-step mean
   losses are the trajectory (``losses``) that ``run_all.py`` compares between modes and frameworks;
2. training throughput: ``--repeats`` samples of ``--steps`` steps each (after ``--warmup`` steps),
   synchronised at the end of each sample (MXNet: ``nd.waitall()``); samples/s per sample, reported as
   median and best;
3. batch-1 inference latency (not recording; PyTorch under ``torch.no_grad()``): one ``net(x)`` on a
   (1, 784) input, synchronised per call (``wait_to_read``), µs per call (median/best over repeats of
   ``--infer-calls`` calls); ``infer_first_s`` is the first batch-1 call (a new shape: re-specialisation
   for hybridnet, a new cached graph for MXNet).

    python benchmarks/bench_mlp_training.py --framework hybridnet --mode hybrid
    python benchmarks/bench_mlp_training.py --framework mxnet --mode eager
    python benchmarks/bench_mlp_training.py --framework torch

``--device gpu`` runs the same on GPU 0 (hybridnet: CuPy arrays + Numba-CUDA/cuBLAS kernels; PyTorch:
CUDA tensors, synchronised with ``torch.cuda.synchronize()`` where the CPU run needs no sync).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

BATCH = 128
LAYERS = (784, 512, 512, 10)
N_BATCHES = 8
LR, MOMENTUM = 0.1, 0.9


def make_data():
    """(inputs, labels, initial weights): 8 batches, labels from a random linear teacher."""
    import numpy as np
    rng = np.random.default_rng(0)
    teacher = rng.standard_normal((LAYERS[0], LAYERS[-1])).astype(np.float32)
    xs = [rng.standard_normal((BATCH, LAYERS[0])).astype(np.float32) for _ in range(N_BATCHES)]
    ys = [np.argmax(x @ teacher, axis=1) for x in xs]
    wr = np.random.default_rng(1)
    params = []
    for fan_in, fan_out in zip(LAYERS[:-1], LAYERS[1:]):
        a = np.sqrt(6.0 / (fan_in + fan_out))
        params.append((wr.uniform(-a, a, (fan_out, fan_in)).astype(np.float32), np.zeros(fan_out, np.float32)))
    x1 = rng.standard_normal((1, LAYERS[0])).astype(np.float32)
    return xs, ys, params, x1


# ---- frameworks: each returns a dict of callables --------------------------------------------------
def setup_gluon(framework, mode, hybridize_loss, device="cpu"):
    xs, ys, params, x1 = make_data()
    if framework == "hybridnet":
        import hybridnet as mx
        try:
            from hybridnet.gluon import loss as gloss
        except ImportError:
            gloss = None
    else:
        import mxnet as mx
        from mxnet.gluon import loss as gloss
    nd, autograd, gluon = mx.nd, mx.autograd, mx.gluon
    ctx = mx.gpu(0) if device == "gpu" else mx.cpu()
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        for i, (fi, fo) in enumerate(zip(LAYERS[:-1], LAYERS[1:])):
            net.add(gluon.nn.Dense(fo, in_units=fi, activation="relu" if i < len(LAYERS) - 2 else None))
    net.initialize(mx.init.Xavier(), ctx=ctx)
    for layer, (w, b) in zip(net, params):
        layer.weight.set_data(nd.array(w, ctx=ctx))
        layer.bias.set_data(nd.array(b, ctx=ctx))
    if gloss is not None:
        loss_fn = gloss.SoftmaxCrossEntropyLoss()
        loss_name = "gluon.loss.SoftmaxCrossEntropyLoss"
        if hybridize_loss and mode == "hybrid":
            loss_fn.hybridize(static_alloc=True, static_shape=True)
    else:
        def loss_fn(out, y):
            return -nd.pick(nd.log_softmax(out), y)
        loss_name = "-nd.pick(nd.log_softmax(out), y)"
    if mode == "hybrid":
        net.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": LR, "momentum": MOMENTUM})
    X = [nd.array(x, ctx=ctx) for x in xs]
    Y = [nd.array(y.astype("float32"), ctx=ctx) for y in ys]
    X1 = nd.array(x1, ctx=ctx)
    state = {"i": 0}

    def step():
        i = state["i"] % N_BATCHES
        state["i"] += 1
        with autograd.record():
            loss = loss_fn(net(X[i]), Y[i])
        loss.backward()
        trainer.step(BATCH)
        return loss

    def sync(loss):
        loss.wait_to_read()
        if framework == "mxnet":
            nd.waitall()

    def infer():
        out = net(X1)
        out.wait_to_read()
        return out

    return {"step": step, "sync": sync, "mean": lambda loss: float(loss.mean().asscalar()), "infer": infer,
            "version": mx.__version__, "loss": loss_name}


def setup_torch(threads, device="cpu"):
    import numpy as np
    import torch
    torch.set_num_threads(threads)
    dev = torch.device("cuda" if device == "gpu" else "cpu")
    cuda_sync = torch.cuda.synchronize if device == "gpu" else (lambda: None)
    xs, ys, params, x1 = make_data()
    mods = []
    for i, (w, b) in enumerate(params):
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(b))
        mods.append(lin)
        if i < len(params) - 1:
            mods.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*mods).to(dev)
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
    X = [torch.from_numpy(x).to(dev) for x in xs]
    Y = [torch.from_numpy(y.astype(np.int64)).to(dev) for y in ys]
    X1 = torch.from_numpy(x1).to(dev)
    state = {"i": 0}

    def step():
        i = state["i"] % N_BATCHES
        state["i"] += 1
        opt.zero_grad()
        loss = loss_fn(net(X[i]), Y[i])
        loss.backward()
        opt.step()
        return loss

    def infer():
        with torch.no_grad():
            out = net(X1)
        cuda_sync()
        return out

    return {"step": step, "sync": lambda loss: cuda_sync(), "mean": lambda loss: float(loss.item()), "infer": infer,
            "version": torch.__version__, "loss": "torch.nn.CrossEntropyLoss"}


def setup_numpy(mode):
    """The floor for any framework that calls NumPy's OpenBLAS, as no framework: the same step written
    by hand on NumPy arrays. ``gemms``: only the 8 matrix products of a step (3 forward, 3 weight
    gradients, 2 data gradients; the input's data gradient is not needed), nothing else; ``floor``: the
    whole step with the least elementwise work NumPy allows (bias, relu, softmax cross-entropy
    gradient, bias sums, SGD momentum in place). Same data and initial weights as the frameworks, so
    ``floor``'s losses match theirs."""
    import numpy as np
    xs, ys, params, x1 = make_data()
    P = [a.copy() for wb in params for a in wb]
    M = [np.zeros_like(a) for a in P]
    (W1, b1, W2, b2, W3, b3) = P
    rows = np.arange(BATCH)
    state = {"i": 0}
    full = mode == "floor"

    def step():
        i = state["i"] % N_BATCHES
        state["i"] += 1
        x, y = xs[i], ys[i]
        h1 = x @ W1.T
        if full:
            h1 += b1
            np.maximum(h1, 0, out=h1)
        h2 = h1 @ W2.T
        if full:
            h2 += b2
            np.maximum(h2, 0, out=h2)
        o = h2 @ W3.T
        loss = None
        if full:
            o += b3
            o -= o.max(axis=1, keepdims=True)
            e = np.exp(o)
            s = e.sum(axis=1, keepdims=True)
            loss = np.log(s[:, 0]) - o[rows, y]
            e /= s
            e[rows, y] -= 1
            e *= 1.0 / BATCH              # Gluon's rescale_grad = 1/batch
        else:
            e = o
        g3 = e.T @ h2
        d2 = e @ W3
        if full:
            d2 *= h2 > 0
        g2 = d2.T @ h1
        d1 = d2 @ W2
        if full:
            d1 *= h1 > 0
        g1 = d1.T @ x
        if full:
            for w, m, g in zip(P, M, (g1, d1.sum(0), g2, d2.sum(0), g3, e.sum(0))):
                m *= MOMENTUM                # MXNet's sgd_mom_update: m = mom*m - lr*g; w += m
                m -= LR * g
                w += m
        return loss if full else np.zeros(1)

    def infer():
        h = np.maximum(x1 @ W1.T + b1, 0)
        h = np.maximum(h @ W2.T + b2, 0)
        return h @ W3.T + b3

    return {"step": step, "sync": lambda loss: None, "mean": lambda loss: float(np.mean(loss)), "infer": infer,
            "version": np.__version__, "loss": "hand-written NumPy" if full else "none (GEMMs only)"}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--framework", required=True, choices=("hybridnet", "mxnet", "torch", "numpy"))
    p.add_argument("--mode", default="eager", choices=("eager", "hybrid", "gemms", "floor"),
                   help="eager/hybrid for Gluon; numpy: gemms (the step's 8 GEMMs only) or floor (the "
                        "whole step hand-written on NumPy)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", choices=("cpu", "gpu"))
    p.add_argument("--steps", type=int, default=20, help="training steps per timed sample")
    p.add_argument("--repeats", type=int, default=7, help="timed samples")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--check-steps", type=int, default=30, help="steps of the recorded loss trajectory")
    p.add_argument("--infer-calls", type=int, default=200)
    p.add_argument("--infer-repeats", type=int, default=7)
    p.add_argument("--hybridize-loss", action="store_true", help="hybridize the loss block too (Gluon)")
    p.add_argument("--no-train", action="store_true", help="skip the throughput samples (profiling aid)")
    a = p.parse_args()
    if a.framework == "torch" and a.mode != "eager":
        p.error("PyTorch runs eager only")
    if (a.framework == "numpy") != (a.mode in ("gemms", "floor")):
        p.error("modes gemms/floor are for --framework numpy, which has only those")
    _common.pin_threads(a.threads)
    t0 = time.perf_counter()
    if a.framework == "torch":
        fw = setup_torch(a.threads, a.device)
    elif a.framework == "numpy":
        fw = setup_numpy(a.mode)
    else:
        fw = setup_gluon(a.framework, a.mode, a.hybridize_loss, a.device)
    setup_s = time.perf_counter() - t0
    step, sync, mean = fw["step"], fw["sync"], fw["mean"]

    t = time.perf_counter()
    loss = step()
    sync(loss)
    first = time.perf_counter() - t
    losses = [mean(loss)]
    t = time.perf_counter()
    loss = step()
    sync(loss)
    second = time.perf_counter() - t
    losses.append(mean(loss))
    for _ in range(a.check_steps - 2):
        losses.append(mean(step()))

    samples = []
    if not a.no_train:
        for _ in range(a.warmup):
            loss = step()
        sync(loss)
        for _ in range(a.repeats):
            t = time.perf_counter()
            for _ in range(a.steps):
                loss = step()
            sync(loss)
            samples.append(BATCH * a.steps / (time.perf_counter() - t))

    infer = fw["infer"]
    t = time.perf_counter()
    infer()
    infer_first = time.perf_counter() - t
    for _ in range(20):
        infer()
    lat = []
    for _ in range(a.infer_repeats):
        t = time.perf_counter()
        for _ in range(a.infer_calls):
            infer()
        lat.append((time.perf_counter() - t) / a.infer_calls * 1e6)

    _common.emit({"bench": "mlp_training", "framework": a.framework, "mode": a.mode, "device": a.device,
                  "version": fw["version"],
                  "threads": a.threads, "loss_fn": fw["loss"], "hybridize_loss": a.hybridize_loss,
                  "batch": BATCH, "steps": a.steps, "repeats": a.repeats,
                  "setup_s": round(setup_s, 4), "first_step_s": round(first, 4),
                  "second_step_ms": round(second * 1e3, 3),
                  "samples_per_s": [round(s, 1) for s in samples],
                  "samples_per_s_median": round(_common.median(samples), 1) if samples else None,
                  "samples_per_s_best": round(max(samples), 1) if samples else None,
                  "ms_per_step_median": round(BATCH / _common.median(samples) * 1e3, 3) if samples else None,
                  "losses": [round(x, 6) for x in losses],
                  "infer_first_s": round(infer_first, 4),
                  "infer_us": [round(x, 2) for x in lat],
                  "infer_us_median": round(_common.median(lat), 2), "infer_us_best": round(min(lat), 2)})


if __name__ == "__main__":
    main()
