"""Ops that update an input (``OpDef.state_outputs``, MXNet's mutated auxiliary states such as
BatchNorm's running statistics): eagerly the input array is updated in place; in a hybridized block the
graph returns the new value and the call writes it into the Parameter after every run (no re-trace),
with gradients unaffected. Tested with a small user-defined running-mean op."""
import numpy as np
import pytest

from hybridnet import autograd, gluon, nd, ops
from hybridnet.ops.opdef import Pattern
from hybridnet.ops.spec import TensorSpec
from hybridnet.ops.trace_base import TRAINING


def _infer(data, mean, momentum=0.9):
    return (TensorSpec(data.shape, data.dtype, data.device), TensorSpec(mean.shape, mean.dtype, mean.device))


def _grad(ctx, g, g_mean):
    return (g, None)


def _cpu_kernel(data, mean, out=None, momentum=0.9):
    centered = data - mean if not TRAINING.get() else data - data.mean(axis=0)
    new_mean = momentum * mean + (1 - momentum) * data.mean(axis=0) if TRAINING.get() else mean.copy()
    if out is not None:
        out[0][...] = centered
        out[1][...] = new_mean
        return out
    return centered.astype(data.dtype), new_mean.astype(mean.dtype)


from hybridnet.ops.opdef import Attr, Float  # noqa: E402

if "_test_center" not in ops.registry.REGISTRY:
    ops.defop("_test_center", ("data", "mean"), _infer, Pattern.OPAQUE,
              attrs=(Attr("momentum", Float(), 0.9),), num_outputs=2, num_visible_outputs=1,
              state_outputs={1: "mean"}, grad=_grad, saves=(), kernels={"cpu": _cpu_kernel},
              cpu_only="test op", doc="center by batch mean (train) or running mean; updates the running mean")


class Center(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.running_mean = self.params.get("running_mean", shape=(3,), init="zeros", grad_req="null")

    def hybrid_forward(self, F, x, running_mean):
        return F._test_center(x, running_mean, momentum=0.5)


def _x(seed):
    return nd.array(np.random.RandomState(seed).randn(4, 3).astype(np.float32))


@pytest.mark.parametrize("record", [False, True])
def test_state_updates_eager_equal_hybridized(record):
    runs = {}
    for hybrid in (False, True):
        b = Center()
        b.initialize()
        if hybrid:
            b.hybridize()
        outs = []
        for k in range(3):
            x = _x(k)
            x.attach_grad()
            if record:
                with autograd.record():
                    y = b(x)
                y.backward()
                outs.append((y.asnumpy(), x.grad.asnumpy().copy()))
            else:
                with autograd.train_mode():
                    outs.append((b(x).asnumpy(),))
        runs[hybrid] = (b.running_mean.data().asnumpy().copy(), outs, getattr(b, "_trace_count", None))
    want_mean = np.zeros(3, np.float32)
    for k in range(3):
        want_mean = 0.5 * want_mean + 0.5 * _x(k).asnumpy().mean(axis=0)
    np.testing.assert_allclose(runs[False][0], want_mean, rtol=1e-6)
    np.testing.assert_allclose(runs[True][0], want_mean, rtol=1e-6)
    for a, b in zip(runs[False][1], runs[True][1]):
        for u, v in zip(a, b):
            np.testing.assert_allclose(u, v, rtol=1e-6)
    assert runs[True][2] == 1


def test_predict_mode_reads_state_and_leaves_it():
    b = Center()
    b.initialize()
    b.running_mean.set_data(nd.array([1.0, 2.0, 3.0]))
    b.hybridize()
    x = _x(0)
    np.testing.assert_allclose(b(x).asnumpy(), x.asnumpy() - np.array([1, 2, 3]), rtol=1e-6)
    np.testing.assert_array_equal(b.running_mean.data().asnumpy(), [1.0, 2.0, 3.0])


def test_state_is_an_auxiliary_state_in_symbols_and_export(tmp_path):
    b = Center()
    b.initialize()
    b.hybridize()
    with autograd.train_mode():
        b(_x(0))
    sym_file, params_file = b.export(str(tmp_path / "c"))
    keys = list(nd.load(params_file).keys())
    assert keys == [f"aux:{b.running_mean.name}"]
