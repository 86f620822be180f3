"""GPU kernels (numba.cuda, with CuPy for glue and library calls; NumPy arrays under Numba's CUDA
simulator). Importing this package registers every hand-written GPU kernel and compiles nothing;
elementwise kernels are generated from the ops' scalar formulas on first use (``elementwise.py``)."""
import importlib
import pkgutil

for _m in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_m.name}")
