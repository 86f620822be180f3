"""Make the convolution golden files with the real MXNet 1.9.1 (never a dependency of the tests).

Run:  /work/mx-oracle/bin/python tests/golden/conv/make_conv_goldens.py

Writes ``conv_goldens.json`` (configs, reprs, Parameter names/shapes, export JSON attrs) and ``conv_goldens.npz``
(inputs, Parameter values, outputs and gradients, float32) next to this script. Deterministic: every layer is
built in a fresh ``mx.name.NameManager()``, inputs and Parameter values come from ``np.random.RandomState``
with fixed seeds (so they do not depend on MXNet's generator), and the head gradient is fixed too.

Per config (a layer built by ``code``, evaluated with ``nn`` = ``mxnet.gluon.nn``):
- ``repr_before`` / ``repr_after`` (before / after the first forward), Parameter names and shapes before
  (deferred: 0 = unknown) and after;
- arrays ``<name>/x``, ``<name>/<param suffix>`` (values set after the first forward),
  ``<name>/head`` (head gradient), ``<name>/y`` (train-mode output under ``autograd.record()``),
  ``<name>/grad_x`` and ``<name>/grad_<param suffix>`` for the loss ``sum(y * head)``.
Op-level configs (``op`` instead of ``code``) call ``nd.<op>`` with explicit arrays and attrs.
MXNet's CPU build cannot run the channels-last layouts (MKL-DNN: "could not create a descriptor"), so
they are not here; hybridnet checks them against its own channels-first results. Its MKL-DNN Deconvolution
also fails for a ``target_shape`` that needs an odd adjustment (same error), so the op-level configs run in a
child process with ``MXNET_MKLDNN_ENABLED=0`` (MXNet's own im2col/col2im implementation).
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import mxnet as mx
from mxnet import autograd, nd
from mxnet.gluon import nn  # noqa: F401  (used by the eval of each config's code)

HERE = os.path.dirname(os.path.abspath(__file__))

LAYERS = [
    ("conv2d_basic", "nn.Conv2D(4, 3, in_channels=3)", (2, 3, 6, 6)),
    ("conv2d_stride_pad", "nn.Conv2D(4, (3, 2), strides=(2, 1), padding=(1, 1))", (2, 3, 7, 6)),
    ("conv2d_dilation", "nn.Conv2D(4, 3, dilation=(2, 1), padding=1)", (2, 3, 7, 6)),
    ("conv2d_groups", "nn.Conv2D(6, 3, groups=2, in_channels=4)", (2, 4, 5, 6)),
    ("conv2d_depthwise", "nn.Conv2D(4, 3, groups=4, padding=1, strides=2)", (2, 4, 7, 7)),
    ("conv2d_1x1_nobias", "nn.Conv2D(3, 1, use_bias=False)", (2, 5, 4, 3)),
    ("conv2d_relu", "nn.Conv2D(4, 3, activation='relu', padding=(0, 1))", (2, 2, 5, 5)),
    ("conv1d", "nn.Conv1D(4, 3, strides=2, padding=1)", (2, 3, 9)),
    ("conv1d_dilation_groups", "nn.Conv1D(4, 2, dilation=3, groups=2)", (2, 2, 10)),
    ("conv3d", "nn.Conv3D(3, (2, 3, 2), padding=(1, 0, 1), strides=(1, 2, 1))", (2, 2, 4, 5, 3)),
    ("conv2d_transpose", "nn.Conv2DTranspose(3, 3, strides=2, padding=1, output_padding=1)", (2, 4, 3, 4)),
    ("conv2d_transpose_groups", "nn.Conv2DTranspose(4, 3, groups=2, dilation=2, in_channels=4)", (2, 4, 3, 3)),
    ("conv2d_transpose_nobias", "nn.Conv2DTranspose(2, (2, 3), strides=(2, 1), use_bias=False)", (1, 3, 3, 2)),
    ("conv1d_transpose", "nn.Conv1DTranspose(2, 4, strides=3, padding=1, output_padding=2)", (2, 3, 4)),
    ("conv3d_transpose", "nn.Conv3DTranspose(2, (2, 3, 2), padding=(1, 0, 0))", (1, 2, 2, 3, 2)),
]

OPS = [
    ("deconv_target_shape", "Deconvolution", [(2, 3, 4, 4), (3, 2, 3, 3)],
     dict(kernel=(3, 3), num_filter=2, stride=(2, 2), target_shape=(8, 9))),
    ("deconv_target_shape_bias", "Deconvolution", [(2, 2, 3, 5), (2, 3, 4, 3), (3,)],
     dict(kernel=(4, 3), num_filter=3, stride=(3, 2), target_shape=(10, 10), no_bias=False)),
    ("conv_op_defaults", "Convolution", [(1, 2, 5, 5), (3, 2, 2, 2), (3,)], dict(kernel=(2, 2), num_filter=3)),
]


def values(seed, shape):
    return np.random.RandomState(seed).uniform(-1, 1, shape).astype(np.float32)


def ops_section(meta, arrays):
    for i, (name, op, shapes, attrs) in enumerate(OPS):
        xs = [nd.array(values(4000 + 10 * i + j, s)) for j, s in enumerate(shapes)]
        for a in xs:
            a.attach_grad()
        with autograd.record():
            y = getattr(nd, op)(*xs, **attrs)
            head = nd.array(values(5000 + i, y.shape))
            loss = (y * head).sum()
        loss.backward()
        meta["ops"][name] = {"op": op, "shapes": [list(s) for s in shapes],
                             "attrs": {k: list(v) if isinstance(v, tuple) else v for k, v in attrs.items()}}
        for j, a in enumerate(xs):
            arrays[f"{name}/in{j}"] = a.asnumpy()
            arrays[f"{name}/grad_in{j}"] = a.grad.asnumpy()
        arrays[f"{name}/head"] = head.asnumpy()
        arrays[f"{name}/y"] = y.asnumpy()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--ops":
        meta, arrays = {"ops": {}}, {}
        ops_section(meta, arrays)
        with open(sys.argv[2] + ".json", "w") as f:
            json.dump(meta, f)
        np.savez(sys.argv[2] + ".npz", **arrays)
        return
    meta = {"mxnet_version": mx.__version__, "layers": {}, "ops": {}}
    arrays = {}
    for i, (name, code, xshape) in enumerate(LAYERS):
        with mx.name.NameManager():
            layer = eval(code)
        rec = {"code": code, "x_shape": list(xshape), "repr_before": repr(layer), "prefix": layer.prefix,
               "params_before": {k: list(p.shape) for k, p in layer.collect_params().items()}}
        layer.initialize()
        x = nd.array(values(1000 + i, xshape))
        layer(x)
        rec["repr_after"] = repr(layer)
        rec["params_after"] = {k: list(p.shape) for k, p in layer.collect_params().items()}
        arrays[f"{name}/x"] = x.asnumpy()
        for j, (k, p) in enumerate(layer.collect_params().items()):
            v = values(2000 + 10 * i + j, p.shape)
            p.set_data(nd.array(v))
            arrays[f"{name}/{k[len(layer.prefix):]}"] = v
        x.attach_grad()
        with autograd.record():
            y = layer(x)
            head = nd.array(values(3000 + i, y.shape))
            loss = (y * head).sum()
        loss.backward()
        arrays[f"{name}/head"] = head.asnumpy()
        arrays[f"{name}/y"] = y.asnumpy()
        arrays[f"{name}/grad_x"] = x.grad.asnumpy()
        for k, p in layer.collect_params().items():
            arrays[f"{name}/grad_{k[len(layer.prefix):]}"] = p.grad().asnumpy()
        # the attributes MXNet writes for the layer's node in an exported symbol
        layer.hybridize()
        layer(x)
        sym = layer._cached_graph[1]
        conf = json.loads(sym.tojson())
        rec["export_nodes"] = [{"op": n["op"], "name": n["name"], "attrs": n.get("attrs", {})}
                               for n in conf["nodes"] if n["op"] != "null"]
        meta["layers"][name] = rec
    with tempfile.TemporaryDirectory() as d:
        base = os.path.join(d, "ops")
        env = dict(os.environ, MXNET_MKLDNN_ENABLED="0", MXNET_STORAGE_FALLBACK_LOG_VERBOSE="0")
        subprocess.run([sys.executable, os.path.abspath(__file__), "--ops", base], env=env, check=True)
        with open(base + ".json") as f:
            meta["ops"] = json.load(f)["ops"]
        with np.load(base + ".npz") as z:
            arrays.update({k: z[k] for k in z.files})
    with open(os.path.join(HERE, "conv_goldens.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")
    np.savez_compressed(os.path.join(HERE, "conv_goldens.npz"), **arrays)


if __name__ == "__main__":
    main()
