"""Make the Symbol / JSON / checkpoint golden files with the real MXNet 1.9.1 (never a dependency).

Run:  /work/mx-oracle/bin/python tests/golden/make_symbol_goldens.py

Writes under ``tests/golden/symbol/``, for each model of ``tests/sym/symbol_models.py``:
- ``<model>-symbol.json``: ``sym.save`` output;
- ``<model>-meta.json``: list_arguments/outputs/auxiliary_states/inputs, internals' outputs,
  attr_dict, infer_shape and infer_type (dtype names) for the model's input shapes;
- ``<model>-io.params`` (``nd.save``): ``arg:<name>`` inputs, ``out:<i>`` forward outputs and, for
  differentiable models, ``grad:<name>`` gradients for head gradients of ones.
Plus ``legacy-symbol.json`` (hand-written MXNet 0.8-style: ``param``/``attr`` keys, 2-element inputs)
with ``legacy-upgraded.json`` (MXNet's ``tojson()`` after loading it), and a checkpoint
``ckpt-symbol.json`` + ``ckpt-0003.params`` written by ``mx.model.save_checkpoint``.
"""
import json
import os
import sys

import numpy as np
import mxnet as mx

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "symbol")
sys.path.insert(0, os.path.join(HERE, "..", "sym"))
from symbol_models import build  # noqa: E402

NO_GRAD = {"heads"}   # topk indices: no gradient


def main():
    os.makedirs(OUT, exist_ok=True)
    rs = np.random.RandomState(0)
    for name, (sym, shapes) in build(mx).items():
        sym.save(os.path.join(OUT, f"{name}-symbol.json"))
        arg_shapes, out_shapes, aux_shapes = sym.infer_shape(**shapes)
        arg_types, out_types, _ = sym.infer_type(**{k: "float32" for k in shapes})
        meta = {"input_shapes": {k: list(v) for k, v in shapes.items()},
                "list_arguments": sym.list_arguments(), "list_outputs": sym.list_outputs(),
                "list_auxiliary_states": sym.list_auxiliary_states(), "list_inputs": sym.list_inputs(),
                "internals": sym.get_internals().list_outputs(), "attr_dict": sym.attr_dict(),
                "arg_shapes": [list(s) for s in arg_shapes], "out_shapes": [list(s) for s in out_shapes],
                "aux_shapes": [list(s) for s in aux_shapes],
                "arg_types": [np.dtype(t).name for t in arg_types],
                "out_types": [np.dtype(t).name for t in out_types]}
        with open(os.path.join(OUT, f"{name}-meta.json"), "w") as f:
            json.dump(meta, f, indent=1, sort_keys=True)
        args = {n: mx.nd.array(rs.uniform(-1, 1, size=s).astype(np.float32))
                for n, s in zip(sym.list_arguments(), arg_shapes)}
        grad = name not in NO_GRAD
        grads = {n: mx.nd.zeros(a.shape) for n, a in args.items()} if grad else None
        ex = sym.bind(mx.cpu(), args, args_grad=grads, grad_req="write" if grad else "null")
        outs = ex.forward(is_train=grad)
        data = {f"arg:{n}": a for n, a in args.items()}
        data.update({f"out:{i}": o.copy() for i, o in enumerate(outs)})
        if grad:
            ex.backward([mx.nd.ones(o.shape) for o in outs])
            data.update({f"grad:{n}": g for n, g in ex.grad_dict.items()})
        mx.nd.save(os.path.join(OUT, f"{name}-io.params"), data)

    legacy = {"nodes": [
        {"op": "null", "name": "data", "param": {}, "inputs": [], "backward_source_id": -1},
        {"op": "null", "name": "fc_weight", "param": {}, "inputs": [], "backward_source_id": -1},
        {"op": "null", "name": "fc_bias", "param": {}, "inputs": [], "backward_source_id": -1},
        {"op": "FullyConnected", "name": "fc", "param": {"no_bias": "False", "num_hidden": "4"},
         "attr": {"__lr_mult__": "0.5"}, "inputs": [[0, 0], [1, 0], [2, 0]], "backward_source_id": -1},
        {"op": "relu", "name": "act", "param": {}, "inputs": [[3, 0]], "backward_source_id": -1}],
        "arg_nodes": [0, 1, 2], "heads": [[4, 0]]}
    text = json.dumps(legacy, indent=2)
    with open(os.path.join(OUT, "legacy-symbol.json"), "w") as f:
        f.write(text)
    with open(os.path.join(OUT, "legacy-upgraded.json"), "w") as f:
        f.write(mx.sym.load_json(text).tojson())

    sym, shapes = build(mx)["mlp"]
    arg_shapes, _, _ = sym.infer_shape(**shapes)
    arg_params = {n: mx.nd.array(rs.uniform(-1, 1, size=s).astype(np.float32))
                  for n, s in zip(sym.list_arguments(), arg_shapes) if n != "data"}
    mx.model.save_checkpoint(os.path.join(OUT, "ckpt"), 3, sym, arg_params, {})


if __name__ == "__main__":
    main()
