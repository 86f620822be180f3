"""Fused optimizer update kernels (CPU): one pass over weight, gradient and states, updated in place.

Each update is a scalar *rule* ``rule(w, g, *states, *params) -> (new_w, *new_states)`` written once
here as plain Python and compiled twice: ``numba.njit`` inside the hand-written CPU loops below
(module globals, so Numba's disk cache works) and ``numba.cuda.jit(device=True)`` inside the
generated grid-stride kernels of ``kernels/cuda/optim.py``. The rules follow MXNet 1.9.1's C++
kernels (``src/operator/optimizer_op-inl.h``) term by term, in the same evaluation order, with every
hyperparameter cast to the compute dtype first (MXNet casts them to ``DType``), so float32 weights are
updated in float32 arithmetic as in MXNet. Rules use no float literals (a Python float literal would
promote float32 arithmetic to float64 in Numba): ``1 - beta`` and friends arrive as parameters.

Kernels (``kernel(weight, grad, *states, out=None, **attrs)``, destination-passing; states are
always updated in place, as MXNet's ops do): ``sgd_update``, ``sgd_mom_update``, ``mp_sgd_update``,
``mp_sgd_mom_update``, ``nag_mom_update``, ``mp_nag_mom_update``, ``adam_update``,
``rmsprop_update``, ``rmspropalex_update``, ``ftrl_update``, ``ftml_update``, ``signsgd_update``,
``signum_update``, ``lamb_update_phase1/2``, ``mp_lamb_update_phase1/2`` (MXNet's op names), and
the internal ``_optim_multi_sgd`` (the ``multi_sgd_update`` form the SGD optimizer runs),
``_optim_adagrad``, ``_optim_adadelta``, ``_optim_adamw`` (MXNet 2.0's fused AdamW step).

dtypes: float32 and float64 are computed in their own precision; float16 in float32 (Numba has no
CPU half arithmetic): the arrays are converted, updated and written back. The ``mp_*`` kernels
(float16 weight and gradient, float32 states and master weight) convert the gradient to float32,
run the float32 rule on the master copy and cast it into the float16 weight (two extra NumPy passes;
the CUDA versions are fused). Non-contiguous weights or states are updated through contiguous
copies written back.
"""
import math

import numpy as np

from ...dtypes import compute_dtype
from ...ops.registry import register_kernel

__all__ = ["RULES", "SPECS", "run_rule"]

_F32 = np.dtype(np.float32)


# ---- scalar rules (plain Python; compiled for the CPU here and for CUDA in kernels/cuda) ----------

def _clip(x, c):
    if x > c:
        return c
    if x < -c:
        return -c
    return x


def rule_sgd(w, g, lr, wd, rs, cg, one):
    """sgd_update: (1 - lr*wd)*w - lr*clip(rs*g) (unclipped: - (lr*rs)*g)."""
    if cg >= 0:
        return ((one - lr * wd) * w - lr * _clip(rs * g, cg),)
    return ((one - lr * wd) * w - (lr * rs) * g,)


def rule_multi_sgd(w, g, lr, wd, rs, cg):
    """multi_sgd_update (what MXNet's SGD optimizer runs for dense arrays): mom = -lr*wd*w - lr*g."""
    if cg >= 0:
        d = -(lr * wd * w) - lr * _clip(rs * g, cg)
    else:
        d = -(lr * wd * w) - lr * rs * g
    return (w + d,)


def rule_sgd_mom(w, g, m, lr, momentum, wd, rs, cg):
    """sgd_mom_update: m = momentum*m - lr*wd*w - lr*clip(rs*g); w += m."""
    if cg >= 0:
        m = momentum * m - lr * wd * w - lr * _clip(rs * g, cg)
    else:
        m = momentum * m - lr * wd * w - lr * rs * g
    return (w + m, m)


