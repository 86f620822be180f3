"""Legacy ``mx.nd`` semantics: every expression in tests/golden/legacy_nd_semantics.json (recorded from
MXNet 1.9.1 by tests/golden/make_goldens.py) must give the same dtype, shape and values in hybridnet,
or raise the same kind of error. One parametrized case per entry; an entry whose op hybridnet lacks
fails until the op exists.
"""
import json
from pathlib import Path

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import nd
from hybridnet.errors import HybridNetError

GOLDEN = json.loads((Path(__file__).resolve().parents[1] / "golden" / "legacy_nd_semantics.json")
                    .read_text())
ENTRIES = GOLDEN["entries"]


def _builtin(name):
    import builtins
    return getattr(builtins, name)


def _check_value(got, exp, where):
    kind = exp["kind"]
    if kind == "list":
        assert isinstance(got, (list, tuple)), f"{where}: expected a list of {len(exp['items'])} " \
                                               f"arrays, got {type(got).__name__}"
        assert len(got) == len(exp["items"]), f"{where}: {len(got)} outputs, expected {len(exp['items'])}"
        for i, (g, e) in enumerate(zip(got, exp["items"])):
            _check_value(g, e, f"{where}[{i}]")
        return
    if kind == "array":
        assert isinstance(got, nd.NDArray), f"{where}: expected an NDArray, got {type(got).__name__}"
        values = got.asnumpy()
    elif kind == "numpy_scalar":
        assert isinstance(got, np.generic), f"{where}: expected a NumPy scalar, got {type(got).__name__}"
        values = np.asarray(got)
    elif kind == "python_scalar":
        assert type(got).__name__ == exp["dtype"], f"{where}: expected {exp['dtype']}, got {type(got)}"
        assert got == exp["values"]
        return
    else:
        raise AssertionError(f"unknown kind {kind}")
    assert str(values.dtype) == exp["dtype"], f"{where}: dtype {values.dtype}, MXNet gives {exp['dtype']}"
    assert list(values.shape) == exp["shape"], f"{where}: shape {values.shape}, MXNet gives {exp['shape']}"
    want = np.array(exp["values"], dtype=exp["dtype"]).reshape(exp["shape"])
    if values.dtype.kind == "f":
        np.testing.assert_allclose(values, want, rtol=1e-6 if values.dtype != np.float16 else 1e-3,
                                   atol=1e-7, err_msg=where)
    else:
        np.testing.assert_array_equal(values, want, err_msg=where)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_legacy_nd_semantics(entry):
    expr = entry["expr"]
    ns = {"nd": nd, "np": np, "mx": mx}
    where = f"{entry['id']}: {expr}"
    exp = entry["divergence"]["hybridnet"] if "divergence" in entry else entry
    if exp["kind"] == "error":
        # MXNetError -> any HybridNetError (MXNetError is its alias); builtin errors -> same class
        want = HybridNetError if exp["error"] == "MXNetError" else _builtin(exp["error"])
        with pytest.raises(want):
            r = eval(expr, ns)
            if isinstance(r, nd.NDArray):
                r.asnumpy()
        return
    _check_value(eval(expr, ns), exp, where)


def test_golden_is_from_mxnet_1_9_1():
    assert GOLDEN["mxnet_version"] == "1.9.1"
    assert len({e["id"] for e in ENTRIES}) == len(ENTRIES)
