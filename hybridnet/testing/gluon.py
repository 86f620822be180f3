"""``check_hybrid_consistency``: the hybrid contract of a Block, checked in one call.

Eager vs hybridized, without and with ``autograd.record()``: outputs, gradients of every Parameter
and of the inputs (through a fixed random head gradient), and that a second hybridized call is a
cache hit (no new trace).
"""
import numpy as np

from .. import autograd, nd

__all__ = ["check_hybrid_consistency"]


def _flat(out):
    if isinstance(out, (list, tuple)):
        return [y for o in out for y in _flat(o)]
    return [out]


def _run(block, inputs, record, train_mode, heads):
    xs = [x.copy() for x in inputs]
    for x in xs:
        x.attach_grad()
    block.collect_params().zero_grad()
    if record:
        with autograd.record(train_mode=train_mode):
            outs = _flat(block(*xs))
            loss = None
            for o, h in zip(outs, heads):
                term = (o * h).sum()
                loss = term if loss is None else loss + term
        loss.backward()
        grads = {k: p.grad().asnumpy().copy() for k, p in block.collect_params().items() if p.grad_req != "null"}
        in_grads = [x.grad.asnumpy().copy() for x in xs]
    else:
        ctx = autograd.train_mode() if train_mode else autograd.predict_mode()
        with ctx:
            outs = _flat(block(*xs))
        grads, in_grads = {}, []
    return [o.asnumpy() for o in outs], grads, in_grads


def check_hybrid_consistency(block, *inputs, rtol=1e-5, atol=1e-6, train_mode=False, initialize=True,
                             check_cache=True):
    """Assert that ``block`` gives the same outputs and gradients eagerly and hybridized, with and
    without autograd; returns the eager outputs. ``train_mode=True`` compares in train mode (only for
    deterministic blocks). The block is left hybridized.

    >>> from hybridnet import gluon, nd
    >>> from hybridnet.testing.gluon import check_hybrid_consistency
    >>> outs = check_hybrid_consistency(gluon.nn.Dense(3, in_units=2), nd.ones((4, 2)))
    >>> outs[0].shape
    (4, 3)
    """
    if initialize and any(p._data is None and not p._deferred_init for p in block.collect_params().values()):
        block.initialize()
    block.hybridize(active=False)
    out0, _, _ = _run(block, inputs, False, train_mode, None)     # finishes deferred init
    rng = np.random.RandomState(0)
    heads = [nd.array(rng.uniform(-1, 1, o.shape), dtype=o.dtype, ctx=inputs[0].context) for o in out0]
    eager = {rec: _run(block, inputs, rec, train_mode, heads) for rec in (False, True)}
    block.hybridize()
    for rec in (False, True):
        got = _run(block, inputs, rec, train_mode, heads)
        what = "with autograd" if rec else "without autograd"
        for i, (a, b) in enumerate(zip(got[0], eager[rec][0])):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol,
                                       err_msg=f"{type(block).__name__}: output {i} hybridized != eager {what}")
        for k in eager[rec][1]:
            np.testing.assert_allclose(got[1][k], eager[rec][1][k], rtol=rtol, atol=atol,
                                       err_msg=f"{type(block).__name__}: grad of {k} hybridized != eager")
        for i, (a, b) in enumerate(zip(got[2], eager[rec][2])):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol,
                                       err_msg=f"{type(block).__name__}: grad of input {i} hybridized != eager")
    if check_cache and hasattr(block, "_trace_count"):
        n = block._trace_count
        _run(block, inputs, False, train_mode, heads)
        _run(block, inputs, True, train_mode, heads)
        assert block._trace_count == n, f"{type(block).__name__}: a repeated call re-traced (cache miss)"
    return eager[False][0]
