"""MXNet's ``-symbol.json``: ``tojson`` / ``save`` / ``load`` / ``load_json`` (gluon-semantics.md §2.4).

Schema (what MXNet 1.9.1 writes, key order included)::

    {"nodes": [{"op": "null"|<op>, "name": ..., "attrs": {str: str} (only when non-empty),
                "inputs": [[node_id, output_index, version], ...]}, ...],   # topologically sorted
     "arg_nodes": [ids of every variable node],
     "node_row_ptr": [prefix sum of each node's output count],
     "heads": [[node_id, output_index, 0], ...],
     "attrs": {"mxnet_version": ["int", 10901]}}

``version`` is 1 for inputs an op mutates (auxiliary states). Attribute dicts are written with sorted
keys (MXNet's ``std::map``). Reading also accepts MXNet's legacy files: ``attr`` / ``param`` instead of
``attrs``, 2-element inputs, no ``mxnet_version``. Anything else that is wrong raises ``FormatError``
naming the node index, its op and the problem.
"""
import json
import os

from ..errors import FormatError, HybridNetError
from ..formats.ndarray_file import _atomic_write
from ..ops.bind import normalize_attrs
from ..ops.registry import REGISTRY
from .symbol import VARIABLE, Symbol, SymNode, aux_positions

__all__ = ["tojson", "save", "load", "load_json", "to_dict", "MXNET_VERSION"]

MXNET_VERSION = 10901


def to_dict(sym):
    nodes = sym._nodes()
    index = {id(n): i for i, n in enumerate(nodes)}
    out_nodes, row_ptr = [], [0]
    for n in nodes:
        d = {"op": "null" if n.op is VARIABLE else n.op.name, "name": n.name}
        if n.sattrs:
            d["attrs"] = {k: n.sattrs[k] for k in sorted(n.sattrs)}
        aux = aux_positions(n.op)
        d["inputs"] = [[index[id(v.producer)], v.index, 1 if i in aux else 0]
                       for i, v in enumerate(n.inputs) if v is not None]
        out_nodes.append(d)
        row_ptr.append(row_ptr[-1] + len(n.outputs))
    return {"nodes": out_nodes,
            "arg_nodes": [i for i, n in enumerate(nodes) if n.op is VARIABLE],
            "node_row_ptr": row_ptr,
            "heads": [[index[id(v.producer)], v.index, 0] for v in sym._outputs],
            "attrs": {"mxnet_version": ["int", MXNET_VERSION]}}


def tojson(sym):
    """The symbol as MXNet's JSON string, laid out byte for byte as MXNet 1.9.1's ``tojson()``
    (dmlc's JSONWriter: objects with more than one key and arrays of more than ten elements on
    several lines, ``", "`` before each line break; the rest inline)."""
    return _dump(to_dict(sym))


def _inline(x, indent=0):
    """Arrays of more than 10 elements go on several lines (dmlc: ``BeginArray(size > 10)``)."""
    if isinstance(x, list) and len(x) > 10:
        return "[" + _multi([_inline(e, indent + 2) for e in x], indent) + "]"
    return json.dumps(x, separators=(", ", ": "))


def _multi(items, indent):
    pad = " " * (indent + 2)
    return ", ".join("\n" + pad + part for part in items) + "\n" + " " * indent


def _dict(d, indent):
    if len(d) <= 1:
        return _inline(d)
    return "{" + _multi([f"{json.dumps(k)}: {_inline(v)}" for k, v in d.items()], indent) + "}"


def _dump(d):
    nodes = []
    for n in d["nodes"]:
        parts = [f"{json.dumps(k)}: {_dict(v, 6) if k == 'attrs' else _inline(v, 6)}" for k, v in n.items()]
        nodes.append("{" + _multi(parts, 4) + "}")
    top = ['"nodes": [' + _multi(nodes, 2) + "]"]
    top += [f"{json.dumps(k)}: {_dict(v, 2) if k == 'attrs' else _inline(v, 2)}" for k, v in d.items()
            if k != "nodes"]
    return "{" + _multi(top, 0) + "}"


def save(sym, fname):
    """Write ``tojson()`` to ``fname`` atomically (temporary file + rename)."""
    if not isinstance(fname, (str, os.PathLike)):
        raise TypeError(f"fname must be a string or a path, got {type(fname).__name__}")
    data = tojson(sym).encode("utf-8")
    _atomic_write(fname, lambda f: f.write(data))


def load(fname):
    """Read a ``-symbol.json`` file written by MXNet (any 1.x version) or hybridnet."""
    if not isinstance(fname, (str, os.PathLike)):
        raise TypeError(f"fname must be a string or a path, got {type(fname).__name__}")
    with open(fname, "r", encoding="utf-8") as f:
        text = f.read()
    try:
        return load_json(text)
    except FormatError as e:
        raise FormatError(f"{os.fspath(fname)}: {e}") from None


