"""Symbols built the same way with MXNet 1.9.1 (golden maker) and hybridnet (tests).

``build(mx)`` takes either ``mxnet`` or ``hybridnet`` and returns {name: (symbol, input shapes)}; names
are made inside a fresh ``mx.name.NameManager`` so automatic names (``relu0``...) agree.
"""


def _mlp(mx):
    s = mx.sym
    data = s.var("data")
    h = s.FullyConnected(data, num_hidden=16, name="fc1")
    h = s.relu(h, name="relu1")
    h = s.FullyConnected(h, num_hidden=8, name="fc2")
    h = s.sigmoid(h)
    h = s.FullyConnected(h, num_hidden=3, name="fc3")
    return s.softmax(h, name="out"), {"data": (4, 10)}


def _ops(mx):
    s = mx.sym
    a, b = s.var("a"), s.var("b", shape=(1, 3, 4), lr_mult=2.0)
    c = s.broadcast_add(a, b)
    d = s.Reshape(c, shape=(0, -1))
    e = s.Concat(d, d * 2, dim=1)
    f = s.SliceChannel(e, num_outputs=2, axis=1, name="split")
    g = f[0] + f[1]
    h = s.sum(g, axis=1, keepdims=True)
    i = s.broadcast_add((1 - h) / 3, s.exp(f[0] * 0.1) ** 2)
    j = s.transpose(s.expand_dims(i, axis=0))
    k = s.broadcast_mul(s.tanh(f[1]), i) - (-s.abs(f[0]))
    return s.Group([j, k, f[1]]), {"a": (2, 3, 4)}


def _heads(mx):
    s = mx.sym
    x = s.var("x")
    p = s.FullyConnected(x, num_hidden=5, no_bias=True, flatten=False, name="proj")
    t = s.topk(s.tanh(p), k=2, ret_typ="both", axis=-1)
    return s.Group([t[0], t[1], s.log_softmax(p, axis=1)]), {"x": (2, 3, 6)}


MODELS = {"mlp": _mlp, "ops": _ops, "heads": _heads}


def build(mx):
    out = {}
    for name, fn in MODELS.items():
        with mx.name.NameManager():
            out[name] = fn(mx)
    return out
