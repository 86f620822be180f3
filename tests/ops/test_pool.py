"""Pooling / UpSampling / BilinearResize2D / AdaptiveAvgPooling2D against MXNet 1.9.1 (tests/golden/pool,
made by make_pool_goldens.py): outputs and input gradients (max pooling's first-maximum tie rule
included), eager and compiled; the hidden argmax output; the Numba CPU kernels against the array-API
body (the GPU kernel) on many geometries."""
import json
import os

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, nd
from hybridnet.testing.op_cases.pool import pool_reference

GOLD = json.load(open(os.path.join(os.path.dirname(__file__), "..", "golden", "pool", "pool_goldens.json")))
OPS = GOLD["ops"]


def _fn(name):
    return {"Pooling": nd.Pooling, "UpSampling": nd.UpSampling,
            "contrib.BilinearResize2D": nd._contrib_BilinearResize2D,
            "contrib.AdaptiveAvgPooling2D": nd._contrib_AdaptiveAvgPooling2D}[name]


def _attrs(rec):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in rec["attrs"].items()}


def _run(fn, xs, head):
    for x in xs:
        x.attach_grad()
    with autograd.record():
        y = fn(*xs)
    y.backward(head)
    return y, [x.grad for x in xs]


def _tol(rec):
    return dict(rtol=1e-5, atol=1e-6) if rec["dtype"] == "float32" else dict(rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_matches_mxnet(name):
    rec = OPS[name]
    dt = rec["dtype"]
    xs = [nd.array(np.array(x, dtype=dt), dtype=dt) for x in rec["inputs"]]
    head = nd.array(np.array(rec["head"], dtype=dt), dtype=dt)
    f = _fn(rec["op"])
    attrs = _attrs(rec)
    y, gs = _run(lambda *a: f(*a, **attrs), xs, head)
    np.testing.assert_allclose(y.asnumpy(), np.array(rec["out"], dtype=dt), **_tol(rec))
    for g, want in zip(gs, rec["grads"]):
        np.testing.assert_allclose(g.asnumpy(), np.array(want, dtype=dt), **_tol(rec))


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_compiled_matches_mxnet(name):
    """The same call traced and compiled (graph executor, memory planning), forward and backward."""
    from hybridnet.graph import compile as gcompile
    rec = OPS[name]
    dt = rec["dtype"]
    xs = [nd.array(np.array(x, dtype=dt), dtype=dt) for x in rec["inputs"]]
    head = nd.array(np.array(rec["head"], dtype=dt), dtype=dt)
    f = _fn(rec["op"])
    attrs = _attrs(rec)
    fc = gcompile(lambda *a: f(*a, **attrs))
    y, gs = _run(fc, xs, head)
    np.testing.assert_allclose(y.asnumpy(), np.array(rec["out"], dtype=dt), **_tol(rec))
    for g, want in zip(gs, rec["grads"]):
        np.testing.assert_allclose(g.asnumpy(), np.array(want, dtype=dt), **_tol(rec))


def test_max_ties_route_to_first_maximum():
    """MXNet: each window's gradient goes to its first maximum in row-major order (overlapping windows add)."""
    x = nd.ones((1, 1, 3, 3))
    x.attach_grad()
    with autograd.record():
        y = nd.Pooling(x, kernel=(2, 2), stride=(1, 1))
    y.backward(nd.ones_like(y))
    assert x.grad.asnumpy()[0, 0].tolist() == [[1, 1, 0], [1, 1, 0], [0, 0, 0]]


def _hidden_argmax(x, **attrs):
    from hybridnet.kernels import kernel_for
    from hybridnet.ops.registry import get_op
    op = get_op("Pooling")
    from hybridnet.ops.bind import normalize_attrs
    a = normalize_attrs(op, attrs)
    return kernel_for(op, x.context)(x._data, **a)


@pytest.mark.parametrize("attrs,shape", [
    (dict(kernel=(2, 2), stride=(2, 2)), (2, 3, 6, 6)),
    (dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pooling_convention="full"), (1, 2, 5, 6)),
    (dict(kernel=(2, 3), stride=(1, 2), layout="NHWC"), (2, 5, 6, 3)),
    (dict(kernel=(2,), stride=(1,), layout="NWC", pad=(1,)), (2, 7, 3)),
    (dict(kernel=(2, 2, 2), pad=(1, 0, 1), layout="NDHWC"), (1, 3, 4, 4, 2)),
    (dict(global_pool=True), (2, 3, 4, 5)),
    (dict(kernel=(1, 1), pad=(1, 1)), (1, 1, 2, 2)),
])
def test_argmax_output_is_flat_index_of_first_maximum(attrs, shape):
    x = np.round(np.random.RandomState(1).uniform(-2, 2, shape) * 4) / 4     # many ties
    y, idx = _hidden_argmax(nd.array(x, dtype="float64"), **attrs)
    ry, ridx = pool_reference(x, index=True, **attrs)
    np.testing.assert_array_equal(y, ry)
    np.testing.assert_array_equal(idx, ridx)


