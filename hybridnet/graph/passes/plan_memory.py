"""``plan_memory``: static buffer assignment for one graph (MXNet ``plan_memory.cc``, tinygrad's
``memory.py``). The result is attached as ``graph.memory_plan`` (a ``MemoryPlan``); the executor
allocates one arena per ``Executable`` and hands every planned kernel ``out=`` a view of its slot.

Rules, in topological order:

* Every single-output node output that is an intermediate gets a *buffer*; buffers are byte ranges of
  one arena, each 64-byte aligned, so one buffer can hold values of different dtypes over time.
* Liveness is per buffer: a value dies after its last use (over the value *and* its view aliases);
  its buffer then goes back to the free pool of its device.
* A new value takes the best-fitting free buffer of its device: the smallest one with ``size >= nbytes``;
  if none is large enough, the largest free buffer grows to ``nbytes`` (exact sizes + best fit, no
  power-of-two rounding: sizes in a graph repeat exactly, so rounding would only waste memory).
  Buffers freed by a node's inputs are released *after* its outputs are placed, so a kernel never
  writes over an input it is reading (except in-place, below).
* In-place: where ``op.inplace`` lists ``(in_idx, out_idx)``, the input's buffer dies at this node, and
  dtype and byte size match, the output takes the input's buffer (``relu(x + 1)`` runs in one buffer).
  Broadcasting ops with a scalar formula may also write over an input with the output's shape.
  (Not on the GPU under Numba's CUDA simulator, which copies arguments back after a launch.)
* Views: kernels of ``VIEW_OPS`` (Reshape, reshape_like, expand_dims, squeeze, Flatten) return a view of
  their input when ``out`` is None. Their outputs get no buffer: they are aliases of the input's root
  buffer, whose lifetime extends to the alias's last use; the executor calls them with ``out=None``.
* Never planned (so never reused or written in place): graph inputs/params/states, constants, graph
  outputs (the executor gives them fresh memory every call, so results handed to the user are never
  overwritten by the next call), 0-byte values, and outputs of multi-output nodes unless the kernel
  takes a tuple ``out=`` (``tuple_out``: SliceChannel, topk, fused groups; the others allocate).
  A graph output that would be a view of an arena buffer or of a constant is copied out instead.

``peak_bytes`` is what one call holds beyond inputs, constants and outputs: the arena plus the
unplanned intermediates; ``naive_bytes`` is the sum of all intermediate sizes, each rounded to 64
bytes like an arena slot (every intermediate in its own allocation, which is what an executor
without a plan holds when nothing is freed early).
"""
from ...kernels import backend
from ...ops.opdef import Pattern
from ._rewrite import copy_graph, nbytes

__all__ = ["run", "MemoryPlan", "VIEW_OPS", "ALIGN", "tuple_out"]

VIEW_OPS = frozenset({"Reshape", "reshape_like", "expand_dims", "squeeze", "Flatten"})
ALIGN = 64

# how the executor treats one node output
ARENA, FRESH, ALIAS, COPY = "arena", "fresh", "alias", "copy"


def _align(n):
    return (n + ALIGN - 1) // ALIGN * ALIGN


class MemoryPlan:
    """``kind[v]``: ARENA / FRESH / ALIAS / COPY per node output; ``buffer[v]``: buffer id of ARENA
    values; ``offsets[b]``/``sizes[b]``: arena byte range of buffer ``b``; ``inplace``: list of
    ``(node index, in_idx, out_idx)`` that write over their input."""

    def __init__(self, kind, buffer, sizes, devices, inplace, naive_bytes, unplanned_bytes):
        self.kind = kind
        self.buffer = buffer
        self.sizes = sizes
        self.devices = devices
        self.offsets = []
        self.arena_bytes = {}
        for b, s in enumerate(sizes):
            d = devices[b]
            self.offsets.append(self.arena_bytes.get(d, 0))
            self.arena_bytes[d] = self.arena_bytes.get(d, 0) + _align(s)
        self.inplace = inplace
        self.naive_bytes = naive_bytes
        self.peak_bytes = sum(self.arena_bytes.values()) + unplanned_bytes

    @property
    def n_buffers(self):
        return len(self.sizes)

    def __repr__(self):
        return (f"<MemoryPlan {len(self.sizes)} buffers, peak {self.peak_bytes} B vs naive "
                f"{self.naive_bytes} B, {len(self.inplace)} in-place>")


