"""Make the golden files under tests/golden/ with the real MXNet 1.9.1 (never a hybridnet dependency).

Run:  /work/mx-oracle/bin/python tests/golden/make_goldens.py

Writes
- ``nd_save/*.params``: ``mx.nd.save`` outputs (legacy V2 records), a Gluon ``save_parameters``
  file, sparse saves and ``npx.save`` outputs under ``npx.set_np()`` (V3 records);
- ``nd_save_manifest.json``: for each of those files, how it was made (list or dict save, and every
  array's name, dtype, shape and values), so tests can rebuild the same data with hybridnet;
- ``legacy_nd_semantics.json``: MXNet's result for legacy ``mx.nd`` expressions (dtype, shape and
  values, or the exception raised).
"""
import json
import os
import sys

import numpy as np
import mxnet as mx
from mxnet import nd

HERE = os.path.dirname(os.path.abspath(__file__))
SAVE_DIR = os.path.join(HERE, "nd_save")


def _values(a):
    return a.asnumpy().tolist()


def _describe(data):
    items = data.items() if isinstance(data, dict) else enumerate(data)
    return [{"name": k if isinstance(data, dict) else None, "dtype": str(np.dtype(v.dtype)),
             "shape": list(v.shape), "stype": v.stype,
             "values": (v.tostype("default") if v.stype != "default" else v).asnumpy().tolist()}
            for k, v in items]


def make_nd_save_files():
    os.makedirs(SAVE_DIR, exist_ok=True)
    rs = np.random.RandomState(0)
    f32 = lambda shape: nd.array(rs.uniform(-2, 2, size=shape).astype(np.float32))  # noqa: E731

    legacy = {
        # dict saves
        "dict_float32": {"a": nd.array([1.5, 2.5])},
        "dict_multi": {"weight": f32((3, 4)), "bias": nd.array([0.5, -1.0, 2.0]),
                       "steps": nd.array([7], dtype="int64")},
        "dict_unicode_names": {"conv0.weight": f32((2, 1)), "größe": nd.array([1, 2], dtype="int32"),
                               "": nd.array([3.0])},
        "empty_dict": {},
        # list saves
        "list_mixed": [nd.array([1, 2]), nd.array([[3]], dtype="int32")],
        "list_empty": [],
        "single_array": nd.array([[1, 2], [3, 4]]),       # nd.save(f, NDArray) == a 1-element list
        # one dtype each
        "dtype_float64": [nd.array([1.25, -3.5, 1e300], dtype="float64")],
        "dtype_float16": [nd.array([0.5, -2.0, 65504.0, 6.1035156e-05], dtype="float16")],
        "dtype_uint8": [nd.array([0, 1, 250, 255], dtype="uint8")],
        "dtype_int8": [nd.array([-128, -1, 0, 127], dtype="int8")],
        "dtype_int32": [nd.array([-2147483648, -1, 0, 2147483647], dtype="int32")],
        "dtype_int64": [nd.array([-(2 ** 62), -1, 0, 2 ** 40 + 3], dtype="int64")],
        "dtype_bool": [nd.array([True, False, True], dtype="bool")],
        # shapes
        "zero_size": [nd.array(np.zeros((0,), np.float32)), nd.array(np.zeros((0, 3), np.float32)),
                      nd.array(np.zeros((2, 0, 3), np.int32), dtype="int32")],
        "shape_1": {"scalar_like": nd.array([42.0])},
        "multi_dim": {"x": f32((2, 3, 4, 5)), "y": nd.arange(24).reshape((1, 2, 1, 3, 4))},
    }
    manifest = {}
    for name, data in legacy.items():
        fn = os.path.join(SAVE_DIR, name + ".params")
        nd.save(fn, data)
        as_list = [data] if isinstance(data, nd.NDArray) else data
        kind = ("dict" if isinstance(data, dict) else
                "ndarray" if isinstance(data, nd.NDArray) else "list")
        manifest[name] = {"file": f"nd_save/{name}.params", "writer": "mx.nd.save", "version": 2,
                          "kind": kind,
                          "loads_as": type(nd.load(fn)).__name__,
                          "arrays": _describe(as_list)}

    # Gluon save_parameters of HybridSequential(Dense(2, in_units=3), BatchNorm(in_channels=2))
    net = mx.gluon.nn.HybridSequential()
    net.add(mx.gluon.nn.Dense(2, in_units=3), mx.gluon.nn.BatchNorm(in_channels=2))
    net.initialize(mx.init.Normal(1.0))
    net(nd.array(rs.uniform(size=(4, 3)).astype(np.float32)))
    fn = os.path.join(SAVE_DIR, "gluon_dense_bn.params")
    net.save_parameters(fn)
    manifest["gluon_dense_bn"] = {"file": "nd_save/gluon_dense_bn.params",
                                  "writer": "HybridBlock.save_parameters", "version": 2,
                                  "kind": "dict", "loads_as": "dict", "arrays": _describe(nd.load(fn))}

    # sparse saves (hybridnet reads them densified)
    rsp = nd.sparse.row_sparse_array((nd.array([[1, 2], [3, 4]]), nd.array([0, 2], dtype="int64")),
                                     shape=(4, 2))
    csr = nd.sparse.csr_matrix((nd.array([1, 2, 3]), nd.array([0, 2, 1], dtype="int64"),
                                nd.array([0, 2, 2, 3], dtype="int64")), shape=(3, 3))
    fn = os.path.join(SAVE_DIR, "sparse.params")
    nd.save(fn, {"rsp": rsp, "csr": csr, "dense": nd.array([1.0, 2.0])})
    manifest["sparse"] = {"file": "nd_save/sparse.params", "writer": "mx.nd.save (sparse)",
                          "version": 2, "kind": "dict", "loads_as": "dict",
                          "arrays": _describe({"rsp": rsp, "csr": csr, "dense": nd.array([1.0, 2.0])})}

    # V3 records: npx.save under npx.set_np() (0-d arrays allowed)
    mx.npx.set_np()
    try:
        v3 = {
            "v3_dict": {"s": mx.np.array(3.5), "v": mx.np.arange(6).reshape(2, 3),
                        "i": mx.np.array([1, 2], dtype="int32")},
            "v3_list": [mx.np.zeros((0, 3)), mx.np.array(7, dtype="int64")],
        }
        for name, data in v3.items():
            fn = os.path.join(SAVE_DIR, name + ".params")
            mx.npx.save(fn, data)
            items = data.items() if isinstance(data, dict) else enumerate(data)
            manifest[name] = {
                "file": f"nd_save/{name}.params", "writer": "mx.npx.save under npx.set_np()",
                "version": 3, "kind": "dict" if isinstance(data, dict) else "list",
                "loads_as": type(mx.npx.load(fn)).__name__,
                "arrays": [{"name": k if isinstance(data, dict) else None,
                            "dtype": str(np.dtype(v.dtype)), "shape": list(v.shape),
                            "stype": "default", "values": v.asnumpy().tolist()} for k, v in items]}
    finally:
        mx.npx.reset_np()

    with open(os.path.join(HERE, "nd_save_manifest.json"), "w") as f:
        json.dump({"mxnet_version": mx.__version__, "files": manifest}, f, indent=1,
                  ensure_ascii=False)
        f.write("\n")


