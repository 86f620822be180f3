"""``SymbolBlock``: a Symbol graph (built with ``hybridnet.sym``, exported by hybridnet, or written by
MXNet 1.x) as a HybridBlock. Its forward evaluates the graph node by node through ``bind``, so it
runs eagerly, under autograd, and hybridized (traced into one compiled graph) like any block.
"""
from ..errors import HybridNetError
from ..ops.bind import bind
from .block import HybridBlock
from .parameter import ParameterDict

__all__ = ["SymbolBlock"]


def _flatten_syms(args, what):
    from ..sym.symbol import Symbol
    if isinstance(args, Symbol):
        return [args[i] for i in range(len(args))] if len(args) > 1 else [args], int(len(args) if len(args) > 1 else 0)
    if not isinstance(args, (list, tuple)):
        raise ValueError(f"When hybridized, the {what} of SymbolBlock must be (nested) list of Symbol, but "
                         f"got {args} of type {type(args)}")
    flat, fmts = [], []
    for a in args:
        f, fmt = _flatten_syms(a, what)
        flat.extend(f)
        fmts.append(fmt)
    return flat, fmts


class SymbolBlock(HybridBlock):
    """Wrap ``outputs`` (a Symbol) with ``inputs`` (variables) as a Block; other arguments of the
    graph become Parameters (auxiliary states get ``grad_req='null'``).

    >>> from hybridnet import gluon, nd, sym
    >>> x = sym.var('data')
    >>> y = sym.FullyConnected(x, num_hidden=2, name='fc')
    >>> net = gluon.SymbolBlock(y, x)
    >>> net.initialize()
    >>> net(nd.ones((3, 4))).shape
    (3, 2)
    """

    @staticmethod
    def imports(symbol_file, input_names, param_file=None, ctx=None, allow_missing=False, ignore_extra=False):
        """Load ``path-symbol.json`` (+ ``.params``) written by hybridnet's or MXNet's ``export``."""
        from .. import sym
        symbol = sym.load(symbol_file)
        if isinstance(input_names, str):
            input_names = [input_names]
        if param_file is None:
            inputs = [sym.var(i, dtype="float32") for i in input_names]
        else:
            inputs = [sym.var(i) for i in input_names]
        ret = SymbolBlock(symbol, inputs)
        if param_file is not None:
            ret.collect_params().load(param_file, ctx=ctx, allow_missing=allow_missing, ignore_extra=ignore_extra,
                                      cast_dtype=True, dtype_source="saved")
        return ret

    def __repr__(self):
        s = "{name}(\n{modstr}\n)"
        modstr = "\n".join([f"<Symbol {o}> : {len(self._input_names)} -> {len(self._outputs)}"
                            for o in [self._sym_name]])
        return s.format(name=self.__class__.__name__, modstr=modstr)

    def __init__(self, outputs, inputs, params=None):
        from ..sym.symbol import Symbol, Group
        super().__init__(prefix=None, params=None)
        self._prefix = ""
        self._params = ParameterDict("", params)
        if isinstance(inputs, Symbol) and len(inputs.list_outputs()) == 1:
            inputs = [inputs]
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            outputs = outputs[0]
        syms, self._in_format = _flatten_syms(inputs, "input")
        out, self._out_format = _flatten_syms(outputs, "output")
        out = Group(out) if len(out) > 1 else out[0]
        input_names = []
        for i in syms:
            if len(i.get_internals().list_outputs()) != 1:
                raise AssertionError(f"Input symbols must be variable, but {i} is an output of operators")
            input_names.append(i.name)
        self._input_names = input_names
        self._outputs = out
        self._sym_name = out.name if len(out) == 1 else "group"
        aux = set(out.list_auxiliary_states())
        for name in out.list_inputs():
            if name in input_names:
                continue
            if name in aux:
                self.params.get(name, grad_req="null", allow_deferred_init=True)
            else:
                self.params.get(name, allow_deferred_init=True)
        self._fill_param_attrs(out)
        prefix = _common_prefix(list(self._params.keys()))
        self._reg_params = {k[len(prefix):]: v for k, v in self._params.items()}

    def _fill_param_attrs(self, out):
        import numpy as np
        from ..dtypes import MX_TYPE_FLAG
        flags = {v: k for k, v in MX_TYPE_FLAG.items()}
        attrs = out.attr_dict()
        for name, p in self._params.items():
            a = attrs.get(name, {})
            if "__shape__" in a and p.shape is None:
                shape = tuple(int(d) for d in a["__shape__"].strip("()[] ").split(",") if d.strip())
                p._shape = shape
            if "__dtype__" in a:
                p._dtype = np.dtype(flags[int(a["__dtype__"])]).type
            if "__lr_mult__" in a:
                p.lr_mult = float(a["__lr_mult__"])
            if "__wd_mult__" in a:
                p.wd_mult = float(a["__wd_mult__"])

    def forward(self, x, *args):
        inputs = [x] + list(args)
        if len(inputs) != len(self._input_names):
            raise HybridNetError(f"SymbolBlock expects {len(self._input_names)} inputs {self._input_names}, "
                                 f"got {len(inputs)}")
        ctx = getattr(x, "context", None)
        feed = dict(zip(self._input_names, inputs))
        if any(p._deferred_init for p in self._params.values()):
            self._infer_from_inputs(feed)
        for name, p in self._params.items():
            feed[name] = p.data(ctx)
        outs = _eval(self._outputs, feed)
        return outs[0] if len(outs) == 1 else outs

    def _infer_from_inputs(self, feed):
        shapes = {k: v.shape for k, v in feed.items() if hasattr(v, "shape")}
        arg_shapes, _, aux_shapes = self._outputs.infer_shape_partial(**shapes)
        known = dict(zip(self._outputs.list_arguments(), arg_shapes or []))
        known.update(zip(self._outputs.list_auxiliary_states(), aux_shapes or []))
        for name, p in self._params.items():
            if p._deferred_init:
                s = known.get(name)
                if s is None or 0 in s:
                    raise HybridNetError(f"SymbolBlock: cannot infer the shape of Parameter '{name}' from inputs "
                                         f"{shapes}; load it from a .params file or give __shape__")
                p.shape = tuple(s)
                p._finish_deferred_init()

    def _clear_cached_op(self):
        super()._clear_cached_op()

    def cast(self, dtype):
        self._clear_cached_op()
        super().cast(dtype)

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError


def _eval(symbol, feed):
    """Evaluate ``symbol`` with arrays (or traced values) for its variables, op by op through bind."""
    from ..sym.symbol import VARIABLE, _topo
    vals = {}
    for n in _topo(symbol._outputs):
        if n.op is VARIABLE:
            if n.name not in feed:
                raise HybridNetError(f"SymbolBlock: no value for variable '{n.name}'")
            vals[n.outputs[0]] = feed[n.name]
            continue
        args = [None if v is None else vals[v] for v in n.inputs]
        out = bind(n.op, args, n.attrs, n.name)
        if isinstance(out, (tuple, list)):
            for o, r in zip(n.outputs, out):
                vals[o] = r
        else:
            vals[n.outputs[0]] = out
    return [vals[v] for v in symbol._outputs]


def _common_prefix(names):
    if not names:
        return ""
    prefix = names[0]
    for name in names:
        i = 0
        while i < len(prefix) and i < len(name) and prefix[i] == name[i]:
            i += 1
        prefix = prefix[:i]
    return prefix
