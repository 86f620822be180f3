"""Model training and inference benchmarks (issue 5, item 6), one (framework, mode, workload) per process.

Workloads (float32, synthetic data from a fixed seed, a few batches cycled):

* ``lenet``: LeNet training, batch 64, 1x28x28 (conv5-6 relu, maxpool2, conv5-16 relu, maxpool2, dense
  120 relu, 84 relu, 10), SGD momentum 0.9 lr 0.05, softmax cross-entropy; samples/s;
* ``resnet20``: ResNet-20 (CIFAR variant, BatchNorm, 3 stages of 3 basic blocks, 16/32/64 channels)
  training, batch 32, 3x32x32, SGD momentum 0.9 lr 0.1 wd 1e-4, softmax cross-entropy; samples/s;
* ``lstm``: 2-layer LSTM language model training: Embedding(10000, 256) -> LSTM(256, 2 layers, TNC) ->
  Dense(10000) -> softmax cross-entropy over every token, seq 35, batch 32, zero initial states each step,
  no dropout, SGD lr 1; tokens/s (35 x 32 tokens per step);
* ``transformer``: one pre-LN transformer encoder layer (d 256, 4 heads, FFN 1024 relu, dropout 0.1),
  batch 16, seq 64, forward + backward + Adam update (lr 1e-3) of an L2 loss against a fixed random
  target; samples/s (sequences/s);
* ``lenet_infer``: batch-1 LeNet inference latency (``net(x)`` on a (1, 1, 28, 28) input outside
  autograd, PyTorch under ``no_grad``), synchronised per call; µs per call.

Models: hybridnet uses the definitions of ``examples/lenet_mnist.py`` (``lenet``),
``examples/resnet20_cifar.py`` (``resnet20``), ``examples/lstm_lm.py`` (``RNNModel``, dropout 0) and
``examples/transformer_digits.py`` (``EncoderLayer``); MXNet 1.9.1 and PyTorch get the equivalent
definitions written below (the MXNet transformer uses reshape codes instead of ``x.shape``, which a
hybridized MXNet block cannot read).

Modes: ``eager`` (Gluon imperative; PyTorch eager) and ``hybrid`` (Gluon
``net.hybridize(static_alloc=True, static_shape=True)``; the loss block stays eager as in most Gluon
scripts). The step is each framework's standard loop (Gluon: ``autograd.record()``, ``loss.backward()``,
``trainer.step(batch)``; PyTorch: ``zero_grad``, ``backward``, ``opt.step``).

Measured in one process: ``first_step_s`` (the first training step: JIT compile / trace / graph build),
then ``--warmup`` steps, then ``--repeats`` samples of N steps, N chosen so that one sample takes about
``--sample-s`` seconds (from the warm-up steps' time), each sample synchronised at its end (MXNet:
``nd.waitall()``) and started only once both CPUs look idle (``--wait-idle``: other jobs on a shared
2-core machine make 2-thread BLAS/OpenMP code 2-6x slower while they run). Throughput per sample; median
and best reported.

    python benchmarks/bench_models.py --framework hybridnet --mode hybrid --workload resnet20
    /work/mx-oracle/bin/python benchmarks/bench_models.py --framework mxnet --mode eager --workload lstm
    /work/torch-venv/bin/python benchmarks/bench_models.py --framework torch --workload transformer
"""
import argparse
import importlib
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import _common  # noqa: E402

WORKLOADS = ("lenet", "resnet20", "lstm", "transformer", "lenet_infer")
BATCH = {"lenet": 64, "resnet20": 32, "lstm": 32, "transformer": 16, "lenet_infer": 1}
VOCAB, HIDDEN, SEQ = 10000, 256, 35
D_MODEL, HEADS, D_FF, T_LEN = 256, 4, 1024, 64
N_BATCHES = 4


