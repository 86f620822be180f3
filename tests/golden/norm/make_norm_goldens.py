"""Make tests/golden/norm/norm_goldens.json with MXNet 1.9.1 (run with the oracle:
``/work/mx-oracle/bin/python tests/golden/norm/make_norm_goldens.py``).

Layers (``gluon.nn.LayerNorm`` / ``InstanceNorm`` / ``GroupNorm``): repr before and after the first call
(deferred ``in_channels``), prefix, Parameter names / grad_req / shapes, the outputs and the gradients of
the input and of every Parameter with ``grad_req='write'`` for a fixed head gradient (Parameters set to
fixed random values), and the op nodes (op, name) of ``export``. Ops (``LayerNorm``, ``GroupNorm``,
``InstanceNorm``, ``L2Normalization``): visible outputs and input gradients through ``mx.autograd``.
Float values are float32 lists."""
import json
import os
import tempfile

import mxnet as mx
import numpy as np
from mxnet.gluon import nn  # noqa: F401  (the layer configs are nn.* expressions)

HERE = os.path.dirname(os.path.abspath(__file__))

LAYERS = [
    ("ln_default", "nn.LayerNorm()", (2, 3, 4)),
    ("ln_axis1_eps", "nn.LayerNorm(axis=1, epsilon=1e-3, in_channels=3)", (2, 3, 4)),
    ("ln_nocenter_noscale", "nn.LayerNorm(center=False, scale=False)", (4, 5)),
    ("ln_4d_axis_m2", "nn.LayerNorm(axis=-2)", (2, 3, 4, 2)),
    ("ln_init", "nn.LayerNorm(gamma_initializer='zeros', beta_initializer='ones', in_channels=6)", (3, 6)),
    ("in_default", "nn.InstanceNorm()", (2, 3, 4)),
    ("in_scale_4d", "nn.InstanceNorm(scale=True, epsilon=1e-3, in_channels=3)", (2, 3, 2, 2)),
    ("in_axis2", "nn.InstanceNorm(axis=2, scale=True)", (2, 3, 4, 2)),
    ("in_axis3_nocenter", "nn.InstanceNorm(axis=3, center=False, scale=True)", (2, 3, 2, 4)),
    ("gn_default", "nn.GroupNorm()", (2, 4, 3)),
    ("gn_2groups_4d", "nn.GroupNorm(num_groups=2, epsilon=1e-3)", (2, 4, 3, 2)),
    ("gn_5d_noscale", "nn.GroupNorm(num_groups=4, center=False, scale=False)", (2, 4, 2, 2, 2)),
]

OPS = [
    ("LayerNorm", {}, [(2, 3, 4), (4,), (4,)]),
    ("LayerNorm", {"axis": 0, "eps": 1e-3}, [(3, 5), (3,), (3,)]),
    ("LayerNorm", {"axis": 1, "output_mean_var": True}, [(2, 3, 4), (3,), (3,)]),
    ("GroupNorm", {"num_groups": 2, "output_mean_var": True}, [(2, 4, 3), (2,), (2,)]),
    ("InstanceNorm", {}, [(2, 3, 4), (3,), (3,)]),
    ("InstanceNorm", {"eps": 1e-5}, [(2, 2, 3, 2), (2,), (2,)]),
    ("L2Normalization", {}, [(2, 3, 4)]),
    ("L2Normalization", {"mode": "channel"}, [(2, 3, 4)]),
    ("L2Normalization", {"mode": "spatial", "eps": 1e-4}, [(2, 3, 2, 2)]),
    ("L2Normalization", {"mode": "channel"}, [(2, 3, 2, 2)]),
    ("L2Normalization", {}, [(5,)]),
]


def f32(a):
    return np.asarray(a, np.float32).ravel().tolist()


def layer_record(name, code, shape, seed):
    rs = np.random.RandomState(seed)
    with mx.name.NameManager():
        net = eval(code)
        rec = {"code": code, "shape": list(shape), "repr_before": repr(net), "prefix": net.prefix,
               "params": [[k, p.grad_req, list(p.shape)] for k, p in net.collect_params().items()]}
        net.initialize()
        x = rs.uniform(-2, 3, shape).astype(np.float32)
        net(mx.nd.array(x))
        rec["repr_after"] = repr(net)
        rec["init_values"] = {k: f32(p.data().asnumpy()) for k, p in net.collect_params().items()}
        pvals = {}
        for k, p in net.collect_params().items():
            lo, hi = (0.5, 1.5) if k.endswith("gamma") else (-0.5, 0.5)
            v = rs.uniform(lo, hi, p.shape).astype(np.float32)
            p.set_data(mx.nd.array(v))
            pvals[k] = f32(v)
        head = rs.uniform(-1, 1, shape).astype(np.float32)
        xa = mx.nd.array(x)
        xa.attach_grad()
        with mx.autograd.record():
            y = net(xa)
        y.backward(mx.nd.array(head))
        rec.update(x=f32(x), param_values=pvals, head=f32(head), output=f32(y.asnumpy()),
                   x_grad=f32(xa.grad.asnumpy()),
                   param_grads={k: f32(p.grad().asnumpy()) for k, p in net.collect_params().items()
                                if p.grad_req != "null"})
        net.hybridize()
        y2 = net(mx.nd.array(x))
        assert np.allclose(y2.asnumpy(), y.asnumpy(), rtol=1e-5, atol=1e-6)
        with tempfile.TemporaryDirectory() as d:
            net.export(os.path.join(d, "net"))
            with open(os.path.join(d, "net-symbol.json")) as f:
                nodes = json.load(f)["nodes"]
        rec["export_nodes"] = [[n["op"], n["name"], n.get("attrs", {})] for n in nodes]
    return rec


def op_record(op, attrs, shapes, seed):
    rs = np.random.RandomState(seed)
    arrs = []
    for i, s in enumerate(shapes):
        lo, hi = ((-2, 3) if i == 0 else (0.5, 1.5) if i == 1 else (-0.5, 0.5))
        arrs.append(rs.uniform(lo, hi, s).astype(np.float32))
    nds = [mx.nd.array(a) for a in arrs]
    for a in nds:
        a.attach_grad()
    with mx.autograd.record():
        out = getattr(mx.nd, op)(*nds, **attrs)
    outs = out if isinstance(out, list) else [out]
    head = rs.uniform(-1, 1, shapes[0]).astype(np.float32)
    outs[0].backward(mx.nd.array(head))
    return {"op": op, "attrs": attrs, "shapes": [list(s) for s in shapes], "inputs": [f32(a) for a in arrs],
            "head": f32(head), "outputs": [[list(o.shape), f32(o.asnumpy())] for o in outs],
            "grads": [f32(a.grad.asnumpy()) for a in nds]}


def main():
    out = {"mxnet": mx.__version__,
           "layers": {name: layer_record(name, code, shape, i) for i, (name, code, shape) in enumerate(LAYERS)},
           "ops": [op_record(op, attrs, shapes, 100 + i) for i, (op, attrs, shapes) in enumerate(OPS)]}
    with open(os.path.join(HERE, "norm_goldens.json"), "w") as f:
        json.dump(out, f, indent=0, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
