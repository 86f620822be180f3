"""MXNet's optimizer update operators (``nd.sgd_update``, ``nd.sgd_mom_update``, ``nd.adam_update``,
...) as registry ops, with MXNet 1.9.1's names, inputs, attributes and defaults.

Their kernels are the fused update kernels of ``kernels/cpu/optim.py`` and ``kernels/cuda/optim.py``
(one pass over weight, gradient and states). As in MXNet, the state inputs (``mom``, ``mean``,
``var``, ``n``, ``z``, ``weight32``, ...) are updated in place and the new weight is the output; call
them with ``out=weight`` to update the weight too. The ops are ``effects=True`` (never folded,
deduplicated or dropped) and not differentiable. The ``Optimizer`` classes call the same kernels
directly (``kernel_for(op, device)``) without going through ``bind``. Ops whose name starts with
``_optim_`` are internal (the fused forms of MXNet's Python-level AdaGrad/AdaDelta updates, of the
``multi_sgd_update`` the SGD optimizer runs, and of MXNet 2.0's AdamW step) and not in ``nd``.
"""
import numpy as np

from ..errors import DTypeError, ShapeError
from ..ops.check import op_error
from ..ops.opdef import REQUIRED, Attr, Bool, Float, Int, Pattern
from ..ops.registry import REGISTRY, defop
from ..ops.spec import TensorSpec

__all__ = ["UPDATE_OPS"]

_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)

UPDATE_OPS = {}


def _A(name, default=0.0, doc="", kind=None):
    return Attr(name, kind or Float(), default, doc)


LR = _A("lr", REQUIRED, "learning rate")
WD = _A("wd", 0.0, "weight decay (L2 coefficient)")
RS = _A("rescale_grad", 1.0, "gradient multiplier")
CG = _A("clip_gradient", -1.0, "clip the (rescaled) gradient to [-c, c]; < 0: off")
LAZY = Attr("lazy_update", Bool(), True, "accepted (sparse gradients only in MXNet)")
MOM = _A("momentum", 0.0, "momentum")


def _make_infer(kinds, out_f32=False):
    """Shape/dtype rule. ``kinds`` has one letter per input: ``w`` = the weight's shape and dtype,
    ``f`` = the weight's shape in float32 (mixed-precision states, master copy, LAMB's g), ``s`` = a
    shape-(1,) norm (LAMB's r1/r2)."""
    def infer(op, *specs, **attrs):
        w = specs[0]
        for k, (s, kind) in enumerate(zip(specs, kinds)):
            name = op.inputs[k]
            if kind == "s":
                if s.shape not in ((1,), ()):
                    raise op_error(op, specs, ShapeError, f"input {name} must have shape (1,), got {s.shape}",
                                   "pass the norm as a shape-(1,) array, e.g. weight.norm()")
                continue
            if s.shape != w.shape:
                raise op_error(op, specs, ShapeError, f"input {name} has shape {s.shape}, the weight {w.shape}",
                               "gradient and optimizer states must have the weight's shape")
            want = _F32 if kind == "f" else w.dtype
            if s.dtype != want:
                raise op_error(op, specs, DTypeError, f"input {name} has dtype {s.dtype}, expected {want}",
                               "cast it with .astype(...)" + (" (mixed-precision states and master copy are "
                                                              "float32)" if "f" in kinds else ""))
        return TensorSpec(w.shape, _F32 if out_f32 else w.dtype, w.device)
    return infer


def _op(name, inputs, attrs, doc, kinds=None, out_f32=False, public=True):
    if name in REGISTRY:      # re-import (e.g. importlib.reload): keep the existing op
        UPDATE_OPS[name] = REGISTRY[name]
        return
    holder = {}
    rule = _make_infer(kinds or "w" * len(inputs), out_f32)

    def infer(*specs, **a):
        return rule(holder["op"], *specs, **a)

    op = defop(name, inputs, infer, Pattern.OPAQUE, attrs=attrs, effects=True,
               nondiff=tuple(range(len(inputs))), doc=doc, public=public, dtype_check=None)
    holder["op"] = op
    UPDATE_OPS[name] = op


_EX = """

>>> from hybridnet import nd
>>> w, g, m = nd.array([1.0]), nd.array([2.0]), nd.zeros((1,))
>>> for _ in range(2):
...     _ = nd.sgd_mom_update(w, g, m, lr=0.1, momentum=0.9, wd=0.01, out=w)
>>> round(float(w.asscalar()), 5)
0.4173
"""

_op("sgd_update", ("weight", "grad"), (LR, WD, RS, CG, LAZY),
    "SGD update: ``weight = (1 - lr*wd)*weight - lr*clip(rescale_grad*grad)``." + _EX)
_op("sgd_mom_update", ("weight", "grad", "mom"), (LR, MOM, WD, RS, CG, LAZY),
    "SGD with momentum: ``mom = momentum*mom - lr*wd*weight - lr*clip(rescale_grad*grad)``; "
    "``weight += mom`` (mom updated in place)." + _EX)
_op("mp_sgd_update", ("weight", "grad", "weight32"), (LR, WD, RS, CG, LAZY),
    "Mixed-precision SGD: the float32 master copy ``weight32`` is updated and cast into the float16 weight."
    + _EX, kinds="wwf")