GEOMS = [
    (dict(kernel=(2, 2), stride=(2, 2)), (3, 4, 8, 8)),
    (dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pooling_convention="full"), (2, 3, 7, 6)),
    (dict(kernel=(3, 3), stride=(1, 1), pad=(1, 1)), (2, 3, 5, 5)),
    (dict(kernel=(2, 2), stride=(3, 3), pad=(1, 1), pooling_convention="full"), (1, 2, 4, 5)),
    (dict(kernel=(4,), stride=(3,), pad=(2,)), (2, 3, 11)),
    (dict(kernel=(2, 2, 3), stride=(1, 2, 2), pad=(1, 1, 0)), (1, 2, 3, 5, 6)),
    (dict(kernel=(3, 2), stride=(2, 1), layout="NHWC"), (2, 6, 5, 4)),
    (dict(global_pool=True), (2, 3, 4, 6)),
    (dict(global_pool=True, layout="NDHWC"), (2, 3, 2, 2, 5)),
    (dict(kernel=(1, 1), pad=(2, 2)), (1, 1, 3, 3)),
    (dict(kernel=(3,), stride=(2,), pooling_convention="same"), (2, 2, 8)),
]
TYPES = [dict(pool_type="max"), dict(pool_type="avg"), dict(pool_type="avg", count_include_pad=False),
         dict(pool_type="sum"), dict(pool_type="lp", p_value=1), dict(pool_type="lp", p_value=2),
         dict(pool_type="lp", p_value=3)]


@pytest.mark.parametrize("geom", range(len(GEOMS)))
@pytest.mark.parametrize("kind", range(len(TYPES)))
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_numba_kernels_match_array_api_body_and_reference(geom, kind, dtype):
    from hybridnet.kernels.cpu import pool as cpu
    from hybridnet.kernels.generic import pool as gen
    from hybridnet.ops.pool import pool_geometry
    from hybridnet.ops.registry import get_op
    attrs, shape = GEOMS[geom]
    attrs = dict(attrs, **TYPES[kind])
    x = np.random.RandomState(geom).uniform(-2, 2, shape).astype(dtype)
    if attrs["pool_type"] == "max":
        x = np.round(x * 4) / 4
    geo = pool_geometry(get_op("Pooling"), (x,), x, **attrs)
    a = cpu.pooling(x, geo, attrs["pool_type"], attrs.get("p_value"))
    b = gen.pooling(x, geo=geo, pool_type=attrs["pool_type"], p_value=attrs.get("p_value"))
    ref = pool_reference(x, index=attrs["pool_type"] == "max", **attrs)
    tol = dict(rtol=2e-3, atol=2e-3) if dtype == "float16" else dict(rtol=1e-5, atol=1e-5)
    if attrs["pool_type"] == "max":
        np.testing.assert_array_equal(a[1], b[1])
        np.testing.assert_array_equal(a[1], ref[1])
        a, b, ref = a[0], b[0], ref[0]
    assert a.dtype == b.dtype == np.dtype(dtype) and a.shape == b.shape == ref.shape
    np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), **tol)
    np.testing.assert_allclose(a.astype(np.float64), ref.astype(np.float64), **tol)
    if attrs["pool_type"] in ("avg", "sum"):
        g = np.random.RandomState(7).uniform(-1, 1, a.shape).astype(dtype)
        da = cpu.backward_pooling(g, geo, shape, attrs["pool_type"])
        db = gen.pooling_adjoint(g, geo=geo, shape=shape, pool_type=attrs["pool_type"])
        np.testing.assert_allclose(da.astype(np.float64), db.astype(np.float64), **tol)


def test_parallel_and_serial_variants_agree(monkeypatch):
    from hybridnet.kernels.cpu import pool as cpu
    x = nd.array(np.random.RandomState(0).uniform(-1, 1, (8, 16, 24, 24)))
    y1 = nd.Pooling(x, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg").asnumpy()
    m1 = nd.Pooling(x, kernel=(2, 2), stride=(2, 2)).asnumpy()
    monkeypatch.setattr(cpu, "PARALLEL_MIN_SIZE", 1 << 62)
    y2 = nd.Pooling(x, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg").asnumpy()
    m2 = nd.Pooling(x, kernel=(2, 2), stride=(2, 2)).asnumpy()
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(m1, m2)


def test_symbol_json_and_visible_outputs():
    s = mx.sym.Pooling(mx.sym.var("x"), kernel=(2, 2), stride=(2, 2), pool_type="max", name="pool0")
    d = json.loads(s.tojson())
    assert d["nodes"][1]["attrs"] == {"kernel": "(2, 2)", "pool_type": "max", "stride": "(2, 2)"}
    assert d["node_row_ptr"] == [0, 1, 3]        # MXNet 1.9.1 (MKL-DNN build) also has 2 outputs for max
    assert len(s.list_outputs()) == 1
    a = mx.sym.Pooling(mx.sym.var("x"), kernel=(2, 2), pool_type="avg", count_include_pad=False)
    assert json.loads(a.tojson())["node_row_ptr"] == [0, 1, 2]
    out = nd.Pooling(nd.ones((1, 1, 4, 4)), kernel=(2, 2))
    assert isinstance(out, mx.nd.NDArray) and out.shape == (1, 1, 3, 3)


def test_errors_name_op_and_fix():
    from hybridnet.errors import ShapeError
    with pytest.raises(ShapeError, match=r"(?s)Pooling.*kernel size \(5\) exceeds input \(4 padded to 4\).*fix"):
        nd.Pooling(nd.ones((1, 1, 4, 4)), kernel=(5, 5))