# ---- legacy nd semantics ----------------------------------------------------------------------
# (id, expression). Evaluated with names nd, np, mx. Expressions must mean the same in hybridnet.
X23 = "nd.array([[1, 3, 2], [4, 0, 5]])"
ARANGE234 = "nd.arange(24).reshape((2, 3, 4))"
P32 = "nd.array([[1, 2], [3, 4], [5, 6]])"
TK = "nd.array([[3, 1, 2], [4, 6, 5]])"

SEMANTICS = [
    # nd.array dtype rules (1.1, 2.12)
    ("array_from_int_list", "nd.array([1, 2, 3])"),
    ("array_from_int64_numpy", "nd.array(np.arange(3))"),
    ("array_from_int32_numpy", "nd.array(np.array([1, 2], dtype='int32'))"),
    ("array_from_float64_numpy", "nd.array(np.array([1., 2.]))"),
    ("array_from_bool_list", "nd.array([True, False])"),
    ("array_explicit_int64", "nd.array([1, 2, 3], dtype='int64')"),
    ("array_explicit_uint8", "nd.array(np.array([1, 2]), dtype='uint8')"),
    ("arange_default_float32", "nd.arange(5)"),
    ("arange_step", "nd.arange(0, 1, 0.25)"),
    ("zeros_int32", "nd.zeros((2, 2), dtype='int32')"),
    ("ones_default", "nd.ones((2, 3))"),
    ("full_value", "nd.full((2,), 7)"),
    # no promotion between arrays
    ("add_float64_float32_error", "nd.array([1.], dtype='float64') + nd.array([1.])"),
    ("add_int32_float32_error", "nd.array([1], dtype='int32') + nd.array([1.])"),
    ("mul_int32_float32_error", "nd.array([1], dtype='int32') * nd.array([1.])"),
    # a Python scalar takes the array's dtype
    ("int32_mul_half", "nd.array([1, 2, 3], dtype='int32') * 0.5"),
    ("int32_div_2", "nd.array([3], dtype='int32') / 2"),
    ("int32_div_2_many", "nd.array([3, -3, 7], dtype='int32') / 2"),
    ("int32_add_frac", "nd.array([1, 2], dtype='int32') + 1.7"),
    ("int32_mul_1_5", "nd.array([1, 2], dtype='int32') * 1.5"),
    ("int32_rdiv", "7 / nd.array([2], dtype='int32')"),
    ("int32_rsub", "10 - nd.array([3], dtype='int32')"),
    ("int32_pow", "nd.array([2, 3], dtype='int32') ** 2"),
    ("int32_mod", "nd.array([7, -7], dtype='int32') % 3"),
    ("float32_mod", "nd.array([7., -7.]) % 3"),
    ("uint8_add_wraps", "nd.array([250], dtype='uint8') + 10"),
    ("uint8_sub_wraps", "nd.array([5], dtype='uint8') - 10"),
    ("float16_add_scalar", "nd.array([1.5], dtype='float16') + 1"),
    ("int64_mul_scalar", "nd.array([2 ** 40], dtype='int64') * 2"),
    ("negate", "-nd.array([1, -2])"),
    ("broadcast_add", "nd.ones((2, 3)) + nd.ones((1, 3))"),
    ("broadcast_mul_col_row", "nd.array([[1], [2]]) * nd.array([1, 2, 3])"),
    ("int32_array_sub_array", "nd.array([5, 1], dtype='int32') - nd.array([2, 3], dtype='int32')"),
    # comparisons: 0/1 in the input dtype
    ("int32_eq_scalar", "nd.array([1, 2, 3], dtype='int32') == 2"),
    ("float32_gt_scalar", "nd.array([1, 2, 3]) > 2"),
    ("int32_gt_frac_scalar", "nd.array([1, 2, 3], dtype='int32') > 1.5"),
    ("int32_eq_frac_scalar", "nd.array([1, 2], dtype='int32') == 1.5"),
    ("int32_ge_frac_scalar", "nd.array([1, 2], dtype='int32') >= 1.5"),
    ("float32_lt_array", "nd.array([1, 2, 3]) < nd.array([3, 2, 1])"),
    ("float32_ne_broadcast", "nd.array([[1], [2]]) != nd.array([1, 2])"),
    ("uint8_ge_scalar", "nd.array([1, 5], dtype='uint8') >= 5"),
    ("scalar_le_array", "2 <= nd.array([1, 2, 3])"),
    ("nd_equal_fn", "nd.equal(nd.array([1, 2]), nd.array([1, 3]))"),
    # reductions: full reduction has shape (1,)
    ("sum_full", "nd.ones((2, 3)).sum()"),
    ("mean_full", "nd.arange(6).reshape((2, 3)).mean()"),
    ("max_full", X23 + ".max()"),
    ("min_full", X23 + ".min()"),
    ("prod_full", "nd.array([1, 2, 3, 4]).prod()"),
    ("norm_full", "nd.array([[3, 4], [0, 0]]).norm()"),
    ("nd_sum_fn_full", "nd.sum(nd.ones((2, 3)))"),
    ("sum_int32_full", "nd.array([[1, 2], [3, 4]], dtype='int32').sum()"),
    ("mean_int32_truncates", "nd.array([1, 2], dtype='int32').mean()"),
    ("sum_axis_tuple_all", "nd.sum(nd.ones((2, 3)), axis=(0, 1))"),
    ("sum_axis_keepdims", ARANGE234 + ".sum(axis=1, keepdims=True)"),
    ("sum_axis_exclude", ARANGE234 + ".sum(axis=1, exclude=True)"),
    ("sum_axis_tuple", ARANGE234 + ".sum(axis=(0, 2))"),
    ("mean_axis_neg", ARANGE234 + ".mean(axis=-1)"),
    ("max_axis0", X23 + ".max(axis=0)"),
    # argmax / argmin / argsort / topk: float32 indices
    ("argmax_axis1", "nd.argmax(" + X23 + ", axis=1)"),
    ("argmax_no_axis", "nd.argmax(" + X23 + ")"),
    ("argmax_int32_input", "nd.argmax(nd.array([[1, 3, 2]], dtype='int32'), axis=1)"),
    ("argmax_keepdims", "nd.argmax(" + X23 + ", axis=1, keepdims=True)"),
    ("argmin_axis0", "nd.argmin(" + X23 + ", axis=0)"),
    ("argmax_method", X23 + ".argmax(axis=1)"),
    ("argsort_default", "nd.argsort(" + TK + ")"),
    ("argsort_descending", "nd.argsort(" + TK + ", is_ascend=False)"),
    ("sort_descending", "nd.sort(" + TK + ", is_ascend=False)"),
    ("topk_default", "nd.topk(" + TK + ")"),
    ("topk_k2_value", "nd.topk(" + TK + ", k=2, ret_typ='value')"),
    ("topk_both", "nd.topk(" + TK + ", k=2, ret_typ='both')"),
    ("topk_ascend", "nd.topk(" + TK + ", k=2, is_ascend=True)"),
    ("topk_axis0", "nd.topk(" + TK + ", axis=0)"),
    ("topk_int32_indices", "nd.topk(" + TK + ", k=2, dtype='int32')"),
    ("topk_mask", "nd.topk(" + TK + ", k=2, ret_typ='mask')"),
    ("topk_axis_none", "nd.topk(" + TK + ", k=3, axis=None)"),
    # scalars
    ("asscalar_float32", "nd.array([2.5]).asscalar()"),
    ("asscalar_int32", "nd.array([3], dtype='int32').asscalar()"),
    ("asscalar_not_scalar_error", "nd.array([1, 2]).asscalar()"),
    ("float_of_ndarray_error", "float(nd.array([1.]))"),
    # reshape special codes
    ("reshape_0_m1", ARANGE234 + ".reshape((0, -1))"),
    ("reshape_m3_0", ARANGE234 + ".reshape((-3, 0))"),
    ("reshape_0_m4", "nd.arange(12).reshape((2, 6)).reshape((0, -4, 2, -1))"),
    ("reshape_m2", ARANGE234 + ".reshape((-2,))"),
    ("reshape_m4_leading", ARANGE234 + ".reshape((-4, 1, 2, -2))"),
    ("reshape_0_0_m1", ARANGE234 + ".reshape((0, 0, -1))"),
    ("reshape_m1", ARANGE234 + ".reshape((-1,))"),
    ("reshape_2_m2", ARANGE234 + ".reshape((2, -2))"),
    ("reshape_m3_m2", ARANGE234 + ".reshape((-3, -2))"),
    ("reshape_reverse", "nd.arange(200).reshape((10, 5, 4)).reshape((-1, 0), reverse=True)"),
    ("reshape_reverse_0_m1", "nd.arange(200).reshape((10, 5, 4)).reshape((0, -1), reverse=True)"),
    ("reshape_shape_kw", ARANGE234 + ".reshape(shape=(4, 6))"),
    ("reshape_varargs", ARANGE234 + ".reshape(4, 6)"),
    ("nd_reshape_fn", "nd.reshape(" + ARANGE234 + ", shape=(0, -1))"),
    ("reshape_size_mismatch_error", ARANGE234 + ".reshape((5, 5))"),
    ("flatten", "nd.flatten(" + ARANGE234 + ")"),
    # shape ops
    ("transpose_default", "nd.transpose(nd.arange(6).reshape((2, 3)))"),
    ("transpose_T", "nd.arange(6).reshape((2, 3)).T"),
    ("transpose_axes", "nd.transpose(" + ARANGE234 + ", axes=(1, 0, 2))"),
    ("expand_dims", "nd.expand_dims(nd.array([1, 2]), axis=1)"),
    ("squeeze", "nd.squeeze(nd.ones((1, 3, 1)))"),
    ("concat_default_dim1", "nd.concat(nd.ones((2, 3)), nd.zeros((2, 2)))"),
    ("concat_dim0", "nd.concat(nd.ones((2, 3)), nd.zeros((1, 3)), dim=0)"),
    ("concat_three", "nd.concat(nd.array([[1]]), nd.array([[2]]), nd.array([[3]]))"),
    ("concat_mismatch_error", "nd.concat(nd.ones((2, 3)), nd.zeros((3, 2)))"),
    ("stack_default_axis0", "nd.stack(nd.ones(2), nd.zeros(2))"),
    ("stack_axis1", "nd.stack(nd.array([1, 2]), nd.array([3, 4]), axis=1)"),
    ("split_returns_list", "nd.split(nd.arange(6).reshape((2, 3)), num_outputs=3, axis=1)"),
    ("split_default_axis1", "nd.split(nd.arange(8).reshape((2, 4)), num_outputs=2)"),
    ("split_squeeze_axis", "nd.split(nd.arange(6).reshape((2, 3)), num_outputs=2, axis=0, squeeze_axis=True)"),
    ("split_one_output", "nd.split(nd.arange(6).reshape((2, 3)), num_outputs=1, axis=0)"),
    ("split_uneven_error", "nd.split(nd.arange(6).reshape((2, 3)), num_outputs=2, axis=1)"),
    ("tile", "nd.tile(nd.array([1, 2]), reps=(2, 2))"),
    ("repeat", "nd.repeat(nd.array([1, 2]), repeats=2)"),
    ("broadcast_to", "nd.broadcast_to(nd.array([[1, 2]]), shape=(3, 2))"),
    ("slice_axis", "nd.slice_axis(" + ARANGE234 + ", axis=2, begin=1, end=3)"),
    ("swapaxes", "nd.swapaxes(" + ARANGE234 + ", 0, 2)"),
    ("ones_like_int32", "nd.ones_like(nd.array([1, 2], dtype='int32'))"),
    ("zeros_like", "nd.zeros_like(nd.ones((2, 2)))"),
    # pick / one_hot / take / where
    ("pick_axis1", "nd.pick(" + P32 + ", nd.array([0, 1, 0]), axis=1)"),
    ("pick_default_axis", "nd.pick(" + P32 + ", nd.array([1, 1, 0]))"),
    ("pick_keepdims", "nd.pick(" + P32 + ", nd.array([0, 1, 0]), axis=1, keepdims=True)"),
    ("pick_clip_out_of_range", "nd.pick(" + P32 + ", nd.array([0, 5, -1]), axis=1)"),
    ("pick_wrap", "nd.pick(" + P32 + ", nd.array([2, 3, -1]), axis=1, mode='wrap')"),
    ("pick_axis0", "nd.pick(" + P32 + ", nd.array([2, 0]), axis=0)"),
    ("pick_int32", "nd.pick(nd.array([[1, 2], [3, 4]], dtype='int32'), nd.array([1, 0]), axis=1)"),
    ("one_hot_default", "nd.one_hot(nd.array([1, 0, 2]), 3)"),
    ("one_hot_on_off_dtype", "nd.one_hot(nd.array([1, 0]), 3, on_value=5, off_value=-1, dtype='int32')"),
    ("one_hot_out_of_range", "nd.one_hot(nd.array([3, -1, 1]), 3)"),
    ("one_hot_2d_indices", "nd.one_hot(nd.array([[0, 1], [2, 0]]), 3)"),
    ("take_axis0", "nd.take(" + P32 + ", nd.array([2, 0]))"),
    ("take_clip", "nd.take(" + P32 + ", nd.array([5, -1]))"),
    ("take_axis1", "nd.take(" + P32 + ", nd.array([1]), axis=1)"),
    ("where", "nd.where(nd.array([1, 0]), nd.array([1, 2]), nd.array([3, 4]))"),
    # indexing
    ("index_float_array_as_indices", "nd.arange(5)[nd.array([0, 1, 0, 1, 0])]"),
    ("index_int_row", "nd.arange(6).reshape((2, 3))[1]"),
    ("index_slice", "nd.arange(6).reshape((2, 3))[:, 1:]"),
    ("index_negative_step", "nd.arange(5)[::-1]"),
    # elementwise
    ("softmax_default_axis", "nd.softmax(nd.array([[1, 2], [3, 5]]))"),
    ("log_softmax", "nd.log_softmax(nd.array([[1, 2], [3, 5]]))"),
    ("sqrt_int32", "nd.sqrt(nd.array([4, 9, 10], dtype='int32'))"),
    ("relu_int32", "nd.relu(nd.array([-1, 2], dtype='int32'))"),
    ("abs_float", "nd.abs(nd.array([-1.5, 2]))"),
    ("clip", "nd.clip(nd.array([-2, 0.5, 3]), -1, 1)"),
    ("maximum_scalar", "nd.maximum(nd.array([1, 5]), 3)"),
    ("maximum_arrays", "nd.maximum(nd.array([1, 5]), nd.array([4, 2]))"),
    ("astype_truncates", "nd.array([1.7, -1.7]).astype('int32')"),
    ("sigmoid", "nd.sigmoid(nd.array([0.]))"),
    ("dot", "nd.dot(nd.ones((2, 3)), nd.ones((3, 4)))"),
    ("dot_transpose_b", "nd.dot(nd.ones((2, 3)), nd.ones((4, 3)), transpose_b=True)"),
    ("batch_dot", "nd.batch_dot(nd.ones((2, 3, 4)), nd.ones((2, 4, 5)))"),
    ("dot_shape_error", "nd.dot(nd.ones((2, 3)), nd.ones((2, 3)))"),
]


