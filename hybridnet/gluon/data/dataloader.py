"""``DataLoader`` (MXNet 1.9.1 signature and batching semantics) with robust worker processes.

Batching is MXNet's: a ``BatchSampler`` over ``SequentialSampler``/``RandomSampler`` (``last_batch``
keep/discard/rollover), and the default batchify stacks NDArrays and turns anything else into an NDArray
with its NumPy dtype (a tuple sample gives a list of batches).

Workers (``num_workers > 0``), where this differs from MXNet on purpose:

* Processes are started with ``forkserver`` (Linux) or ``spawn``, never ``fork``: Numba's default
  threading layer is GNU OpenMP, and a process forked after a parallel kernel ran hangs in its first
  parallel kernel. The forkserver preloads ``hybridnet`` so a worker starts in well under a second.
  ``HYBRIDNET_WORKER_START_METHOD=spawn|forkserver|fork`` overrides the choice (``fork`` at your risk).
  Like every spawn-based loader, a script using workers needs the ``if __name__ == "__main__":`` guard,
  and the dataset and ``batchify_fn`` must pickle (module-level functions, not lambdas); when they do not,
  the loader warns and uses threads instead.
* Each worker is a long-lived process with its own pipe; batches come back as pickled NumPy arrays
  (NDArrays are rebuilt in the main process), so no shared memory is used and a small ``/dev/shm``
  (Docker's 64 MB default) does not matter. If worker processes cannot be started at all (``OSError``,
  e.g. no ``/dev/shm`` or process limits) the loader warns and falls back to a thread pool.
* A worker that dies (killed, segfault, out of memory) raises :class:`DataLoaderWorkerError` in the main
  process naming the worker, its exit code / signal and the batch, instead of hanging; an exception in the
  dataset or batchify code is re-raised in the main process with the worker's traceback.
* ``timeout`` (seconds per batch) raises :class:`DataLoaderTimeoutError` (also a
  ``multiprocessing.TimeoutError``, as MXNet raises) and restarts the workers for the next epoch.

``thread_pool=True`` uses threads (the dataset is shared, nothing is pickled). ``prefetch`` defaults to
``2 * num_workers`` batches in flight. Each worker seeds ``random``, ``numpy.random`` and ``mx.random``
from a base seed drawn from ``numpy.random`` in the main process plus its worker id, so random
augmentations differ between workers and follow ``np.random.seed``.
"""
import multiprocessing
import multiprocessing.connection
import os
import pickle
import random as _pyrandom
import signal
import time
import traceback
import warnings

import numpy as np

from ... import nd
from ...device import cpu_pinned
from ...errors import HybridNetError
from ...nd.ndarray import NDArray
from . import sampler as _sampler
from .batchify import default_batchify_fn

__all__ = ["DataLoader", "DataLoaderWorkerError", "DataLoaderTimeoutError", "default_batchify_fn",
           "default_mp_batchify_fn"]

default_mp_batchify_fn = default_batchify_fn   # MXNet's shared-memory variant: the same here (no shared memory)

SHM_PATH = "/dev/shm"


class DataLoaderWorkerError(HybridNetError, RuntimeError):
    """A DataLoader worker process died or could not start."""


class DataLoaderTimeoutError(HybridNetError, multiprocessing.TimeoutError):
    """No batch arrived from the workers within ``timeout`` seconds."""


# ------------------------------------------------------------------------------------------------------
# transport: NDArrays travel as NumPy arrays
class _NDBox:
    __slots__ = ("array", "context")

    def __init__(self, array):
        self.array = array


def _to_transport(x):
    if isinstance(x, NDArray):
        return _NDBox(x.asnumpy())
    if isinstance(x, list):
        return [_to_transport(i) for i in x]
    if isinstance(x, tuple) and type(x) is tuple:
        return tuple(_to_transport(i) for i in x)
    if isinstance(x, dict):
        return {k: _to_transport(v) for k, v in x.items()}
    return x


def _from_transport(x):
    if isinstance(x, _NDBox):
        return nd.from_numpy(x.array)
    if isinstance(x, list):
        return [_from_transport(i) for i in x]
    if isinstance(x, tuple) and type(x) is tuple:
        return tuple(_from_transport(i) for i in x)
    if isinstance(x, dict):
        return {k: _from_transport(v) for k, v in x.items()}
    return x


def _as_in_context(data, ctx):
    if isinstance(data, NDArray):
        return data.as_in_context(ctx)
    if isinstance(data, (list, tuple)):
        return [_as_in_context(d, ctx) for d in data]
    return data


