"""Hybridized inference with ``hybridize(static_alloc=True, static_shape=True)`` on a GPU is captured
once as a CUDA graph and then launched as one graph (``kernels/cuda/graph_capture.py``). The results
must be the plain replay's: new data each call, Parameters updated in place or replaced, outputs never overwritten.
On the CPU and under the CUDA simulator nothing is captured (asserted too)."""
import numpy as np

import hybridnet as mx
from hybridnet import autograd, gluon, nd
from hybridnet.kernels.cuda import graph_capture as cuda_graph
from hybridnet.kernels.cuda.launch import SIM


def _net(device, static=True):
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(16, activation="relu", in_units=10), gluon.nn.Dense(4, in_units=16))
    net.initialize(mx.init.Xavier(), ctx=device)
    if static:
        net.hybridize(static_alloc=True, static_shape=True)
    return net


def _ref(net, x):
    h = np.maximum(x @ net[0].weight.data().asnumpy().T + net[0].bias.data().asnumpy(), 0)
    return h @ net[1].weight.data().asnumpy().T + net[1].bias.data().asnumpy()


def test_static_inference_replays_a_captured_graph(device):
    real_gpu = device.device_type == "gpu" and not SIM
    net = _net(device)
    rng = np.random.default_rng(0)
    before = dict(cuda_graph.stats)
    kept = []
    for i in range(5):
        x = rng.standard_normal((3, 10)).astype(np.float32)
        out = net(nd.array(x, ctx=device))
        np.testing.assert_allclose(out.asnumpy(), _ref(net, x), rtol=1e-5, atol=1e-5)
        kept.append((out, out.asnumpy().copy()))
    for out, val in kept:                       # later calls did not overwrite earlier results
        np.testing.assert_array_equal(out.asnumpy(), val)
    captures = cuda_graph.stats["captures"] - before["captures"]
    replays = cuda_graph.stats["replays"] - before["replays"]
    assert (captures, replays) == ((1, 4) if real_gpu else (0, 0))

    x = rng.standard_normal((3, 10)).astype(np.float32)
    w = net[1].weight.data()
    w[:] = w * 2                                   # in place (what Trainer.step does)
    np.testing.assert_allclose(net(nd.array(x, ctx=device)).asnumpy(), _ref(net, x), rtol=1e-5, atol=1e-5)
    net[1].weight.set_data(nd.array(rng.standard_normal((4, 16)), ctx=device))   # maybe a new array
    np.testing.assert_allclose(net(nd.array(x, ctx=device)).asnumpy(), _ref(net, x), rtol=1e-5, atol=1e-5)


def test_not_captured_without_static_flags_or_with_random_ops(device):
    before = dict(cuda_graph.stats)
    net = _net(device, static=False)
    net.hybridize()
    x = nd.array(np.ones((2, 10), np.float32), ctx=device)
    for _ in range(3):
        net(x)
    drop = gluon.nn.HybridSequential()
    drop.add(gluon.nn.Dense(8, in_units=10), gluon.nn.Dropout(0.5))
    drop.initialize(ctx=device)
    drop.hybridize(static_alloc=True, static_shape=True)
    with autograd.train_mode():
        outs = [drop(x).asnumpy() for _ in range(4)]
    assert any(not np.array_equal(outs[0], o) for o in outs[1:])    # fresh masks every call
    assert cuda_graph.stats["captures"] == before["captures"]
