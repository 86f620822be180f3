"""One line per node: ``%7:f32[64,10] = broadcast_add %5 %6`` (used in errors and golden tests)."""

__all__ = ["format_graph", "format_node"]


def _attrs(attrs):
    if not attrs:
        return ""
    return " {" + ", ".join(f"{k}={v!r}" for k, v in attrs.items()) + "}"


def format_node(n):
    outs = ", ".join(repr(o) for o in n.outputs)
    ins = " ".join(f"%{v.id}" if v is not None else "_" for v in n.inputs)
    return f"{outs} = {n.op.name} {ins}{_attrs(n.attrs)}"


def format_graph(g):
    lines = ["graph(" + ", ".join(f"{v!r}" + (f" {v.name}" if v.name else "") + f" [{v.kind}]"
                                  for v in g.inputs) + "):"]
    for v in g.constants:
        lines.append(f"  {v!r} = const")
    for n in g.nodes:
        lines.append("  " + format_node(n))
    lines.append("  return " + ", ".join(repr(v) for v in g.outputs))
    return "\n".join(lines)
