"""``hybridnet.gluon``: Blocks, Parameters, layers, losses, Trainer (MXNet Gluon's API)."""
from . import parameter  # noqa: F401
from .parameter import Constant, DeferredInferenceError, DeferredInitializationError, Parameter, ParameterDict  # noqa: F401
from .block import Block, HybridBlock  # noqa: F401
from .symbol_block import SymbolBlock  # noqa: F401
from . import nn  # noqa: F401
from . import rnn  # noqa: F401
from . import contrib  # noqa: F401
from . import utils  # noqa: F401
from .utils import DownloadError  # noqa: F401
from .trainer import Trainer  # noqa: F401
from . import loss  # noqa: F401
from . import data  # noqa: F401
from .. import metric  # noqa: F401  (2.0's gluon.metric = 1.x's mx.metric)

__all__ = ["Block", "HybridBlock", "SymbolBlock", "Parameter", "Constant", "ParameterDict",
           "DeferredInitializationError", "nn", "contrib", "utils", "Trainer", "loss", "metric"]
