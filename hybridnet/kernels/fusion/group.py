"""``FusionGroup``: what a fused elementwise kernel computes, independent of any graph (built by
``graph/passes/fuse_elementwise.py`` from graph nodes, and by ``kernels/cpu/elementwise.py`` for one
eager op). Importing this module imports no numba."""

__all__ = ["FusionGroup"]


class FusionGroup:
    """What a fused kernel computes, independent of any graph.

    ``n_in`` group inputs ``x0..``; ``steps`` is a tuple of ``(op, refs, attr_values)`` in order, where
    a ref ``r < n_in`` is input ``x<r>`` and ``r >= n_in`` is the result of step ``r - n_in``, and
    ``attr_values`` are the op's ``scalar_attrs`` values; ``outputs`` are refs of the results returned.
    """
    __slots__ = ("n_in", "steps", "outputs")

    def __init__(self, n_in, steps, outputs):
        self.n_in = n_in
        self.steps = tuple((op, tuple(refs), tuple(vals)) for op, refs, vals in steps)
        self.outputs = tuple(outputs)

    def key(self):
        """Structural key: equal for groups that compute the same thing (op identity included)."""
        return (self.n_in, tuple((op.name, id(op.scalar), refs, tuple(_key_val(v) for v in vals))
                                 for op, refs, vals in self.steps), self.outputs)

    def __repr__(self):
        return f"<FusionGroup {'+'.join(op.name for op, _, _ in self.steps)} -> {len(self.outputs)} out>"


def _key_val(v):
    return (type(v).__name__, v)
