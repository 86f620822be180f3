"""Numeric gradient checks along random directions, first and second order.

For ``L(x) = sum(w * f(x))`` with fixed random ``w``, autograd's gradient ``g`` must satisfy
``<g, v> == (L(x + eps v) - L(x - eps v)) / (2 eps)`` for a random direction ``v`` (float64, central
differences). Second order applies the same check to ``L2(x) = sum(u * grad(L)(x))`` using
``autograd.grad(..., create_graph=True)``.
"""
import numpy as np

__all__ = ["numeric_grad_check"]


def numeric_grad_check(fn, inputs, wrt=None, order=1, eps=1e-6, rtol=1e-4, atol=1e-5, seed=0):
    """``fn(*ndarrays) -> NDArray | tuple``; ``inputs``: float64 NumPy arrays. Raises AssertionError."""
    from .. import autograd, nd
    rng = np.random.default_rng(seed)
    wrt = list(range(len(inputs))) if wrt is None else list(wrt)

    def outs_of(r):
        return list(r) if isinstance(r, (list, tuple)) else [r]

    base = outs_of(fn(*[nd.array(x, dtype=x.dtype) for x in inputs]))
    ws = [rng.standard_normal(o.shape) for o in base]

    def loss_np(xs):
        r = outs_of(fn(*[nd.array(x, dtype=x.dtype) for x in xs]))
        return sum(float((o.asnumpy().astype(np.float64) * w).sum()) for o, w in zip(r, ws))

    def analytic(xs, create_graph=False):
        arrs = [nd.array(x, dtype=x.dtype) for x in xs]
        for i in wrt:
            arrs[i].attach_grad()
        with autograd.record():
            r = outs_of(fn(*arrs))
            L = None
            for o, w in zip(r, ws):
                t = (o * nd.array(w, dtype=o.dtype)).sum()
                L = t if L is None else L + t
        grads = autograd.grad(L, [arrs[i] for i in wrt], create_graph=create_graph)
        return arrs, grads

    if order == 1:
        _, grads = analytic(inputs)
        for k, i in enumerate(wrt):
            v = rng.standard_normal(inputs[i].shape)
            xp = [x.copy() for x in inputs]
            xm = [x.copy() for x in inputs]
            xp[i] = xp[i] + eps * v
            xm[i] = xm[i] - eps * v
            num = (loss_np(xp) - loss_np(xm)) / (2 * eps)
            ana = float((grads[k].asnumpy().astype(np.float64) * v).sum())
            if not np.isclose(ana, num, rtol=rtol, atol=atol):
                raise AssertionError(f"gradient of input {i}: analytic <g,v>={ana!r} vs numeric {num!r}")
        return
    # second order: check d/dx sum(u * g(x)) where g = dL/dx
    us = [rng.standard_normal(inputs[i].shape) for i in wrt]

    def l2_np(xs):
        _, grads = analytic(xs)
        return sum(float((g.asnumpy().astype(np.float64) * u).sum()) for g, u in zip(grads, us))

    arrs, grads = analytic(inputs, create_graph=True)
    with autograd.record():
        L2 = None
        for g, u in zip(grads, us):
            t = (g * nd.array(u, dtype=g.dtype)).sum()
            L2 = t if L2 is None else L2 + t
    if L2._entry is None:   # the first derivative does not depend on x: second derivative is 0
        g2 = [nd.zeros(arrs[i].shape, dtype=arrs[i].dtype) for i in wrt]
    else:
        g2 = autograd.grad(L2, [arrs[i] for i in wrt])
    for k, i in enumerate(wrt):
        v = rng.standard_normal(inputs[i].shape)
        xp = [x.copy() for x in inputs]
        xm = [x.copy() for x in inputs]
        xp[i] = xp[i] + eps * v
        xm[i] = xm[i] - eps * v
        num = (l2_np(xp) - l2_np(xm)) / (2 * eps)
        ana = float((g2[k].asnumpy().astype(np.float64) * v).sum())
        if not np.isclose(ana, num, rtol=rtol * 10, atol=atol * 10):
            raise AssertionError(f"second-order gradient of input {i}: analytic {ana!r} vs numeric {num!r}")
