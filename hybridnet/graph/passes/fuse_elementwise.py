"""Elementwise fusion: chains and trees of ELEMWISE/BROADCAST nodes with a ``scalar`` formula become one
node whose kernel is generated from the formulas (``hybridnet/kernels/fusion``).

``run(graph) -> graph`` is pure: the input graph is not modified. A group holds nodes that

* have a scalar formula, one output, no effects, and every input and output in one dtype;
* produce outputs of one shape on one device (inputs may broadcast: they are the group's inputs);
* number at most ``MAX_GROUP`` (generated source and compile time grow with it).

Nodes join the group of a producer (several producers' groups merge: trees fuse) unless that would
make a cycle, i.e. the node or one of the merged groups also reaches the group through a node outside
it; effects nodes are chained in program order for that check, so fusion never reorders them. Values
a group computes that are used outside it, or are graph outputs, become the fused node's outputs
(several: multi-output). Groups of one node stay as they are.

The fused node's ``op`` is a synthetic ``OpDef`` (pattern ELEMWISE, not registered, no grad: fusion
runs on forward/backward graphs after autodiff) whose ``kernels`` hold lazily compiled CPU and GPU
kernels, and whose ``fusion`` attribute is the ``FusionGroup`` they were generated from. Nothing here
imports numba: ``hybridnet.kernels.fusion`` compiles on a kernel's first call.

>>> from hybridnet import nd, graph
>>> from hybridnet.graph.passes import fuse_elementwise
>>> tf = graph.trace(lambda x: nd.relu(nd.sigmoid(x) * 2 - 1), nd.ones((4,)))
>>> [n.op.name.startswith("_fused_") for n in fuse_elementwise.run(tf.graph).nodes]
[True]
"""
import heapq
import itertools

import numpy as np

from ...ops.opdef import OpDef, Pattern
from ...ops.spec import TensorSpec
from ...kernels.fusion.group import FusionGroup
from ..ir import Graph, Node

__all__ = ["run", "FusionGroup", "MAX_GROUP", "NAME"]

NAME = "fuse_elementwise"
MAX_GROUP = 32

_ids = itertools.count()
_names = itertools.count()


def _fusable(node):
    op = node.op
    if (op.scalar is None or op.effects or op.pattern not in (Pattern.ELEMWISE, Pattern.BROADCAST)
            or len(node.outputs) != 1 or getattr(op, "fusion", None) is not None):
        return False
    dt = node.outputs[0].spec.dtype
    if not node.inputs or any(v is None or v.spec.dtype != dt for v in node.inputs):
        return False
    if len(node.inputs) != len(op.inputs) or op.variadic:
        return False
    return all(a in node.attrs or a in op.attr_map for a in op.scalar_attrs)


class _UF:
    """Union-find over group ids."""

    def __init__(self):
        self.parent = {}

    def find(self, g):
        p = self.parent
        while p.get(g, g) != g:
            p[g] = p.get(p[g], p[g])
            g = p[g]
        return g


