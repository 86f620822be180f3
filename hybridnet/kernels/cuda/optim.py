"""Fused optimizer update kernels (GPU): generated numba.cuda grid-stride kernels.

The scalar update rules are the ones of ``kernels/cpu/optim.py`` (MXNet 1.9.1's C++ kernels term by
term), compiled here as ``cuda.jit(device=True)`` functions; per (rule, compute dtype, mixed
precision) one kernel is generated::

    i = grid(1)
    while i < n:
        r = rule(CT(w[i]), CT(g[i]), CT(s0[i]), ..., *params)
        out[i] = r[0]; s0[i] = r[1]; ...
        i += gridsize(1)

so weight, gradient and states are read once and written once. float16 arrays are computed in
float32 (loads converted, stores rounded). The ``mp_*`` kernels read the float16 gradient, update the
float32 master copy and states and store both the master copy and the float16 weight in the same pass.
Arrays are passed flat (``launch.Flat``); non-contiguous ones go through contiguous copies. The
LAMB phase-2 trust ratio needs ``||w||`` and ``||g||`` on the host (one device sync per LAMB step).
Under ``NUMBA_ENABLE_CUDASIM=1`` the same kernels run in Numba's simulator on NumPy arrays.
"""
import inspect
import math
import types

import numpy as np

from ...ops.registry import register_kernel
from ..backend import xp_of
from ..cpu import optim as C
from . import launch as L

__all__ = ["run_rule_gpu"]

_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)

_cache = {}


def _device_rules():
    """The rules with ``_clip``/``math`` bound to device functions (Python callables in the simulator)."""
    d = _cache.get("rules")
    if d is None:
        cuda = L.cuda()
        if L.SIM:
            mathns = types.SimpleNamespace(sqrt=lambda x: np.sqrt(x))
        else:
            mathns = math
        g = {"math": mathns, "abs": abs}
        jit = (lambda f: f) if L.SIM else cuda.jit(device=True)
        g["_clip"] = jit(types.FunctionType(C._clip.__code__, g, "_clip"))
        d = {}
        for name, (rule, _) in C.SPECS.items():
            d[name] = jit(types.FunctionType(rule.__code__, g, rule.__name__))
        _cache["rules"] = d
    return d


def _build(name, ct, mp):
    key = (name, ct, mp)
    k = _cache.get(key)
    if k is not None:
        return k
    rule, ns = C.SPECS[name]
    n_params = len(inspect.signature(rule).parameters) - 2 - ns
    st = [f"s{j}" for j in range(ns)]
    ps = [f"p{j}" for j in range(n_params)]
    args = ", ".join(["w", "g"] + st + ["out", "n"] + ps)
    if mp:
        call = ", ".join(["w[i]", "CT(g[i])"] + [f"{s}[i]" for s in st] + ps)
        stores = ["w[i] = r[0]", "out[i] = r[0]"]
    else:
        call = ", ".join(["CT(w[i])", "CT(g[i])"] + [f"CT({s}[i])" for s in st] + ps)
        stores = ["out[i] = r[0]"]
    stores += [f"{s}[i] = r[{j + 1}]" for j, s in enumerate(st)]
    body = "\n".join("        " + s for s in stores)
    src = (f"def _k({args}):\n"
           f"    i = cuda.grid(1)\n"
           f"    step = cuda.gridsize(1)\n"
           f"    while i < n:\n"
           f"        r = RULE({call})\n"
           f"{body}\n"
           f"        i += step\n")
    cuda = L.cuda()
    if L.SIM:
        ctype = ct.type
    else:
        import numba
        ctype = numba.from_dtype(ct)
    g = {"cuda": cuda, "RULE": _device_rules()[name], "CT": ctype}
    exec(compile(src, f"<hybridnet cuda optim {name} {ct} mp={mp}>", "exec"), g)
    k = _cache[key] = cuda.jit(g["_k"])
    return k


def run_rule_gpu(name, weight, grad, states, params, out=None, weight32=None):
    """Run rule ``name`` on device arrays (CuPy, or NumPy in the simulator); ``states`` (and
    ``weight32`` in mixed precision) updated in place; the result goes to ``out`` (new when None).
    With ``weight32`` the rule runs on the float32 master copy and ``out`` gets it in weight's dtype."""
    xp = xp_of(weight)
    mp = weight32 is not None
    ct = _F32 if (mp or weight.dtype == _F16) else weight.dtype
    if out is None:
        out = xp.empty(weight.shape, ct if name == "lamb1" else weight.dtype)
    p = tuple(np.bool_(v) if isinstance(v, (bool, np.bool_)) else ct.type(np.float32(v)) for v in params)
    first = weight32 if mp else weight
    arrs = [first, grad] + list(states)
    conv, back = [], []
    for k, a in enumerate(arrs):
        if not a.flags.c_contiguous:
            c = xp.ascontiguousarray(a)
            if k >= 2 or (k == 0 and mp):
                back.append((a, c))
            a = c
        conv.append(a)
    o = out if out.flags.c_contiguous else xp.empty(out.shape, out.dtype)
    n = weight.size
    if n:
        kern = _build(name, ct, mp)
        blocks, threads = L.elementwise_config(n)
        with L.on_device_of(weight):
            L.launch(kern, blocks, threads, *[L.Flat(a) for a in conv], L.Flat(o), np.int64(n), *p)
    for a, c in back:
        a[...] = c
    if o is not out:
        out[...] = o
    return out


