"""(a) on a GPU: the 20-op elementwise chains of ``bench_fusion.py`` on gpu(0), side by side in one
process: hybridnet eager ``nd`` ops, hybridnet ``graph.compile`` (the chain fused into one generated
``numba.cuda`` kernel), PyTorch eager and ``torch.compile`` (Triton), and a device-to-device copy of
the same bytes (CuPy) as the bandwidth reference for the memory-bound ``cheap`` chain.

Times are device-synchronised wall time per call (median of ``--repeat`` samples of ``--inner`` calls
queued back to back), so host dispatch counts where it is not hidden behind the kernels. Compile
times (first call) are reported separately.

    python benchmarks/bench_fusion_gpu.py [--sizes 20,24] [--repeat 15]
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402
from bench_fusion import chain  # noqa: E402


def timed(fn, sync, repeat, inner):
    """Median ms per call over ``repeat`` device-synchronised samples of ``inner`` calls."""
    return round(statistics.median(_common.bench(fn, repeat, inner, warmup=3, sync=sync)) * 1e3, 4)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="20,24", help="log2 of the element counts")
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--inner", type=int, default=20)
    a = p.parse_args()
    import cupy as cp
    import numpy as np

    import hybridnet as mx
    from hybridnet import graph, nd
    try:
        import torch
    except ImportError:
        torch = None
    sync = cp.cuda.get_current_stream().synchronize
    rows = []
    for lg in map(int, a.sizes.split(",")):
        n = 1 << lg
        xv = np.random.default_rng(0).uniform(-2, 2, n).astype(np.float32)
        x = nd.array(xv, ctx=mx.gpu(0))
        src = cp.asarray(xv)
        dst = cp.empty_like(src)
        copy_ms = timed(lambda: cp.copyto(dst, src), sync, a.repeat, a.inner)
        for kind in ("mix", "cheap"):
            def fn(v, kind=kind):
                return chain(v, nd.sigmoid, nd.relu, kind)
            cf = graph.compile(fn)
            t = time.perf_counter()
            cf(x).wait_to_read()
            first = time.perf_counter() - t
            err = float(np.abs(cf(x).asnumpy().astype(np.float64) - fn(x).asnumpy()).max())
            r = {"n": n, "chain": kind, "hn_eager_ms": timed(lambda: fn(x), sync, a.repeat, a.inner),
                 "hn_fused_ms": timed(lambda: cf(x), sync, a.repeat, a.inner), "hn_first_call_s": round(first, 3),
                 "max_abs_fused_vs_eager": err, "copy_ms": copy_ms,
                 "copy_GBps": round(2 * 4 * n / copy_ms / 1e6, 1)}
            if torch is not None:
                tx = torch.from_numpy(xv).cuda()
                tsync = torch.cuda.synchronize

                def tfn(v, kind=kind):
                    return chain(v, torch.sigmoid, torch.relu, kind)
                r["torch_eager_ms"] = timed(lambda: tfn(tx), tsync, a.repeat, a.inner)
                try:
                    ctf = torch.compile(tfn)
                    t = time.perf_counter()
                    with torch.no_grad():
                        ctf(tx)
                    tsync()
                    r["torch_compile_first_s"] = round(time.perf_counter() - t, 2)

                    def run():
                        with torch.no_grad():
                            ctf(tx)
                    r["torch_compiled_ms"] = timed(run, tsync, a.repeat, a.inner)
                except Exception as e:    # report the reason instead of a number
                    r["torch_compile_error"] = f"{type(e).__name__}: {str(e)[:200]}"
            r["fused_GBps"] = round(2 * 4 * n / r["hn_fused_ms"] / 1e6, 1)
            rows.append(r)
            print(json.dumps(r), flush=True)
    print("\n| n | chain | hn eager | hn fused | torch eager | torch.compile | fused vs hn eager | "
          "fused vs torch.compile | fused GB/s (copy GB/s) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        tc = r.get("torch_compiled_ms")
        print(f"| 2^{r['n'].bit_length() - 1} | {r['chain']} | {r['hn_eager_ms']} | {r['hn_fused_ms']} | "
              f"{r.get('torch_eager_ms', '-')} | {tc if tc else '-'} | "
              f"{r['hn_eager_ms'] / r['hn_fused_ms']:.1f}x | "
              f"{(tc / r['hn_fused_ms']) if tc else float('nan'):.2f}x | {r['fused_GBps']} ({r['copy_GBps']}) |")


if __name__ == "__main__":
    main()
