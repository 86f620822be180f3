"""Launch configuration and the glue between CuPy arrays and numba.cuda kernels.

Every GPU kernel here is a real ``numba.cuda`` kernel. On a real GPU its arrays are CuPy arrays,
handed to Numba through ``__cuda_array_interface__`` without a stream sync (``sync=False``), and the
kernel is queued on CuPy's current stream, so CuPy calls (allocation, matmul, sort, transposes) and
Numba kernels run in order on one stream and nothing waits on the host. Under
``NUMBA_ENABLE_CUDASIM=1`` the arrays are NumPy arrays and the launch runs in Numba's simulator,
which starts one Python thread per CUDA thread: the configurations below are tiny there.

Nothing here imports numba or cupy at import time.
"""
import contextlib
import math

from ..backend import gpu_count, is_simulator

__all__ = ["cuda", "SIM", "elementwise_config", "block_size", "grid_for_rows", "as_kernel_arg",
           "launch", "device_of", "on_device_of", "nb_type"]

SIM = is_simulator()

# Threads per block for one-block-per-row kernels (reductions, softmax): a power of two (the tree
# reductions halve it). The simulator runs a Python thread per CUDA thread, so it gets 8.
ROW_THREADS = 8 if SIM else 256
# Elementwise kernels: threads per block, and blocks per SM for the grid-stride loop.
EW_THREADS = 8 if SIM else 256
_BLOCKS_PER_SM = 32
# The simulator runs blocks one after the other: a few blocks keep multi-block code paths exercised.
_SIM_MAX_BLOCKS = 2

_state = {}


def cuda():
    """``numba.cuda`` (the simulator under ``NUMBA_ENABLE_CUDASIM=1``), imported on first use."""
    m = _state.get("cuda")
    if m is None:
        import numpy as np
        if not hasattr(np, "row_stack"):
            # numba-cuda <= 0.30.4 registers an overload for np.row_stack, which NumPy 2.5 removed
            # (an alias of vstack since NumPy 2.0): without it numba.cuda's typing fails to load.
            np.row_stack = np.vstack
        from numba import cuda as m
        _state["cuda"] = m
    return m


def nb_type(dtype):
    """The Numba scalar type for a NumPy dtype."""
    import numba
    return numba.from_dtype(dtype)


def _sm_count():
    n = _state.get("sms")
    if n is None:
        try:
            n = cuda().get_current_device().MULTIPROCESSOR_COUNT
        except Exception:
            n = 80
        _state["sms"] = n
    return n


def block_size():
    return ROW_THREADS