def rule_nag_mom(w, g, m, lr, momentum, wd, rs, cg, one, alias):
    """nag_mom_update (MXNet's NAGMomKernel). MXNet writes the new weight before it updates the
    momentum, whose ``wd*weight`` term then reads the *new* weight when ``out`` is the weight (always
    in the mixed-precision kernel): ``alias`` reproduces that."""
    if cg >= 0:
        gg = _clip(rs * g, cg)
    else:
        gg = rs * g
    m = momentum * m
    nw = w - m + (momentum + one) * (m - lr * (gg + wd * w))
    if alias:
        m = m - lr * (gg + wd * nw)
    else:
        m = m - lr * (gg + wd * w)
    return (nw, m)


def rule_adam(w, g, m, v, lr, b1, omb1, b2, omb2, eps, wd, rs, cg):
    """adam_update: g' = clip(rs*g + wd*w); m, v moments; w -= lr*m/(sqrt(v)+eps)."""
    gr = g * rs + w * wd
    if cg >= 0:
        gr = _clip(gr, cg)
    m = b1 * m + omb1 * gr
    v = b2 * v + omb2 * gr * gr
    return (w - lr * m / (math.sqrt(v) + eps), m, v)


def rule_adamw(w, g, m, v, eta, lr, b1, omb1, b2, omb2, eps, wd, rs, cg):
    """adamw_update (contrib): g' = clip(rs*g); w -= eta*(lr*m/(sqrt(v)+eps) + wd*w)."""
    gr = g * rs
    if cg >= 0:
        gr = _clip(gr, cg)
    m = b1 * m + omb1 * gr
    v = b2 * v + omb2 * gr * gr
    return (w - eta * (lr * m / (math.sqrt(v) + eps) + wd * w), m, v)


def rule_rmsprop(w, g, n, lr, g1, omg1, eps, wd, rs, cg, cw):
    """rmsprop_update (Tieleman & Hinton)."""
    gr = rs * g + wd * w
    if cg >= 0:
        gr = _clip(gr, cg)
    n = omg1 * (gr * gr) + g1 * n
    nw = w - lr * (gr / math.sqrt(n + eps))
    if cw >= 0:
        nw = _clip(nw, cw)
    return (nw, n)


def rule_rmspropalex(w, g, n, gs, d, lr, g1, omg1, g2, eps, wd, rs, cg, cw):
    """rmspropalex_update (centered RMSProp, Graves 2013)."""
    gr = rs * g + wd * w
    if cg >= 0:
        gr = _clip(gr, cg)
    n = omg1 * gr * gr + g1 * n
    gs = omg1 * gr + g1 * gs
    d = g2 * d - (lr * gr / math.sqrt(n - gs * gs + eps))
    nw = w + d
    if cw >= 0:
        nw = _clip(nw, cw)
    return (nw, n, gs, d)


def rule_ftrl(w, g, z, n, lr, l1, beta, wd, rs, cg):
    """ftrl_update."""
    gr = g * rs
    if cg >= 0:
        gr = _clip(gr, cg)
    z = z + (gr - (math.sqrt(n + gr * gr) - math.sqrt(n)) * w / lr)
    n = n + gr * gr
    if abs(z) > l1:
        sz = l1 if z > 0 else -l1
        nw = (sz - z) / ((beta + math.sqrt(n)) / lr + wd)
    else:
        nw = lr - lr
    return (nw, z, n)


def rule_ftml(w, g, d, v, z, lr, b1, omb1, b2, omb2, c1, c2, eps, wd, rs, cg):
    """ftml_update; c1 = 1 - beta1**t, c2 = 1 - beta2**t."""
    gi = rs * g + wd * w
    if cg >= 0:
        gi = _clip(gi, cg)
    v = b2 * v + omb2 * (gi * gi)
    dt = c1 / lr * (math.sqrt(v / c2) + eps)
    z = b1 * z + omb1 * gi - (dt - b1 * d) * w
    return (-z / dt, dt, v, z)


