"""``HybridBlock.export``: the traced graph as an MXNet 1.x Symbol (``-symbol.json``) plus the
``.params`` file with ``arg:``/``aux:`` keys (gluon-semantics.md §2.3–2.4).

The graph's data inputs are the variables ``data`` / ``data0, data1, ...``; Parameters are variables
named by their prefixed names (``dense0_weight``); op nodes keep the names given at trace time
(``dense0_fwd``). Graph constants (arrays captured by the forward) become extra parameters named
``<block>_const<n>`` stored in the ``.params`` file. The input names and the output structure are
recorded as graph attributes ``hybridnet_input_names`` / ``hybridnet_output_format`` (MXNet P7);
MXNet 1.9.1 loads such files (string graph attributes are part of NNVM's JSON schema).
"""
import json

from ..ops.opdef import REQUIRED
from ..sym.symbol import VARIABLE, SymNode, Symbol

__all__ = ["graph_to_symbol", "export_entry"]


def graph_to_symbol(graph, params, const_prefix="const", n_outputs=None):
    """Symbol for a traced graph (its first ``n_outputs`` outputs: a hybridized graph's later outputs are
    the new values of updated states). Returns ``(symbol, {const name: array})``."""
    values = {}
    param_by_name = {p.name: p for p in params}
    consts = {}
    for v in graph.inputs:
        p = param_by_name.get(v.name) if v.kind == "param" else None
        sattrs = {}
        if p is not None:
            sym = p.var()
            values[v] = sym._outputs[0]
            continue
        node = SymNode(VARIABLE, (), {}, 1, v.name, sattrs)
        values[v] = node.outputs[0]
    for i, (v, arr) in enumerate(graph.constants.items()):
        name = f"{const_prefix}{i}"
        node = SymNode(VARIABLE, (), {}, 1, name, {"__shape__": str(tuple(v.spec.shape))})
        values[v] = node.outputs[0]
        consts[name] = (arr, v.spec)
    counters = {}
    for n in graph.nodes:
        name = n.name
        if not name:
            hint = n.op.name.lower()
            k = counters.get(hint, 0)
            counters[hint] = k + 1
            name = f"{hint}{k}"
        ins = [None if v is None else values[v] for v in n.inputs]
        while ins and ins[-1] is None:
            ins.pop()
        given = [a.name for a in n.op.attrs if a.name not in n.op.hidden_attrs and
                 (a.default is REQUIRED or _differs(n.attrs.get(a.name), a.default))]
        sattrs = n.op.encode_attrs(n.attrs, given, num_inputs=len(ins)) if n.op.attrs else {}
        sn = SymNode(n.op, ins, n.attrs, len(n.outputs), name, sattrs)
        for a, b in zip(n.outputs, sn.outputs):
            values[a] = b
    return Symbol([values[v] for v in graph.outputs[:n_outputs]]), consts


def export_entry(block, entry, path, epoch):
    from .. import nd
    from ..nd.ndarray import NDArray
    from ..device import cpu
    symbol, consts = graph_to_symbol(entry.graph, entry.params, const_prefix=block.prefix + "const",
                                     n_outputs=entry.n_visible)
    d = json.loads(symbol.tojson())
    d.setdefault("attrs", {})
    d["attrs"]["hybridnet_input_names"] = ["str", json.dumps(entry.input_names)]
    d["attrs"]["hybridnet_output_format"] = ["str", json.dumps(_fmt(entry.out_struct))]
    from ..formats.ndarray_file import _atomic_write
    from ..sym.json_io import _dump
    sym_file = f"{path}-symbol.json"
    data = _dump(d).encode()
    _atomic_write(sym_file, lambda f: f.write(data))
    aux = set(symbol.list_auxiliary_states())
    arg_dict = {}
    by_name = {p.name: p for p in block.collect_params().values()}
    for name in symbol.list_inputs():
        if name in entry.input_names:
            continue
        if name in consts:
            arr, spec = consts[name]
            arg_dict[("aux:" if name in aux else "arg:") + name] = NDArray(arr, spec.device).copyto(cpu())
            continue
        p = by_name.get(name)
        if p is None:
            continue
        arg_dict[("aux:" if name in aux else "arg:") + name] = p._reduce()
    params_file = "%s-%04d.params" % (path, epoch)
    nd.save(params_file, arg_dict)
    return sym_file, params_file


def _differs(v, default):
    try:
        return bool(v != default)
    except Exception:
        return True


def _fmt(struct):
    if struct is None:
        return 0
    typ, subs = struct
    return [typ.__name__, [_fmt(s) for s in subs]]
