"""CPU kernels: importing this package registers every hand-written CPU kernel (compiles nothing).

It first installs ``kernels/numba_cache.py``'s fixes to Numba's disk cache, so that every ``cache=True``
kernel built from these modules, however it is reached (``load_kernels`` or a direct import), is saved
under the lock and stamped with the code it inlines."""
import importlib
import pkgutil

from ..numba_cache import install

install()

for _m in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_m.name}")
