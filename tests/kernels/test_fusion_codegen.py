"""Fused elementwise kernels: the generated source of reference graphs (golden text files in
``tests/golden/fusion/``; regenerate with ``HYBRIDNET_UPDATE_GOLDENS=1``), and fused == unfused numerically
on every device (gpu(0) is Numba's CUDA simulator in CI: small shapes) for chains, broadcasting,
several outputs, float64/float32/float16, non-contiguous inputs and ``out=`` destinations."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hybridnet import graph, nd
from hybridnet.graph.passes import fuse_elementwise
from hybridnet.kernels import backend, kernel_for
from hybridnet.kernels.fusion import fused_kernel
from hybridnet.kernels.fusion.codegen import gufunc_source, literal, scalar_source, staged_source, stages
from hybridnet.kernels.fusion.compile import _is_cheap, compile_stats

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "fusion"
UPDATE = os.environ.get("HYBRIDNET_UPDATE_GOLDENS") == "1"


def chain(x):        # sigmoid / relu / scale / shift
    y = nd.sigmoid(x) * 2.5 - 1.0
    y = nd.relu(y) * 0.5 + 0.25
    return nd.sigmoid(y * 3.0 - 1.5)


def two_outputs(x, y):
    a = nd.tanh(x) * y
    b = nd.relu(a) + 1.0
    return a, nd.square(b)


def broadcast_attrs(x, row, col):
    z = nd.broadcast_add(x, row) * 0.1
    z = nd.clip(nd.broadcast_mul(z, col), -0.3, 0.7)
    return nd.hard_sigmoid(z, alpha=0.3, beta=0.45)


def staged_mix(x, y):  # several expensive ops: block-staged CPU loops; values and outputs cross stages
    a = nd.sigmoid(x) * 1.5
    b = nd.relu(a)
    c = nd.exp(b * -0.5) + y
    d = nd.tanh(c) + a
    return d, b


def _fused_nodes(g):
    return [n for n in g.nodes if getattr(n.op, "fusion", None) is not None]


def _group(fn, *shapes, dtype="float32"):
    tf = graph.trace(fn, *[nd.zeros(s, dtype=dtype) for s in shapes])
    g = fuse_elementwise.run(tf.graph)
    (n,) = _fused_nodes(g)
    return n.op.fusion


REFERENCE = {
    "chain_float32": (chain, [(4, 5)], "float32"),
    "two_outputs_float32": (two_outputs, [(4, 5), (4, 5)], "float32"),
    "broadcast_attrs_float16": (broadcast_attrs, [(4, 5), (1, 5), (4, 1)], "float16"),
    "staged_mix_float32": (staged_mix, [(4, 5), (4, 5)], "float32"),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_generated_source_matches_golden(name):
    fn, shapes, dtype = REFERENCE[name]
    group = _group(fn, *shapes, dtype=dtype)
    text = f"# {name}: {group!r}\n" + scalar_source(group, dtype)
    if len(group.outputs) > 1:
        text += "\n" + gufunc_source(group, dtype)
    if len(stages(group, _is_cheap)) > 1:
        text += "\n" + staged_source(group, dtype, _is_cheap)
    path = GOLDEN / f"{name}.py.txt"
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"missing golden {path}: run with HYBRIDNET_UPDATE_GOLDENS=1"
    assert text == path.read_text(), f"generated source changed; if intended, rerun with HYBRIDNET_UPDATE_GOLDENS=1"


def test_scalar_attr_literals_follow_the_legacy_cast():
    assert literal(0.1, "float32") == repr(float(np.float32(0.1)))
    assert literal(0.1, "float16") == repr(float(np.float16(0.1)))     # rounded to float16, computed in f32
    assert literal(0.1, "float64") == "0.1"
    assert literal(2.7, "int32") == "2"
    assert literal(float("inf"), "float32") == "math.inf"
    assert literal(float("nan"), "float64") == "math.nan"


# ---- numerics: fused == unfused ------------------------------------------------------------------

def _arrays(shapes, dtype, device, rng, lo=-2.0, hi=2.0):
    return [nd.array(rng.uniform(lo, hi, size=s).astype(dtype), dtype=dtype, ctx=device) for s in shapes]


def _run_both(fn, arrays):
    tf = graph.trace(fn, *arrays)
    fused = fuse_elementwise.run(tf.graph)
    fused.verify("fuse_elementwise")
    assert _fused_nodes(fused), "the pass did not fire"
    datas = [a._data for a in arrays]
    got = graph.Executable(fused, optimize=False).run(*datas)
    want = graph.Executable(tf.graph, optimize=False).run(*datas)
    return [backend.to_host(g) for g in got], [backend.to_host(w) for w in want]


def _check(got, want, dtype, exact, ulps=0):
    for g, w in zip(got, want):
        assert g.dtype == w.dtype == np.dtype(dtype) and g.shape == w.shape
        if exact and ulps:   # within `ulps` units in the last place
            assert np.all(np.abs(g - w) <= ulps * np.spacing(np.maximum(np.abs(g), np.abs(w)))), (g, w)
        elif exact:
            np.testing.assert_array_equal(g, w)
        else:   # float16: fused keeps intermediates in float32, unfused rounds each op to float16
            np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64), rtol=4e-3, atol=4e-3)


CASES = [(chain, [(3, 7)]), (two_outputs, [(3, 7), (3, 7)]), (broadcast_attrs, [(3, 7), (1, 7), (3, 1)]),
         (two_outputs, [(2, 3, 4), (3, 1)])]


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("case", range(len(CASES)), ids=["chain", "two_out", "bcast_attrs", "two_out_bcast"])
def test_fused_equals_unfused(device, dtype, case, rng):
    fn, shapes = CASES[case]
    got, want = _run_both(fn, _arrays(shapes, dtype, device, rng))
    # bit-identical on the CPU (and the simulator) for float32/64: each step is cast as the unfused
    # kernel stores it. On a real GPU, NVVM contracts a*b+c into FMAs across the fused ops (seen on an
    # H100: differences of 1 ulp), so there the fused result is checked to within 2 ulps.
    from hybridnet.kernels.backend import is_simulator
    real_gpu = device.device_type == "gpu" and not is_simulator()
    _check(got, want, dtype, exact=dtype != "float16", ulps=2 if real_gpu else 0)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("fn", [chain, two_outputs], ids=["chain", "two_out"])
def test_parallel_loop_above_threshold(rng, fn, dtype, monkeypatch):
    import hybridnet.kernels.fusion.compile as C
    PARALLEL_MIN_SIZE = 131072   # the default is "never parallel" (kernels/cpu/threading.py)
    monkeypatch.setattr(C, "PARALLEL_MIN_SIZE", PARALLEL_MIN_SIZE)
    n_in = 1 if fn is chain else 2
    x = _arrays([(PARALLEL_MIN_SIZE + 5,)] * n_in, dtype, None, rng)
    got, want = _run_both(fn, x)
    _check(got, want, dtype, exact=dtype != "float16")
    k = kernel_for(_fused_nodes(fuse_elementwise.run(graph.trace(fn, *x).graph))[0].op, x[0].context)
    assert (np.dtype(dtype), "staged" if k.staged else True) in k._ufuncs   # a prange loop ran
    # out= (contiguous: written directly) on the parallel path
    outs = tuple(np.empty(x[0].shape, dtype) for _ in got)
    k(*[a._data for a in x], out=outs if len(outs) > 1 else outs[0])
    _check(list(outs), want, dtype, exact=dtype != "float16")


def test_stages_split_at_each_expensive_op_but_the_first():
    chain_stages = stages(_group(chain, (4, 5)), _is_cheap)
    assert chain_stages == [[0, 1, 2, 3, 4, 5, 6, 7], [8]]   # sigmoid .. y*3-1.5 ; sigmoid
    assert stages(_group(two_outputs, (4, 5), (4, 5)), _is_cheap) == [[0, 1, 2, 3, 4]]   # one tanh
    assert len(stages(_group(staged_mix, (4, 5), (4, 5)), _is_cheap)) == 3


@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "prange"])
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("fn", [chain, staged_mix], ids=["chain", "staged_mix"])
def test_staged_loops_equal_unfused(rng, fn, dtype, parallel, monkeypatch):
    import hybridnet.kernels.fusion.compile as C
    monkeypatch.setattr(C, "STAGED_MIN_SIZE", 16)
    monkeypatch.setattr(C, "PARALLEL_MIN_SIZE", 16 if parallel else 1 << 62)
    n_in = 1 if fn is chain else 2
    for n in (17, 3 * 4096 + 5):          # one partial block; several blocks and a partial one
        x = _arrays([(n,)] * n_in, dtype, None, rng)
        got, want = _run_both(fn, x)
        _check(got, want, dtype, exact=dtype != "float16")
        k = kernel_for(_fused_nodes(fuse_elementwise.run(graph.trace(fn, *x).graph))[0].op, x[0].context)
        assert (np.dtype(dtype), "staged" if parallel else "staged_serial") in k._ufuncs
        ref = k(*[a._data for a in x])                   # the group's output order (not the graph's)
        ref = list(ref) if isinstance(ref, tuple) else [ref]
        outs = tuple(np.full(x[0].shape, np.nan, dtype) for _ in got)     # out= written directly
        k(*[a._data for a in x], out=outs if len(outs) > 1 else outs[0])
        _check(list(outs), ref, dtype, exact=True)


def test_noncontiguous_inputs_and_out(device, rng):
    fn, shapes = two_outputs, [(4, 6), (4, 6)]
    arrs = _arrays(shapes, "float32", device, rng)
    g = fuse_elementwise.run(graph.trace(fn, *arrs).graph)
    (node,) = _fused_nodes(g)
    k = kernel_for(node.op, arrs[0].context)
    big = [backend.to_device(rng.uniform(-2, 2, size=(6, 8)).astype(np.float32), arrs[0].context) for _ in range(2)]
    views = [big[0].T[:4, :6], big[1][:4, 1:7]]     # transposed; offset rows
    assert not views[0].flags.c_contiguous and not views[1].flags.c_contiguous
    want = [backend.to_host(a) for a in graph.Executable(graph.trace(fn, *arrs).graph, optimize=False).run(
        *[backend.to_device(np.ascontiguousarray(backend.to_host(v)), arrs[0].context) for v in views])]
    got = [backend.to_host(a) for a in k(*views)]
    _check(got, want, "float32", exact=True)
    # out=: one contiguous destination, one strided
    xp = backend.xp_for(arrs[0].context)
    o1 = xp.zeros((4, 6), np.float32)
    o2 = xp.zeros((6, 4), np.float32).T
    r = k(*views, out=(o1, o2))
    assert r[0] is o1 and r[1] is o2
    _check([backend.to_host(o1), backend.to_host(o2)], want, "float32", exact=True)


def test_single_output_out_and_zero_size(device, rng):
    x = _arrays([(5, 3)], "float32", device, rng)
    g = fuse_elementwise.run(graph.trace(chain, *x).graph)
    (node,) = _fused_nodes(g)
    k = kernel_for(node.op, x[0].context)
    want = backend.to_host(k(x[0]._data))
    xp = backend.xp_for(x[0].context)
    o = xp.zeros((3, 5), np.float32).T
    assert k(x[0]._data, out=o) is o
    np.testing.assert_array_equal(backend.to_host(o), want)
    empty = xp.zeros((0, 3), np.float32)
    assert k(empty).shape == (0, 3)


def test_same_structure_compiles_once(rng):
    def f(x):
        return nd.relu(nd.sigmoid(x) * 1.75 + 0.125) * 3.5
    a = _arrays([(4,)], "float32", None, rng)[0]
    ops = [_fused_nodes(fuse_elementwise.run(graph.trace(f, a).graph))[0].op for _ in range(3)]
    assert len({id(op) for op in ops}) == 3                              # one synthetic op per node
    assert len({id(kernel_for(op, a.context)) for op in ops}) == 1          # one kernel per structure
    before = compile_stats["cpu"][0]
    for op in ops:
        kernel_for(op, a.context)(a._data)
    assert compile_stats["cpu"][0] == before + 1
    g2 = fused_kernel(ops[0].fusion, "cpu")
    assert g2 is kernel_for(ops[0], a.context)


def test_disk_cache_hit_in_a_new_process(tmp_path):
    code = ("import numpy as np\n"
            "from hybridnet import nd, graph\n"
            "from hybridnet.graph.passes import fuse_elementwise\n"
            "from hybridnet.kernels.fusion.compile import compile_stats\n"
            "x = nd.array(np.arange(6, dtype='float32'))\n"
            "g = fuse_elementwise.run(graph.trace(lambda x: nd.relu(x * 0.375 - 1.0) + 0.5, x).graph)\n"
            "print(graph.Executable(g, optimize=False).run(x._data)[0].tolist())\n")
    env = dict(os.environ, HYBRIDNET_CACHE_DIR=str(tmp_path), NUMBA_DEBUG_CACHE="1")
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
            for _ in range(2)]
    assert runs[0].stdout.splitlines()[-1] == runs[1].stdout.splitlines()[-1] == str(
        [max(v * 0.375 - 1.0, 0.0) + 0.5 for v in range(6)])
    files = list((tmp_path / "fusion").glob("hnfused_*.py"))
    assert len(files) == 1
    assert "data saved" in runs[0].stdout and "data loaded" in runs[1].stdout
