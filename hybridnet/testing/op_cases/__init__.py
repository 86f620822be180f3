"""Test-case records: one ``OpCase`` per op, consumed by every template in ``tests/ops/``.

A record says how to call the op, what NumPy computes for it, which inputs to try (shapes or explicit
arrays, incl. broadcasting, 0-size and edge values), which dtypes, tolerances, whether to check first /
second-order gradients, and which bad inputs must raise which error. The templates add the rest:
non-contiguous variants, the inferred spec vs the kernel's output, eager vs traced (graph issue), and
the GPU (simulator in CI).

What the templates do NOT prove: results for shapes or attribute values not listed in a record,
numerical accuracy beyond the stated tolerances, thread-safety, performance.
"""
import importlib
import pkgutil
from dataclasses import dataclass, field

__all__ = ["OpCase", "Sample", "ErrorCase", "all_cases", "cases_by_op"]


@dataclass
class Sample:
    """One call: ``inputs`` are shapes (random values in the case's domain) or explicit arrays/lists;
    ``attrs`` are keyword attributes; ``grad`` False skips gradient checks for this sample (e.g.
    at kinks)."""
    inputs: tuple
    attrs: dict = field(default_factory=dict)
    grad: bool = True
    note: str = ""


@dataclass
class ErrorCase:
    """Bad input that must raise ``exc`` (a HybridNetError subclass) whose message matches ``match``."""
    inputs: tuple
    attrs: dict = field(default_factory=dict)
    exc: type = None
    match: str = ""
    dtypes: tuple = None  # per-input dtypes (default: the case's first dtype)


@dataclass
class OpCase:
    op: str                               # registry name (the nd function called)
    ref: object                           # NumPy reference: ref(*np_inputs, **attrs) -> array | tuple
    samples: list
    dtypes: tuple = ("float32", "float64")
    domain: tuple = (-2.0, 2.0)           # random input range
    grad: bool = True                     # first-order numeric gradient check
    grad2: bool = False                   # second-order check
    grad_inputs: tuple = None             # which inputs to differentiate (default: all float inputs)
    rtol: float = None                    # default per dtype (see tolerances)
    atol: float = None
    grad_rtol: float = 1e-4
    grad_atol: float = 1e-5
    errors: list = field(default_factory=list)
    gpu: bool = True                      # also run on gpu (simulator in CI) with the first sample
    int_dtypes: tuple = ()                # extra integer dtypes to check forward on
    input_dtypes: tuple = None            # per-input dtype override (e.g. int indices), None = case dtype
    call: object = None                   # custom call(nd, *arrays, **attrs) instead of nd.<op>
    nondeterministic: bool = False        # random ops: the forward template checks only specs
    compare: object = None                # custom compare(out_np, ref_np, dtype) for e.g. sorts with ties
    name: str = ""                        # test id (default: op)

    def __post_init__(self):
        self.name = self.name or self.op


def _load():
    cases = []
    for m in pkgutil.iter_modules(__path__):
        mod = importlib.import_module(f"{__name__}.{m.name}")
        cases.extend(getattr(mod, "CASES", []))
    return cases


_CASES = []


def all_cases():
    if not _CASES:
        _CASES.extend(_load())
    return _CASES


def cases_by_op():
    out = {}
    for c in all_cases():
        out.setdefault(c.op, []).append(c)
    return out
