"""Schema check of the MXNet 1.9.1 Gluon goldens (tests/golden/gluon/), so a broken regeneration is caught.
The behaviour tests that use these goldens live next to the Block/Parameter tests."""
import json
import os

import numpy as np
import pytest

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "golden", "gluon")
NETS = ["d2l_mlp", "hseq_scope", "custom_params", "prefix_model", "prefix_empty", "tied", "nested",
        "layers_misc", "embedding", "concurrent", "concurrent_eager", "batchnorm", "conv_summary", "conv_print"]
EXPORTED = ["hseq_scope", "custom_params", "nested", "layers_misc", "batchnorm"]
PARAM_FIELDS = {"name": str, "class": str, "shape": list, "dtype": str, "grad_req": str, "lr_mult": float,
                "wd_mult": float, "allow_deferred_init": bool, "repr": str}
ERRORS = ["load_missing", "load_extra", "load_shape_mismatch", "load_export_file", "set_data_shape",
          "deferred_data", "uninitialized_forward", "invalid_shape_no_deferred", "grad_req_null",
          "double_initialize", "unregistered_container", "non_hybrid_child", "trainer_int", "stale_grad",
          "export_not_hybridized", "summary_hybridized", "dense_shape_mismatch_eager", "deferred_infer_fail",
          "argument_structure_mismatch"]
MAGIC = 0x112   # kMXAPINDArrayListMagic, first 8 bytes of an nd.save / .params file


@pytest.fixture(scope="module")
def g():
    with open(os.path.join(GOLDEN, "gluon_goldens.json")) as f:
        return json.load(f)


def _floats(x):
    a = np.array(x, dtype=np.float32)
    assert a.dtype == np.float32 and np.isfinite(a).all()
    return a


def test_top_level(g):
    assert set(g) == {"meta", "nets", "counter_growth", "errors", "trainer", "hybridize_facts"}
    assert g["meta"]["mxnet_version"] == "1.9.1"
    assert set(g["nets"]) == set(NETS)


@pytest.mark.parametrize("name", NETS)
def test_net_record(g, name):
    r = g["nets"][name]
    for key in ("repr_before", "repr_after", "prefix", "class", "paramdict_repr_before", "paramdict_repr_after",
                "param_repr", "code"):
        assert isinstance(r[key], str), key
    for key in ("collect_params_keys", "collect_params_weight_keys", "structural_keys", "own_params_keys"):
        assert isinstance(r[key], list) and all(isinstance(k, str) for k in r[key]), key
    assert r["collect_params_keys"], "every golden net has parameters"
    assert set(r["collect_params_weight_keys"]) <= set(r["collect_params_keys"])
    for table in ("params_before", "params_after"):
        assert list(r[table]) == r["collect_params_keys"]
        for info in r[table].values():
            for field, typ in PARAM_FIELDS.items():
                assert isinstance(info[field], typ), (table, field)
    for info in r["params_after"].values():
        assert all(d > 0 for d in info["shape"]), "shapes are known after the first forward"
    assert r["summary"]["raised"] is None and "Total params" in r["summary"]["stdout"]
    assert "summary_first_call" in r
    if "out_predict" not in r:
        return
    assert len(r["inputs"]) == len(r["input_shapes"])
    for x, s in zip(r["inputs"], r["input_shapes"]):
        assert _floats(x).shape == tuple(s)
    _floats(r["out_predict"])
    assert isinstance(r["save_parameters_keys"], list) and r["save_parameters_keys"]
    path = os.path.join(GOLDEN, r["params_file"])
    with open(path, "rb") as f:
        assert int.from_bytes(f.read(8), "little") == MAGIC
    if "grads" in r:
        assert r["grad_mode"] in ("train", "predict")
        _floats(r["out_record"])
        trainable = [k for k, v in r["params_after"].items() if v["grad_req"] != "null"]
        assert list(r["grads"]) == trainable
        for k, v in r["grads"].items():
            assert list(_floats(v).shape) == r["params_after"][k]["shape"], k
    if "param_values" in r:
        for k, v in r["param_values"].items():
            assert list(_floats(v).shape) == r["params_after"][k]["shape"], k


@pytest.mark.parametrize("name", EXPORTED)
def test_export_record(g, name):
    e = g["nets"][name]["export"]
    with open(os.path.join(GOLDEN, e["symbol_file"])) as f:
        text = f.read()
    assert text == e["symbol_json"]
    assert "nodes" in json.loads(text)
    assert all(k.startswith(("arg:", "aux:")) for k in e["params_keys"])
    with open(os.path.join(GOLDEN, e["params_file"]), "rb") as f:
        assert int.from_bytes(f.read(8), "little") == MAGIC
    _floats(e["symbolblock_out"])


def test_tied_dedup(g):
    r = g["nets"]["tied"]
    assert len(r["save_parameters_dedup_keys"]) < len(r["save_parameters_keys"])
    assert os.path.exists(os.path.join(GOLDEN, r["params_file_dedup"]))


def test_errors(g):
    E = g["errors"]
    for case in ERRORS:
        rec = E[case]
        assert set(rec) >= {"raised", "warnings"}, case
        if rec["raised"] is not None:
            assert isinstance(rec["message"], str) and rec["message"], case
        for w in rec["warnings"]:
            assert isinstance(w["category"], str) and isinstance(w["message"], str)
    assert E["double_initialize"]["raised"] is None and E["double_initialize"]["warnings"]
    assert E["unregistered_container"]["warnings"]


def test_trainer(g):
    t = g["trainer"]
    assert _floats(t["x"]).shape == (6, 4)
    assert set(t["runs"]) == {"sgd_momentum_wd", "adam", "sgd_plain"}
    for run in t["runs"].values():
        keys = run["collect_params_keys"]
        assert list(run["params_init"]) == keys
        assert len(run["steps"]) == t["steps"] == 3
        for step in run["steps"]:
            assert _floats(step["loss"]).shape == (6,)
            assert list(step["params"]) == keys and list(step["grads"]) == keys
            for k in keys:
                assert _floats(step["params"][k]).shape == _floats(run["params_init"][k]).shape


def test_hybridize_facts(g):
    h = g["hybridize_facts"]
    b = h["is_training_branch"]
    assert len(b["eager"]) == len(b["call_sequence"]) == len(b["hybridized_first_predict"])
    for mode in ("eager", "hybridized"):
        assert set(h["dropout_sets"][mode]) == {"predict", "record", "train_mode", "record_train_mode_false",
                                                "predict_after"}
    assert isinstance(h["trace_count"]["count_after_5_calls"], int)
