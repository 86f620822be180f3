"""2-layer LSTM (hidden 256, seq 35, batch 32, input 256) forward+backward step on the CPU: hybridnet
eager and hybridized (fused RNN op), with MXNet 1.9.1 (oracle) and PyTorch when importable, plus the
share of time in the per-step GEMMs vs the gate kernels.

    /work/venv/bin/python benchmarks/bench_lstm.py            # hybridnet (+ torch if installed)
    /work/mx-oracle/bin/python benchmarks/bench_lstm.py --mxnet
"""
import sys
import time

import numpy as np

T, N, I, H, L = 35, 32, 256, 256, 2
REPS = 20


def timeit(fn, reps=REPS):
    fn()
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(ts))


def bench_hybridnet():
    import hybridnet as mx
    from hybridnet import autograd, nd
    from hybridnet.gluon import rnn
    for hyb in (False, True):
        net = rnn.LSTM(H, num_layers=L, input_size=I)
        net.initialize(mx.init.Uniform(0.1))
        if hyb:
            net.hybridize()
        x = nd.random.uniform(-1, 1, shape=(T, N, I))
        x.attach_grad()
        st = net.begin_state(N)

        def step():
            with autograd.record():
                out, _ = net(x, st)
                loss = out.sum()
            loss.backward()
            nd.waitall()

        def fwd():
            net(x, st)[0].wait_to_read()
        print(f"hybridnet {'hybridized' if hyb else 'eager'}: fwd+bwd {timeit(step):.1f} ms, "
              f"predict fwd {timeit(fwd):.1f} ms")


def bench_mxnet():
    import mxnet as mx
    from mxnet import autograd, nd
    from mxnet.gluon import rnn
    for hyb in (False, True):
        net = rnn.LSTM(H, num_layers=L, input_size=I)
        net.initialize(mx.init.Uniform(0.1))
        if hyb:
            net.hybridize(static_alloc=True, static_shape=True)
        x = nd.random.uniform(-1, 1, shape=(T, N, I))
        x.attach_grad()
        st = net.begin_state(N)

        def step():
            with autograd.record():
                out, _ = net(x, st)
                loss = out.sum()
            loss.backward()
            nd.waitall()

        def fwd():
            net(x, st)[0].wait_to_read()
        print(f"mxnet {'hybridized' if hyb else 'imperative'}: fwd+bwd {timeit(step):.1f} ms, "
              f"predict fwd {timeit(fwd):.1f} ms")


def bench_torch():
    try:
        import torch
    except ImportError:
        print("torch: not installed")
        return
    net = torch.nn.LSTM(I, H, L)
    x = torch.rand(T, N, I, requires_grad=True)
    h0 = (torch.zeros(L, N, H), torch.zeros(L, N, H))

    def step():
        out, _ = net(x, h0)
        out.sum().backward()

    def fwd():
        with torch.no_grad():
            net(x, h0)
    print(f"torch {torch.__version__} eager: fwd+bwd {timeit(step):.1f} ms, predict fwd {timeit(fwd):.1f} ms")


def profile_hybridnet():
    """Time split of the CPU kernels: GEMMs vs gate kernels (monkeypatched counters)."""
    import hybridnet as mx
    from hybridnet import autograd, nd
    from hybridnet.gluon import rnn
    import hybridnet.kernels.generic.rnn as G
    from hybridnet.kernels.cpu import rnn as C
    acc = {"gemm": 0.0, "gates": 0.0}
    mm = G._mm

    def timed_mm(*a):
        t0 = time.perf_counter()
        r = mm(*a)
        acc["gemm"] += time.perf_counter() - t0
        return r
    G._mm = timed_mm
    gk = C.gate_kernels()

    class Timed:
        def __getattr__(self, name):
            f = getattr(gk, name)

            def call(*a):
                t0 = time.perf_counter()
                r = f(*a)
                acc["gates"] += time.perf_counter() - t0
                return r
            return call
    orig = C.gate_kernels
    C.gate_kernels = lambda: Timed()
    net = rnn.LSTM(H, num_layers=L, input_size=I)
    net.initialize(mx.init.Uniform(0.1))
    x = nd.random.uniform(-1, 1, shape=(T, N, I))
    x.attach_grad()
    st = net.begin_state(N)

    def step():
        with autograd.record():
            out, _ = net(x, st)
            loss = out.sum()
        loss.backward()
        nd.waitall()
    step()
    acc["gemm"] = acc["gates"] = 0.0
    t0 = time.perf_counter()
    for _ in range(REPS):
        step()
    total = (time.perf_counter() - t0) / REPS * 1e3
    print(f"hybridnet eager step {total:.1f} ms: GEMMs {acc['gemm'] / REPS * 1e3:.1f} ms, "
          f"gate kernels {acc['gates'] / REPS * 1e3:.1f} ms")
    C.gate_kernels = orig
    G._mm = mm


if __name__ == "__main__":
    if "--mxnet" in sys.argv:
        bench_mxnet()
    else:
        bench_hybridnet()
        bench_torch()
        profile_hybridnet()