# Entries where hybridnet deliberately differs from MXNet 1.9.1: what hybridnet does instead, and why.
# The test checks hybridnet against "hybridnet" for these (so the difference stays deliberate).
DIVERGENCES = {
    "float_of_ndarray_error": {
        "note": "hybridnet allows float()/int() of a 1-element NDArray (a superset: MXNet 1.9.1 raises "
                "TypeError, which no working program relies on; MXNet 2.0 allows it too)",
        "hybridnet": {"kind": "python_scalar", "dtype": "float", "shape": [], "values": 1.0}},
    "log_softmax": {
        "note": "MXNet 1.9.1's float32 last-axis log_softmax runs oneDNN's approximate exp/log (-1.3132598 for "
                "log(1/(1+e)) = -1.31326169, ~15 ulp); hybridnet gives the values of MXNet's own kernel in "
                "float64 (nd.log_softmax(..., dtype float64 input)) rounded to float32",
        "hybridnet": {"kind": "array", "dtype": "float32", "shape": [2, 2],
                      "values": [[-1.31326162815094, -0.3132616877555847],
                                 [-2.1269280910491943, -0.12692801654338837]]}},
}


def _encode(r):
    if isinstance(r, nd.NDArray):
        return {"kind": "array", "dtype": str(np.dtype(r.dtype)), "shape": list(r.shape),
                "values": r.asnumpy().tolist()}
    if isinstance(r, (list, tuple)):
        return {"kind": "list", "items": [_encode(x) for x in r]}
    if isinstance(r, np.generic):
        return {"kind": "numpy_scalar", "dtype": str(r.dtype), "shape": [], "values": r.item()}
    if isinstance(r, (bool, int, float)):
        return {"kind": "python_scalar", "dtype": type(r).__name__, "shape": [], "values": r}
    raise TypeError(f"cannot encode {type(r)}")