def make_data(workload):
    """(inputs, labels): N_BATCHES NumPy batches for ``workload`` (labels float32 class ids / targets)."""
    import numpy as np
    rng = np.random.default_rng(0)
    n = BATCH[workload]
    if workload in ("lenet", "lenet_infer"):
        xs = [rng.standard_normal((n, 1, 28, 28)).astype(np.float32) for _ in range(N_BATCHES)]
        ys = [rng.integers(0, 10, n).astype(np.float32) for _ in range(N_BATCHES)]
    elif workload == "resnet20":
        xs = [rng.standard_normal((n, 3, 32, 32)).astype(np.float32) for _ in range(N_BATCHES)]
        ys = [rng.integers(0, 10, n).astype(np.float32) for _ in range(N_BATCHES)]
    elif workload == "lstm":
        ids = [rng.integers(0, VOCAB, (SEQ + 1, n)).astype(np.float32) for _ in range(N_BATCHES)]
        xs = [a[:-1] for a in ids]
        ys = [a[1:] for a in ids]
    else:
        xs = [rng.standard_normal((n, T_LEN, D_MODEL)).astype(np.float32) for _ in range(N_BATCHES)]
        ys = [rng.standard_normal((n, T_LEN, D_MODEL)).astype(np.float32) for _ in range(N_BATCHES)]
    return xs, ys


# ---- hybridnet: the examples' model definitions ----------------------------------------------------
def _example(name):
    """Import ``examples/<name>.py`` (its own ``_common`` is not this directory's ``_common``)."""
    ours = sys.modules.pop("_common", None)
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(os.path.join(ROOT, "examples"))
        sys.modules.pop("_common", None)
        if ours is not None:
            sys.modules["_common"] = ours


def hybridnet_model(workload):
    if workload in ("lenet", "lenet_infer"):
        return _example("lenet_mnist").lenet()
    if workload == "resnet20":
        return _example("resnet20_cifar").resnet20()
    if workload == "lstm":
        return _example("lstm_lm").RNNModel(VOCAB, HIDDEN, HIDDEN, layers=2, dropout=0.0)
    return _example("transformer_digits").EncoderLayer(D_MODEL, HEADS, D_FF)


