"""Make the Gluon Block / Parameter / Trainer golden files with the real MXNet 1.9.1 (never a dependency).

Run:  /work/mx-oracle/bin/python tests/golden/gluon/make_gluon_goldens.py

Writes ``tests/golden/gluon/gluon_goldens.json`` plus small binary files under ``params/`` (files written by
``save_parameters``) and ``export/`` (files written by ``HybridBlock.export``). See README.md next to this
script for what each key holds.

Determinism:
- every network is built inside a fresh ``mx.name.NameManager()`` scope, which gives the names a fresh
  Python process gives (``dense0_``, ``sequential0_``...). The one exception, ``counter_growth``, builds two
  nets in one scope on purpose;
- inputs come from ``np.random.RandomState(<seed>)`` and are stored in the JSON (exact float32 values);
- after the first forward (deferred initialisation) every Parameter except Constants is overwritten with
  ``fill_value(key_index, shape, name)`` below (a closed formula, also stored in the JSON as text), so the
  numbers do not depend on MXNet's random generator;
- Dropout is only run where its output does not depend on the random mask (predict mode), except in the
  ``hybridize_facts`` section, which stores only the SET of output values.
"""
import contextlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
import warnings

import numpy as np
import mxnet as mx
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn
from mxnet.gluon.contrib import nn as cnn

HERE = os.path.dirname(os.path.abspath(__file__))
PARAMS_DIR = os.path.join(HERE, "params")
EXPORT_DIR = os.path.join(HERE, "export")

FILL_FORMULA = ("flat = np.arange(prod(shape)); v = 0.5*np.sin(0.7*flat + 1.1*k + 0.3) where k is the "
                "Parameter's index in collect_params() order; for names ending in 'running_var': "
                "v = 1 + np.abs(v); computed in float64, cast to float32, reshaped to shape")


def fill_value(k, shape, name):
    flat = np.arange(int(np.prod(shape)), dtype=np.float64)
    v = 0.5 * np.sin(0.7 * flat + 1.1 * k + 0.3)
    if name.endswith("running_var"):
        v = 1.0 + np.abs(v)
    return v.astype(np.float32).reshape(shape)


# ----------------------------------------------------------------------------------------- helpers
def f32list(a):
    """Exact float32 values as a (nested) list of Python floats using the shortest repr that round-trips
    through float32 (np.float32(json_value) == original)."""
    a = np.asarray(a)
    if a.dtype.kind in "iub":
        return a.tolist()
    a = a.astype(np.float32)
    flat = []
    for x in a.ravel():
        s = float(str(x))
        flat.append(s if np.float32(s) == x or (np.isnan(x) and np.isnan(s)) else float(x))
    return np.array(flat, dtype=object).reshape(a.shape).tolist() if a.ndim else flat[0]


def clean_msg(msg):
    """MXNetError messages carry a C++ stack trace; keep the text before it."""
    msg = str(msg)
    for cut in ("\nStack trace:", "Stack trace:"):
        i = msg.find(cut)
        if i >= 0:
            msg = msg[:i]
    msg = re.sub(r"\[\d\d:\d\d:\d\d\] ", "", msg)   # C++ log timestamps
    return msg.rstrip()


def observe(fn):
    """Run fn; return {'raised': exception class name or None, 'message', 'warnings': [...], 'stdout'}."""
    out = io.StringIO()
    res = {}
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with contextlib.redirect_stdout(out):
            try:
                r = fn()
                res["raised"] = None
                if r is not None:
                    res["result"] = r
            except BaseException as e:  # noqa: BLE001 - we record whatever MXNet raises
                res["raised"] = type(e).__name__
                res["message"] = clean_msg(e)
    res["warnings"] = [{"category": x.category.__name__, "message": str(x.message)} for x in w]
    if out.getvalue():
        res["stdout"] = out.getvalue()
    return res


def fresh():
    """Names as in a fresh process: a new global NameManager (counters restart at 0)."""
    mx.name.NameManager._current.value = mx.name.NameManager()


def capture_stdout(fn):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn()
    return out.getvalue()


def param_info(p):
    init = p.init
    if init is not None and not isinstance(init, str):
        init = type(init).__name__
    if isinstance(init, str):
        init = re.sub(r"_\d+$", "_<id>", init)   # Constant's init name ends with id(self)
    return {"name": p.name, "class": type(p).__name__, "shape": list(p.shape) if p.shape is not None else None,
            "dtype": np.dtype(p.dtype).name, "grad_req": p.grad_req, "lr_mult": p.lr_mult,
            "wd_mult": p.wd_mult, "init": init, "allow_deferred_init": p._allow_deferred_init,
            "repr": repr(p)}


def params_table(net):
    return {k: param_info(p) for k, p in net.collect_params().items()}


def fill_params(net):
    for k, (name, p) in enumerate(net.collect_params().items()):
        if isinstance(p, gluon.Constant):
            continue
        p.set_data(nd.array(fill_value(k, p.shape, name), dtype=p.dtype))


def nd_load_keys(path):
    return list(nd.load(path).keys())


# ----------------------------------------------------------------------------------------- networks
class CustomParams(gluon.HybridBlock):
    """Custom HybridBlock: own deferred Parameter + Constant + a child Dense, all inside name_scope."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.w = self.params.get("w", shape=(3, 0), allow_deferred_init=True)
            self.c = self.params.get_constant("c", [[1.0, 2.0, 3.0]])
            self.dense = nn.Dense(2)

    def hybrid_forward(self, F, x, w, c):
        h = F.FullyConnected(x, w, num_hidden=3, no_bias=True)
        h = F.broadcast_add(h, c)
        return self.dense(F.tanh(h))


class Tied(nn.Block):
    """Two Dense layers sharing one set of Parameters through params=."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.a = nn.Dense(4, in_units=4)
            self.b = nn.Dense(4, in_units=4, params=self.a.params)

    def forward(self, x):
        return self.b(nd.relu(self.a(x)))