def make_semantics():
    ns = {"nd": nd, "np": np, "mx": mx}
    entries = []
    for eid, expr in SEMANTICS:
        try:
            r = eval(expr, dict(ns))
            if isinstance(r, nd.NDArray):
                r.wait_to_read()
            rec = _encode(r)
        except Exception as e:   # noqa: BLE001  (recording what MXNet raises is the point)
            name = type(e).__name__
            bases = [b.__name__ for b in type(e).__mro__ if b.__module__ == "builtins"
                     and b not in (object, BaseException, Exception)]
            msg = str(e).strip().splitlines()
            msg = [m for m in msg if m.strip()]
            rec = {"kind": "error", "error": name, "builtin_bases": bases,
                   "message": (msg[-1] if name == "MXNetError" else msg[0])[:300] if msg else ""}
        if eid in DIVERGENCES:
            rec["divergence"] = DIVERGENCES[eid]
        entries.append({"id": eid, "expr": expr, **rec})
    with open(os.path.join(HERE, "legacy_nd_semantics.json"), "w") as f:
        json.dump({"mxnet_version": mx.__version__,
                   "namespace": "nd = mxnet.ndarray, np = numpy, mx = mxnet",
                   "entries": entries}, f, indent=1)
        f.write("\n")
    return entries


if __name__ == "__main__":
    assert mx.__version__ == "1.9.1", mx.__version__
    make_nd_save_files()
    ents = make_semantics()
    for e in ents:
        desc = e.get("dtype", "") + str(e.get("shape", "")) if e["kind"] != "error" else e["error"]
        print(f"{e['id']:32s} {e['kind']:14s} {desc}", file=sys.stderr)