def rule_signsgd(w, g, lr, wd, one):
    """signsgd_update: (1 - lr*wd)*w - lr*sign(g) (rescale_grad and clipping have no effect)."""
    s = lr if g > 0 else (-lr if g < 0 else lr - lr)
    return ((one - lr * wd) * w - s,)


def rule_signum(w, g, m, lr, momentum, ommom, wd, rs, cg, wd_lh, one):
    """signum_update: m = momentum*m - (1-momentum)*(wd*w + clip(rs*g)); w = (1-lr*wd_lh)*w + lr*sign(m)."""
    if cg >= 0:
        m = momentum * m - ommom * wd * w - ommom * _clip(rs * g, cg)
    else:
        m = momentum * m - ommom * wd * w - ommom * rs * g
    s = lr if m > 0 else (-lr if m < 0 else lr - lr)
    return ((one - lr * wd_lh) * w + s, m)


def rule_lamb1(w, g, m, v, b1, omb1, b2, omb2, c1, c2, eps, wd, rs, cg, bc):
    """lamb_update_phase1: returns g (the update direction); c1 = 1 - beta1**t, c2 = 1 - beta2**t."""
    gr = g * rs
    if cg >= 0:
        gr = _clip(gr, cg)
    m = b1 * m + omb1 * gr
    v = b2 * v + omb2 * gr * gr
    if bc:
        out = (m / c1) / (math.sqrt(v / c2) + eps) + wd * w
    else:
        out = m / (math.sqrt(v) + eps) + wd * w
    return (out, m, v)


def rule_lamb2(w, g, lr):
    """lamb_update_phase2 once the trust ratio is folded into lr: w - lr*g."""
    return (w - lr * g,)


def rule_adagrad(w, g, h, lr, wd, rs, cg, eps):
    """AdaGrad (MXNet's Python update): h += g'^2; w += (g'/sqrt(h+eps) + w*wd) * -lr."""
    gr = g * rs
    if cg >= 0:
        gr = _clip(gr, cg)
    h = h + gr * gr
    return (w + (gr / math.sqrt(h + eps) + w * wd) * -lr, h)


def rule_adadelta(w, g, ag, ad, rho, omrho, eps, wd, rs, cg):
    """AdaDelta (MXNet's Python update)."""
    gr = g * rs
    if cg >= 0:
        gr = _clip(gr, cg)
    ag = ag * rho + omrho * gr * gr
    cd = math.sqrt(ad + eps) / math.sqrt(ag + eps) * gr
    ad = ad * rho + omrho * cd * cd
    return (w - (cd + wd * w), ag, ad)


# name -> (rule, number of states); the kernels' positional arrays are (weight, grad, *states)
SPECS = {
    "sgd": (rule_sgd, 0), "multi_sgd": (rule_multi_sgd, 0), "sgd_mom": (rule_sgd_mom, 1),
    "nag_mom": (rule_nag_mom, 1), "adam": (rule_adam, 2), "adamw": (rule_adamw, 2),
    "rmsprop": (rule_rmsprop, 1), "rmspropalex": (rule_rmspropalex, 3), "ftrl": (rule_ftrl, 2),
    "ftml": (rule_ftml, 3), "signsgd": (rule_signsgd, 0), "signum": (rule_signum, 1),
    "lamb1": (rule_lamb1, 2), "lamb2": (rule_lamb2, 0), "adagrad": (rule_adagrad, 1),
    "adadelta": (rule_adadelta, 2),
}
RULES = {k: v[0] for k, v in SPECS.items()}


# ---- CPU loops (compiled lazily; the rules become the module globals _r_<name>) -------------------

def _loop_sgd(w, g, out, p):
    for i in range(w.size):
        out[i], = _r_sgd(w[i], g[i], *p)


def _loop_multi_sgd(w, g, out, p):
    for i in range(w.size):
        out[i], = _r_multi_sgd(w[i], g[i], *p)