def _ct(weight):
    return _F32 if weight.dtype == _F16 else weight.dtype


_f, _omb = C._f, C._omb


@register_kernel("sgd_update", "gpu")
def sgd_update(weight, grad, out=None, lr=0.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0,
               lazy_update=True):
    return run_rule_gpu("sgd", weight, grad, (), (lr, wd, rescale_grad, _f(clip_gradient), 1.0), out)


@register_kernel("_optim_multi_sgd", "gpu")
def multi_sgd(weight, grad, out=None, lr=0.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0):
    return run_rule_gpu("multi_sgd", weight, grad, (), (lr, wd, rescale_grad, _f(clip_gradient)), out)


@register_kernel("sgd_mom_update", "gpu")
def sgd_mom_update(weight, grad, mom, out=None, lr=0.0, momentum=0.0, wd=0.0, rescale_grad=1.0,
                   clip_gradient=-1.0, lazy_update=True):
    return run_rule_gpu("sgd_mom", weight, grad, (mom,),
                        (lr, momentum, wd, rescale_grad, _f(clip_gradient)), out)


@register_kernel("mp_sgd_update", "gpu")
def mp_sgd_update(weight, grad, weight32, out=None, lr=0.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0,
                  lazy_update=True):
    return run_rule_gpu("multi_sgd", weight, grad, (), (lr, wd, rescale_grad, _f(clip_gradient)), out,
                        weight32=weight32)


@register_kernel("mp_sgd_mom_update", "gpu")
def mp_sgd_mom_update(weight, grad, mom, weight32, out=None, lr=0.0, momentum=0.0, wd=0.0, rescale_grad=1.0,
                      clip_gradient=-1.0, lazy_update=True):
    return run_rule_gpu("sgd_mom", weight, grad, (mom,), (lr, momentum, wd, rescale_grad, _f(clip_gradient)),
                        out, weight32=weight32)


@register_kernel("nag_mom_update", "gpu")
def nag_mom_update(weight, grad, mom, out=None, lr=0.0, momentum=0.0, wd=0.0, rescale_grad=1.0,
                   clip_gradient=-1.0):
    return run_rule_gpu("nag_mom", weight, grad, (mom,),
                        (lr, momentum, wd, rescale_grad, _f(clip_gradient), 1.0, out is weight), out)


@register_kernel("mp_nag_mom_update", "gpu")
def mp_nag_mom_update(weight, grad, mom, weight32, out=None, lr=0.0, momentum=0.0, wd=0.0, rescale_grad=1.0,
                      clip_gradient=-1.0):
    return run_rule_gpu("nag_mom", weight, grad, (mom,),
                        (lr, momentum, wd, rescale_grad, _f(clip_gradient), 1.0, True), out, weight32=weight32)


@register_kernel("adam_update", "gpu")
def adam_update(weight, grad, mean, var, out=None, lr=0.0, beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0.0,
                rescale_grad=1.0, clip_gradient=-1.0, lazy_update=True):
    ct = _ct(weight)
    return run_rule_gpu("adam", weight, grad, (mean, var),
                        (lr, beta1, _omb(beta1, ct), beta2, _omb(beta2, ct), epsilon, wd, rescale_grad,
                         _f(clip_gradient)), out)


@register_kernel("_optim_adamw", "gpu")
def adamw(weight, grad, mean, var, out=None, eta=0.0, lr=1.0, beta1=0.9, beta2=0.999, epsilon=1e-6, wd=0.0,
          rescale_grad=1.0, clip_gradient=-1.0):
    ct = _ct(weight)
    return run_rule_gpu("adamw", weight, grad, (mean, var),
                        (eta, lr, beta1, _omb(beta1, ct), beta2, _omb(beta2, ct), epsilon, wd, rescale_grad,
                         _f(clip_gradient)), out)


@register_kernel("rmsprop_update", "gpu")
def rmsprop_update(weight, grad, n, out=None, lr=0.0, gamma1=0.95, epsilon=1e-8, wd=0.0, rescale_grad=1.0,
                   clip_gradient=-1.0, clip_weights=-1.0):
    ct = _ct(weight)
    return run_rule_gpu("rmsprop", weight, grad, (n,),
                        (lr, gamma1, _omb(gamma1, ct), epsilon, wd, rescale_grad, _f(clip_gradient),
                         _f(clip_weights)), out)


