"""GPU sorting kernels: CuPy's sort / argsort (stable radix/merge sorts from Thrust/CUB) with the
same ordering rules as ``kernels/cpu/sort.py``: stable in both directions (descending = the stable
ascending order of the reversed lane, reversed back) and NaN as the largest value (CuPy places NaN
last, as NumPy does). ``topk`` is a full stable argsort and a slice: one library sort beats a
selection kernel on a GPU for the lane lengths MXNet models use. Under the simulator the same code
runs on NumPy. sort, argsort and the sort-gradient permutation ops are array-API kernels in
``kernels/generic/sorting.py`` (shared with the CPU); only topk's algorithm differs per device.
"""
from ...ops.registry import register_kernel
from ..backend import xp_of
from ..generic.sorting import lanes, pack_topk, stable_argsort
from . import launch as L


@register_kernel("topk", "gpu")
def topk(x, out=None, axis=-1, k=1, ret_typ="indices", is_ascend=False, dtype="float32"):
    xp = xp_of(x)
    with L.on_device_of(x):
        xl, ax = lanes(x, axis)
        kk = xl.shape[ax] if k < 1 else k
        idx = stable_argsort(xp, xl, ax, is_ascend)[(slice(None),) * ax + (slice(0, kk),)]
        vals = xp.take_along_axis(xl, idx, axis=ax)
        return pack_topk(xp, x, xl, ax, idx, vals, ret_typ, dtype, out)