def _loop_sgd_mom(w, g, s0, out, p):
    for i in range(w.size):
        out[i], s0[i] = _r_sgd_mom(w[i], g[i], s0[i], *p)


def _loop_nag_mom(w, g, s0, out, p):
    for i in range(w.size):
        out[i], s0[i] = _r_nag_mom(w[i], g[i], s0[i], *p)


def _loop_adam(w, g, s0, s1, out, p):
    for i in range(w.size):
        out[i], s0[i], s1[i] = _r_adam(w[i], g[i], s0[i], s1[i], *p)


def _loop_adamw(w, g, s0, s1, out, p):
    for i in range(w.size):
        out[i], s0[i], s1[i] = _r_adamw(w[i], g[i], s0[i], s1[i], *p)


def _loop_rmsprop(w, g, s0, out, p):
    for i in range(w.size):
        out[i], s0[i] = _r_rmsprop(w[i], g[i], s0[i], *p)


def _loop_rmspropalex(w, g, s0, s1, s2, out, p):
    for i in range(w.size):
        out[i], s0[i], s1[i], s2[i] = _r_rmspropalex(w[i], g[i], s0[i], s1[i], s2[i], *p)


def _loop_ftrl(w, g, s0, s1, out, p):
    for i in range(w.size):
        out[i], s0[i], s1[i] = _r_ftrl(w[i], g[i], s0[i], s1[i], *p)


def _loop_ftml(w, g, s0, s1, s2, out, p):
    for i in range(w.size):
        out[i], s0[i], s1[i], s2[i] = _r_ftml(w[i], g[i], s0[i], s1[i], s2[i], *p)


def _loop_signsgd(w, g, out, p):
    for i in range(w.size):
        out[i], = _r_signsgd(w[i], g[i], *p)


def _loop_signum(w, g, s0, out, p):
    for i in range(w.size):
        out[i], s0[i] = _r_signum(w[i], g[i], s0[i], *p)


def _loop_lamb1(w, g, s0, s1, out, p):
    for i in range(w.size):
        out[i], s0[i], s1[i] = _r_lamb1(w[i], g[i], s0[i], s1[i], *p)


def _loop_lamb2(w, g, out, p):
    for i in range(w.size):
        out[i], = _r_lamb2(w[i], g[i], *p)


def _loop_adagrad(w, g, s0, out, p):
    for i in range(w.size):
        out[i], s0[i] = _r_adagrad(w[i], g[i], s0[i], *p)


def _loop_adadelta(w, g, s0, s1, out, p):
    for i in range(w.size):
        out[i], s0[i], s1[i] = _r_adadelta(w[i], g[i], s0[i], s1[i], *p)


# In-place variants (``out`` is the weight): with ``out`` a separate argument that aliases ``w``,
# LLVM's runtime overlap check fails and the loop runs scalar (sgd_mom on 401,408 float32: 222 us);
# written in place it vectorises (71 us). Same element order, same results.

def _loop_sgd_ip(w, g, p):
    for i in range(w.size):
        w[i], = _r_sgd(w[i], g[i], *p)


def _loop_multi_sgd_ip(w, g, p):
    for i in range(w.size):
        w[i], = _r_multi_sgd(w[i], g[i], *p)


def _loop_sgd_mom_ip(w, g, s0, p):
    for i in range(w.size):
        w[i], s0[i] = _r_sgd_mom(w[i], g[i], s0[i], *p)


def _loop_nag_mom_ip(w, g, s0, p):
    for i in range(w.size):
        w[i], s0[i] = _r_nag_mom(w[i], g[i], s0[i], *p)


def _loop_adam_ip(w, g, s0, s1, p):
    for i in range(w.size):
        w[i], s0[i], s1[i] = _r_adam(w[i], g[i], s0[i], s1[i], *p)


def _loop_adamw_ip(w, g, s0, s1, p):
    for i in range(w.size):
        w[i], s0[i], s1[i] = _r_adamw(w[i], g[i], s0[i], s1[i], *p)