# ---- MXNet 1.9.1: equivalent definitions -----------------------------------------------------------
def mxnet_model(workload):
    import mxnet as mx
    from mxnet import gluon
    from mxnet.gluon import nn, rnn

    if workload in ("lenet", "lenet_infer"):
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Conv2D(6, kernel_size=5, activation="relu"), nn.MaxPool2D(2),
                    nn.Conv2D(16, kernel_size=5, activation="relu"), nn.MaxPool2D(2),
                    nn.Flatten(), nn.Dense(120, activation="relu"), nn.Dense(84, activation="relu"), nn.Dense(10))
        return net

    if workload == "resnet20":
        class BasicBlock(gluon.HybridBlock):
            def __init__(self, channels, stride, downsample=False, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.body = nn.HybridSequential(prefix="")
                    self.body.add(nn.Conv2D(channels, 3, stride, 1, use_bias=False), nn.BatchNorm(),
                                  nn.Activation("relu"), nn.Conv2D(channels, 3, 1, 1, use_bias=False), nn.BatchNorm())
                    self.downsample = None
                    if downsample:
                        self.downsample = nn.HybridSequential(prefix="")
                        self.downsample.add(nn.Conv2D(channels, 1, stride, use_bias=False), nn.BatchNorm())

            def hybrid_forward(self, F, x):
                residual = self.downsample(x) if self.downsample is not None else x
                return F.Activation(self.body(x) + residual, act_type="relu")

        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Conv2D(16, 3, 1, 1, use_bias=False), nn.BatchNorm(), nn.Activation("relu"))
            in_ch = 16
            for stage, ch in enumerate((16, 32, 64)):
                for i in range(3):
                    net.add(BasicBlock(ch, 2 if (i == 0 and stage > 0) else 1, downsample=(ch != in_ch)))
                    in_ch = ch
            net.add(nn.GlobalAvgPool2D(), nn.Flatten(), nn.Dense(10))
        return net

    if workload == "lstm":
        class RNNModel(gluon.HybridBlock):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.encoder = nn.Embedding(VOCAB, HIDDEN)
                    self.rnn = rnn.LSTM(HIDDEN, num_layers=2, input_size=HIDDEN)
                    self.decoder = nn.Dense(VOCAB, in_units=HIDDEN, flatten=False)

            def hybrid_forward(self, F, x, h, c):
                out, (h, c) = self.rnn(self.encoder(x), [h, c])
                return self.decoder(out), h, c
        return RNNModel()

    class MultiHeadAttention(gluon.HybridBlock):
        def __init__(self, d_model, heads, dropout=0.0, **kwargs):
            super().__init__(**kwargs)
            self._heads, self._d = heads, d_model
            with self.name_scope():
                self.qkv = nn.Dense(3 * d_model, flatten=False)
                self.proj = nn.Dense(d_model, flatten=False)
                self.drop = nn.Dropout(dropout)

        def hybrid_forward(self, F, x):                          # x: (N, T, D)
            H, dh = self._heads, self._d // self._heads
            qkv = F.transpose(F.reshape(self.qkv(x), shape=(0, 0, 3, H, dh)), axes=(2, 0, 3, 1, 4))
            q, k, v = [F.reshape(t, shape=(-3, -2)) for t in F.split(qkv, num_outputs=3, axis=0, squeeze_axis=True)]
            att = F.softmax(F.batch_dot(q, k, transpose_b=True) / math.sqrt(dh), axis=-1)
            out = F.transpose(F.reshape(F.batch_dot(self.drop(att), v), shape=(-4, -1, H, 0, 0)), axes=(0, 2, 1, 3))
            return self.proj(F.reshape(out, shape=(0, 0, -3)))

    class EncoderLayer(gluon.HybridBlock):
        def __init__(self, d_model, heads, d_ff, dropout=0.1, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.ln1 = nn.LayerNorm()
                self.attn = MultiHeadAttention(d_model, heads, dropout)
                self.ln2 = nn.LayerNorm()
                self.ff1 = nn.Dense(d_ff, activation="relu", flatten=False)
                self.ff2 = nn.Dense(d_model, flatten=False)
                self.drop = nn.Dropout(dropout)

        def hybrid_forward(self, F, x):
            x = x + self.drop(self.attn(self.ln1(x)))
            return x + self.drop(self.ff2(self.ff1(self.ln2(x))))
    return EncoderLayer(D_MODEL, HEADS, D_FF)


# ---- Gluon setup (hybridnet and MXNet share it) ----------------------------------------------------
def setup_gluon(framework, mode, workload):
    xs, ys = make_data(workload)
    if framework == "hybridnet":
        import hybridnet as mx
        net = hybridnet_model(workload)
    else:
        import mxnet as mx
        net = mxnet_model(workload)
    nd, autograd, gluon = mx.nd, mx.autograd, mx.gluon
    mx.random.seed(0)
    net.initialize(mx.init.Xavier(magnitude=2) if workload == "resnet20" else mx.init.Xavier())
    if mode == "hybrid":
        net.hybridize(static_alloc=True, static_shape=True)
    X = [nd.array(x) for x in xs]
    Y = [nd.array(y) for y in ys]
    n = BATCH[workload]
    res = {"version": mx.__version__}

    def sync(out):
        out.wait_to_read()
        if framework == "mxnet":
            nd.waitall()
    res["sync"] = sync
    if workload == "lenet_infer":
        def infer():
            out = net(X[0])
            out.wait_to_read()
            return out
        res["infer"] = infer
        return res

    opt = {"lenet": ("sgd", {"learning_rate": 0.05, "momentum": 0.9}),
           "resnet20": ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-4}),
           "lstm": ("sgd", {"learning_rate": 1.0}),
           "transformer": ("adam", {"learning_rate": 1e-3})}[workload]
    if workload == "transformer":
        loss_fn = gluon.loss.L2Loss()
    else:
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    state = {"i": 0}
    if workload == "lstm":
        h0 = nd.zeros((2, n, HIDDEN))
        c0 = nd.zeros((2, n, HIDDEN))
        Yf = [y.reshape((-1,)) for y in Y]

        def forward_loss(i):
            out, _, _ = net(X[i], h0, c0)
            return loss_fn(out.reshape((-1, VOCAB)), Yf[i])
        per_step = SEQ * n
    else:
        def forward_loss(i):
            return loss_fn(net(X[i]), Y[i])
        per_step = n
    # the first call initialises deferred parameters; the Trainer needs them, so it is made after it
    trainer = {}

    def step():
        i = state["i"] % N_BATCHES
        state["i"] += 1
        with autograd.record():
            loss = forward_loss(i)
        loss.backward()
        if "t" not in trainer:
            trainer["t"] = gluon.Trainer(net.collect_params(), opt[0], dict(opt[1]))
        trainer["t"].step(per_step)
        return loss
    res.update(step=step, per_step=per_step, mean=lambda loss: float(loss.mean().asscalar()))
    return res


