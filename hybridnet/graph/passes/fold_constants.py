"""``fold_constants``: a node whose inputs are all constants (or absent optional inputs) is evaluated
once at compile time with its device's kernel (``kernels.kernel_for``; on the CPU, the CPU kernel) and
its outputs become constants. Skipped: ``effects`` ops (random draws must differ per call), outputs
above ``FOLD_MAX_BYTES`` in total (a broadcast of a scalar constant to a big shape is cheaper to
recompute than to keep), and nodes whose kernel raises a HybridNetError (the error then surfaces at
run time, where eager code would raise it).

Captured NDArrays are graph constants with their values at trace time (omnistaging); folding relies on
that, so mutating a captured array in place after compiling does not reach folded results.
"""
from ...errors import HybridNetError
from ...kernels import kernel_for
from ..ir import GraphError
from ._rewrite import Rewriter, nbytes

__all__ = ["run", "FOLD_MAX_BYTES"]

FOLD_MAX_BYTES = 1 << 20


def run(graph, options=None):
    rw = Rewriter(graph)
    consts = rw.graph.constants
    for n in graph.nodes:
        ins = rw.inputs_of(n)
        if (n.op.effects or not all(v is None or v in consts for v in ins)
                or sum(nbytes(o.spec) for o in n.outputs) > FOLD_MAX_BYTES):
            rw.keep(n)
            continue
        device = n.outputs[0].spec.device
        try:
            r = kernel_for(n.op, device)(*[None if v is None else consts[v] for v in ins], **n.attrs)
        except HybridNetError:
            rw.keep(n)
            continue
        rs = tuple(r) if len(n.outputs) > 1 else (r,)
        for o, a in zip(n.outputs, rs):
            if tuple(a.shape) != tuple(o.spec.shape) or a.dtype != o.spec.dtype:
                raise GraphError(f"fold_constants: kernel of {n.op.name} returned {a.dtype}{tuple(a.shape)}, "
                                 f"infer says {o!r} (a kernel/infer mismatch: a hybridnet bug)")
            rw.replace(o, rw.graph.add_constant(a, o.spec, o.name))
    return rw.finish()