def _groups(graph):
    """node -> group id for fusable nodes (a group id may be merged into another: resolve with uf)."""
    uf = _UF()
    group_of = {}                 # node -> group id
    members = {}                  # root id -> list of nodes
    info = {}                     # root id -> (shape, dtype, device)
    ext_deps = {}                 # root id -> set of group ids its outside inputs depend on
    node_deps = {}                # node -> set of group ids it depends on (including its own)
    effect_deps = set()
    producer_node = {}
    for n in graph.nodes:
        for o in n.outputs:
            producer_node[o] = n

    def deps_of_value(v):
        p = producer_node.get(v)
        return node_deps.get(p, set()) if p is not None else set()

    def roots(s):
        # every group reachable from the ids in s: a fused node depends on all its members' inputs
        out, stack = set(), [uf.find(g) for g in s]
        while stack:
            r = stack.pop()
            if r not in out:
                out.add(r)
                stack.extend(uf.find(g) for g in ext_deps.get(r, ()))
        return out

    for n in graph.nodes:
        in_deps = set()
        for v in n.inputs:
            if v is not None:
                in_deps |= deps_of_value(v)
        if n.op.effects:
            in_deps |= effect_deps
        gid = None
        if _fusable(n):
            out = n.outputs[0].spec
            sig = (out.shape, out.dtype, out.device)
            cands = []
            for v in n.inputs:
                p = producer_node.get(v)
                if p is not None and p in group_of:
                    r = uf.find(group_of[p])
                    if r not in cands and info[r] == sig:
                        cands.append(r)
            chosen = _choose(n, cands, members, ext_deps, producer_node, group_of, uf, deps_of_value, roots)
            if chosen:
                gid = chosen[0]
                for r in chosen[1:]:
                    uf.parent[r] = gid
                    members[gid].extend(members.pop(r))
                    ext_deps[gid] |= ext_deps.pop(r)
                    info.pop(r)
                inside = set(chosen)
                for v in n.inputs:
                    p = producer_node.get(v)
                    if p is None or p not in group_of or uf.find(group_of[p]) not in inside:
                        ext_deps[gid] |= deps_of_value(v)
                members[gid].append(n)
            else:
                gid = next(_ids)
                members[gid] = [n]
                info[gid] = sig
                ext_deps[gid] = set(in_deps)
            group_of[n] = gid
        deps = in_deps | ({gid} if gid is not None else set())
        node_deps[n] = deps
        if n.op.effects:
            effect_deps = deps
    return group_of, uf, members


def _choose(n, cands, members, ext_deps, producer_node, group_of, uf, deps_of_value, roots):
    """The candidate groups ``n`` can join (all of them if possible, else the first that works)."""
    def ok(sel):
        if sum(len(members[r]) for r in sel) + 1 > MAX_GROUP:
            return False
        s = set(sel)
        for r in sel:
            if roots(ext_deps[r]) & (s - {r}):   # r reaches another selected group from outside
                return False
        for v in n.inputs:
            p = producer_node.get(v)
            if p is not None and p in group_of and uf.find(group_of[p]) in s:
                continue
            if roots(deps_of_value(v)) & s:
                return False
        return True
    if not cands:
        return []
    if ok(cands):
        return cands
    for r in cands:
        if ok([r]):
            return [r]
    return []