def _loop_rmsprop_ip(w, g, s0, p):
    for i in range(w.size):
        w[i], s0[i] = _r_rmsprop(w[i], g[i], s0[i], *p)


def _loop_rmspropalex_ip(w, g, s0, s1, s2, p):
    for i in range(w.size):
        w[i], s0[i], s1[i], s2[i] = _r_rmspropalex(w[i], g[i], s0[i], s1[i], s2[i], *p)


def _loop_ftrl_ip(w, g, s0, s1, p):
    for i in range(w.size):
        w[i], s0[i], s1[i] = _r_ftrl(w[i], g[i], s0[i], s1[i], *p)


def _loop_ftml_ip(w, g, s0, s1, s2, p):
    for i in range(w.size):
        w[i], s0[i], s1[i], s2[i] = _r_ftml(w[i], g[i], s0[i], s1[i], s2[i], *p)


def _loop_signsgd_ip(w, g, p):
    for i in range(w.size):
        w[i], = _r_signsgd(w[i], g[i], *p)


def _loop_signum_ip(w, g, s0, p):
    for i in range(w.size):
        w[i], s0[i] = _r_signum(w[i], g[i], s0[i], *p)


def _loop_lamb1_ip(w, g, s0, s1, p):
    for i in range(w.size):
        w[i], s0[i], s1[i] = _r_lamb1(w[i], g[i], s0[i], s1[i], *p)


def _loop_lamb2_ip(w, g, p):
    for i in range(w.size):
        w[i], = _r_lamb2(w[i], g[i], *p)


def _loop_adagrad_ip(w, g, s0, p):
    for i in range(w.size):
        w[i], s0[i] = _r_adagrad(w[i], g[i], s0[i], *p)


def _loop_adadelta_ip(w, g, s0, s1, p):
    for i in range(w.size):
        w[i], s0[i], s1[i] = _r_adadelta(w[i], g[i], s0[i], s1[i], *p)


_LOOPS = {}


def _loop(name):
    fn = _LOOPS.get(name)
    if fn is None:
        from numba import njit
        g = globals()
        if "_r__clip" not in g:
            g["_clip"] = g["_r__clip"] = njit(cache=True, error_model="numpy")(_clip)
        for k, (rule, _) in SPECS.items():
            if not hasattr(g.get(f"_r_{k}"), "py_func"):
                g[f"_r_{k}"] = njit(cache=True, error_model="numpy")(rule)
        fn = _LOOPS[name] = njit(cache=True, error_model="numpy")(g[f"_loop_{name}"])
    return fn


# ---- running a rule on arrays ----------------------------------------------------------------

def run_rule(name, weight, grad, states, params, out=None):
    """Run rule ``name`` over NumPy arrays: ``states`` updated in place, the new weight (or, for
    ``lamb1``, the update direction) written to ``out`` (a new array when None; may be ``weight``).
    ``params`` are Python numbers, cast to the compute dtype here."""
    dt = weight.dtype
    ct = compute_dtype(dt)
    if out is None:
        out = np.empty(weight.shape, ct if name == "lamb1" else dt)
    # MXNet's op parameters are C floats: rounded to float32 first, then cast to the compute dtype
    p = tuple(v if isinstance(v, (bool, np.bool_)) else ct.type(np.float32(v)) for v in params)
    arrs = [weight, grad] + list(states)
    conv = []
    back = []
    for k, a in enumerate(arrs):
        if a.dtype != ct or not a.flags.c_contiguous:
            c = np.ascontiguousarray(a, dtype=ct)
            if k >= 2:
                back.append((a, c))
            a = c
        conv.append(a.reshape(-1))
    o = out
    if out.dtype != ct or not out.flags.c_contiguous:
        o = np.empty(out.shape, ct)
    if weight.size:
        if o is weight:      # conv[0] is a flat view of weight: update it in place
            _loop(name + "_ip")(*conv, p)
        else:
            _loop(name)(*conv, o.reshape(-1), p)
    for a, c in back:
        a[...] = c
    if o is not out:
        out[...] = o
    return out