def elementwise_config(n):
    """``(blocks, threads)`` for a grid-stride loop over ``n`` elements."""
    threads = EW_THREADS
    if SIM:
        return min(_SIM_MAX_BLOCKS, max(1, -(-n // threads))), threads
    return max(1, min(-(-n // threads), _BLOCKS_PER_SM * _sm_count())), threads


def grid_for_rows(rows):
    """Blocks for one-block-per-row kernels (the kernels loop over rows with a grid stride)."""
    if SIM:
        return max(1, min(rows, _SIM_MAX_BLOCKS))
    return max(1, min(rows, 65535))


def grid_for_threads(n, threads=None):
    """Blocks so that ``n`` work items get one thread each (grid-stride beyond the cap)."""
    threads = threads or EW_THREADS
    if SIM:
        return min(_SIM_MAX_BLOCKS, max(1, -(-n // threads)))
    return max(1, min(-(-n // threads), _BLOCKS_PER_SM * _sm_count()))


def _stream_for(dev, ptr):
    streams = _state.setdefault("streams", {})
    s = streams.get((dev, ptr))
    if s is None:
        c = cuda()
        if ptr == 0:
            s = c.legacy_default_stream()
        elif ptr == 2:   # cudaStreamPerThread
            s = c.per_thread_default_stream()
        else:
            s = c.external_stream(ptr)
        streams[(dev, ptr)] = s
    return s


def current_stream():
    """The Numba stream object for CuPy's current stream (``None`` under the simulator)."""
    if SIM:
        return None
    from ..backend import _cupy
    cp = _cupy()
    return _stream_for(cp.cuda.runtime.getDevice(), cp.cuda.get_current_stream().ptr)


def as_kernel_arg(a):
    """A device array Numba can take: NumPy arrays as they are (simulator), CuPy arrays wrapped
    through ``__cuda_array_interface__`` without synchronising their stream (we queue on it)."""
    if SIM:
        return a
    return cuda().from_cuda_array_interface(a.__cuda_array_interface__, owner=a, sync=False)


def launch(kernel, blocks, threads, *args):
    """Launch ``kernel[blocks, threads]`` on CuPy's current stream; array arguments may be CuPy
    (real GPU) or NumPy (simulator) arrays; other arguments are NumPy scalars (typed as they are).

    On a GPU the first launch for an argument signature goes through Numba's dispatcher (compiling
    if needed); later ones skip it: the compiled kernel is launched directly through ``cuda.core``
    with the arguments packed as Numba's ABI wants them (an array is ``meminfo, parent, size,
    itemsize, data, *shape, *strides``), which takes a few microseconds instead of ~100 (Numba
    otherwise wraps each CuPy array in a DeviceNDArray and re-types it on every call)."""
    if SIM:
        _sim_launch(kernel, blocks, threads, [a.a.reshape(-1) if type(a) is Flat else a for a in args])
        return
    key = (id(kernel),) + tuple(map(_arg_key, args))
    fast = _FAST.get(key)
    if fast:
        ck, packers = fast
        kargs = []
        for p, a in zip(packers, args):
            p(a, kargs)
        cfg = _CONFIGS.get((blocks, threads))
        if cfg is None:
            cfg = _CONFIGS[(blocks, threads)] = _launch_config(blocks, threads)
        _core_launch()(_core_stream(), cfg, ck, *kargs)
        return
    conv = [as_kernel_arg(a.a.reshape(-1) if type(a) is Flat else a)
            if type(a) is Flat or hasattr(a, "__cuda_array_interface__") else a for a in args]
    kernel[blocks, threads, current_stream()](*conv)
    if fast is None:
        _FAST[key] = _make_fast(kernel, conv, [type(a) is Flat for a in args])


class Flat:
    """A C-contiguous array passed as its 1-D view: on the direct-launch path it is packed as 1-D
    without building a reshaped CuPy array (the reshape costs more than the rest of the packing)."""
    __slots__ = ("a",)

    def __init__(self, a):
        self.a = a


def _pack_flat(f, out):
    a = f.a
    n = a.size
    out.extend((0, 0, n, a.itemsize, a.data.ptr, n, a.itemsize))


_FAST = {}       # (id(dispatcher), arg keys) -> (cuda.core kernel, packers) | False (use the dispatcher)
_CONFIGS = {}


def _arg_key(a):
    t = type(a)
    if t is Flat:
        return ("flat", a.a.dtype.char)
    if t is not _ndarray_type():
        return t
    # Numba's layout rule (dummyarray._compute_layout): 0-size -> C; a 0 stride -> A; C preferred over F
    if a.size == 0:
        lay = "C"
    elif 0 in a.strides:
        lay = "A"
    elif a.flags.c_contiguous:
        lay = "C"
    elif a.flags.f_contiguous:
        lay = "F"
    else:
        lay = "A"
    return (a.dtype.char, a.ndim, lay)


def _ndarray_type():
    t = _state.get("ndarray")
    if t is None:
        from ..backend import _cupy
        t = _state["ndarray"] = _cupy().ndarray
    return t


def _core_stream():
    """CuPy's current stream as a cached ``cuda.core`` Stream (no conversion per launch)."""
    from ..backend import _cupy
    cp = _cupy()
    key = (cp.cuda.runtime.getDevice(), cp.cuda.get_current_stream().ptr)
    streams = _state.setdefault("core_streams", {})
    s = streams.get(key)
    if s is None:
        import cuda.core as cc
        ptr = key[1]
        if ptr == 0 and hasattr(cc, "LEGACY_DEFAULT_STREAM"):
            s = cc.LEGACY_DEFAULT_STREAM
        elif ptr == 2 and hasattr(cc, "PER_THREAD_DEFAULT_STREAM"):
            s = cc.PER_THREAD_DEFAULT_STREAM
        else:
            s = cc.Stream.from_handle(ptr)
        streams[key] = s
    return s


def _core_launch():
    f = _state.get("core_launch")
    if f is None:
        from cuda.core import launch as f
        _state["core_launch"] = f
    return f


def _launch_config(blocks, threads):
    from cuda.core import LaunchConfig
    try:
        return LaunchConfig(grid=blocks, block=threads, shmem_size=0)
    except TypeError:
        return LaunchConfig(grid=blocks, block=threads)


def _pack_array(a, out):
    out.extend((0, 0, a.size, a.itemsize, a.data.ptr))
    out.extend(a.shape)
    out.extend(a.strides)


def _make_fast(dispatcher, conv, flat):
    """The direct-launch entry for the signature just launched, or False where it can't be used."""
    import ctypes
    try:
        import cuda.core  # noqa: F401  (older numba-cuda without cuda.core: the dispatcher path)
        from numba.cuda import types as nt
        argtypes = tuple(dispatcher.typeof_pyval(c) for c in conv)
        kern = dispatcher.overloads.get(argtypes)
        if kern is None or getattr(kern, "debug", False) or getattr(kern, "cooperative", False) \
                or getattr(dispatcher, "_kernel_launch_config_sensitive", False):
            return False
        packers = []
        for t, fl in zip(argtypes, flat):
            if fl:
                if not (isinstance(t, nt.Array) and t.ndim == 1):
                    return False
                packers.append(_pack_flat)
            elif isinstance(t, nt.Array):
                packers.append(_pack_array)
            elif isinstance(t, nt.Integer):
                c = getattr(ctypes, f"c_{t}")
                packers.append(lambda v, out, c=c: out.append(c(v)))
            elif t == nt.float64:
                packers.append(lambda v, out: out.append(ctypes.c_double(v)))
            elif t == nt.float32:
                packers.append(lambda v, out: out.append(ctypes.c_float(v)))
            elif t == nt.boolean:
                packers.append(lambda v, out: out.append(bool(v)))
            else:
                return False
        return kern._codelibrary.get_cufunc().kernel, packers
    except Exception:
        return False


def _sim_launch(kernel, blocks, threads, args):
    # The simulator copies array arguments in and out as single memory regions, which strided views
    # are not: pass C-contiguous copies and write them back (the kernel's strided indexing is the
    # same code either way; on a real GPU strided CuPy arrays are passed as they are).
    import numpy as np
    conv, back = [], []
    for a in args:
        if isinstance(a, np.ndarray) and a.ndim and not a.flags.c_contiguous:
            c = np.ascontiguousarray(a)
            if a.flags.writeable:
                back.append((a, c))
            a = c
        conv.append(a)
    kernel[blocks, threads](*conv)
    for a, c in back:
        a[...] = c


def device_of(a):
    """The CUDA device id of an array (0 under the simulator)."""
    if SIM:
        return 0
    return a.device.id


def on_device_of(a):
    """Context that makes ``a``'s GPU current for CuPy and Numba (only needed with several GPUs)."""
    if SIM or gpu_count() < 2:
        return contextlib.nullcontext()
    dev = a.device.id
    stack = contextlib.ExitStack()
    stack.enter_context(a.device)
    stack.enter_context(cuda().gpus[dev])
    return stack


def ceil_pow2(n):
    return 1 if n <= 1 else 1 << math.ceil(math.log2(n))
