"""Symbol fluent methods (s.reshape(...).sum(...)) and AttrScope, JSON byte-identical to MXNet 1.9.1.
Goldens printed by MXNet 1.9.1 (the code is in each test; see tests/golden/make_symbol_goldens.py for
the oracle setup)."""
import numpy as np

import hybridnet as mx

FLUENT_JSON = "{\n  \"nodes\": [\n    {\n      \"op\": \"null\", \n      \"name\": \"x\", \n      \"inputs\": []\n    }, \n    {\n      \"op\": \"Reshape\", \n      \"name\": \"reshape0\", \n      \"attrs\": {\"shape\": \"(2, -1)\"}, \n      \"inputs\": [[0, 0, 0]]\n    }, \n    {\n      \"op\": \"sum\", \n      \"name\": \"sum0\", \n      \"attrs\": {\"axis\": \"1\"}, \n      \"inputs\": [[1, 0, 0]]\n    }, \n    {\n      \"op\": \"exp\", \n      \"name\": \"exp0\", \n      \"inputs\": [[2, 0, 0]]\n    }, \n    {\n      \"op\": \"Cast\", \n      \"name\": \"cast0\", \n      \"attrs\": {\"dtype\": \"float16\"}, \n      \"inputs\": [[3, 0, 0]]\n    }\n  ], \n  \"arg_nodes\": [0], \n  \"node_row_ptr\": [0, 1, 2, 3, 4, 5], \n  \"heads\": [[4, 0, 0]], \n  \"attrs\": {\"mxnet_version\": [\"int\", 10901]}\n}"
ATTRSCOPE_JSON = "{\n  \"nodes\": [\n    {\n      \"op\": \"null\", \n      \"name\": \"a\", \n      \"attrs\": {\n        \"__ctx_group__\": \"dev1\", \n        \"foo\": \"bar\"\n      }, \n      \"inputs\": []\n    }, \n    {\n      \"op\": \"relu\", \n      \"name\": \"relu0\", \n      \"attrs\": {\n        \"__ctx_group__\": \"dev1\", \n        \"foo\": \"baz\"\n      }, \n      \"inputs\": [[0, 0, 0]]\n    }\n  ], \n  \"arg_nodes\": [0], \n  \"node_row_ptr\": [0, 1, 2], \n  \"heads\": [[1, 0, 0]], \n  \"attrs\": {\"mxnet_version\": [\"int\", 10901]}\n}"


def test_fluent_chain_json_and_value():
    with mx.name.NameManager():
        x = mx.sym.var("x")
        y = x.reshape((2, -1)).sum(axis=1).exp().astype("float16")
    assert y.tojson() == FLUENT_JSON
    out = y.eval(x=mx.nd.ones((2, 3)))[0]
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.asnumpy(), np.exp([3.0, 3.0]).astype(np.float16))


def test_attr_scope_json():
    with mx.name.NameManager():
        with mx.AttrScope(ctx_group="dev1", foo="bar"):
            a = mx.sym.var("a")
            b = mx.sym.relu(a, attr={"foo": "baz"})
    assert b.tojson() == ATTRSCOPE_JSON
    assert a.list_attr() == {"__ctx_group__": "dev1", "foo": "bar", "ctx_group": "dev1"}
    c = mx.sym.var("c")
    assert c.list_attr() == {}


def test_attr_scope_nesting_and_errors():
    with mx.AttrScope(a="1"):
        with mx.AttrScope(b="2"):
            s = mx.sym.var("s")
        t = mx.sym.var("t")
    assert s.list_attr() == {"a": "1", "b": "2"} and t.list_attr() == {"a": "1"}
    import pytest
    with pytest.raises(ValueError, match="string"):
        mx.AttrScope(a=1)
