"""hybridnet: the Gluon programming model on NumPy 2 + Numba (CPU) and CuPy + Numba-CUDA (GPU).

``import hybridnet as mx`` runs MXNet 1.x Gluon code. Importing compiles no kernel.
"""
import os as _os

_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see kernels/cpu/threading.py

__version__ = "0.1.0"

from . import _malloc  # noqa: E402
_malloc.tune()   # keep freed array memory in the heap (hybridnet/_malloc.py; HYBRIDNET_MALLOC_TUNING=0 skips)

from . import errors, dtypes, debug  # noqa: E402,F401
from .errors import HybridNetError, MXNetError  # noqa: E402,F401
from .device import (Context, Device, cpu, cpu_pinned, current_context, current_device, gpu,  # noqa: E402,F401
                     num_gpus)
from . import device as context  # noqa: E402,F401  (mx.context.num_gpus())
from . import ops  # noqa: E402,F401
from . import autograd  # noqa: E402,F401
from . import nd  # noqa: E402,F401
from .nd import NDArray  # noqa: E402,F401
from . import random  # noqa: E402,F401  (mx.random.seed, mx.random.uniform, ...)

ndarray = nd
base = errors
from . import sym  # noqa: E402,F401  (MXNet's Symbol API over the graph IR)
from .sym import name  # noqa: E402,F401  (mx.name.NameManager / Prefix)
from .sym import AttrScope  # noqa: E402,F401

symbol = sym
from . import model  # noqa: E402,F401  (mx.model.save_checkpoint / load_checkpoint)
from . import initializer, metric  # noqa: E402,F401  (mx.init / mx.initializer, mx.metric)

init = initializer
from . import gluon  # noqa: E402,F401
from . import lr_scheduler, optimizer  # noqa: E402,F401  (mx.lr_scheduler, mx.optimizer / mx.optim)

optim = optimizer