# ---- registered kernels (MXNet's op names and attributes) ------------------------------------

def _f(x):
    return -1.0 if x is None else float(x)


@register_kernel("sgd_update", "cpu")
def sgd_update(weight, grad, out=None, lr=0.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0,
               lazy_update=True):
    return run_rule("sgd", weight, grad, (), (lr, wd, rescale_grad, _f(clip_gradient), 1.0), out)


@register_kernel("_optim_multi_sgd", "cpu")
def multi_sgd(weight, grad, out=None, lr=0.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0):
    return run_rule("multi_sgd", weight, grad, (), (lr, wd, rescale_grad, _f(clip_gradient)), out)


@register_kernel("sgd_mom_update", "cpu")
def sgd_mom_update(weight, grad, mom, out=None, lr=0.0, momentum=0.0, wd=0.0, rescale_grad=1.0,
                   clip_gradient=-1.0, lazy_update=True):
    return run_rule("sgd_mom", weight, grad, (mom,), (lr, momentum, wd, rescale_grad, _f(clip_gradient)),
                    out)


def _mp(name, weight, grad, states, weight32, params, out):
    """float16 weight/grad + float32 master copy: the float32 rule on the master, cast into weight."""
    g32 = grad.astype(_F32)
    run_rule(name, weight32, g32, states, params, out=weight32)
    if out is None:
        out = np.empty(weight.shape, weight.dtype)
    out[...] = weight32
    return out


@register_kernel("mp_sgd_update", "cpu")
def mp_sgd_update(weight, grad, weight32, out=None, lr=0.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0,
                  lazy_update=True):
    return _mp("multi_sgd", weight, grad, (), weight32, (lr, wd, rescale_grad, _f(clip_gradient)), out)


@register_kernel("mp_sgd_mom_update", "cpu")
def mp_sgd_mom_update(weight, grad, mom, weight32, out=None, lr=0.0, momentum=0.0, wd=0.0, rescale_grad=1.0,
                      clip_gradient=-1.0, lazy_update=True):
    return _mp("sgd_mom", weight, grad, (mom,), weight32,
               (lr, momentum, wd, rescale_grad, _f(clip_gradient)), out)


@register_kernel("nag_mom_update", "cpu")
def nag_mom_update(weight, grad, mom, out=None, lr=0.0, momentum=0.0, wd=0.0, rescale_grad=1.0,
                   clip_gradient=-1.0):
    return run_rule("nag_mom", weight, grad, (mom,),
                    (lr, momentum, wd, rescale_grad, _f(clip_gradient), 1.0, out is weight), out)


@register_kernel("mp_nag_mom_update", "cpu")
def mp_nag_mom_update(weight, grad, mom, weight32, out=None, lr=0.0, momentum=0.0, wd=0.0, rescale_grad=1.0,
                      clip_gradient=-1.0):
    return _mp("nag_mom", weight, grad, (mom,), weight32,
               (lr, momentum, wd, rescale_grad, _f(clip_gradient), 1.0, True), out)


def _omb(b, ct=_F32):
    """``1.f - beta`` as MXNet computes it: beta is a C float, the subtraction in the compute dtype."""
    return float(ct.type(1.0) - ct.type(np.float32(b)))


@register_kernel("adam_update", "cpu")
def adam_update(weight, grad, mean, var, out=None, lr=0.0, beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0.0,
                rescale_grad=1.0, clip_gradient=-1.0, lazy_update=True):
    ct = compute_dtype(weight.dtype)
    return run_rule("adam", weight, grad, (mean, var),
                    (lr, beta1, _omb(beta1, ct), beta2, _omb(beta2, ct), epsilon, wd, rescale_grad,
                     _f(clip_gradient)), out)


