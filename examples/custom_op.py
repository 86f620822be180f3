"""User-defined ops in pure Python: a scalar formula + a gradient written with existing ops.

`hybridnet.ops.defop` turns them into a real operator: a generated CPU ufunc and CUDA kernel (both
compiled by Numba from the same formula), eager and autograd use, higher-order gradients, and a
generated `nd.<name>` function with a docstring. (MXNet needed C++ or a slow Python CustomOp;
PyTorch needs C++ or Triton.)

Run: python examples/custom_op.py
"""
import math

import numpy as np

import hybridnet as mx
from hybridnet import autograd, nd, ops


# 1. An elementwise op: Swish, x * sigmoid(beta * x), with `beta` a scalar attribute.
def _swish_grad(ctx, g):
    x, beta = ctx.inputs[0], ctx.attrs["beta"]
    s = nd.sigmoid(x * beta)
    return (g * (s + beta * x * s * (1 - s)),)   # written with existing ops: differentiable again


ops.defop(
    "swish", ("data",),
    scalar=lambda x, beta: x / (1.0 + math.exp(-beta * x)),   # compiled for CPU and CUDA
    scalar_attrs=("beta",),
    attrs=(ops.Attr("beta", ops.Float(), 1.0, "slope inside the sigmoid"),),
    grad=_swish_grad, saves=("inputs",), replace=True,   # replace: re-running the script/cell is fine
    doc="Swish activation x * sigmoid(beta * x).\n\n>>> nd.swish(nd.array([0.0, 1.0])).shape\n(2,)")


# 2. A two-input op with broadcasting: a smooth maximum, log(e^a + e^b).
def _smoothmax_grad(ctx, g):
    a, b = ctx.inputs
    y = ctx.outputs[0]
    return (g * nd.exp(a - y), g * nd.exp(b - y))   # the tape sums broadcast grads back


ops.defop("smooth_max", ("lhs", "rhs"),
          scalar=lambda a, b: max(a, b) + math.log1p(math.exp(-abs(a - b))),
          grad=_smoothmax_grad, saves=("inputs", "outputs"), replace=True,
          doc="log(exp(a) + exp(b)), broadcasting.\n\n>>> nd.smooth_max(nd.ones((2, 1)), nd.ones(3)).shape\n(2, 3)")


def main():
    x = nd.array([-2.0, -0.5, 0.0, 1.5])
    x.attach_grad()
    with autograd.record():
        y = nd.swish(x, beta=2.0)
    y.backward()
    print("swish(x)      =", y.asnumpy())
    print("d swish / dx  =", x.grad.asnumpy())

    # second derivative through the gradient rule (create_graph=True)
    with autograd.record():
        y = nd.swish(x, beta=2.0).sum()
        (dx,) = autograd.grad(y, [x], create_graph=True)
        z = dx.sum()
    z.backward()
    print("d2 swish / dx2 =", x.grad.asnumpy())

    a, b = nd.array([[0.0], [1.0]]), nd.array([0.0, 2.0, -1.0])
    print("smooth_max    =\n", nd.smooth_max(a, b).asnumpy())
    ref = np.logaddexp(a.asnumpy(), b.asnumpy())
    assert np.allclose(nd.smooth_max(a, b).asnumpy(), ref, atol=1e-6)
    if mx.num_gpus():
        print("on gpu(0)     =", nd.swish(x.as_in_context(mx.gpu(0)), beta=2.0).asnumpy())


if __name__ == "__main__":
    main()