@register_kernel("rmspropalex_update", "gpu")
def rmspropalex_update(weight, grad, n, g, delta, out=None, lr=0.0, gamma1=0.95, gamma2=0.9, epsilon=1e-8,
                       wd=0.0, rescale_grad=1.0, clip_gradient=-1.0, clip_weights=-1.0):
    ct = _ct(weight)
    return run_rule_gpu("rmspropalex", weight, grad, (n, g, delta),
                        (lr, gamma1, _omb(gamma1, ct), gamma2, epsilon, wd, rescale_grad, _f(clip_gradient),
                         _f(clip_weights)), out)


@register_kernel("ftrl_update", "gpu")
def ftrl_update(weight, grad, z, n, out=None, lr=0.0, lamda1=0.01, beta=1.0, wd=0.0, rescale_grad=1.0,
                clip_gradient=-1.0):
    return run_rule_gpu("ftrl", weight, grad, (z, n), (lr, lamda1, beta, wd, rescale_grad, _f(clip_gradient)),
                        out)


@register_kernel("ftml_update", "gpu")
def ftml_update(weight, grad, d, v, z, out=None, lr=0.0, beta1=0.6, beta2=0.999, epsilon=1e-8, t=1, wd=0.0,
                rescale_grad=1.0, clip_grad=-1.0):
    return run_rule_gpu("ftml", weight, grad, (d, v, z),
                        C.ftml_params(_ct(weight), lr, beta1, beta2, epsilon, t, wd, rescale_grad, clip_grad),
                        out)


@register_kernel("signsgd_update", "gpu")
def signsgd_update(weight, grad, out=None, lr=0.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0):
    return run_rule_gpu("signsgd", weight, grad, (), (lr, wd, 1.0), out)


@register_kernel("signum_update", "gpu")
def signum_update(weight, grad, mom, out=None, lr=0.0, momentum=0.0, wd=0.0, rescale_grad=1.0,
                  clip_gradient=-1.0, wd_lh=0.0):
    return run_rule_gpu("signum", weight, grad, (mom,),
                        (lr, momentum, _omb(momentum, _ct(weight)), wd, rescale_grad, _f(clip_gradient), wd_lh,
                         1.0), out)


@register_kernel("lamb_update_phase1", "gpu")
def lamb_update_phase1(weight, grad, mean, var, out=None, beta1=0.9, beta2=0.999, epsilon=1e-6, t=1,
                       bias_correction=True, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0):
    return run_rule_gpu("lamb1", weight, grad, (mean, var),
                        C.lamb1_params(beta1, beta2, epsilon, t, bias_correction, wd, rescale_grad,
                                       clip_gradient), out)


def _host_scalar(a):
    from ..backend import to_host
    return float(np.asarray(to_host(a)).reshape(-1)[0])


@register_kernel("lamb_update_phase2", "gpu")
def lamb_update_phase2(weight, g, r1, r2, out=None, lr=0.0, lower_bound=-1.0, upper_bound=-1.0):
    lr2 = C.lamb2_lr(lr, _host_scalar(r1), _host_scalar(r2), lower_bound, upper_bound)
    return run_rule_gpu("lamb2", weight, g, (), (lr2,), out)


@register_kernel("mp_lamb_update_phase1", "gpu")
def mp_lamb_update_phase1(weight, grad, mean, var, weight32, out=None, beta1=0.9, beta2=0.999, epsilon=1e-6,
                          t=1, bias_correction=True, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0):
    if out is None:
        out = xp_of(weight).empty(weight.shape, _F32)
    return run_rule_gpu("lamb1", weight32, grad, (mean, var),
                        C.lamb1_params(beta1, beta2, epsilon, t, bias_correction, wd, rescale_grad,
                                       clip_gradient), out)


@register_kernel("mp_lamb_update_phase2", "gpu")
def mp_lamb_update_phase2(weight, g, r1, r2, weight32, out=None, lr=0.0, lower_bound=-1.0, upper_bound=-1.0):
    lr2 = C.lamb2_lr(lr, _host_scalar(r1), _host_scalar(r2), lower_bound, upper_bound)
    return run_rule_gpu("lamb2", weight, g, (), (lr2,), out, weight32=weight32)


@register_kernel("_optim_adagrad", "gpu")
def adagrad(weight, grad, history, out=None, lr=0.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0,
            epsilon=1e-7):
    return run_rule_gpu("adagrad", weight, grad, (history,),
                        (lr, wd, rescale_grad, _f(clip_gradient), epsilon), out)


@register_kernel("_optim_adadelta", "gpu")
def adadelta(weight, grad, acc_g, acc_delta, out=None, rho=0.9, epsilon=1e-5, wd=0.0, rescale_grad=1.0,
             clip_gradient=-1.0):
    return run_rule_gpu("adadelta", weight, grad, (acc_g, acc_delta),
                        (rho, _omb(rho, _ct(weight)), epsilon, wd, rescale_grad, _f(clip_gradient)), out)