# ---- PyTorch ---------------------------------------------------------------------------------------
def setup_torch(workload, threads):
    import numpy as np
    import torch
    from torch import nn
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    xs, ys = make_data(workload)
    n = BATCH[workload]
    if workload in ("lenet", "lenet_infer"):
        net = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                            nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84),
                            nn.ReLU(), nn.Linear(84, 10))
    elif workload == "resnet20":
        class BasicBlock(nn.Module):
            def __init__(self, cin, cout, stride):
                super().__init__()
                self.body = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout),
                                          nn.ReLU(), nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
                self.down = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                             if cin != cout else None)

            def forward(self, x):
                return torch.relu(self.body(x) + (self.down(x) if self.down is not None else x))
        layers = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
        cin = 16
        for stage, ch in enumerate((16, 32, 64)):
            for i in range(3):
                layers.append(BasicBlock(cin, ch, 2 if (i == 0 and stage > 0) else 1))
                cin = ch
        net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
    elif workload == "lstm":
        class RNNModel(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = nn.Embedding(VOCAB, HIDDEN)
                self.rnn = nn.LSTM(HIDDEN, HIDDEN, num_layers=2)
                self.decoder = nn.Linear(HIDDEN, VOCAB)

            def forward(self, x, h, c):
                out, (h, c) = self.rnn(self.encoder(x), (h, c))
                return self.decoder(out), h, c
        net = RNNModel()
    else:
        class EncoderLayer(nn.Module):
            def __init__(self, d, heads, d_ff, p=0.1):
                super().__init__()
                self.h = heads
                self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
                self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
                self.ff1, self.ff2 = nn.Linear(d, d_ff), nn.Linear(d_ff, d)
                self.drop_att, self.drop = nn.Dropout(p), nn.Dropout(p)

            def attn(self, x):
                N, T, D = x.shape
                H, dh = self.h, D // self.h
                q, k, v = self.qkv(x).reshape(N, T, 3, H, dh).permute(2, 0, 3, 1, 4).reshape(3, N * H, T, dh)
                att = torch.softmax(torch.bmm(q, k.transpose(1, 2)) / math.sqrt(dh), dim=-1)
                out = torch.bmm(self.drop_att(att), v).reshape(N, H, T, dh).permute(0, 2, 1, 3)
                return self.proj(out.reshape(N, T, D))

            def forward(self, x):
                x = x + self.drop(self.attn(self.ln1(x)))
                return x + self.drop(self.ff2(torch.relu(self.ff1(self.ln2(x)))))
        net = EncoderLayer(D_MODEL, HEADS, D_FF)
    X = [torch.from_numpy(x) for x in xs]
    res = {"version": torch.__version__, "sync": lambda out: None}
    if workload == "lenet_infer":
        net.eval()

        def infer():
            with torch.no_grad():
                return net(X[0])
        res["infer"] = infer
        return res
    if workload == "lstm":
        X = [x.long() for x in X]
        Y = [torch.from_numpy(y.astype(np.int64)).reshape(-1) for y in ys]
        h0 = torch.zeros(2, n, HIDDEN)
        c0 = torch.zeros(2, n, HIDDEN)
        ce = nn.CrossEntropyLoss()

        def forward_loss(i):
            out, _, _ = net(X[i], h0, c0)
            return ce(out.reshape(-1, VOCAB), Y[i])
        opt = torch.optim.SGD(net.parameters(), lr=1.0)
        per_step = SEQ * n
    elif workload == "transformer":
        Y = [torch.from_numpy(y) for y in ys]
        mse = nn.MSELoss()

        def forward_loss(i):
            return 0.5 * mse(net(X[i]), Y[i])
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        per_step = n
    else:
        Y = [torch.from_numpy(y.astype(np.int64)) for y in ys]
        ce = nn.CrossEntropyLoss()

        def forward_loss(i):
            return ce(net(X[i]), Y[i])
        opt = (torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9) if workload == "lenet" else
               torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4))
        per_step = n
    state = {"i": 0}

    def step():
        i = state["i"] % N_BATCHES
        state["i"] += 1
        opt.zero_grad()
        loss = forward_loss(i)
        loss.backward()
        opt.step()
        return loss
    res.update(step=step, per_step=per_step, mean=lambda loss: float(loss.item()))
    return res


