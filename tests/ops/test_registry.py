"""Completeness: every op has inference, a CPU kernel, a gradient (unless all inputs are nondiff or it
takes no array input), a GPU kernel (unless in CPU_ONLY with a reason), a documented example, and a
test-case record. Also guards the on-disk kernel cache against two formulas sharing a source line."""
import pytest

from hybridnet.kernels import load_kernels
from hybridnet.ops.registry import CPU_ONLY, builtin_ops
from hybridnet.testing.op_cases import cases_by_op

OPS = builtin_ops()


@pytest.fixture(scope="module", autouse=True)
def _kernels():
    load_kernels("cpu")
    load_kernels("gpu")


@pytest.mark.parametrize("op", OPS, ids=lambda o: o.name)
def test_op_complete(op):
    missing = []
    if op.infer is None:
        missing.append("an inference rule")
    if "cpu" not in op.kernels and op.scalar is None:
        missing.append("a CPU kernel")
    if "gpu" not in op.kernels and op.scalar is None and op.name not in CPU_ONLY and not op.cpu_only:
        missing.append("a GPU kernel (or a CPU_ONLY entry with a reason)")
    n_in = len(op.inputs)
    if op.grad is None and n_in and len(op.nondiff) < n_in:
        missing.append("a gradient (or every input listed in nondiff)")
    if ">>>" not in op.doc:
        missing.append("a runnable example in its doc")
    names = (op.name,) + op.aliases
    if not any(n in cases_by_op() for n in names):
        missing.append("an OpCase record in hybridnet/testing/op_cases/")
    assert not missing, f"operator {op.name} lacks " + ", ".join(missing)


def test_scalar_formulas_have_distinct_source_lines():
    seen = {}
    for op in OPS:
        f = op.scalar
        if f is None:
            continue
        key = (f.__code__.co_filename, f.__code__.co_firstlineno, f.__qualname__)
        other = seen.setdefault(key, f)
        assert other is f, f"{op.name}: two scalar formulas at {key} would share a Numba cache entry"


@pytest.mark.parametrize("op", [o for o in OPS if ">>>" in o.doc], ids=lambda o: o.name)
def test_doc_example_runs(op):
    """The runnable example in every op's doc runs and prints what it says."""
    import doctest

    import numpy as np

    import hybridnet as mx
    from hybridnet import nd
    parser = doctest.DocTestParser()
    from hybridnet.ops import api as F
    test = parser.get_doctest(op.doc, {"nd": nd, "mx": mx, "np": np, "F": F}, op.name, None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0, f"the doc example of {op.name} fails (see captured output)"


def test_unknown_module_attributes_raise_attributeerror():
    # torch.compile's dynamo (and inspect, IPython completion, pickle) probe modules with hasattr();
    # a module-level __getattr__ that raised anything but AttributeError broke torch.compile in a
    # process that had imported hybridnet (seen on the H100 run of bench_fusion_gpu.py)
    import importlib
    import sys
    for name in ("hybridnet.ops.api", "hybridnet.nd", "hybridnet.sym", "hybridnet.gluon"):
        importlib.import_module(name)
    mods = [m for n, m in list(sys.modules.items()) if n.startswith("hybridnet") and m is not None]
    assert len(mods) > 20
    for m in mods:
        assert not hasattr(m, "torch"), m.__name__
        assert getattr(m, "no_such_op_xyz", None) is None, m.__name__
    from hybridnet.ops import api as F
    with pytest.raises(AttributeError, match="unknown operator 'no_such_op_xyz'"):
        F.no_such_op_xyz