@register_kernel("_optim_adamw", "cpu")
def adamw(weight, grad, mean, var, out=None, eta=0.0, lr=1.0, beta1=0.9, beta2=0.999, epsilon=1e-6, wd=0.0,
          rescale_grad=1.0, clip_gradient=-1.0):
    ct = compute_dtype(weight.dtype)
    return run_rule("adamw", weight, grad, (mean, var),
                    (eta, lr, beta1, _omb(beta1, ct), beta2, _omb(beta2, ct), epsilon, wd, rescale_grad,
                     _f(clip_gradient)), out)


@register_kernel("rmsprop_update", "cpu")
def rmsprop_update(weight, grad, n, out=None, lr=0.0, gamma1=0.95, epsilon=1e-8, wd=0.0, rescale_grad=1.0,
                   clip_gradient=-1.0, clip_weights=-1.0):
    ct = compute_dtype(weight.dtype)
    return run_rule("rmsprop", weight, grad, (n,),
                    (lr, gamma1, _omb(gamma1, ct), epsilon, wd, rescale_grad, _f(clip_gradient),
                     _f(clip_weights)), out)


@register_kernel("rmspropalex_update", "cpu")
def rmspropalex_update(weight, grad, n, g, delta, out=None, lr=0.0, gamma1=0.95, gamma2=0.9, epsilon=1e-8,
                       wd=0.0, rescale_grad=1.0, clip_gradient=-1.0, clip_weights=-1.0):
    ct = compute_dtype(weight.dtype)
    return run_rule("rmspropalex", weight, grad, (n, g, delta),
                    (lr, gamma1, _omb(gamma1, ct), gamma2, epsilon, wd, rescale_grad, _f(clip_gradient),
                     _f(clip_weights)), out)


@register_kernel("ftrl_update", "cpu")
def ftrl_update(weight, grad, z, n, out=None, lr=0.0, lamda1=0.01, beta=1.0, wd=0.0, rescale_grad=1.0,
                clip_gradient=-1.0):
    return run_rule("ftrl", weight, grad, (z, n), (lr, lamda1, beta, wd, rescale_grad, _f(clip_gradient)),
                    out)


def ftml_params(ct, lr, beta1, beta2, epsilon, t, wd, rescale_grad, clip_grad):
    b1, b2 = ct.type(beta1), ct.type(beta2)
    tt = ct.type(t)
    one = ct.type(1.0)
    c1 = one - np.power(b1, tt)
    c2 = one - np.power(b2, tt)
    return (lr, beta1, float(one - b1), beta2, float(one - b2), float(c1), float(c2), epsilon, wd,
            rescale_grad, _f(clip_grad))


@register_kernel("ftml_update", "cpu")
def ftml_update(weight, grad, d, v, z, out=None, lr=0.0, beta1=0.6, beta2=0.999, epsilon=1e-8, t=1, wd=0.0,
                rescale_grad=1.0, clip_grad=-1.0):
    ct = compute_dtype(weight.dtype)
    return run_rule("ftml", weight, grad, (d, v, z),
                    ftml_params(ct, lr, beta1, beta2, epsilon, t, wd, rescale_grad, clip_grad), out)


@register_kernel("signsgd_update", "cpu")
def signsgd_update(weight, grad, out=None, lr=0.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0):
    return run_rule("signsgd", weight, grad, (), (lr, wd, 1.0), out)


@register_kernel("signum_update", "cpu")
def signum_update(weight, grad, mom, out=None, lr=0.0, momentum=0.0, wd=0.0, rescale_grad=1.0,
                  clip_gradient=-1.0, wd_lh=0.0):
    ct = compute_dtype(weight.dtype)
    return run_rule("signum", weight, grad, (mom,),
                    (lr, momentum, _omb(momentum, ct), wd, rescale_grad, _f(clip_gradient), wd_lh, 1.0), out)