def run(graph):
    """Return a new graph with elementwise groups fused (``graph`` itself is not modified)."""
    group_of, uf, members = _groups(graph)
    groups = {r: ns for r, ns in members.items() if len(ns) > 1}
    if not groups:
        return graph
    users = graph.users()
    graph_outs = set(graph.outputs)
    order = {n: i for i, n in enumerate(graph.nodes)}

    # one fused node description per group: (placeholder order, fused op, member output -> index)
    fused = {}
    for r, ns in groups.items():
        ns = sorted(ns, key=order.__getitem__)
        mset = set(ns)
        produced = {n.outputs[0]: k for k, n in enumerate(ns)}
        ext_inputs = []
        for n in ns:
            for v in n.inputs:
                if v not in produced and v not in ext_inputs:
                    ext_inputs.append(v)
        n_in = len(ext_inputs)
        ref = {v: k for k, v in enumerate(ext_inputs)}
        ref.update({v: n_in + k for v, k in produced.items()})
        steps = []
        for n in ns:
            vals = tuple(n.attrs[a] if a in n.attrs else n.op.attr_map[a].default for a in n.op.scalar_attrs)
            steps.append((n.op, tuple(ref[v] for v in n.inputs), vals))
        outs = [n.outputs[0] for n in ns
                if n.outputs[0] in graph_outs or any(u not in mset for u, _ in users.get(n.outputs[0], ()))]
        group = FusionGroup(n_in, steps, [ref[v] for v in outs])
        spec = ns[0].outputs[0].spec
        op = _fused_op(group, spec, [n.op.name for n in ns]) if outs else None
        fused[r] = (ns, ext_inputs, outs, op)

    # rebuild: fused nodes at the position of their last member, then a stable topological order
    new = Graph()
    new.inputs = list(graph.inputs)
    new.constants = dict(graph.constants)
    vmap = {}
    last = {r: max(order[n] for n in ns) for r, (ns, _, _, _) in fused.items()}
    pending = []
    for n in graph.nodes:
        if n in group_of and uf.find(group_of[n]) in fused:
            r = uf.find(group_of[n])
            if order[n] == last[r]:
                pending.append((order[n], ("fused", r)))
            continue
        pending.append((order[n], ("node", n)))

    def m(v):
        return None if v is None else vmap.get(v, v)

    built = []
    for prio, (kind, obj) in pending:
        built.append((prio, kind, obj))
    # topological sort by data dependencies (+ program order of effects nodes), ties by position
    nodes_spec = []
    for prio, kind, obj in built:
        if kind == "node":
            ins, outs, eff = obj.inputs, obj.outputs, obj.op.effects
        else:
            ns, ext, outs, op = fused[obj]
            ins, eff = ext, False
        nodes_spec.append((prio, kind, obj, ins, outs, eff))
    made_by = {}
    for k, (_, _, _, _, outs, _) in enumerate(nodes_spec):
        for o in outs:
            made_by[o] = k
    deps = [set() for _ in nodes_spec]
    prev_eff = None
    for k, (_, _, _, ins, _, eff) in enumerate(nodes_spec):
        for v in ins:
            if v is not None and v in made_by:
                deps[k].add(made_by[v])
        if eff:
            if prev_eff is not None:
                deps[k].add(prev_eff)
            prev_eff = k
    rdeps = [[] for _ in nodes_spec]
    for k, ds in enumerate(deps):
        for d in ds:
            rdeps[d].append(k)
    indeg = [len(ds) for ds in deps]
    heap = [(nodes_spec[k][0], k) for k in range(len(nodes_spec)) if indeg[k] == 0]
    heapq.heapify(heap)
    while heap:
        _, k = heapq.heappop(heap)
        prio, kind, obj, ins, outs, eff = nodes_spec[k]
        if kind == "node":
            new_ins = tuple(m(v) for v in obj.inputs)
            if new_ins == obj.inputs:
                new.nodes.append(obj)
            else:
                nn = new.add_node(obj.op, new_ins, obj.attrs, [o.spec for o in obj.outputs], obj.name)
                for o, no in zip(obj.outputs, nn.outputs):
                    no.name = o.name
                    vmap[o] = no
        elif fused[obj][2]:             # (a group nobody reads is dead code: no effects, dropped)
            ns, ext, gouts, op = fused[obj]
            nn = new.add_node(op, [m(v) for v in ext], {}, [v.spec for v in gouts],
                              name="+".join(n.op.name for n in ns))
            for o, no in zip(gouts, nn.outputs):
                no.name = o.name
                vmap[o] = no
        for j in rdeps[k]:
            indeg[j] -= 1
            if indeg[j] == 0:
                heapq.heappush(heap, (nodes_spec[j][0], j))
    if len(new.nodes) != sum(1 for s in nodes_spec if s[1] == "node" or fused[s[2]][2]):  # pragma: no cover
        from ..ir import GraphError
        raise GraphError(f"fuse_elementwise made a cycle (a hybridnet bug; please report it):\n{graph}")
    new.outputs = [m(v) for v in graph.outputs]
    return new


def _fused_op(group, spec, member_names):
    n_out = len(group.outputs)

    def infer(*specs, **attrs):
        shape = tuple(np.broadcast_shapes(*[s.shape for s in specs])) if specs else spec.shape
        d = specs[0] if specs else spec
        out = TensorSpec(shape, d.dtype, d.device)
        return tuple(out for _ in range(n_out)) if n_out > 1 else out

    from ...kernels.fusion import fused_kernel   # builds lazy kernels; imports no numba
    name = f"_fused_{next(_names)}"
    op = OpDef(name, tuple(f"x{k}" for k in range(group.n_in)), infer, Pattern.ELEMWISE,
               num_outputs=n_out, public=False, dtype_check=None,
               # one output: each element is read before it is written (the planner checks sizes)
               inplace=tuple((k, 0) for k in range(group.n_in)) if n_out == 1 else (),
               kernels={"cpu": fused_kernel(group, "cpu"), "gpu": fused_kernel(group, "gpu")},
               doc="fused: " + " -> ".join(member_names))
    op.fusion = group
    return op
