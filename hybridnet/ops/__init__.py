"""The op registry. Importing this package defines every built-in op (compiles nothing).

Public surface: ``defop`` (define your own op), ``REGISTRY``, ``get_op``, ``OpDef``, ``Attr``,
``Pattern`` and the attribute kinds. See ``examples/custom_op.py``.
"""
from .opdef import (REQUIRED, AnyValue, Attr, Axes, Axis, Bool, Choice, DType, Float, Int, OpDef,  # noqa: F401
                    Pattern, Shape, Str, scalar_helper)
from .registry import CPU_ONLY, REGISTRY, defop, get_op, on_register, public_ops, register_kernel  # noqa: F401
from .spec import TensorSpec  # noqa: F401
from . import unary, binary, reduce, softmax, shape, indexing, linalg, sorting, cast, random  # noqa: F401,E402  (op families, in dependency order)
from . import loss  # noqa: F401,E402  (loss ops: softmax_cross_entropy, CTCLoss)
from . import nn_basic  # noqa: F401,E402  (Activation, LeakyReLU, Dropout, Embedding, ...)
from . import norm  # noqa: F401,E402  (BatchNorm and its relu / sync variants)
from . import rnn  # noqa: F401,E402  (RNN, SequenceMask/Last/Reverse)
from . import conv  # noqa: F401,E402  (Convolution, Deconvolution and the weight-gradient op)
from . import pool  # noqa: F401,E402  (Pooling, UpSampling, BilinearResize2D, AdaptiveAvgPooling2D)
from . import methods  # noqa: F401,E402
from .registry import builtin_ops, freeze_builtins as _freeze  # noqa: E402,F401
_freeze()
