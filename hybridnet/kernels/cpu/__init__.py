"""CPU kernels: importing this package registers every hand-written CPU kernel (compiles nothing)."""
import importlib
import pkgutil

for _m in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_m.name}")
