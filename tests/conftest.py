"""Test setup. Without a real GPU, GPU kernels run in Numba's CUDA simulator (set before anything
imports numba.cuda), so every commit exercises the GPU code paths at small shapes."""
import os


def _has_real_gpu():
    if os.environ.get("HYBRIDNET_TEST_REAL_GPU") == "1":
        return True
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


# HYBRIDNET_TEST_NO_GPU=1: no simulator either, i.e. the view of a CPU-only user (gpu tests drop out)
if "NUMBA_ENABLE_CUDASIM" not in os.environ and not _has_real_gpu() \
        and os.environ.get("HYBRIDNET_TEST_NO_GPU") != "1":
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import hybridnet as mx  # noqa: E402


def devices():
    devs = [mx.cpu()]
    if mx.num_gpus() > 0:
        devs.append(mx.gpu(0))
    return devs


@pytest.fixture(params=devices(), ids=lambda d: str(d))
def device(request):
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _reset_modes():
    yield
    mx.autograd.set_recording(False)
    mx.autograd.set_training(False)