# ------------------------------------------------------------------------------------------------------
# worker process side
def _seed_worker(seed):
    _pyrandom.seed(seed)
    np.random.seed(seed % 2 ** 32)
    from ... import random as mx_random
    mx_random.seed(seed)


def _worker_main(conn, payload, seed):
    """Entry point of a worker process: load the dataset, then serve ``(key, indices)`` requests."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)       # Ctrl-C is the main process's business
    try:
        dataset, batchify_fn = pickle.loads(payload)
        del payload
        _seed_worker(seed)
    except BaseException as e:  # noqa: BLE001 - reported to the main process
        _send_error(conn, None, e)
        return
    conn.send(("ready", None, None))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return                                        # the main process went away
        if msg is None:
            return
        key, samples = msg
        try:
            batch = _to_transport(batchify_fn([dataset[i] for i in samples]))
            buf = pickle.dumps(("ok", key, batch), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as e:  # noqa: BLE001 - reported to the main process
            _send_error(conn, key, e)
            continue
        conn.send_bytes(buf)


def _send_error(conn, key, exc):
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        blob = pickle.dumps(exc)
        pickle.loads(blob)
    except Exception:  # noqa: BLE001 - an exception that does not pickle travels as text
        blob = None
    try:
        conn.send(("error", key, (blob, type(exc).__name__, str(exc), tb)))
    except (OSError, EOFError):
        pass


class _RemoteTraceback(Exception):
    def __init__(self, tb):
        super().__init__(tb)
        self.tb = tb

    def __str__(self):
        return "\n\nTraceback in the DataLoader worker:\n" + self.tb


def _raise_remote(payload, where):
    blob, tname, text, tb = payload
    exc = None
    if blob is not None:
        try:
            exc = pickle.loads(blob)
        except Exception:  # noqa: BLE001
            exc = None
    if exc is None:
        exc = DataLoaderWorkerError(f"{where} raised {tname}: {text}")
    raise exc from _RemoteTraceback(tb)


# ------------------------------------------------------------------------------------------------------
# main process side
def _start_method():
    method = os.environ.get("HYBRIDNET_WORKER_START_METHOD")
    available = multiprocessing.get_all_start_methods()
    if method:
        if method not in available:
            raise ValueError(f"HYBRIDNET_WORKER_START_METHOD={method!r} is not available here; choose one of "
                             f"{available}")
        return method
    return "forkserver" if "forkserver" in available else "spawn"


def shm_free_bytes(path=None):
    """Free bytes in ``/dev/shm`` (None when it does not exist). Workers do not need it; reported in errors."""
    try:
        st = os.statvfs(path or SHM_PATH)
    except (OSError, AttributeError):
        return None
    return st.f_bavail * st.f_frsize


def _signal_name(code):
    if code is None or code >= 0:
        return f"exit code {code}"
    try:
        return f"signal {signal.Signals(-code).name}"
    except ValueError:
        return f"signal {-code}"


class _ProcessWorkers:
    """``num_workers`` long-lived worker processes, one duplex pipe each; results routed by key."""

    kind = "process"

    def __init__(self, num_workers, payload, base_seed, startup_timeout):
        ctx = multiprocessing.get_context(_start_method())
        if ctx.get_start_method() == "forkserver":
            ctx.set_forkserver_preload(["hybridnet"])
        self._procs, self._conns = [], []
        self._outstanding = []          # per worker: keys sent and not yet answered, in order
        self._results = {}              # key -> ("ok", batch) | ("error", payload)
        self._abandoned = set()
        self._closed = False
        try:
            for wid in range(num_workers):
                parent, child = ctx.Pipe(duplex=True)
                p = ctx.Process(target=_worker_main, args=(child, payload, base_seed + wid),
                                name=f"hybridnet-DataLoader-worker-{wid}", daemon=True)
                p.start()
                child.close()
                self._procs.append(p)
                self._conns.append(parent)
                self._outstanding.append([])
            self._wait_ready(startup_timeout)
        except BaseException:
            self.close()
            raise

    def _wait_ready(self, timeout):
        pending = set(range(len(self._procs)))
        deadline = time.monotonic() + timeout
        while pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DataLoaderTimeoutError(
                    f"DataLoader worker process(es) {sorted(pending)} did not start within {timeout:.0f} s "
                    "(loading the dataset in the worker). Increase `timeout`, or use thread_pool=True.")
            waitables = {self._conns[w]: w for w in pending}
            waitables.update({self._procs[w].sentinel: w for w in pending})
            for obj in multiprocessing.connection.wait(list(waitables), left):
                w = waitables[obj]
                if w not in pending:
                    continue
                if obj is self._conns[w]:
                    try:
                        status, _, payload = self._conns[w].recv()
                    except (EOFError, OSError):
                        continue                            # died: the sentinel tells
                    if status == "error":
                        _raise_remote(payload, f"DataLoader worker {w} (while loading the dataset)")
                    pending.discard(w)
                else:
                    self._procs[w].join(1)
                    raise DataLoaderWorkerError(
                        f"DataLoader worker process {w} (pid {self._procs[w].pid}) exited with "
                        f"{_signal_name(self._procs[w].exitcode)} while starting, before loading any batch. "
                        "Workers are started with the spawn/forkserver method, which re-imports your main "
                        "script: put the training code under `if __name__ == \"__main__\":`, and make sure the "
                        "dataset and batchify_fn can be unpickled in a fresh process (any error is printed "
                        "above). Or use num_workers=0 / thread_pool=True.")

    def submit(self, key, samples):
        w = min(range(len(self._procs)), key=lambda i: len(self._outstanding[i]))
        try:
            self._conns[w].send((key, samples))
        except (OSError, EOFError):
            pass                                            # dead worker: reported by get()
        self._outstanding[w].append(key)

    def discard(self, keys):
        for k in keys:
            if self._results.pop(k, None) is None:
                self._abandoned.add(k)

    def _receive(self, w):
        try:
            buf = self._conns[w].recv_bytes()
        except (EOFError, OSError):
            return False
        status, key, payload = pickle.loads(buf)
        if key in self._outstanding[w]:
            self._outstanding[w].remove(key)
        if key in self._abandoned:
            self._abandoned.discard(key)
        else:
            self._results[key] = (status, payload)
        return True

    def get(self, key, timeout):
        deadline = time.monotonic() + timeout
        while key not in self._results:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DataLoaderTimeoutError(_timeout_message(timeout, processes=True))
            conns = {c: w for w, c in enumerate(self._conns)}
            sentinels = {p.sentinel: w for w, p in enumerate(self._procs)}
            ready = multiprocessing.connection.wait(list(conns) + list(sentinels), left)
            for obj in ready:
                if obj in conns:
                    self._receive(conns[obj])
            for obj in ready:
                if obj in sentinels:
                    w = sentinels[obj]
                    # drain what it sent before dying
                    while self._conns[w].poll() and self._receive(w):
                        pass
                    if key in self._results:
                        break
                    self._worker_died(w, key)
        status, payload = self._results.pop(key)
        if status == "error":
            _raise_remote(payload, f"DataLoader worker (batch {key[1]})")
        return payload

    def _worker_died(self, w, key):
        p = self._procs[w]
        p.join(1)
        lost = self._outstanding[w]
        shm = shm_free_bytes()
        shm_note = "" if shm is None else f" ({SHM_PATH} has {shm / 2 ** 20:.0f} MiB free)"
        raise DataLoaderWorkerError(
            f"DataLoader worker process {w} (pid {p.pid}) died unexpectedly with {_signal_name(p.exitcode)} "
            f"while loading batch(es) {[k[1] for k in lost] or [key[1]]} of this epoch. Common causes: the "
            "system ran out of memory (the kernel's OOM killer sends SIGKILL), a crash in native code called "
            f"by the dataset or transforms (SIGSEGV), or the process was killed{shm_note}. Run with "
            "num_workers=0 to see the error in the main process, or reduce num_workers / prefetch.")

    def close(self):
        if self._closed:
            return
        self._closed = True
        for c in self._conns:
            try:
                c.send(None)
            except (OSError, EOFError):
                pass
        deadline = time.monotonic() + 1.0
        for p in self._procs:
            p.join(max(0.0, deadline - time.monotonic()))
        for p in self._procs:
            if p.is_alive():
                p.terminate()
                p.join(1)
        for c in self._conns:
            c.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


class _ThreadWorkers:
    """A thread pool sharing the dataset (``thread_pool=True`` or the fallback)."""

    kind = "thread"

    def __init__(self, num_workers, dataset, batchify_fn):
        self._dataset = dataset
        self._batchify_fn = batchify_fn
        from concurrent.futures import ThreadPoolExecutor
        self._pool = ThreadPoolExecutor(num_workers, thread_name_prefix="hybridnet-DataLoader")
        self._futures = {}

    def _work(self, samples):
        return self._batchify_fn([self._dataset[i] for i in samples])

    def submit(self, key, samples):
        self._futures[key] = self._pool.submit(self._work, samples)

    def discard(self, keys):
        for k in keys:
            f = self._futures.pop(k, None)
            if f is not None:
                f.cancel()

    def get(self, key, timeout):
        from concurrent.futures import TimeoutError as _FutureTimeout
        f = self._futures.pop(key)
        try:
            return f.result(timeout)
        except _FutureTimeout:
            raise DataLoaderTimeoutError(_timeout_message(timeout, processes=False)) from None

    def close(self):
        self._pool.shutdown(wait=False, cancel_futures=True)


def _timeout_message(timeout, processes):
    msg = (f"DataLoader worker timed out after {timeout} seconds waiting for a batch. This might be caused by a "
           "slow dataset or transform: increase `timeout` to allow slower data loading in each worker")
    if processes:
        msg += ", or reduce `num_workers` if the machine is overloaded"
    return msg + "."


class _MultiWorkerIter:
    """One pass over the batch sampler with ``prefetch`` batches in flight (MXNet's order of pushes)."""

    _generation = 0

    def __init__(self, loader, prefetch):
        _MultiWorkerIter._generation += 1
        self._gen = _MultiWorkerIter._generation
        self._loader = loader
        self._workers = loader._get_workers()
        self._batch_sampler = loader._batch_sampler
        self._iter = iter(self._batch_sampler)
        self._rcvd_idx = 0
        self._sent_idx = 0
        self._done = False
        for _ in range(prefetch):
            self._push_next()

    def __len__(self):
        return len(self._batch_sampler)

    def _push_next(self):
        r = next(self._iter, None)
        if r is None:
            return
        self._workers.submit((self._gen, self._sent_idx), list(r))
        self._sent_idx += 1

    def __next__(self):
        if self._done:
            raise StopIteration
        self._push_next()
        if self._rcvd_idx == self._sent_idx:
            self._done = True
            raise StopIteration
        key = (self._gen, self._rcvd_idx)
        try:
            batch = self._workers.get(key, self._loader._timeout)
        except (DataLoaderTimeoutError, DataLoaderWorkerError):
            self._done = True
            self._loader._reset_workers()
            raise
        except BaseException:
            self._rcvd_idx += 1
            raise
        self._rcvd_idx += 1
        if self._workers.kind == "process":
            batch = _from_transport(batch)
        if self._loader._pin_memory:
            batch = _as_in_context(batch, cpu_pinned(self._loader._pin_device_id))
        return batch

    next = __next__

    def __iter__(self):
        return self

    def __del__(self):
        try:
            if not self._done and self._rcvd_idx < self._sent_idx:
                self._workers.discard([(self._gen, i) for i in range(self._rcvd_idx, self._sent_idx)])
        except Exception:  # noqa: BLE001
            pass


class DataLoader:
    """Loads data from a dataset and returns mini-batches (MXNet 1.9.1 signature).

    ``batch_size`` with ``shuffle``/``sampler``/``last_batch`` ('keep' default, 'discard', 'rollover'), or a
    ``batch_sampler``; ``batchify_fn`` merges the samples of a batch (default: see the module doc);
    ``num_workers`` processes (or threads with ``thread_pool=True``) prepare ``prefetch`` batches ahead
    (default ``2 * num_workers``); ``pin_memory`` / ``pin_device_id`` move batches to ``cpu_pinned``;
    ``timeout`` seconds per batch; ``auto_reload`` starts prefetching the next epoch as one ends.

    >>> import numpy as np
    >>> from hybridnet.gluon.data import ArrayDataset
    >>> loader = DataLoader(ArrayDataset(np.zeros((10, 3)), np.arange(10)), batch_size=4)
    >>> [(x.shape, x.dtype.name, y.dtype.name) for x, y in loader]
    [((4, 3), 'float64', 'int64'), ((4, 3), 'float64', 'int64'), ((2, 3), 'float64', 'int64')]
    """

    def __init__(self, dataset, batch_size=None, shuffle=False, sampler=None, last_batch=None,
                 batch_sampler=None, batchify_fn=None, num_workers=0, pin_memory=False, pin_device_id=0,
                 prefetch=None, thread_pool=False, timeout=120, auto_reload=False):
        self._dataset = dataset
        self._pin_memory = pin_memory
        self._pin_device_id = pin_device_id
        self._thread_pool = thread_pool
        self._timeout = timeout
        assert timeout > 0, "timeout must be positive, given {}".format(timeout)

        if batch_sampler is None:
            if batch_size is None:
                raise ValueError("batch_size must be specified unless batch_sampler is specified")
            if sampler is None:
                if shuffle:
                    sampler = _sampler.RandomSampler(len(dataset))
                else:
                    sampler = _sampler.SequentialSampler(len(dataset))
            elif shuffle:
                raise ValueError("shuffle must not be specified if sampler is specified")
            last_batch = last_batch if last_batch else "keep"
            _sampler._check_last_batch(last_batch)
            batch_sampler = _sampler.BatchSampler(sampler, batch_size, last_batch)
        elif batch_size is not None or shuffle or sampler is not None or last_batch is not None:
            raise ValueError("batch_size, shuffle, sampler and last_batch must not be specified if "
                             "batch_sampler is specified.")

        self._batch_sampler = batch_sampler
        self._num_workers = num_workers if num_workers >= 0 else 0
        self._prefetch = max(0, int(prefetch) if prefetch is not None else 2 * self._num_workers)
        self._batchify_fn = default_batchify_fn if batchify_fn is None else batchify_fn
        self._workers = None
        self._iter = None
        if self._num_workers > 0:
            self._workers = self._make_workers()
        self.auto_reload = auto_reload
        if self.auto_reload:
            self.refresh()
        else:
            self.clean()

    # ---- workers -----------------------------------------------------------------------------------
    def _make_workers(self):
        if self._thread_pool:
            return _ThreadWorkers(self._num_workers, self._dataset, self._batchify_fn)
        try:
            payload = pickle.dumps((self._dataset, self._batchify_fn), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as e:  # noqa: BLE001 - lambdas, local classes, open handles...
            warnings.warn(
                f"DataLoader(num_workers={self._num_workers}): the dataset or batchify_fn cannot be pickled for "
                f"worker processes ({type(e).__name__}: {e}); using {self._num_workers} threads instead. Define "
                "transforms and batchify functions at module level (not lambdas or nested functions) to use "
                "processes, or pass thread_pool=True to silence this warning.", stacklevel=3)
            return _ThreadWorkers(self._num_workers, self._dataset, self._batchify_fn)
        base_seed = int(np.random.randint(0, 2 ** 31 - 1 - self._num_workers))
        try:
            return _ProcessWorkers(self._num_workers, payload, base_seed, startup_timeout=max(self._timeout, 60))
        except OSError as e:
            shm = shm_free_bytes()
            where = (f"{SHM_PATH} does not exist" if shm is None else f"{SHM_PATH} has {shm / 2 ** 20:.0f} MiB "
                     "free")
            warnings.warn(
                f"DataLoader(num_workers={self._num_workers}): worker processes could not be started "
                f"({type(e).__name__}: {e}; {where}); using threads instead. In a container, raise the shared "
                "memory and process limits (e.g. docker run --shm-size=1g), or pass thread_pool=True.",
                stacklevel=3)
            return _ThreadWorkers(self._num_workers, self._dataset, self._batchify_fn)

    def _get_workers(self):
        if self._workers is None:
            self._workers = self._make_workers()
        return self._workers

    def _reset_workers(self):
        """After a timeout or a dead worker: stop the workers; the next epoch starts fresh ones."""
        w, self._workers = self._workers, None
        if w is not None:
            w.close()

    # ---- iteration (MXNet 1.9.1's structure: a prefetched iterator is consumed once) -----------------
    def __iter__(self):
        if self._iter is None:
            self.refresh()
        t = self._iter
        self._iter = None
        for item in t:
            yield item
        if self._iter is None and self.auto_reload:
            self.refresh()

    def _prefetch_iter(self):
        if self._num_workers == 0:
            def same_process_iter():
                for batch in self._batch_sampler:
                    ret = self._batchify_fn([self._dataset[idx] for idx in batch])
                    if self._pin_memory:
                        ret = _as_in_context(ret, cpu_pinned(self._pin_device_id))
                    yield ret
            return same_process_iter()
        return _MultiWorkerIter(self, self._prefetch)

    def __len__(self):
        return len(self._batch_sampler)

    def refresh(self):
        """Start a new pass (prefetching with workers)."""
        self._iter = self._prefetch_iter()

    def clean(self):
        """Drop the prefetched pass; prefetching starts at the next ``__iter__``."""
        self._iter = None

    def close(self):
        """Stop the worker processes/threads now (they also stop when the loader is garbage-collected)."""
        self._iter = None
        self._reset_workers()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
