"""DataLoader workers: processes started with forkserver/spawn after a parallel Numba kernel ran (a
forked worker would hang/die in GNU OpenMP), results equal to the single-process loader, a dead worker
and a slow worker raise in the main process (no hang), exceptions carry the worker traceback, and the
thread fallbacks. Few tests start processes: each start costs about a second."""
import multiprocessing
import os
import signal
import time

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import gluon
from hybridnet.gluon.data import dataloader as dl


class SoftmaxDataset(gluon.data.Dataset):
    """Each sample runs a parallel Numba softmax (256x1024 > PARALLEL_MIN_SIZE) inside the worker."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        x = mx.nd.full((256, 1024), float(i)) + mx.nd.arange(1024).reshape((1, 1024)) * 0.001
        return mx.nd.softmax(x)[0, :4].asnumpy().astype(np.float64), i


class Misbehaving(gluon.data.Dataset):
    """Index 5 kills its worker (SIGKILL, as the OOM killer) when ``kill``, 7 raises, 9 sleeps."""

    def __init__(self, kill=False):
        self.kill = kill

    def __len__(self):
        return 12

    def __getitem__(self, i):
        if i == 5 and self.kill:
            os.kill(os.getpid(), signal.SIGKILL)
        if i == 7:
            raise KeyError(f"sample {i} is broken")
        if i == 9:
            time.sleep(30)
        return np.full(2, i, np.int32)


def _serial(ds, **kw):
    return [[a.asnumpy().tolist() for a in b] for b in gluon.data.DataLoader(ds, **kw)]


def test_process_workers_after_parallel_kernel_match_serial_loader():
    y = mx.nd.softmax(mx.nd.random.uniform(shape=(256, 1024)))     # a parallel kernel in the main process
    y.wait_to_read()
    assert dl._start_method() in ("forkserver", "spawn")
    ds = SoftmaxDataset()
    expected = _serial(ds, batch_size=3, last_batch="rollover")
    t0 = time.monotonic()
    loader = gluon.data.DataLoader(ds, batch_size=3, last_batch="rollover", num_workers=2, timeout=60)
    try:
        assert isinstance(loader._workers, dl._ProcessWorkers)
        got = [[a.asnumpy().tolist() for a in b] for b in loader]
        assert got == expected
        # the next epoch reuses the workers and carries the rollover samples, as the serial loader
        epoch2 = [[a.asnumpy().tolist() for a in b] for b in loader]
        exp_loader = gluon.data.DataLoader(ds, batch_size=3, last_batch="rollover")
        list(exp_loader)
        assert epoch2 == [[a.asnumpy().tolist() for a in b] for b in exp_loader]
        # numpy dtypes survive the trip (workers send numpy; NDArrays are rebuilt here)
        x, i = next(iter(loader))
        assert isinstance(x, mx.nd.NDArray) and x.dtype == np.float64 and i.dtype == np.int64
    finally:
        loader.close()
    assert time.monotonic() - t0 < 60


def test_dead_worker_raises_and_exceptions_carry_traceback():
    ds = Misbehaving(kill=True)
    loader = gluon.data.DataLoader(ds, batch_size=1, num_workers=2, timeout=30)
    try:
        it = iter(loader)
        for _ in range(5):
            next(it)
        t0 = time.monotonic()
        with pytest.raises(dl.DataLoaderWorkerError) as e:
            next(it)
        assert time.monotonic() - t0 < 10
        msg = str(e.value)
        assert "died unexpectedly with signal SIGKILL" in msg and "batch(es) [5" in msg and "num_workers=0" in msg
        assert loader._workers is None                       # restarted for the next epoch
        ds.kill = False                                      # fresh workers get the new pickle
        it = iter(loader)
        assert [next(it).asnumpy().tolist() for _ in range(7)][-1] == [[6, 6]]
        with pytest.raises(KeyError, match="sample 7 is broken") as e:
            next(it)
        assert "Traceback in the DataLoader worker" in str(e.value.__cause__)
        assert "raise KeyError" in str(e.value.__cause__)
    finally:
        loader.close()


def test_timeout_raises_and_workers_restart():
    ds = Misbehaving().take(10)
    loader = gluon.data.DataLoader(ds, batch_size=1, sampler=gluon.data.SequentialSampler(2, 8), num_workers=1,
                                   timeout=1, prefetch=0)
    try:
        it = iter(loader)
        assert next(it).asnumpy().tolist() == [[8, 8]]
        t0 = time.monotonic()
        with pytest.raises(dl.DataLoaderTimeoutError, match="timed out after 1 seconds") as e:
            next(it)
        assert isinstance(e.value, multiprocessing.TimeoutError)
        assert time.monotonic() - t0 < 5
        assert loader._workers is None                       # the stuck worker was stopped
    finally:
        loader.close()


def test_thread_pool_and_thread_timeout():
    ds = gluon.data.ArrayDataset(np.arange(20, dtype=np.float32).reshape(10, 2), np.arange(10))
    exp = _serial(ds, batch_size=3)
    loader = gluon.data.DataLoader(ds, batch_size=3, num_workers=2, thread_pool=True)
    assert isinstance(loader._workers, dl._ThreadWorkers)
    assert [[a.asnumpy().tolist() for a in b] for b in loader] == exp
    assert [[a.asnumpy().tolist() for a in b] for b in loader] == exp
    slow = gluon.data.SimpleDataset(list(range(4))).transform(lambda x: time.sleep(3 if x == 2 else 0) or x)
    loader = gluon.data.DataLoader(slow, batch_size=1, num_workers=1, thread_pool=True, timeout=0.5)
    it = iter(loader)
    next(it), next(it)
    with pytest.raises(dl.DataLoaderTimeoutError):
        next(it)


def test_unpicklable_dataset_falls_back_to_threads():
    ds = gluon.data.SimpleDataset(list(range(5))).transform(lambda x: x * 2)     # a lambda: no pickling
    with pytest.warns(UserWarning, match="cannot be pickled .* using 2 threads"):
        loader = gluon.data.DataLoader(ds, batch_size=2, num_workers=2)
    assert isinstance(loader._workers, dl._ThreadWorkers)
    assert [b.asnumpy().tolist() for b in loader] == [[0, 2], [4, 6], [8]]


def test_process_start_failure_falls_back_to_threads(monkeypatch):
    """A container whose /dev/shm or process limits stop worker processes: warn, use threads."""
    def no_start(self):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(dl, "_start_method", lambda: "spawn")
    monkeypatch.setattr(multiprocessing.get_context("spawn").Process, "start", no_start)
    ds = gluon.data.ArrayDataset(np.arange(6), np.arange(6) * 2)
    with pytest.warns(UserWarning, match=r"could not be started \(OSError.*No space left on device.*/dev/shm"):
        loader = gluon.data.DataLoader(ds, batch_size=4, num_workers=2)
    assert isinstance(loader._workers, dl._ThreadWorkers)
    assert [[a.asnumpy().tolist() for a in b] for b in loader] == [[[0, 1, 2, 3], [0, 2, 4, 6]], [[4, 5], [8, 10]]]


def test_shm_detection(tmp_path):
    assert dl.shm_free_bytes(str(tmp_path)) > 0
    assert dl.shm_free_bytes(str(tmp_path / "absent")) is None