TUPLE_OUT_OPS = frozenset({"SliceChannel", "topk"})


def tuple_out(op):
    """Whether a multi-output op's kernel takes ``out=`` as a tuple of arrays (fused groups do)."""
    return op.name in TUPLE_OUT_OPS or getattr(op, "fusion", None) is not None


def _inplace_pairs(node):
    """``op.inplace``, plus, for broadcasting ops with a scalar formula (one generated elementwise
    kernel: each output element is computed from the inputs at the same position before it is
    stored), every input whose shape is the output's."""
    op = node.op
    if op.pattern is Pattern.BROADCAST and op.scalar is not None and len(node.outputs) == 1:
        shape = tuple(node.outputs[0].spec.shape)
        extra = tuple((i, 0) for i, v in enumerate(node.inputs)
                      if v is not None and tuple(v.spec.shape) == shape and (i, 0) not in op.inplace)
        return op.inplace + extra
    return op.inplace


def _inplace_ok(device):
    # Numba's CUDA simulator copies every host argument in and back out around a launch, so an input
    # that is also the output gets its old contents copied back over the result: no in-place there.
    return not (device.device_type == "gpu" and backend.is_simulator())


def plan(graph):
    outputs = set(graph.outputs)
    root = {}                       # alias Value -> root Value

    def root_of(v):
        return root.get(v, v)
    kind = {}
    for n in graph.nodes:
        if (n.op.name in VIEW_OPS and len(n.outputs) == 1 and n.inputs and n.inputs[0] is not None):
            o = n.outputs[0]
            if o in outputs:
                continue
            kind[o] = ALIAS
            root[o] = root_of(n.inputs[0])
    last = {}
    for k, n in enumerate(graph.nodes):
        for v in n.inputs:
            if v is not None:
                last[root_of(v)] = k
    buffer, sizes, devices, inplace = {}, [], [], []
    free = {}                        # device -> list of free buffer ids
    naive = unplanned = 0
    for k, n in enumerate(graph.nodes):
        multi = len(n.outputs) > 1
        taken = set()
        for j, o in enumerate(n.outputs):
            size = nbytes(o.spec)
            if o in outputs:
                r = root_of(n.inputs[0]) if n.op.name in VIEW_OPS and n.inputs and n.inputs[0] is not None \
                    else None
                kind[o] = COPY if r is not None and (r in buffer or r.kind == "const") else FRESH
                continue
            naive += _align(size)
            if kind.get(o) == ALIAS:
                naive -= _align(size)        # a view costs nothing
                continue
            if (multi and not tuple_out(n.op)) or size == 0:
                kind[o] = FRESH
                unplanned += size
                continue
            kind[o] = ARENA
            dev = o.spec.device
            b = None
            for i, jj in (_inplace_pairs(n) if _inplace_ok(dev) else ()):
                v = n.inputs[i] if i < len(n.inputs) else None
                if jj != j or v is None:
                    continue
                r = root_of(v)
                rb = buffer.get(r)
                if (rb is not None and rb not in taken and last.get(r) == k and v.spec.dtype == o.spec.dtype
                        and nbytes(v.spec) == size and devices[rb] == dev):
                    b = rb
                    inplace.append((k, i, j))
                    break
            if b is None:
                pool = free.setdefault(dev, [])
                fits = [c for c in pool if sizes[c] >= size]
                if fits:
                    b = min(fits, key=lambda c: sizes[c])
                elif pool:
                    b = max(pool, key=lambda c: sizes[c])
                    sizes[b] = size
                if b is not None:
                    pool.remove(b)
                else:
                    b = len(sizes)
                    sizes.append(size)
                    devices.append(dev)
            taken.add(b)
            buffer[o] = b
        # release buffers whose values die here: inputs used for the last time (unless an output
        # took the buffer in place) and outputs nobody reads
        dying = {root_of(v) for v in n.inputs if v is not None and last.get(root_of(v)) == k}
        dying.update(o for o in n.outputs if o not in last)
        for r in dying:
            b = buffer.get(r)
            if b is not None and (b not in taken or r in n.outputs):
                free.setdefault(devices[b], []).append(b)
    return MemoryPlan(kind, buffer, sizes, devices, inplace, naive, unplanned)


def run(graph, options=None):
    g = copy_graph(graph)
    g.memory_plan = plan(g)
    return g
