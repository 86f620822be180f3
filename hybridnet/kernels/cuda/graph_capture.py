"""Replaying a GPU ``Executable`` as one captured CUDA graph (hybridized inference).

A small hybridized model on a GPU is bound by host time: every kernel launch and cuBLAS call costs
15-25 us of Python and driver work (BENCHMARKS.md "GPU"). With static shapes the whole replay can be
recorded once with CUDA stream capture and launched as one graph afterwards, as MXNet 1.8+ does for
``hybridize(static_alloc=True, static_shape=True)``.

``CapturedRun(run, inputs, n_data)`` records ``run(*inputs)`` on a side stream:

* data inputs (the first ``n_data``) are copied into buffers owned by the capture, and each later
  call copies the new data in first (device-to-device, on the current stream);
* the other inputs (Parameters) are captured by address: in-place updates are seen by the graph; a
  Parameter whose array was replaced (a different address) makes ``matches`` false and the caller
  captures again;
* every array allocated during the capture (intermediates, outputs) comes from a private CuPy memory
  pool whose blocks are held for the graph's lifetime, so no other allocation can reuse memory the
  graph writes (the reason a plain capture with CuPy's shared pool would be unsafe);
* outputs are copied into fresh arrays after each launch: results handed out are never overwritten;
* GEMMs go through ``kernels/cuda/capture_blas.py`` while capturing (CuPy refuses cuBLAS calls on a
  capturing stream).

Anything in ``run`` that cannot be captured (a host synchronisation, a device allocation outside the
pool) makes the capture raise ``CaptureError``; the caller falls back to the plain replay for good.
Nothing here runs under the CUDA simulator.
"""
__all__ = ["CapturedRun", "CaptureError", "stats"]

# counters for tests and benchmarks: captures made, replays launched, captures that failed
stats = {"captures": 0, "replays": 0, "failures": 0, "last_failure": None}


class CaptureError(RuntimeError):
    pass


def _copy_into(cp, dst, src, stream):
    if dst.data.ptr == src.data.ptr:
        return
    if src.flags.c_contiguous and dst.flags.c_contiguous and src.dtype == dst.dtype and src.shape == dst.shape:
        cp.cuda.runtime.memcpyAsync(dst.data.ptr, src.data.ptr, src.nbytes,
                                    cp.cuda.runtime.memcpyDeviceToDevice, stream.ptr)
    else:
        dst[...] = src


class CapturedRun:
    def __init__(self, run, inputs, n_data):
        import cupy as cp
        self._cp = cp
        self.n_data = n_data
        self.param_ptrs = tuple(a.data.ptr if a is not None else 0 for a in inputs[n_data:])
        pool = cp.cuda.MemoryPool()
        held = []

        def alloc(nbytes):
            mem = pool.malloc(nbytes)
            held.append(mem)        # never freed while the graph lives: no other array can get it
            return mem
        cur = cp.cuda.get_current_stream()
        cur.synchronize()
        side = cp.cuda.Stream(non_blocking=True)
        prev = cp.cuda.get_allocator()
        cp.cuda.set_allocator(alloc)
        try:
            self.static_in = [cp.array(a, copy=True) if a is not None else None for a in inputs[:n_data]]
            side.synchronize()
            from .capture_blas import ACTIVE
            with side:
                side.begin_capture()
                ACTIVE[0] = True
                try:
                    outs = run(*self.static_in, *inputs[n_data:])
                except Exception as e:
                    ACTIVE[0] = False
                    try:
                        side.end_capture()
                    except Exception:
                        pass
                    raise CaptureError(f"{type(e).__name__}: {e}") from e
                ACTIVE[0] = False
                graph = side.end_capture()
        except CaptureError as e:
            stats["failures"] += 1
            stats["last_failure"] = str(e)
            raise
        except Exception as e:       # the driver refused the capture
            stats["failures"] += 1
            stats["last_failure"] = f"{type(e).__name__}: {e}"
            raise CaptureError(stats["last_failure"]) from e
        finally:
            cp.cuda.set_allocator(prev)
        if hasattr(graph, "upload"):
            graph.upload(cur)
        self.graph, self.outs, self._held, self._pool, self._side = graph, list(outs), held, pool, side
        stats["captures"] += 1

    def matches(self, inputs):
        """True when the Parameters are the arrays the graph was captured with."""
        return all((a.data.ptr if a is not None else 0) == p
                   for a, p in zip(inputs[self.n_data:], self.param_ptrs))

    def __call__(self, inputs):
        cp = self._cp
        stream = cp.cuda.get_current_stream()
        for dst, src in zip(self.static_in, inputs[:self.n_data]):
            if dst is not None:
                _copy_into(cp, dst, src, stream)
        self.graph.launch(stream)
        res = []
        for o in self.outs:
            r = cp.empty(o.shape, o.dtype)
            _copy_into(cp, r, o, stream)
            res.append(r)
        stats["replays"] += 1
        return res
