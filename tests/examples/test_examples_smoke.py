"""The README's main job and the examples run (few steps) and learn."""
import runpy
from pathlib import Path

EX = Path(__file__).resolve().parents[2] / "examples"


def test_train_digits_learns():
    mod = runpy.run_path(str(EX / "train_digits.py"), run_name="train_digits")
    acc = mod["main"](["--epochs", "5"])
    assert acc > 0.93, f"digits MLP reached only {acc:.3f} test accuracy after 5 epochs"


def test_train_digits_gluon_eager_and_export(tmp_path):
    mod = runpy.run_path(str(EX / "train_digits.py"), run_name="train_digits")
    acc = mod["main"](["--epochs", "3", "--no-hybridize"])
    assert acc > 0.9
    acc = mod["main"](["--epochs", "3", "--save", str(tmp_path / "digits")])
    assert (tmp_path / "digits-symbol.json").exists() and (tmp_path / "digits.params").exists()


def test_train_digits_nd_learns():
    mod = runpy.run_path(str(EX / "train_digits_nd.py"), run_name="train_digits_nd")
    acc = mod["main"](["--epochs", "5"])
    assert acc > 0.93, f"digits MLP (nd API) reached only {acc:.3f} test accuracy after 5 epochs"


def test_custom_op_example_runs(capsys):
    mod = runpy.run_path(str(EX / "custom_op.py"), run_name="custom_op_smoke")
    mod["main"]()
    assert "d2 swish / dx2" in capsys.readouterr().out


def test_transformer_digits_smoke(tmp_path):
    mod = runpy.run_path(str(EX / "transformer_digits.py"), run_name="transformer_digits")
    acc = mod["main"](["--epochs", "1", "--max-steps", "12", "--no-progress", "--plot", str(tmp_path / "t.png")])
    assert (tmp_path / "t.png").exists()
    assert acc > 0.2          # 12 steps: well above chance (0.1)


def test_lstm_lm_smoke(tmp_path):
    mod = runpy.run_path(str(EX / "lstm_lm.py"), run_name="lstm_lm")
    ppl = mod["main"](["--epochs", "1", "--max-steps", "15", "--hidden", "64", "--no-progress",
                       "--plot", str(tmp_path / "l.png")])
    assert (tmp_path / "l.png").exists()
    vocab = len(mod["load_corpus"]()[2])
    assert ppl < 0.85 * vocab, (ppl, vocab)    # uniform guessing over the vocabulary gives ppl = vocab


def test_cnn_digits_learns(tmp_path):
    mod = runpy.run_path(str(EX / "cnn_digits.py"), run_name="cnn_digits")
    acc = mod["main"](["--epochs", "2", "--no-progress", "--plot", str(tmp_path / "c.png")])
    assert (tmp_path / "c.png").exists()
    assert acc > 0.9, f"CNN reached only {acc:.3f} after 2 epochs"


def _write_idx(path, arr):
    import gzip
    import struct
    import numpy as np
    arr = np.asarray(arr, dtype=np.uint8)
    header = struct.pack(">BBBB", 0, 0, 8, arr.ndim) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.tobytes())


def test_lenet_mnist_on_local_files(tmp_path):
    """LeNet example on tiny MNIST-format files (the real ones are read the same way)."""
    import numpy as np
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 256), ("t10k", 64)):
        y = rng.integers(0, 10, n)
        x = rng.integers(0, 50, (n, 28, 28))
        for k in range(10):
            x[y == k, 2 * k:2 * k + 3, 4:24] = 255          # learnable: a bright band per class
        _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", x)
        _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", y)
    mod = runpy.run_path(str(EX / "lenet_mnist.py"), run_name="lenet_mnist")
    acc = mod["main"](["--root", str(tmp_path), "--epochs", "2", "--batch-size", "32", "--lr", "0.01", "--no-progress",
                       "--plot", str(tmp_path / "l.png")])
    assert (tmp_path / "l.png").exists()
    assert acc > 0.5


def test_lenet_mnist_missing_files_message(tmp_path, capsys, monkeypatch):
    from hybridnet.gluon import utils
    def offline(*a, **k):
        raise utils.DownloadError("offline (test)")
    monkeypatch.setattr(utils, "download", offline)
    mod = runpy.run_path(str(EX / "lenet_mnist.py"), run_name="lenet_mnist")
    assert mod["main"](["--root", str(tmp_path / "none"), "--no-progress"]) is None
    out = capsys.readouterr().out
    assert "train-images-idx3-ubyte.gz" in out and "Place these files there" in out


def test_resnet20_synthetic_smoke(tmp_path, capsys):
    mod = runpy.run_path(str(EX / "resnet20_cifar.py"), run_name="resnet20_cifar")
    mod["main"](["--synthetic", "--epochs", "1", "--max-steps", "3", "--batch-size", "8", "--no-progress",
                 "--plot", str(tmp_path / "r.png")])
    out = capsys.readouterr().out
    assert "SYNTHETIC stand-in" in out and (tmp_path / "r.png").exists()


def test_main_job_runs_as_a_user_runs_it():
    """README's main command in a fresh process without the test suite's CUDA simulator: on a machine
    with no GPU nothing may touch CUDA code (a static hybridized block once imported the CUDA kernels
    on its inference path and raised DeviceError there; the simulator the tests set hid it)."""
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_ENABLE_CUDASIM", "HYBRIDNET_TEST_REAL_GPU")}
    r = subprocess.run([sys.executable, str(EX / "train_digits.py"), "--epochs", "3"], env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "test accuracy" in r.stdout.lower(), r.stdout[-2000:]