class Nested(gluon.HybridBlock):
    """gluon model-zoo style: attribute children `features` (HybridSequential) and `output`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            with self.features.name_scope():
                self.features.add(nn.Dense(8, activation="relu"))
                self.features.add(nn.Dense(6, activation="relu"))
            self.output = nn.Dense(3)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def build_d2l_mlp():
    net = nn.Sequential()
    net.add(nn.Dense(32, activation="relu"))
    net.add(nn.Dense(10))
    return net


def build_hseq_scope():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(6, activation="tanh", in_units=5))
        net.add(nn.Dense(3))
    return net


def build_prefix_model():
    net = nn.HybridSequential(prefix="model_")
    with net.name_scope():
        net.add(nn.Dense(4, in_units=3))
        net.add(nn.BatchNorm(in_channels=4))
        net.add(nn.Dense(2))
    return net


def build_prefix_empty():
    net = nn.HybridSequential(prefix="")
    with net.name_scope():
        net.add(nn.Dense(4, in_units=3, activation="sigmoid"))
        net.add(nn.Dense(2))
    return net


def build_layers_misc():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Flatten())
        net.add(nn.Dense(6, activation="softrelu"))
        net.add(nn.LeakyReLU(0.1))
        net.add(nn.PReLU())
        net.add(nn.ELU())
        net.add(nn.SELU())
        net.add(nn.Swish())
        net.add(nn.GELU())
        net.add(cnn.Identity())
        net.add(nn.Dropout(0.3))
        net.add(nn.HybridLambda(lambda F, x: F.tanh(x) * 2))
        net.add(nn.HybridLambda("tanh"))
        net.add(nn.Activation("relu"))
        net.add(nn.Dense(3, use_bias=False))
    return net


def build_embedding():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Embedding(10, 4))
        net.add(nn.Dense(2))
    return net


def build_concurrent():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(4, in_units=3))
        conc = cnn.HybridConcurrent(axis=1)
        with conc.name_scope():
            conc.add(nn.Dense(2))
            conc.add(nn.Dense(3, activation="relu"))
            conc.add(cnn.Identity())
        net.add(conc)
    return net


def build_concurrent_eager():
    net = nn.Sequential()
    net.add(nn.Dense(4, in_units=3))
    conc = cnn.Concurrent(axis=-1)
    conc.add(nn.Lambda("tanh"))
    conc.add(nn.Lambda(lambda x: x * 3))
    conc.add(nn.Dense(2, in_units=4))
    net.add(conc)
    return net


def build_batchnorm():
    # gluon-semantics.md §2.3's example
    net = nn.HybridSequential()
    net.add(nn.Dense(2, in_units=3))
    net.add(nn.BatchNorm(in_channels=2))
    return net


def build_conv_summary():
    # gluon-semantics.md §2.2's summary example
    net = nn.Sequential()
    net.add(nn.Conv2D(8, 3), nn.BatchNorm(), nn.Activation("relu"), nn.MaxPool2D(2), nn.Flatten(), nn.Dense(4))
    return net


def build_conv_print():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(16, 3, strides=2, padding=1, activation="relu", in_channels=3))
        net.add(nn.Conv2D(8, (3, 5), use_bias=False))
        net.add(nn.Conv2D(8, 3, dilation=2, groups=2, padding=(2, 2)))
        net.add(nn.BatchNorm(momentum=0.8, epsilon=1e-3))
        net.add(nn.AvgPool2D(pool_size=3, strides=1, padding=1))
        net.add(nn.MaxPool2D(pool_size=(2, 2)))
        net.add(nn.GlobalAvgPool2D())
        net.add(nn.Flatten())
        net.add(nn.Dropout(0.3))
        net.add(nn.Dense(5, flatten=True))
    return net


# name -> (builder, input shapes, input kind, options)
#   grad_mode: 'train' = autograd.record() (train mode), 'predict' = record(train_mode=False), None = no grads
#   values: store outputs/grads/params file;  export: hybridize + export;  summary: call net.summary(x)
NETS = [
    ("d2l_mlp", build_d2l_mlp, [(2, 20)], "uniform",
     dict(grad_mode="train", values=True, export=False, summary=True, params_file=True)),
    ("hseq_scope", build_hseq_scope, [(3, 5)], "uniform",
     dict(grad_mode="train", values=True, export=True, summary=True, params_file=True)),
    ("custom_params", lambda: CustomParams(), [(2, 4)], "uniform",
     dict(grad_mode="train", values=True, export=True, summary=True)),
    ("prefix_model", build_prefix_model, [(4, 3)], "uniform",
     dict(grad_mode="train", values=True, export=False, summary=True)),
    ("prefix_empty", build_prefix_empty, [(2, 3)], "uniform",
     dict(grad_mode="train", values=True, export=False, summary=True)),
    ("tied", lambda: Tied(), [(2, 4)], "uniform",
     dict(grad_mode="train", values=True, export=False, summary=True, params_file=True, dedup=True)),
    ("nested", lambda: Nested(), [(2, 5)], "uniform",
     dict(grad_mode="train", values=True, export=True, summary=True)),
    ("layers_misc", build_layers_misc, [(2, 2, 3)], "uniform",
     dict(grad_mode="predict", values=True, export=True, summary=True)),
    ("embedding", build_embedding, [(2, 3)], "indices10",
     dict(grad_mode="train", values=True, export=False, summary=True)),
    ("concurrent", build_concurrent, [(2, 3)], "uniform",
     dict(grad_mode="train", values=True, export=False, summary=True)),
    ("concurrent_eager", build_concurrent_eager, [(2, 3)], "uniform",
     dict(grad_mode="train", values=True, export=False, summary=True)),
    ("batchnorm", build_batchnorm, [(4, 3)], "uniform",
     dict(grad_mode="train", values=True, export=True, summary=True)),
    ("conv_summary", build_conv_summary, [(1, 3, 16, 16)], "uniform",
     dict(grad_mode=None, values=False, export=False, summary=True)),
    ("conv_print", build_conv_print, [(2, 3, 16, 16)], "uniform",
     dict(grad_mode=None, values=False, export=False, summary=True)),
]

CODE = {
    "d2l_mlp": "net = nn.Sequential(); net.add(nn.Dense(32, activation='relu')); net.add(nn.Dense(10))",
    "hseq_scope": "net = nn.HybridSequential()\nwith net.name_scope():\n    net.add(nn.Dense(6, activation='tanh', "
                  "in_units=5))\n    net.add(nn.Dense(3))",
    "custom_params": "class CustomParams(gluon.HybridBlock) (see make_gluon_goldens.py): name_scope; "
                     "self.w = self.params.get('w', shape=(3, 0), allow_deferred_init=True); "
                     "self.c = self.params.get_constant('c', [[1.0, 2.0, 3.0]]); self.dense = nn.Dense(2); "
                     "hybrid_forward(F, x, w, c): self.dense(F.tanh(F.broadcast_add(F.FullyConnected(x, w, "
                     "num_hidden=3, no_bias=True), c)))",
    "prefix_model": "net = nn.HybridSequential(prefix='model_')\nwith net.name_scope():\n    net.add(nn.Dense(4, "
                    "in_units=3))\n    net.add(nn.BatchNorm(in_channels=4))\n    net.add(nn.Dense(2))",
    "prefix_empty": "net = nn.HybridSequential(prefix='')\nwith net.name_scope():\n    net.add(nn.Dense(4, "
                    "in_units=3, activation='sigmoid'))\n    net.add(nn.Dense(2))",
    "tied": "class Tied(nn.Block): name_scope; self.a = nn.Dense(4, in_units=4); self.b = nn.Dense(4, in_units=4, "
            "params=self.a.params); forward(x): self.b(nd.relu(self.a(x)))",
    "nested": "class Nested(gluon.HybridBlock): name_scope; self.features = nn.HybridSequential(prefix=''); "
              "with self.features.name_scope(): add(nn.Dense(8, activation='relu')), add(nn.Dense(6, "
              "activation='relu')); self.output = nn.Dense(3); hybrid_forward(F, x): "
              "self.output(self.features(x))",
    "layers_misc": "net = nn.HybridSequential(); with net.name_scope(): net.add(nn.Flatten(), nn.Dense(6, "
                   "activation='softrelu'), nn.LeakyReLU(0.1), nn.PReLU(), nn.ELU(), nn.SELU(), nn.Swish(), "
                   "nn.GELU(), contrib.nn.Identity(), nn.Dropout(0.3), nn.HybridLambda(lambda F, x: F.tanh(x) * 2), "
                   "nn.HybridLambda('tanh'), nn.Activation('relu'), nn.Dense(3, use_bias=False)) "
                   "(each added with its own add call)",
    "embedding": "net = nn.HybridSequential(); with net.name_scope(): net.add(nn.Embedding(10, 4)); "
                 "net.add(nn.Dense(2))",
    "concurrent": "net = nn.HybridSequential(); with net.name_scope(): net.add(nn.Dense(4, in_units=3)); "
                  "conc = contrib.nn.HybridConcurrent(axis=1); with conc.name_scope(): conc.add(nn.Dense(2)); "
                  "conc.add(nn.Dense(3, activation='relu')); conc.add(contrib.nn.Identity()); net.add(conc)",
    "concurrent_eager": "net = nn.Sequential(); net.add(nn.Dense(4, in_units=3)); conc = contrib.nn.Concurrent("
                        "axis=-1); conc.add(nn.Lambda('tanh')); conc.add(nn.Lambda(lambda x: x * 3)); "
                        "conc.add(nn.Dense(2, in_units=4)); net.add(conc)",
    "batchnorm": "net = nn.HybridSequential(); net.add(nn.Dense(2, in_units=3)); "
                 "net.add(nn.BatchNorm(in_channels=2))",
    "conv_summary": "net = nn.Sequential(); net.add(nn.Conv2D(8, 3), nn.BatchNorm(), nn.Activation('relu'), "
                    "nn.MaxPool2D(2), nn.Flatten(), nn.Dense(4))",
    "conv_print": "net = nn.HybridSequential(); with net.name_scope(): net.add(nn.Conv2D(16, 3, strides=2, "
                  "padding=1, activation='relu', in_channels=3)); net.add(nn.Conv2D(8, (3, 5), "
                  "use_bias=False)); net.add(nn.Conv2D(8, 3, dilation=2, groups=2, padding=(2, 2))); "
                  "net.add(nn.BatchNorm(momentum=0.8, epsilon=1e-3)); net.add(nn.AvgPool2D(pool_size=3, "
                  "strides=1, padding=1)); net.add(nn.MaxPool2D(pool_size=(2, 2))); "
                  "net.add(nn.GlobalAvgPool2D()); net.add(nn.Flatten()); net.add(nn.Dropout(0.3)); "
                  "net.add(nn.Dense(5, flatten=True))",
}


def make_input(shape, kind, seed):
    rs = np.random.RandomState(seed)
    if kind == "indices10":
        return rs.randint(0, 10, size=shape).astype(np.float32)
    return rs.uniform(-1, 1, size=shape).astype(np.float32)


def net_record(name, builder, shapes, kind, opt, seed, workdir):
    rec = {"code": CODE[name], "input_kind": kind, "input_seed": seed}
    with mx.name.NameManager():
        net = builder()
    xs_np = [make_input(s, kind, seed + i) for i, s in enumerate(shapes)]
    xs = [nd.array(a) for a in xs_np]
    if opt["values"]:   # (summary/print-only nets need only the shapes)
        rec["inputs"] = [f32list(a) for a in xs_np]
    rec["input_shapes"] = [list(s) for s in shapes]
    rec["class"] = type(net).__name__
    rec["prefix"] = net.prefix
    rec["name"] = net.name
    rec["repr_before"] = repr(net)
    cp = net.collect_params()
    rec["collect_params_keys"] = list(cp.keys())
    rec["collect_params_weight_keys"] = list(net.collect_params(".*weight").keys())
    rec["collect_params_select_bias_or_gamma"] = list(net.collect_params("(.*bias|.*gamma)").keys())
    rec["own_params_keys"] = list(net.params.keys())
    rec["paramdict_prefix"] = cp.prefix
    rec["params_before"] = params_table(net)
    rec["paramdict_repr_before"] = repr(cp)
    rec["structural_keys"] = list(net._collect_params_with_prefix().keys())

    net.initialize(mx.init.Constant(0.01))
    if opt["summary"]:
        # summary() as the FIRST call (deferred init runs inside it: MXNet's symbolic infer_shape trace fires
        # the hooks too, which gives '<Symbol ...>' rows or an error) ...
        rec["summary_first_call"] = observe(lambda: net.summary(*xs))
    # make sure deferred init is complete even if summary failed
    with autograd.predict_mode():
        net(*xs)
    if opt["summary"]:
        # ... and summary() after one forward (all shapes known): the clean table
        rec["summary"] = observe(lambda: net.summary(*xs))
    rec["repr_after"] = repr(net)
    rec["params_after"] = params_table(net)
    rec["paramdict_repr_after"] = repr(net.collect_params())
    first_key = rec["collect_params_keys"][0]
    rec["param_repr"] = repr(net.collect_params()[first_key])
    if not opt["values"]:
        return rec

    fill_params(net)
    pfile = os.path.join(workdir, f"{name}.params")
    net.save_parameters(pfile)
    rec["save_parameters_keys"] = nd_load_keys(pfile)
    if opt.get("dedup"):
        dfile = os.path.join(workdir, f"{name}-dedup.params")
        net.save_parameters(dfile, deduplicate=True)
        rec["save_parameters_dedup_keys"] = nd_load_keys(dfile)
    if opt.get("params_file", True):
        shutil.copy(pfile, os.path.join(PARAMS_DIR, f"{name}.params"))
        rec["params_file"] = f"params/{name}.params"
        if opt.get("dedup"):
            shutil.copy(dfile, os.path.join(PARAMS_DIR, f"{name}-dedup.params"))
            rec["params_file_dedup"] = f"params/{name}-dedup.params"
    if sum(p.data().size for p in net.collect_params().values()) <= 300:
        rec["param_values"] = {k: f32list(p.data().asnumpy()) for k, p in net.collect_params().items()}

    out = net(*xs)
    rec["out_predict"] = f32list(out.asnumpy())
    # gradients of loss = (out ** 2).sum()
    if opt["grad_mode"]:
        train = opt["grad_mode"] == "train"
        with autograd.record(train_mode=train):
            out = net(*xs)
            loss = (out ** 2).sum()
        loss.backward()
        rec["grad_mode"] = opt["grad_mode"]
        rec["loss"] = "(out ** 2).sum(), out = net(x) inside autograd.record(train_mode=%s)" % train
        rec["out_record"] = f32list(out.asnumpy())
        rec["grads"] = {k: f32list(p.grad().asnumpy()) for k, p in net.collect_params().items()
                        if p.grad_req != "null"}
        aux = {k: f32list(p.data().asnumpy()) for k, p in net.collect_params().items()
               if p.grad_req == "null" and not isinstance(p, gluon.Constant)}
        if aux:
            rec["aux_after_record"] = aux
    # hybridized outputs and export
    if isinstance(net, gluon.HybridBlock):
        net.load_parameters(pfile)   # undo running-stat updates of the record pass
        net.hybridize()
        res = observe(lambda: f32list(net(*xs).asnumpy()))
        rec["hybridized_first_call"] = {k: v for k, v in res.items() if k != "result"}
        rec["out_predict_hybridized"] = res.get("result")
        if opt["grad_mode"]:
            with autograd.record(train_mode=opt["grad_mode"] == "train"):
                out = net(*xs)
                loss = (out ** 2).sum()
            loss.backward()
            rec["out_record_hybridized"] = f32list(out.asnumpy())
            # hybridized gradients: only the largest difference from the eager ones (they are ~equal)
            rec["grads_hybridized_max_abs_diff"] = max(
                float(np.abs(p.grad().asnumpy() - np.array(rec["grads"][k], dtype=np.float32)).max())
                for k, p in net.collect_params().items() if p.grad_req != "null")
        if opt["export"]:
            net.load_parameters(pfile)
            net(*xs)
            base = os.path.join(EXPORT_DIR, name)
            net.export(base, epoch=0)
            with open(base + "-symbol.json") as f:
                sym_text = f.read()
            # a Constant's __init__ attr is 'Constant_<name>_<id(self)>': pin the id so the file is reproducible
            sym_text = re.sub(r'("__init__": "Constant_[A-Za-z0-9_]*?_)\d+"', r'\g<1>140000000000000"', sym_text)
            with open(base + "-symbol.json", "w") as f:
                f.write(sym_text)
            rec["export"] = {"symbol_file": f"export/{name}-symbol.json",
                             "params_file": f"export/{name}-0000.params",
                             "symbol_json": sym_text,
                             "params_keys": nd_load_keys(base + "-0000.params")}
            # SymbolBlock.imports round trip
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sb = gluon.SymbolBlock.imports(base + "-symbol.json", ["data"], base + "-0000.params")
            rec["export"]["symbolblock_repr"] = repr(sb)
            rec["export"]["symbolblock_params_keys"] = list(sb.collect_params().keys())
            rec["export"]["symbolblock_out"] = f32list(sb(*xs).asnumpy())
    return rec


def counter_growth():
    """Two d2l nets in ONE NameManager scope: the global counters keep growing."""
    with mx.name.NameManager():
        n1 = build_d2l_mlp()
        n2 = build_d2l_mlp()
        d = nn.Dense(3)
        s = nn.HybridSequential()
        with s.name_scope():
            s.add(nn.Dense(2))
        s2 = nn.HybridSequential()
        with s2.name_scope():
            s2.add(nn.Dense(2))
    return {"code": "in one process: n1 = d2l_mlp(); n2 = d2l_mlp(); d = nn.Dense(3); s = HybridSequential() "
                    "with name_scope: add(Dense(2)); s2 = the same",
            "n1_keys": list(n1.collect_params().keys()), "n2_keys": list(n2.collect_params().keys()),
            "n1_prefix": n1.prefix, "n2_prefix": n2.prefix, "dense_prefix": d.prefix,
            "s_keys": list(s.collect_params().keys()), "s2_keys": list(s2.collect_params().keys()),
            "n2_structural_keys": list(n2._collect_params_with_prefix().keys())}


# ----------------------------------------------------------------------------------------- errors
def errors_section(workdir):
    E = {}
    os.chdir(workdir)

    def mlp(n, in_units=2):
        net = nn.HybridSequential()
        for i in range(n):
            net.add(nn.Dense(2, in_units=in_units))
        net.initialize()
        return net

    with mx.name.NameManager():
        fresh()
        small = mlp(2)
        small.save_parameters("f")
        big = mlp(3)
        E["load_missing"] = observe(lambda: big.load_parameters("f"))
        E["load_missing"]["code"] = "save 2-layer HybridSequential of Dense(2,in_units=2) to 'f'; 3-layer net.load_parameters('f')"
        big.save_parameters("g")
        small2 = mlp(2)
        E["load_extra"] = observe(lambda: small2.load_parameters("g"))
        E["load_extra"]["code"] = "3-layer saved to 'g'; 2-layer net.load_parameters('g')"
        E["load_allow_missing_ignore_extra"] = observe(lambda: (big.load_parameters("f", allow_missing=True),
                                                                small2.load_parameters("g", ignore_extra=True),
                                                                "ok")[-1])
        fresh()
        wide = mlp(2, in_units=3)
        E["load_shape_mismatch"] = observe(lambda: wide.load_parameters("f"))
        E["load_shape_mismatch"]["code"] = "Dense(2,in_units=3) x2 loads file of Dense(2,in_units=2) x2"
        # export-style file into load_parameters (P6)
        small.hybridize()
        small(nd.ones((1, 2)))
        small.export("exp")
        fresh()
        again = mlp(2)
        E["load_export_file"] = observe(lambda: again.load_parameters("exp-0000.params"))
        E["load_export_file"]["code"] = "net.load_parameters('exp-0000.params') where the file came from export"
        with open("trunc.params", "wb") as f:
            with open("f", "rb") as g:
                f.write(g.read()[:40])
        E["load_truncated"] = observe(lambda: again.load_parameters("trunc.params"))
        with open("notparams.params", "wb") as f:
            f.write(b"hello world, not a params file")
        E["load_not_params"] = observe(lambda: again.load_parameters("notparams.params"))

        p = gluon.Parameter("p", shape=(3, 3))
        p.initialize()
        E["set_data_shape"] = observe(lambda: p.set_data(nd.ones((2, 64))))
        E["set_data_shape"]["code"] = "Parameter('p', shape=(3,3)).initialize(); p.set_data(nd.ones((2, 64)))"

        fresh()
        d = nn.Dense(3)
        d.initialize()
        E["deferred_data"] = observe(lambda: d.weight.data())
        E["deferred_data"]["code"] = "d = nn.Dense(3); d.initialize(); d.weight.data()"
        E["deferred_grad"] = observe(lambda: d.weight.grad())
        E["deferred_shape"] = observe(lambda: list(d.weight.shape))

        fresh()
        d2 = nn.Dense(3)
        E["uninitialized_forward"] = observe(lambda: d2(nd.ones((2, 4))))
        E["uninitialized_forward"]["code"] = "nn.Dense(3)(nd.ones((2, 4))) without initialize()"
        E["uninitialized_data"] = observe(lambda: d2.weight.data())
        p_un = gluon.Parameter("q", shape=(2,))
        E["uninitialized_param_data"] = observe(lambda: p_un.data())

        p3 = gluon.Parameter("p3", shape=(3, 0))
        E["invalid_shape_no_deferred"] = observe(lambda: p3.initialize())
        E["invalid_shape_no_deferred"]["code"] = "gluon.Parameter('p3', shape=(3, 0)).initialize()"

        fresh()
        d3 = nn.Dense(2, in_units=2)
        d3.initialize()
        d3.weight.grad_req = "null"
        E["grad_req_null"] = observe(lambda: d3.weight.grad())
        E["grad_req_null"]["code"] = "d = nn.Dense(2, in_units=2); d.initialize(); d.weight.grad_req='null'; d.weight.grad()"
        fresh()
        d3b = nn.Dense(2, in_units=2)
        d3b.initialize()
        E["grad_before_backward"] = observe(lambda: f32list(d3b.weight.grad().asnumpy()))

        fresh()
        d4 = nn.Dense(2, in_units=2)
        d4.initialize()
        E["double_initialize"] = observe(lambda: d4.initialize())
        E["double_initialize"]["code"] = "d = nn.Dense(2, in_units=2); d.initialize(); d.initialize()"
        E["double_initialize_collect"] = observe(lambda: d4.collect_params().initialize())
        E["force_reinit"] = observe(lambda: d4.initialize(force_reinit=True))

        class WithList(nn.Block):
            def __init__(self, **kw):
                super().__init__(**kw)
                self.layers = [nn.Dense(2), nn.Dense(2)]

            def forward(self, x):
                for l in self.layers:
                    x = l(x)
                return x

        fresh()
        wl = WithList()
        E["unregistered_container"] = observe(lambda: list(wl.collect_params().keys()))
        E["unregistered_container"]["code"] = ("class WithList(nn.Block): __init__: self.layers = [nn.Dense(2), "
                                               "nn.Dense(2)]; WithList().collect_params()")

        class WithDict(nn.HybridBlock):
            def __init__(self, **kw):
                super().__init__(**kw)
                self.layers = {"a": nn.Dense(2)}

            def hybrid_forward(self, F, x):
                return x

        E["unregistered_container_dict"] = observe(lambda: list(WithDict().collect_params().keys()))

        class HB(nn.HybridBlock):
            def __init__(self, **kw):
                super().__init__(**kw)
                self.child = nn.Sequential()

            def hybrid_forward(self, F, x):
                return x

        E["non_hybrid_child"] = observe(lambda: HB())
        E["non_hybrid_child"]["code"] = "class HB(nn.HybridBlock): __init__: self.child = nn.Sequential()"
        hs = nn.HybridSequential()
        E["non_hybrid_child_add"] = observe(lambda: hs.add(nn.Sequential()))
        E["non_hybrid_child_add"]["code"] = "nn.HybridSequential().add(nn.Sequential())"

        E["trainer_int"] = observe(lambda: gluon.Trainer(1, "sgd"))
        E["trainer_int"]["code"] = "gluon.Trainer(1, 'sgd')"
        E["trainer_list_non_param"] = observe(lambda: gluon.Trainer([1, 2], "sgd"))
        E["trainer_list_non_param"]["code"] = "gluon.Trainer([1, 2], 'sgd')"
        E["trainer_dict_non_param"] = observe(lambda: gluon.Trainer({"a": 1}, "sgd"))
        E["trainer_unknown_optimizer"] = observe(
            lambda: gluon.Trainer(d4.collect_params(), "nosuchopt").step(1))

        # stale gradient
        fresh()
        d5 = nn.Dense(2, in_units=2)
        d5.initialize()
        tr = gluon.Trainer(d5.collect_params(), "sgd", {"learning_rate": 0.1})
        E["stale_grad"] = observe(lambda: tr.step(1))
        E["stale_grad"]["code"] = ("d = nn.Dense(2, in_units=2); d.initialize(); tr = gluon.Trainer("
                                   "d.collect_params(), 'sgd', {'learning_rate': 0.1}); tr.step(1) "
                                   "(no backward ever)")
        with autograd.record():
            l = d5(nd.ones((1, 2))).sum()
        l.backward()
        tr.step(1)
        E["stale_grad_second_step"] = observe(lambda: tr.step(1))
        E["stale_grad_second_step"]["code"] = "after one backward + step, a second step without backward"
        E["stale_grad_ignore"] = observe(lambda: (tr.step(1, ignore_stale_grad=True), "ok")[-1])

        # export before hybridize / before forward
        fresh()
        d6 = nn.HybridSequential()
        d6.add(nn.Dense(2, in_units=2))
        d6.initialize()
        E["export_not_hybridized"] = observe(lambda: d6.export("x"))
        E["export_not_hybridized"]["code"] = "HybridSequential(Dense(2,in_units=2)).initialize(); net.export('x')"
        d6.hybridize()
        E["export_hybridized_no_forward"] = observe(lambda: d6.export("x"))

        # summary on a hybridized block
        fresh()
        d7 = nn.HybridSequential()
        d7.add(nn.Dense(2, in_units=2, activation="relu"))
        d7.initialize()
        d7.hybridize()
        E["summary_hybridized"] = observe(lambda: d7.summary(nd.ones((1, 2))))
        E["summary_hybridized"]["code"] = ("HybridSequential(Dense(2,in_units=2,activation='relu'))"
                                           ".initialize(); hybridize(); summary(nd.ones((1,2)))")
        fresh()
        d8 = nn.Dense(2)
        E["summary_uninitialized"] = observe(lambda: d8.summary(nd.ones((1, 2))))

        # hybridize unknown keyword (P13): accepted silently in 1.9.1?
        fresh()
        d9 = nn.HybridSequential()
        d9.add(nn.Dense(2, in_units=2))
        d9.initialize()
        E["hybridize_unknown_kw"] = observe(lambda: (d9.hybridize(statc_alloc=True), "ok")[-1])
        E["hybridize_unknown_kw_forward"] = observe(lambda: f32list(d9(nd.ones((1, 2))).shape))

        # Dense input-size mismatch, eager and hybridized
        fresh()
        d10 = nn.Dense(5, in_units=3)
        d10.initialize()
        E["dense_shape_mismatch_eager"] = observe(lambda: d10(nd.ones((2, 5))))
        E["dense_shape_mismatch_eager"]["code"] = "nn.Dense(5, in_units=3).initialize(); net(nd.ones((2, 5)))"
        d10.hybridize()
        E["dense_shape_mismatch_hybridized"] = observe(lambda: d10(nd.ones((2, 5))))

        # deferred init that cannot infer
        fresh()
        c = nn.Conv2D(4, 3)
        c.initialize()
        E["deferred_infer_fail"] = observe(lambda: c(nd.ones((2, 3))))
        E["deferred_infer_fail"]["code"] = "nn.Conv2D(4, 3).initialize(); net(nd.ones((2, 3)))"

        # Xavier on a 1-D parameter without own init
        px = gluon.Parameter("p1_scale", shape=(4,))
        E["xavier_1d"] = observe(lambda: px.initialize(mx.init.Xavier()))
        E["xavier_1d"]["code"] = "gluon.Parameter('p1_scale', shape=(4,)).initialize(mx.init.Xavier())"

        # argument structure mismatch after hybridize
        class Two(nn.HybridBlock):
            def hybrid_forward(self, F, x, y=None):
                return x if y is None else x + y

        fresh()
        t = Two()
        t.initialize()
        t.hybridize()
        t(nd.ones((1, 2)), nd.ones((1, 2)))
        E["argument_structure_mismatch"] = observe(lambda: t(nd.ones((1, 2))))
        E["argument_structure_mismatch"]["code"] = ("class Two(HybridBlock): hybrid_forward(F, x, y=None); "
                                                    "hybridize(); t(a, b); t(a)")

        # ParameterDict has no __len__
        E["paramdict_len"] = observe(lambda: len(d4.collect_params()))
        # collect_params lookups
        E["paramdict_getitem_missing"] = observe(lambda: d4.collect_params()["nope"])
        # cast then float32 input
        fresh()
        d11 = nn.Dense(2, in_units=2)
        d11.initialize()
        d11.cast("float64")
        E["cast_then_float32_input"] = observe(lambda: d11(nd.ones((1, 2))))
        E["cast_then_float32_input"]["code"] = "nn.Dense(2, in_units=2).initialize(); cast('float64'); net(nd.ones((1,2)))"

        # backward outside record
        a = nd.ones((2,))
        a.attach_grad()
        b = a * 2
        E["backward_outside_record"] = observe(lambda: b.backward())
        # unused input / param warnings when hybridizing
        class Unused(nn.HybridBlock):
            def __init__(self, **kw):
                super().__init__(**kw)
                with self.name_scope():
                    self.w = self.params.get("w", shape=(2,))

            def hybrid_forward(self, F, x, y, w):
                return x * 2

        fresh()
        u = Unused()
        u.initialize()
        u.hybridize()
        E["hybridize_unused_warnings"] = observe(lambda: f32list(u(nd.ones((2,)), nd.ones((2,))).asnumpy()))
        E["hybridize_unused_warnings"]["code"] = ("Unused(HybridBlock) with param w, hybrid_forward(F, x, y, w): "
                                                  "return x * 2; hybridize(); u(a, b)")
        # forward hook warning when hybridizing
        fresh()
        d12 = nn.Dense(2, in_units=2)
        d12.initialize()
        d12.register_forward_hook(lambda blk, i, o: None)
        E["hybridize_with_hook"] = observe(lambda: d12.hybridize())
    return E


# ----------------------------------------------------------------------------------------- trainer
def trainer_section():
    rs = np.random.RandomState(7)
    x = rs.uniform(-1, 1, size=(6, 4)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2], dtype=np.float32)
    T = {"code": "net = nn.HybridSequential(); net.add(nn.Dense(8, in_units=4, activation='relu')); "
                 "net.add(nn.Dense(3, in_units=8)); net.initialize(); params filled with fill_value; "
                 "loss_fn = gluon.loss.SoftmaxCrossEntropyLoss(); each step: with autograd.record(): "
                 "loss = loss_fn(net(x), y); loss.backward(); trainer.step(6)",
         "x": f32list(x), "y": f32list(y), "batch_size": 6, "steps": 3, "runs": {}}
    configs = {
        "sgd_momentum_wd": ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-3}),
        "adam": ("adam", {"learning_rate": 0.01}),
        "sgd_plain": ("sgd", {"learning_rate": 0.5}),
    }
    for run, (opt, kw) in configs.items():
        with mx.name.NameManager():
            net = nn.HybridSequential()
            net.add(nn.Dense(8, in_units=4, activation="relu"))
            net.add(nn.Dense(3, in_units=8))
        net.initialize()
        fill_params(net)
        keys = list(net.collect_params().keys())
        init_vals = {k: f32list(p.data().asnumpy()) for k, p in net.collect_params().items()}
        trainer = gluon.Trainer(net.collect_params(), opt, dict(kw))
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
        steps = []
        for _ in range(3):
            with autograd.record():
                loss = loss_fn(net(nd.array(x)), nd.array(y))
            loss.backward()
            grads = {k: f32list(p.grad().asnumpy()) for k, p in net.collect_params().items()}
            trainer.step(6)
            steps.append({"loss": f32list(loss.asnumpy()), "grads": grads,
                          "params": {k: f32list(p.data().asnumpy()) for k, p in net.collect_params().items()}})
        T["runs"][run] = {"optimizer": opt, "optimizer_params": kw, "collect_params_keys": keys,
                          "params_init": init_vals, "steps": steps,
                          "trainer_learning_rate": trainer.learning_rate}
    return T


# ----------------------------------------------------------------------------------------- hybridize facts
def hybridize_facts():
    H = {}

    class Branch(nn.HybridBlock):
        def hybrid_forward(self, F, x):
            if autograd.is_training():
                return x * 2
            return x * 3

    x = nd.ones((1, 2))

    def run_seq(net, seq):
        outs = []
        for mode in seq:
            if mode == "predict":
                outs.append(f32list(net(x).asnumpy()))
            else:
                with autograd.record():
                    outs.append(f32list(net(x).asnumpy()))
        return outs

    seq = ["predict", "train", "predict"]
    with mx.name.NameManager():
        b = Branch()
    b.initialize()
    H["is_training_branch"] = {
        "code": "class Branch(HybridBlock): hybrid_forward(F, x): return x * 2 if autograd.is_training() else "
                "x * 3; x = nd.ones((1, 2)); calls in order: %s ('train' = inside autograd.record())" % seq,
        "call_sequence": seq,
        "eager": run_seq(b, seq)}
    b.hybridize()
    H["is_training_branch"]["hybridized_first_predict"] = run_seq(b, seq)
    with mx.name.NameManager():
        b2 = Branch()
    b2.initialize()
    b2.hybridize()
    seq2 = ["train", "predict", "train"]
    H["is_training_branch"]["hybridized_first_train_sequence"] = seq2
    H["is_training_branch"]["hybridized_first_train"] = run_seq(b2, seq2)

    mx.random.seed(42)
    ones = nd.ones((4, 8))
    dr = {}
    for hyb in (False, True):
        with mx.name.NameManager():
            net = nn.HybridSequential()
            net.add(nn.Dropout(0.5))
        net.initialize()
        if hyb:
            net.hybridize()
        key = "hybridized" if hyb else "eager"
        o_pred = net(ones).asnumpy()
        with autograd.record():
            o_train = net(ones).asnumpy()
        with autograd.train_mode():
            o_train_mode = net(ones).asnumpy()
        with autograd.record(train_mode=False):
            o_rec_pred = net(ones).asnumpy()
        o_pred2 = net(ones).asnumpy()
        dr[key] = {"predict": sorted(set(o_pred.ravel().tolist())),
                   "record": sorted(set(o_train.ravel().tolist())),
                   "train_mode": sorted(set(o_train_mode.ravel().tolist())),
                   "record_train_mode_false": sorted(set(o_rec_pred.ravel().tolist())),
                   "predict_after": sorted(set(o_pred2.ravel().tolist()))}
    H["dropout_sets"] = {"code": "HybridSequential(Dropout(0.5)) on nd.ones((4, 8)); value sets of the output "
                                 "per mode, in call order predict, record, train_mode, record(train_mode=False), "
                                 "predict", **dr}

    class Counter(nn.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.count = 0

        def hybrid_forward(self, F, x):
            self.count += 1
            return x + 1

    with mx.name.NameManager():
        c = Counter()
    c.initialize()
    c.hybridize()
    for n in range(1, 6):
        c(nd.ones((n, 2)))
    H["trace_count"] = {"code": "Counter(HybridBlock) increments self.count in hybrid_forward; hybridize(); "
                                "called with shapes (1,2),(2,2),...,(5,2)", "count_after_5_calls": c.count}

    class LenDiv(nn.HybridBlock):
        def hybrid_forward(self, F, x):
            return x / len(x)

    with mx.name.NameManager():
        ld = LenDiv()
    ld.initialize()
    e = f32list(ld(nd.ones((2, 3))).asnumpy())
    ld.hybridize()
    h = observe(lambda: f32list(ld(nd.ones((2, 3))).asnumpy()))
    H["len_x"] = {"code": "hybrid_forward: return x / len(x); input nd.ones((2, 3))", "eager": e,
                  "hybridized": h}

    # F identity
    seen = {}

    class WhatF(nn.HybridBlock):
        def hybrid_forward(self, F, x):
            seen.setdefault("F", []).append(F.__name__)
            seen.setdefault("x", []).append(type(x).__name__)
            return x

    with mx.name.NameManager():
        wf = WhatF()
    wf.initialize()
    wf(nd.ones((1,)))
    wf.hybridize()
    wf(nd.ones((1,)))
    wf(nd.ones((1,)))
    H["what_F"] = {"code": "record F.__name__ and type(x).__name__ per call: eager call, then 2 hybridized calls",
                   **seen}

    # symbol input returns a Symbol
    with mx.name.NameManager():
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Dense(3, in_units=2, activation="relu"))
    net.initialize()
    s = net(mx.sym.var("data"))
    H["symbol_call"] = {"code": "HybridSequential with name_scope: Dense(3, in_units=2, activation='relu'); "
                                "net(mx.sym.var('data'))",
                        "type": type(s).__name__, "list_outputs": s.list_outputs(),
                        "list_arguments": s.list_arguments()}

    # collect_params select & apply order
    order = []
    with mx.name.NameManager():
        n2 = nn.HybridSequential()
        with n2.name_scope():
            inner = nn.HybridSequential()
            with inner.name_scope():
                inner.add(nn.Dense(2))
            n2.add(inner)
            n2.add(nn.Dense(2))
    n2.apply(lambda blk: order.append(blk.name))
    H["apply_order"] = {"code": "outer HybridSequential(inner HybridSequential(Dense), Dense), all name_scope; "
                                "apply(lambda b: order.append(b.name))", "order": order}
    return H


def main():
    os.makedirs(PARAMS_DIR, exist_ok=True)
    os.makedirs(EXPORT_DIR, exist_ok=True)
    for d in (PARAMS_DIR, EXPORT_DIR):
        for f in os.listdir(d):
            os.remove(os.path.join(d, f))
    cwd = os.getcwd()
    work = tempfile.mkdtemp(prefix="gluon_goldens_")
    try:
        nets = {}
        for i, (name, builder, shapes, kind, opt) in enumerate(NETS):
            nets[name] = net_record(name, builder, shapes, kind, opt, seed=100 + 10 * i, workdir=work)
        out = {
            "meta": {"mxnet_version": mx.__version__, "generator": "tests/golden/gluon/make_gluon_goldens.py",
                     "fill_formula": FILL_FORMULA,
                     "naming": "each net built inside a fresh mx.name.NameManager() (= a fresh process)",
                     "inputs": "np.random.RandomState(input_seed + i).uniform(-1, 1, shape).astype(float32) "
                               "(input_kind 'indices10': randint(0, 10, shape) as float32); stored exactly"},
            "nets": nets,
            "counter_growth": counter_growth(),
            "errors": errors_section(work),
            "trainer": trainer_section(),
            "hybridize_facts": hybridize_facts(),
        }
    finally:
        os.chdir(cwd)
        shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(out, indent=1, sort_keys=False)
    # put innermost lists of numbers on one line (keeps indent=1 readable and the file small)
    text = re.sub(r"\[\n\s*((?:-?[0-9][0-9.eE+-]*|NaN|-?Infinity)(?:,\s*(?:-?[0-9][0-9.eE+-]*|NaN|-?Infinity))*)\s*\]",
                  lambda m: "[" + ", ".join(s.strip() for s in m.group(1).split(",")) + "]", text)
    with open(os.path.join(HERE, "gluon_goldens.json"), "w") as f:
        f.write(text + "\n")
    assert json.loads(text) == json.loads(json.dumps(out))
    print("wrote", os.path.join(HERE, "gluon_goldens.json"), len(text), "chars")


if __name__ == "__main__":
    sys.exit(main())