_op("mp_sgd_mom_update", ("weight", "grad", "mom", "weight32"), (LR, MOM, WD, RS, CG, LAZY),
    "Mixed-precision SGD with momentum (float32 ``mom`` and ``weight32``)." + _EX, kinds="wwff")
_op("nag_mom_update", ("weight", "grad", "mom"), (LR, MOM, WD, RS, CG),
    "Nesterov accelerated gradient with momentum (MXNet's NAGMomKernel)." + _EX)
_op("mp_nag_mom_update", ("weight", "grad", "mom", "weight32"), (LR, MOM, WD, RS, CG),
    "Mixed-precision NAG (float32 ``mom`` and ``weight32``)." + _EX, kinds="wwff")
_op("adam_update", ("weight", "grad", "mean", "var"),
    (LR, _A("beta1", 0.9), _A("beta2", 0.999), _A("epsilon", 1e-8), WD, RS, CG, LAZY),
    "Adam update (no bias correction inside: the Adam optimizer folds it into lr): "
    "``g = clip(rescale_grad*grad + wd*weight)``, ``mean``/``var`` moments, "
    "``weight -= lr*mean/(sqrt(var) + epsilon)``." + _EX)
_op("rmsprop_update", ("weight", "grad", "n"),
    (LR, _A("gamma1", 0.95), _A("epsilon", 1e-8), WD, RS, CG, _A("clip_weights", -1.0)),
    "RMSProp (Tieleman & Hinton): ``n = (1-gamma1)*g^2 + gamma1*n``; "
    "``weight -= lr*g/sqrt(n + epsilon)``." + _EX)
_op("rmspropalex_update", ("weight", "grad", "n", "g", "delta"),
    (LR, _A("gamma1", 0.95), _A("gamma2", 0.9), _A("epsilon", 1e-8), WD, RS, CG, _A("clip_weights", -1.0)),
    "Centered RMSProp (Graves 2013)." + _EX)
_op("ftrl_update", ("weight", "grad", "z", "n"), (LR, _A("lamda1", 0.01), _A("beta", 1.0), WD, RS, CG),
    "FTRL-proximal update." + _EX)
_op("ftml_update", ("weight", "grad", "d", "v", "z"),
    (LR, _A("beta1", 0.6), _A("beta2", 0.999), _A("epsilon", 1e-8), Attr("t", Int(), REQUIRED, "update count"),
     WD, RS, _A("clip_grad", -1.0)),
    "FTML (Follow the Moving Leader) update." + _EX)
_op("signsgd_update", ("weight", "grad"), (LR, WD, RS, CG),
    "signSGD: ``weight = (1 - lr*wd)*weight - lr*sign(grad)``." + _EX)
_op("signum_update", ("weight", "grad", "mom"), (LR, MOM, WD, RS, CG, _A("wd_lh", 0.0)),
    "Signum: the sign of the momentum." + _EX)
_L1 = (_A("beta1", 0.9), _A("beta2", 0.999), _A("epsilon", 1e-6), Attr("t", Int(), REQUIRED, "update count"),
       Attr("bias_correction", Bool(), True, "bias-correct the moments"), _A("wd", REQUIRED), RS, CG)
_L2 = (LR, _A("lower_bound", -1.0), _A("upper_bound", -1.0))
_op("lamb_update_phase1", ("weight", "grad", "mean", "var"), _L1,
    "LAMB phase 1: updates mean/var and returns the direction g." + _EX)
_op("lamb_update_phase2", ("weight", "g", "r1", "r2"), _L2,
    "LAMB phase 2: ``weight - lr*(r1/r2)*g`` (r1 = ||weight||, r2 = ||g||, shape (1,))." + _EX, kinds="wwss")
_op("mp_lamb_update_phase1", ("weight", "grad", "mean", "var", "weight32"), _L1,
    "Mixed-precision LAMB phase 1 (float32 states and master copy; float32 output)." + _EX, kinds="wwfff",
    out_f32=True)
_op("mp_lamb_update_phase2", ("weight", "g", "r1", "r2", "weight32"), _L2,
    "Mixed-precision LAMB phase 2." + _EX, kinds="wfssf")

# internal fused forms (not MXNet operators)
_op("_optim_multi_sgd", ("weight", "grad"), (LR, WD, RS, CG),
    "multi_sgd_update's arithmetic for one array (what MXNet's SGD optimizer runs)." + _EX, public=False)
_op("_optim_adagrad", ("weight", "grad", "history"), (LR, WD, RS, CG, _A("epsilon", 1e-7)),
    "MXNet's AdaGrad update, fused." + _EX, public=False)
_op("_optim_adadelta", ("weight", "grad", "acc_g", "acc_delta"),
    (_A("rho", 0.9), _A("epsilon", 1e-5), WD, RS, CG), "MXNet's AdaDelta update, fused." + _EX, public=False)
_op("_optim_adamw", ("weight", "grad", "mean", "var"),
    (_A("eta", REQUIRED), _A("lr", 1.0), _A("beta1", 0.9), _A("beta2", 0.999), _A("epsilon", 1e-6), WD, RS, CG),
    "AdamW (decoupled weight decay): ``weight -= eta*(lr*mean/(sqrt(var)+epsilon) + wd*weight)``." + _EX,
    public=False)