def lamb1_params(beta1, beta2, epsilon, t, bias_correction, wd, rescale_grad, clip_gradient):
    b1t = np.float32(np.float64(np.float32(beta1)) ** int(t))   # std::pow(float, int) -> DType
    b2t = np.float32(np.float64(np.float32(beta2)) ** int(t))
    c1 = 1.0 - float(b1t)
    c2 = 1.0 - float(b2t)
    return (beta1, _omb(beta1), beta2, _omb(beta2), c1, c2, epsilon, wd, rescale_grad, _f(clip_gradient),
            bool(bias_correction))


@register_kernel("lamb_update_phase1", "cpu")
def lamb_update_phase1(weight, grad, mean, var, out=None, beta1=0.9, beta2=0.999, epsilon=1e-6, t=1,
                       bias_correction=True, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0):
    return run_rule("lamb1", weight, grad, (mean, var),
                    lamb1_params(beta1, beta2, epsilon, t, bias_correction, wd, rescale_grad, clip_gradient),
                    out)


def lamb2_lr(lr, r1, r2, lower_bound, upper_bound):
    """The trust-ratio learning rate of lamb_update_phase2 (r1 = ||w||, r2 = ||g||, Python floats)."""
    r1 = np.float32(r1)
    r2 = np.float32(r2)
    lr = np.float32(lr)
    lb = np.float32(_f(lower_bound))
    ub = np.float32(_f(upper_bound))
    if lb >= 0:
        r1 = max(r1, lb)
    if ub >= 0:
        r1 = min(r1, ub)
    if r1 == 0 or r2 == 0:
        return float(lr)
    return float(lr * r1 / r2)


def _scalar(a):
    return float(np.asarray(a).reshape(-1)[0])


@register_kernel("lamb_update_phase2", "cpu")
def lamb_update_phase2(weight, g, r1, r2, out=None, lr=0.0, lower_bound=-1.0, upper_bound=-1.0):
    return run_rule("lamb2", weight, g, (), (lamb2_lr(lr, _scalar(r1), _scalar(r2), lower_bound, upper_bound),),
                    out)


@register_kernel("mp_lamb_update_phase1", "cpu")
def mp_lamb_update_phase1(weight, grad, mean, var, weight32, out=None, beta1=0.9, beta2=0.999, epsilon=1e-6,
                          t=1, bias_correction=True, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0):
    return run_rule("lamb1", weight32, grad.astype(_F32), (mean, var),
                    lamb1_params(beta1, beta2, epsilon, t, bias_correction, wd, rescale_grad, clip_gradient),
                    out)


@register_kernel("mp_lamb_update_phase2", "cpu")
def mp_lamb_update_phase2(weight, g, r1, r2, weight32, out=None, lr=0.0, lower_bound=-1.0, upper_bound=-1.0):
    run_rule("lamb2", weight32, g, (), (lamb2_lr(lr, _scalar(r1), _scalar(r2), lower_bound, upper_bound),),
             out=weight32)
    if out is None:
        out = np.empty(weight.shape, weight.dtype)
    out[...] = weight32
    return out


@register_kernel("_optim_adagrad", "cpu")
def adagrad(weight, grad, history, out=None, lr=0.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0,
            epsilon=1e-7):
    return run_rule("adagrad", weight, grad, (history,), (lr, wd, rescale_grad, _f(clip_gradient), epsilon),
                    out)


@register_kernel("_optim_adadelta", "cpu")
def adadelta(weight, grad, acc_g, acc_delta, out=None, rho=0.9, epsilon=1e-5, wd=0.0, rescale_grad=1.0,
             clip_gradient=-1.0):
    ct = compute_dtype(weight.dtype)
    return run_rule("adadelta", weight, grad, (acc_g, acc_delta),
                    (rho, _omb(rho, ct), epsilon, wd, rescale_grad, _f(clip_gradient)), out)
