"""``make_function(op)``: the public ``nd.<op>`` / ``sym.<op>`` function for an ``OpDef``.

The function is generated from source so it has a real signature (inputs, then attributes, as MXNet's
generated functions accept them: ``nd.clip(x, 0, 1)`` and ``nd.clip(x, a_min=0, a_max=1)``), a
docstring built from the op's doc, and no per-call introspection.
"""
import inspect
import keyword

from .bind import bind, normalize_attrs
from .opdef import REQUIRED

__all__ = ["make_function"]


class _Default:
    def __repr__(self):
        return "<default>"


_D = _Default()


def _finish(result, out):
    if out is None:
        return result
    if isinstance(result, (list, tuple)):
        for o, r in zip(out, result):
            o[:] = r
        return out
    out[:] = result
    return out


def _pyname(n):
    n = n.rstrip("?")
    return n + "_" if keyword.iskeyword(n) else n


def make_function(op, fn_name=None, wrap=None, finish=_finish):
    """Build the public function for ``op``.

    ``wrap`` post-processes the result (e.g. nd returns lists for multi-output ops).
    """
    fn_name = fn_name or op.name
    params, sig_params = [], []
    if op.variadic:
        vname = _pyname(op.inputs[0].lstrip("*"))
        params.append("*" + vname)
        sig_params.append(inspect.Parameter(vname, inspect.Parameter.VAR_POSITIONAL))
        call_inputs = vname
        kw_only = True
    else:
        names = [_pyname(i) for i in op.inputs]
        for i, n in zip(op.inputs, names):
            if i.endswith("?"):
                params.append(f"{n}=None")
                sig_params.append(inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None))
            else:
                params.append(n)
                sig_params.append(inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD))
        call_inputs = "(" + "".join(n + ", " for n in names) + ")"
        kw_only = False
    body = ["    given = {}"]
    for a in op.attrs:
        an = _pyname(a.name)
        params.append(f"{an}=_D")
        kind = inspect.Parameter.KEYWORD_ONLY if kw_only else inspect.Parameter.POSITIONAL_OR_KEYWORD
        default = inspect.Parameter.empty if a.default is REQUIRED else a.default
        if default is inspect.Parameter.empty and any(p.default is not inspect.Parameter.empty
                                                      for p in sig_params):
            default = REQUIRED   # a required attr after an optional input: checked at call time
        sig_params.append(inspect.Parameter(an, kind, default=default))
        body.append(f"    if {an} is not _D: given[{a.name!r}] = {an}")
    params += ["out=None", "name=None", "**kwargs"]
    for n in ("out", "name"):
        sig_params.append(inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY if kw_only
                                            else inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None))
    sig_params.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
    body.append("    if kwargs: given.update(kwargs)")
    if op.attrs:
        body.append("    attrs = _norm(_op, given) if given else _defaults")
    else:
        body.append("    attrs = _norm(_op, given) if given else _EMPTY")
    if op.num_visible_outputs is None:
        body.append(f"    return _finish(_wrap(_bind(_op, {call_inputs}, attrs, name)), out)")
    elif callable(op.num_visible_outputs):   # the count depends on attrs (BatchNorm's output_mean_var)
        body.append(f"    return _finish(_wrap(_visible(_bind(_op, {call_inputs}, attrs, name), attrs)), out)")
    else:   # hidden outputs (Dropout's mask) stay on the tape / in the graph, not in the result
        body.append(f"    return _finish(_wrap(_visible(_bind(_op, {call_inputs}, attrs, name))), out)")
    src = f"def {fn_name}({', '.join(params)}):\n" + "\n".join(body) + "\n"
    ns = {"_D": _D, "_op": op, "_norm": normalize_attrs, "_bind": bind, "_finish": finish,
          "_wrap": wrap or (lambda r: r), "_EMPTY": {}, "_visible": _visible_of(op),
          "_defaults": ({a.name: a.default for a in op.attrs}
                        if all(a.default is not REQUIRED for a in op.attrs) else None)}
    if ns["_defaults"] is None:
        src = src.replace("attrs = _norm(_op, given) if given else _defaults", "attrs = _norm(_op, given)")
    exec(compile(src, f"<hybridnet op {op.name}>", "exec"), ns)
    fn = ns[fn_name]
    fn.__signature__ = inspect.Signature(sig_params)
    fn.__doc__ = _docstring(op)
    fn.__module__ = "hybridnet.nd"
    fn.__qualname__ = fn_name
    fn._op = op
    return fn


def _visible_of(op):
    n = op.num_visible_outputs
    if n is None:
        return None
    if callable(n):   # num_visible_outputs(attrs) -> int
        return lambda r, attrs: _visible_n(r, n(attrs))
    if n == 1:
        return lambda r: r[0] if isinstance(r, (tuple, list)) else r
    return lambda r: tuple(r[:n]) if isinstance(r, (tuple, list)) else r


def _visible_n(r, n):
    if not isinstance(r, (tuple, list)):
        return r
    return r[0] if n == 1 else tuple(r[:n])


def _docstring(op):
    lines = [op.doc.strip() or f"The {op.name} operator.", ""]
    if op.aliases:
        lines += [f"Aliases: {', '.join(op.aliases)}.", ""]
    if op.attrs:
        lines.append("Attributes:")
        for a in op.attrs:
            d = "required" if a.default is REQUIRED else f"default {a.default!r}"
            lines.append(f"    {a.name} ({a.kind.name}, {d}): {a.doc}")
    return "\n".join(lines)