def setup(framework, mode, workload, threads):
    if framework == "torch":
        return setup_torch(workload, threads)
    return setup_gluon(framework, mode, workload)


# ---- measurement -----------------------------------------------------------------------------------
def measure_training(fw, a):
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
    t = time.perf_counter()
    for _ in range(a.warmup):
        loss = step()
    sync(loss)
    est = (time.perf_counter() - t) / max(a.warmup, 1)
    losses.append(mean(loss))
    n_steps = max(1, min(a.max_steps, int(round(a.sample_s / max(est, 1e-6)))))
    samples, idle = [], []
    for _ in range(a.repeats):
        if a.wait_idle:
            idle.append(_common.wait_for_idle(a.threads - 0.2, a.wait_idle))
        t = time.perf_counter()
        for _ in range(n_steps):
            loss = step()
        sync(loss)
        samples.append(fw["per_step"] * n_steps / (time.perf_counter() - t))
    losses.append(mean(loss))
    med = _common.median(samples)
    return {"first_step_s": round(first, 4), "second_step_ms": round(second * 1e3, 3),
            "steps_per_sample": n_steps, "per_s": [round(s, 1) for s in samples],
            "per_s_median": round(med, 1), "per_s_best": round(max(samples), 1),
            "ms_per_step_median": round(fw["per_step"] / med * 1e3, 3),
            "losses_first_second_warm_last": [round(x, 5) for x in losses], "idle_cpus_per_sample": idle}


def measure_infer(fw, a):
    infer = fw["infer"]
    t = time.perf_counter()
    fw["sync"](infer())
    first = time.perf_counter() - t
    for _ in range(50):
        infer()
    lat, idle = [], []
    for _ in range(a.repeats):
        if a.wait_idle:
            idle.append(_common.wait_for_idle(a.threads - 0.2, a.wait_idle))
        t = time.perf_counter()
        for _ in range(a.infer_calls):
            infer()
        lat.append((time.perf_counter() - t) / a.infer_calls * 1e6)
    return {"first_call_s": round(first, 4), "us": [round(x, 2) for x in lat],
            "us_median": round(_common.median(lat), 2), "us_best": round(min(lat), 2), "idle_cpus_per_sample": idle}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--framework", required=True, choices=("hybridnet", "mxnet", "torch"))
    p.add_argument("--mode", default="eager", choices=("eager", "hybrid"))
    p.add_argument("--workload", required=True, choices=WORKLOADS)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeats", type=int, default=5, help="timed samples")
    p.add_argument("--sample-s", type=float, default=1.5, help="target seconds per timed sample")
    p.add_argument("--max-steps", type=int, default=200, help="most steps per sample")
    p.add_argument("--infer-calls", type=int, default=300)
    p.add_argument("--wait-idle", type=float, default=20.0,
                   help="before each timed sample wait up to this many seconds for idle CPUs (the machine is "
                        "shared; 0: do not wait); the idle CPU counts seen are reported")
    a = p.parse_args()
    if a.framework == "torch" and a.mode != "eager":
        p.error("PyTorch runs eager only")
    _common.pin_threads(a.threads)
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    fw = setup(a.framework, a.mode, a.workload, a.threads)
    setup_s = time.perf_counter() - t0
    out = {"bench": "models", "framework": a.framework, "mode": a.mode, "workload": a.workload,
           "version": fw["version"], "threads": a.threads, "batch": BATCH[a.workload],
           "setup_s": round(setup_s, 4), "loadavg_start": round(load0, 2)}
    if a.workload == "lenet_infer":
        out.update(measure_infer(fw, a))
    else:
        out.update(measure_training(fw, a))
        out["unit"] = "tokens/s" if a.workload == "lstm" else "samples/s"
    out["loadavg_end"] = round(os.getloadavg()[0], 2)
    _common.emit(out)


if __name__ == "__main__":
    main()
