"""Where does hybridnet's eager dispatch time go? Layer-by-layer timing of one small op (16 float32).

Each row times 100,000 calls of one layer of the call ``nd.relu(x)`` / ``x * y`` / ``x + 0.5``, from the
bare Numba ufunc up to the public function, so the difference between two rows is that layer's cost
(microseconds per call, min of 7 repeats). Run with the hybridnet interpreter:

    python benchmarks/profile_dispatch.py [--cprofile]

``--cprofile`` also prints cProfile's top functions for the 1,000-op chain of bench_dispatch.py
(cProfile inflates small Python functions; trust the layer table for magnitudes).
"""
import argparse
import os
import sys
import timeit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402


def per_call_us(stmt, number=100000, repeat=7, **ns):
    t = timeit.repeat(stmt, globals=ns, number=number, repeat=repeat)
    return min(t) / number * 1e6   # min: the least-disturbed repeat (timeit advice)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cprofile", action="store_true")
    p.add_argument("--number", type=int, default=100000)
    a = p.parse_args()
    _common.pin_threads(2)
    import numpy as np
    import hybridnet as mx
    from hybridnet.device import cpu
    from hybridnet.kernels import kernel_for
    from hybridnet.nd import NDArray
    from hybridnet.ops.bind import bind
    from hybridnet.ops.registry import get_op
    from hybridnet.ops.trace_base import eager

    nd = mx.nd
    xn = np.linspace(-1, 1, 16, dtype=np.float32)
    x, y = nd.array(xn), nd.array(xn[::-1].copy())
    dev = cpu()
    tr = eager()
    E = {}
    relu, mul, plus = get_op("relu"), get_op("broadcast_mul"), get_op("_plus_scalar")
    for op in (relu, mul, plus):
        kernel_for(op, dev)
    kr, km, kp = relu.kernels["cpu"], mul.kernels["cpu"], plus.kernels["cpu"]
    uf_r = kr._ufunc_for(np.dtype(np.float32), False)
    uf_m = km._ufunc_for(np.dtype(np.float32), False)
    uf_p = kp._ufunc_for(np.dtype(np.float32), False)
    nd.relu(x), x * y, x + 0.5
    attrs_p = {"scalar": 0.5}
    n = a.number
    ns = dict(np=np, xn=xn, yn=xn[::-1].copy(), x=x, y=y, nd=nd, NDArray=NDArray, dev=dev, tr=tr, E=E,
              bind=bind, relu=relu, mul=mul, plus=plus, kr=kr, km=km, kp=kp, uf_r=uf_r, uf_m=uf_m,
              uf_p=uf_p, attrs_p=attrs_p, s=np.float32(0.5))
    rows = [
        ("numpy np.maximum(xn, 0)", "np.maximum(xn, s)"),
        ("numpy xn * yn", "xn * yn"),
        ("numpy xn + s", "xn + s"),
        ("relu: numba ufunc uf(xn)", "uf_r(xn)"),
        ("relu: kernel kr(xn)", "kr(xn)"),
        ("relu: NDArray(data, dev) only", "NDArray(xn, dev)"),
        ("relu: EagerTrace.apply", "tr.apply(relu, (x,), E)"),
        ("relu: bind", "bind(relu, (x,), E)"),
        ("relu: nd.relu(x)", "nd.relu(x)"),
        ("relu: x.relu()", "x.relu()"),
        ("mul: numba ufunc uf(xn, yn)", "uf_m(xn, yn)"),
        ("mul: kernel km(xn, yn)", "km(xn, yn)"),
        ("mul: EagerTrace.apply", "tr.apply(mul, (x, y), E)"),
        ("mul: bind", "bind(mul, (x, y), E)"),
        ("mul: x * y", "x * y"),
        ("plus_scalar: numba ufunc uf(xn, s)", "uf_p(xn, s)"),
        ("plus_scalar: kernel kp(xn, scalar=0.5)", "kp(xn, scalar=0.5)"),
        ("plus_scalar: EagerTrace.apply", "tr.apply(plus, (x,), attrs_p)"),
        ("plus_scalar: bind", "bind(plus, (x,), attrs_p)"),
        ("plus_scalar: x + 0.5", "x + 0.5"),
    ]
    res = {}
    w = max(len(r[0]) for r in rows)
    for label, stmt in rows:
        us = per_call_us(stmt, number=n, **ns)
        res[label] = round(us, 3)
        print(f"{label:<{w}}  {us:7.3f} us", flush=True)

    # Individual statements of the eager path, in its real context (x, y: NDArrays; op: OpDef).
    print("\nstatements (us per execution):")
    stm = [
        ("args loop: a._device / a._data / a._entry (1 arg)", "a = x; d = a._device; a._data; a._entry"),
        ("op.pattern in _FAST and op.dtype_check == 'same'", "mul.pattern in FAST and mul.dtype_check == 'same'"),
        ("2-input shape+dtype check loop", "dt = xn.dtype; sh = xn.shape\nfor q in (xn, yn):\n"
         "    if q.shape != sh and mul.pattern is EL: pass\n    if q.dtype != dt: pass"),
        ("op.kernels.get(device.device_type)", "relu.kernels.get(dev.device_type)"),
        ("kernel(*datas, **attrs) call overhead (empty fn)", "noop(*datas, **E)"),
        ("NDArray(res, device)", "NDArray(xn, dev)"),
        ("_NAN_CHECK.get() + tape.is_recording()", "NAN.get(); is_rec()"),
        ("kernel: max(x.size for x in xs)", "max(q.size for q in datas2)"),
        ("kernel: get(dt, big) (closure + tuple-key dict)", "kr._ufunc_for(dtf, False)"),
        ("kernel: dt == _F16", "dtf == F16"),
        ("kernel: [cdt.type(dt.type(attrs[a])) for a in sattrs]", "[dtf.type(dtf.type(attrs_p[q])) for q in SA]"),
        ("kernel: out is not None and not out.flags.c_contiguous", "o = None; o is not None and not o.flags.c_contiguous"),
        ("methods: isinstance(0.5, (numbers.Number, np.generic))", "isinstance(0.5, NUM)"),
        ("methods: build {'scalar': other}", "{'scalar': 0.5}"),
        ("front end: _finish(_wrap(r), None)", "fin(wrap(xn), None)"),
    ]
    import numbers
    from hybridnet.autograd import tape
    from hybridnet.ops.opdef import Pattern
    import hybridnet.nd.eager as eg
    from hybridnet.ops import frontend
    ns2 = dict(ns, FAST=(Pattern.ELEMWISE, Pattern.BROADCAST), EL=Pattern.ELEMWISE, datas=[xn],
               datas2=[xn, xn], noop=lambda *a, **k: None, NAN=getattr(eg, "_NAN_CHECK", tape.RECORDING),
               is_rec=tape.is_recording, dtf=np.dtype(np.float32), F16=np.dtype(np.float16),
               SA=tuple(plus.scalar_attrs), NUM=(numbers.Number, np.generic), fin=frontend._finish,
               wrap=lambda r: r)
    for label, stmt in stm:
        us = per_call_us(stmt, number=n, **ns2)
        res["stmt: " + label] = round(us, 3)
        print(f"  {label:<58}  {us:7.3f} us", flush=True)

    if a.cprofile:
        import cProfile
        import pstats

        def chain():
            z = nd.ones((16,))
            for _ in range(250):
                z = z * x
                z = z + (-0.5)
                z = nd.relu(z)
                z = nd.exp(z)
        chain()
        pr = cProfile.Profile()
        pr.enable()
        for _ in range(20):
            chain()
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(15)
    _common.emit({"bench": "profile_dispatch", "us": res})


if __name__ == "__main__":
    main()
