"""Import rules (ARCHITECTURE.md): ops imports no front end; numba/cupy only under kernels/;
importing hybridnet compiles nothing, imports no numba, and takes under 1 s."""
import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "hybridnet"
FRONT_ENDS = ("nd", "autograd", "gluon", "sym", "graph")


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield (node.module or ""), node.level


def _resolve(path, mod, level):
    if level == 0:
        return mod
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)[:-level]
    return ".".join(parts + ([mod] if mod else []))


def test_numba_and_cupy_only_under_kernels():
    bad = []
    for p in PKG.rglob("*.py"):
        if "kernels" in p.relative_to(PKG).parts:
            continue
        for mod, level in _imports(p):
            if level == 0 and mod.split(".")[0] in ("numba", "cupy"):
                bad.append(f"{p.relative_to(PKG)} imports {mod}")
    assert not bad, bad


def test_ops_imports_no_front_end():
    bad = []
    for p in (PKG / "ops").rglob("*.py"):
        for mod, level in _imports(p):
            full = _resolve(p, mod, level)
            if full.startswith("hybridnet.") and full.split(".")[1] in FRONT_ENDS:
                bad.append(f"{p.relative_to(PKG)} imports {full}")
    assert not bad, bad


def test_import_is_fast_and_compiles_nothing():
    # numpy is imported first (its own cost is not ours), and the import is timed in a second process
    # (the first one may have had to write the .pyc files, as on a fresh checkout)
    code = ("import time, sys, numpy; t = time.perf_counter(); import hybridnet; "
            "dt = time.perf_counter() - t; print(dt, 'numba' in sys.modules)")
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout.split()
    dt, numba_loaded = float(out[0]), out[1] == "True"
    assert not numba_loaded, "importing hybridnet imported numba (kernels must load lazily)"
    assert dt < 1.0, f"import hybridnet took {dt:.2f} s"
