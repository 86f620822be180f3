"""Make the MXNet 1.9.1 goldens for tests/test_initializer.py and tests/test_metric.py.

Run with the oracle (never a test dependency):
    /work/mx-oracle/bin/python tests/golden/init_metric/make_goldens.py
Writes initializer.json and metric.json next to this file. Inputs are generated with a fixed
numpy RandomState and stored in the JSON, so the tests feed exactly what MXNet saw.
"""
import json
import os
import warnings

import numpy as np
import mxnet as mx

warnings.simplefilter("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))


def arr(a):
    return np.asarray(a).tolist()


# ----------------------------------------------------------------------------------------- initializers
def init_goldens():
    out = {}
    I = mx.init
    specs = {
        "Uniform()": I.Uniform(), "Uniform(0.1)": I.Uniform(0.1), "Normal()": I.Normal(),
        "Normal(0.5)": I.Normal(0.5), "Xavier()": I.Xavier(),
        "Xavier(factor_type='in', magnitude=2.34)": I.Xavier(factor_type="in", magnitude=2.34),
        "Xavier(rnd_type='gaussian', factor_type='out', magnitude=2)":
            I.Xavier(rnd_type="gaussian", factor_type="out", magnitude=2),
        "MSRAPrelu()": I.MSRAPrelu(), "MSRAPrelu('in', 0.1)": I.MSRAPrelu("in", 0.1),
        "Orthogonal()": I.Orthogonal(), "Orthogonal(2.0, 'normal')": I.Orthogonal(2.0, "normal"),
        "Constant(3)": I.Constant(3), "Constant(0.5)": I.Constant(0.5),
        "Constant(np.array([[1, 2], [3, 4]]))": I.Constant(np.array([[1, 2], [3, 4]])),
        "Zero()": I.Zero(), "One()": I.One(), "Bilinear()": I.Bilinear(), "LSTMBias()": I.LSTMBias(),
        "LSTMBias(0.5)": I.LSTMBias(0.5),
        "FusedRNN(None, 4, 2, 'lstm')": I.FusedRNN(None, 4, 2, "lstm"),
        "FusedRNN(Constant(0.3), 3, 1, 'gru', True, 2.0)": I.FusedRNN(I.Constant(0.3), 3, 1, "gru", True, 2.0),
    }
    out["dumps"] = {k: v.dumps() for k, v in specs.items()}

    # create(): registered names -> class name, dumps
    names = ["zeros", "zero", "ones", "one", "uniform", "normal", "xavier", "msraprelu", "orthogonal",
             "bilinear", "lstmbias", "Xavier", "UNIFORM"]
    out["create"] = {n: [type(I.create(n)).__name__, I.create(n).dumps()] for n in names}
    out["create_json"] = {s: I.create(s).dumps() for s in
                          ['["normal", {"sigma": 0.5}]', '["xavier", {"magnitude": 2}]', '["constant", {"value": 2}]']}
    out["create_kwargs"] = {"normal sigma=0.3": I.create("normal", sigma=0.3).dumps(),
                            "constant value=4": I.create("constant", value=4).dumps()}
    out["registry"] = sorted(mx.registry.get_registry(I.Initializer).keys())

    # deterministic values through the InitDesc path
    det = []

    def run(label, init, name, shape, attrs=None, legacy=False, dtype="float32"):
        a = mx.nd.full(shape, -9.0, dtype=dtype)
        rec = {"case": label, "global_init": init.dumps(), "name": name, "shape": list(shape), "legacy": legacy,
               "dtype": dtype}
        if attrs is not None:  # instances are stored as their dumps() text + a flag; the test rebuilds them
            v = attrs["__init__"]
            rec["init_attr"] = v.dumps() if isinstance(v, I.Initializer) else v
            rec["init_attr_instance"] = isinstance(v, I.Initializer)
        try:
            if legacy:
                init(name, a)
            else:
                init(I.InitDesc(name, attrs), a)
            rec["value"] = arr(a.asnumpy())
        except Exception as e:  # noqa: BLE001
            rec.update(error=type(e).__name__, message=str(e))
        det.append(rec)

    for shape in [(1, 1, 2, 2), (1, 1, 4, 4), (2, 3, 3, 5), (1, 2, 5, 4)]:
        run("Bilinear()", I.Bilinear(), "up_weight", shape)
    run("LSTMBias()", I.LSTMBias(), "lstm_bias", (12,))
    run("LSTMBias(0.5)", I.LSTMBias(0.5), "lstm_bias", (16,))
    run("Uniform()", I.Uniform(), "lstm_i2h_bias", (12,), attrs={"__init__": I.LSTMBias()})
    run("Uniform()", I.Uniform(), "lstm_i2h_bias", (16,), attrs={"__init__": I.LSTMBias(0.5).dumps()})
    run("LSTMBias(2.0)", I.LSTMBias(2.0), "lstm_weight", (8, 3))
    run("Uniform()", I.Uniform(), "deconv_weight", (2, 3, 4, 4), attrs={"__init__": "bilinear"})
    run("Constant(3)", I.Constant(3), "fc_weight", (2, 3))
    run("Constant(np.array([[1, 2], [3, 4]]))", I.Constant(np.array([[1, 2], [3, 4]])), "fc_weight", (2, 2))
    run("Zero()", I.Zero(), "fc_weight", (2, 3))
    run("One()", I.One(), "fc_weight", (2, 3), dtype="float64")
    # suffix dispatch with a global Constant(7)
    for name in ["fc_weight", "fc_bias", "bn_gamma", "bn_beta", "q_min", "q_max", "bn_moving_var",
                 "bn_running_mean", "other"]:
        run("Constant(7)", I.Constant(7), name, (3,))
    # __init__ attr beats the global initializer, and is applied as a weight whatever the name
    run("Constant(7)", I.Constant(7), "fc_bias", (3,), attrs={"__init__": "ones"})
    run("Constant(7)", I.Constant(7), "bn_gamma", (3,), attrs={"__init__": I.Constant(2).dumps()})
    run("Constant(7)", I.Constant(7), "whatever", (3,), attrs={"__init__": "zeros"})
    run("Zero()", I.Zero(), "fc_weight", (2, 2), attrs={"__init__": I.Constant(5)})
    # legacy (str) path
    for name in ["upsampling0_weight", "stn_loc_weight", "stn_loc_bias", "fc_bias", "bn_gamma", "bn_beta",
                 "fc_weight", "bn_moving_mean", "bn_moving_var", "x_moving_inv_var", "x_moving_avg", "q_min",
                 "q_max", "other"]:
        shape = (1, 1, 4, 4) if name.startswith("upsampling") else ((6,) if name == "stn_loc_bias" else (2, 3))
        run("Constant(7)", I.Constant(7), name, shape, legacy=True)
    # Xavier on a vector, unknown pattern
    run("Xavier()", I.Xavier(), "p1_scale", (3,))
    run("Xavier()", I.Xavier(), "p1_scale", (3,), attrs={"__init__": I.Xavier()})
    # FusedRNN deterministic: pieces by a Constant, forget biases
    run("FusedRNN(Constant(0.3), 3, 1, 'gru', True, 2.0)", I.FusedRNN(I.Constant(0.3), 3, 1, "gru", True, 2.0),
        "rnn_parameters", (3 * 3 * (2 + 3 + 2) * 2,), attrs=None)
    run("Uniform() with FusedRNN(Constant(0.3), 3, 1, 'gru', True, 2.0)", I.Uniform(), "rnn_parameters",
        (3 * 3 * (2 + 3 + 2) * 2,), attrs={"__init__": I.FusedRNN(I.Constant(0.3), 3, 1, "gru", True, 2.0)})
    run("Constant(0.5) with FusedRNN(None, 2, 1, 'rnn_tanh', True)", I.Constant(0.5), "rnn_parameters",
        (2 * (3 + 2 + 2) * 2 + 2 * (2 + 2) * 2 * 0,), attrs={"__init__": I.FusedRNN(None, 2, 1, "rnn_tanh", True)})
    n_lstm = (2 + 4 + 2) * 4 * 4 + (4 + 4 + 2) * 4 * 4  # num_input=2, hidden=4, 2 layers, unidirectional
    run("FusedRNN(None, 4, 2, 'lstm') under Constant(0.25)", I.Constant(0.25), "rnn_parameters", (n_lstm,),
        attrs={"__init__": I.FusedRNN(None, 4, 2, "lstm", forget_bias=1.5)})
    out["deterministic"] = det

    # Xavier / MSRAPrelu / Uniform / Normal: the exact (low, high) / (loc, scale) MXNet passes to its sampler
    calls = []
    real_u, real_n = mx.random.uniform, mx.random.normal

    def fake_u(low, high, shape, out=None, **kw):
        calls.append(("uniform", float(low), float(high), list(shape)))
        return real_u(low, high, shape, out=out, **kw)

    def fake_n(loc, scale, shape, out=None, **kw):
        calls.append(("normal", float(loc), float(scale), list(shape)))
        return real_n(loc, scale, shape, out=out, **kw)

    mx.initializer.random.uniform, mx.initializer.random.normal = fake_u, fake_n
    samplers = []
    for label, init in [("Xavier()", I.Xavier()), ("Xavier(factor_type='in', magnitude=2.34)",
                                                   I.Xavier(factor_type="in", magnitude=2.34)),
                        ("Xavier(rnd_type='gaussian', factor_type='out', magnitude=2)",
                         I.Xavier(rnd_type="gaussian", factor_type="out", magnitude=2)),
                        ("MSRAPrelu()", I.MSRAPrelu()), ("MSRAPrelu('in', 0.1)", I.MSRAPrelu("in", 0.1)),
                        ("Uniform()", I.Uniform()), ("Uniform(0.1)", I.Uniform(0.1)), ("Normal()", I.Normal()),
                        ("Normal(0.5)", I.Normal(0.5))]:
        for shape in [(4, 3), (16, 8, 3, 3), (5, 7, 2), (64, 100)]:
            del calls[:]
            a = mx.nd.zeros(shape)
            init(I.InitDesc("w_weight"), a)
            kind, p0, p1, _ = calls[0]
            samplers.append({"init": label, "shape": list(shape), "sampler": kind, "p0": p0, "p1": p1})
    mx.initializer.random.uniform, mx.initializer.random.normal = real_u, real_n
    out["samplers"] = samplers
    return out


# ---------------------------------------------------------------------------------------------- metrics
def metric_goldens():
    rs = np.random.RandomState(1234)

    def softmax(x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)

    def cls_batch(n, c):
        return [rs.randint(0, c, size=(n,)).astype(np.float32)], [softmax(rs.randn(n, c)).astype(np.float32)]

    def bin_batch(n):
        return [rs.randint(0, 2, size=(n,)).astype(np.float32)], [softmax(rs.randn(n, 2))]

    def reg_batch(shape):
        lab = rs.randn(*shape).astype(np.float32)
        return [lab], [(lab + 0.5 * rs.randn(*shape)).astype(np.float32)]

    scenarios = []

    def add(label, ctor, kwargs, batches):
        scenarios.append({"label": label, "ctor": ctor, "kwargs": kwargs, "batches": [
            {"labels": [arr(x) for x in ls], "preds": [arr(x) for x in ps],
             "label_dtypes": [str(x.dtype) for x in ls], "pred_dtypes": [str(x.dtype) for x in ps]}
            for ls, ps in batches]})

    add("acc 2-D preds", "acc", {}, [cls_batch(8, 4), cls_batch(5, 4), cls_batch(7, 4)])
    two = cls_batch(6, 3)
    two2 = cls_batch(4, 3)
    add("acc two arrays per batch", "accuracy", {}, [(two[0] + two2[0], two[1] + two2[1]), cls_batch(3, 3)])
    add("acc 1-D predicted classes", "acc", {},
        [([rs.randint(0, 3, (9,)).astype(np.float32)], [rs.randint(0, 3, (9,)).astype(np.float32)])
         for _ in range(3)])
    add("acc axis=2 3-D preds", "acc", {"axis": 2},
        [([rs.randint(0, 4, (2, 3)).astype(np.float32)], [softmax(rs.randn(2, 3, 4))]) for _ in range(2)])
    add("top_k_acc 3", "top_k_acc", {"top_k": 3}, [cls_batch(10, 6), cls_batch(7, 6)])
    add("top_k_accuracy 2", "top_k_accuracy", {"top_k": 2}, [cls_batch(8, 5), cls_batch(8, 5)])
    add("f1 macro", "f1", {}, [bin_batch(10), bin_batch(12), bin_batch(7)])
    add("f1 micro", "f1", {"average": "micro"}, [bin_batch(10), bin_batch(12), bin_batch(7)])
    add("f1 all negative", "f1", {}, [([np.zeros(4, np.float32)], [softmax(rs.randn(4, 2))])])
    add("mcc macro", "mcc", {}, [bin_batch(10), bin_batch(12), bin_batch(7)])
    add("mcc micro", "mcc", {"average": "micro"}, [bin_batch(10), bin_batch(12), bin_batch(7)])
    add("mae 1-D", "mae", {}, [reg_batch((6,)), reg_batch((4,))])
    add("mae 2-D", "mae", {}, [reg_batch((5, 3)), reg_batch((2, 3))])
    add("mse 1-D", "mse", {}, [reg_batch((6,)), reg_batch((4,))])
    add("mse 2-D", "mse", {}, [reg_batch((5, 3)), reg_batch((2, 3))])
    add("rmse 1-D", "rmse", {}, [reg_batch((6,)), reg_batch((4,))])
    add("rmse 2-D", "rmse", {}, [reg_batch((5, 3)), reg_batch((2, 3))])
    add("ce", "ce", {}, [cls_batch(8, 5), cls_batch(3, 5)])
    add("cross entropy eps", "crossentropy", {"eps": 1e-3}, [cls_batch(8, 5)])
    add("nll", "nll_loss", {}, [cls_batch(8, 5), cls_batch(3, 5)])
    add("perplexity none", "perplexity", {"ignore_label": None}, [cls_batch(8, 5), cls_batch(6, 5)])
    add("perplexity ignore 0", "perplexity", {"ignore_label": 0}, [cls_batch(8, 5), cls_batch(6, 5)])
    add("pearsonr macro", "pearsonr", {}, [reg_batch((8,)), reg_batch((5, 2)), reg_batch((6,))])
    add("pearsonr micro", "pearsonr", {"average": "micro"}, [reg_batch((8,)), reg_batch((5, 2)), reg_batch((6,))])
    add("pcc binary scores", "pcc", {}, [bin_batch(10), bin_batch(9)])
    add("pcc multiclass growing", "pcc", {},
        [([rs.randint(0, 2, (8,)).astype(np.float32)], [rs.randint(0, 2, (8,)).astype(np.float32)]),
         cls_batch(12, 5), cls_batch(9, 5)])
    add("loss", "loss", {}, [([], [rs.rand(6).astype(np.float32)]), ([], [rs.rand(2, 3).astype(np.float32)])])
    add("composite acc+f1", ["acc", "f1"], {}, [bin_batch(10), bin_batch(6)])
    add("composite mse+mae+rmse", ["mse", "mae", "rmse"], {}, [reg_batch((5,)), reg_batch((4, 2))])

    results = []
    for sc in scenarios:
        m = mx.metric.create(sc["ctor"], **sc["kwargs"])
        trace = []
        batches = []
        for b in sc["batches"]:
            labels = [mx.nd.array(x, dtype=d) for x, d in zip(b["labels"], b["label_dtypes"])]
            preds = [mx.nd.array(x, dtype=d) for x, d in zip(b["preds"], b["pred_dtypes"])]
            batches.append((labels, preds))
        for labels, preds in batches:
            m.update(labels, preds)
            trace.append({"get": m.get(), "global": m.get_global()})
        m.reset_local()
        trace.append({"after": "reset_local", "get": m.get(), "global": m.get_global()})
        m.update(*batches[0])
        trace.append({"after": "update first", "get": m.get(), "global": m.get_global(),
                      "name_value": m.get_name_value()})
        m.reset()
        trace.append({"after": "reset", "get": m.get(), "global": m.get_global()})
        results.append({"label": sc["label"], "class": type(m).__name__, "trace": trace})

    def norm(o):
        if isinstance(o, (list, tuple)):
            return [norm(x) for x in o]
        if isinstance(o, dict):
            return {k: norm(v) for k, v in o.items()}
        if isinstance(o, (np.generic,)):
            o = o.item()
        if isinstance(o, float) and o != o:
            return "nan"
        return o

    errors = []

    def err(label, ctor, kwargs, labels, preds):
        m = mx.metric.create(ctor, **kwargs)
        try:
            m.update([mx.nd.array(x) for x in labels], [mx.nd.array(x) for x in preds])
            errors.append({"label": label, "error": None})
        except Exception as e:  # noqa: BLE001
            errors.append({"label": label, "ctor": ctor, "kwargs": kwargs, "labels": labels, "preds": preds,
                           "error": type(e).__name__, "message": str(e)})

    three = [arr(rs.randint(0, 3, (6,)).astype(np.float32))]
    err("f1 multiclass", "f1", {}, three, [arr(softmax(rs.randn(6, 2)))])
    err("mcc multiclass", "mcc", {}, three, [arr(softmax(rs.randn(6, 2)))])
    err("acc count mismatch", "acc", {}, [[0, 1]], [[0, 1], [1, 1]])
    err("top_k > classes", "topkaccuracy", {"top_k": 5}, [[0, 1]], [arr(softmax(rs.randn(2, 3)))])
    err("acc length mismatch", "acc", {}, [[0, 1, 1]], [[0, 1]])

    names = sorted(mx.registry.get_registry(mx.metric.EvalMetric).keys())
    created = {}
    for n in names:
        if n in ("custommetric",):
            continue
        kw = {"top_k": 2} if "top" in n else ({"ignore_label": None} if n == "perplexity" else {})
        m = mx.metric.create(n, **kw)
        created[n] = [type(m).__name__, m.name]

    def my_mae(label, pred):
        return np.abs(label - pred).mean()

    def pair(label, pred):
        return float(np.abs(label - pred).sum()), label.size

    custom = []
    for label, mk in [("np(my_mae)", lambda: mx.metric.np(my_mae)),
                      ("CustomMetric(pair)", lambda: mx.metric.CustomMetric(pair)),
                      ("CustomMetric(lambda)", lambda: mx.metric.CustomMetric(lambda l, p: float((l == p).mean()))),
                      ("create(my_mae, name='x')", lambda: mx.metric.create(my_mae, name="x"))]:
        m = mk()
        lab = rs.randint(0, 3, (5,)).astype(np.float32)
        prd = rs.randint(0, 3, (5,)).astype(np.float32)
        m.update([mx.nd.array(lab)], [mx.nd.array(prd)])
        m.update([mx.nd.array(lab[:3])], [mx.nd.array(prd[:3])])
        custom.append({"label": label, "labels": [arr(lab), arr(lab[:3])], "preds": [arr(prd), arr(prd[:3])],
                       "get": m.get()})

    config = mx.metric.create(["acc", "mse"]).get_config()
    return norm({"scenarios": scenarios, "results": results, "errors": errors, "created": created,
                 "custom": custom, "composite_config": config,
                 "str": str(mx.metric.Accuracy()), "registry": names})


if __name__ == "__main__":
    with open(os.path.join(HERE, "initializer.json"), "w") as f:
        json.dump(init_goldens(), f, indent=0, sort_keys=True)
    with open(os.path.join(HERE, "metric.json"), "w") as f:
        json.dump(metric_goldens(), f, indent=0, sort_keys=True)
    print("wrote", os.listdir(HERE))