def _bad(msg):
    return FormatError(f"not a valid MXNet symbol JSON: {msg}")


def load_json(json_str):
    """Build a Symbol from MXNet's JSON (see the module doc for the accepted schema)."""
    if isinstance(json_str, bytes):
        json_str = json_str.decode("utf-8")
    if not isinstance(json_str, str):
        raise TypeError(f"load_json expects a str, got {type(json_str).__name__}")
    try:
        d = json.loads(json_str)
    except json.JSONDecodeError as e:
        raise _bad(f"the text is not JSON ({e})") from None
    if not isinstance(d, dict) or not isinstance(d.get("nodes"), list) or "heads" not in d:
        keys = list(d) if isinstance(d, dict) else type(d).__name__
        raise _bad(f"expected an object with 'nodes' and 'heads', got {keys}")
    built = []
    for i, nd in enumerate(d["nodes"]):
        built.append(_node(i, nd, built))
    heads = d["heads"]
    if not isinstance(heads, list) or not heads:
        raise _bad(f"'heads' must be a non-empty list of [node_id, output_index, version], got {heads!r}")
    outs = [_entry(e, built, len(built), "heads") for e in heads]
    return Symbol(outs)


def _entry(e, built, limit, where):
    if (not isinstance(e, list) or len(e) not in (2, 3)
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in e)):
        raise _bad(f"{where}: an input entry must be [node_id, output_index(, version)], got {e!r}")
    nid, idx = e[0], e[1]
    if not 0 <= nid < limit:
        raise _bad(f"{where}: entry {e!r} refers to node {nid}, but only nodes 0..{limit - 1} come before it "
                   "(nodes must be topologically sorted)")
    src = built[nid]
    if not 0 <= idx < len(src.outputs):
        raise _bad(f"{where}: entry {e!r} asks for output {idx} of node {nid} ({src.op.name} {src.name!r}), "
                   f"which has {len(src.outputs)} output(s)")
    return src.outputs[idx]


def _node(i, nd, built):
    if not isinstance(nd, dict):
        raise _bad(f"node {i} must be an object, got {type(nd).__name__}")
    op_name, name = nd.get("op"), nd.get("name")
    if not isinstance(op_name, str) or not isinstance(name, str):
        raise _bad(f"node {i} needs string 'op' and 'name' fields, got op={op_name!r} name={name!r}")
    where = f"node {i} ({op_name} {name!r})"
    sattrs = {}
    for key in ("param", "attr", "attrs"):      # legacy keys first; "attrs" wins
        a = nd.get(key)
        if a is None:
            continue
        if not isinstance(a, dict):
            raise _bad(f"{where}: '{key}' must be an object of strings, got {type(a).__name__}")
        for k, v in a.items():
            if not isinstance(v, str):
                raise _bad(f"{where}: attribute {k!r} must be a string, got {v!r}")
            sattrs[k] = v
    raw_inputs = nd.get("inputs", [])
    if not isinstance(raw_inputs, list):
        raise _bad(f"{where}: 'inputs' must be a list, got {type(raw_inputs).__name__}")
    inputs = [_entry(e, built, i, where) for e in raw_inputs]
    if op_name == "null":
        if inputs:
            raise _bad(f"{where}: a variable cannot have inputs")
        return SymNode(VARIABLE, (), {}, 1, name, sattrs)
    op = REGISTRY.get(op_name)
    if op is None:
        raise FormatError(f"{where}: unknown operator {op_name!r}: hybridnet has no op of that name (the file "
                          "may come from a newer MXNet or use a custom/contrib operator)")
    given = {}
    for k, v in sattrs.items():
        if k in op.attr_map:
            try:
                given[k] = op.attr_map[k].kind.parse(v)
            except (TypeError, ValueError):
                raise FormatError(f"{where}: attribute {k}={v!r} is not a valid {op.attr_map[k].kind.name}") \
                    from None
        elif not (k.startswith("__") and k.endswith("__")) and k not in op.hidden_attrs:
            raise FormatError(f"{where}: attribute {k!r}={v!r} is not supported by hybridnet's {op.name} "
                              f"(its attributes: {', '.join(op.attr_map) or 'none'})")
    try:
        attrs = normalize_attrs(op, given)
    except HybridNetError as e:
        raise FormatError(f"{where}: {e}") from None
    if op.variadic:
        n_in = len(inputs)
    else:
        n_req = sum(1 for x in op.inputs if not x.endswith("?"))
        if not n_req <= len(inputs) <= len(op.inputs):
            raise FormatError(f"{where}: {len(inputs)} inputs, but {op.name} takes "
                              f"{n_req if n_req == len(op.inputs) else f'{n_req} to {len(op.inputs)}'} "
                              f"({', '.join(x.rstrip('?') for x in op.inputs)})")
        n_in = len(inputs)
    return SymNode(op, inputs, attrs, op.n_outputs(attrs, n_in), name, sattrs)
