"""ResNet-20 (He et al. 2016, CIFAR variant) trained hybridized on CIFAR-10.

Run:  python examples/resnet20_cifar.py [--root DIR] [--epochs 10] [--batch-size 32] [--ctx cpu|gpu]
      [--plot resnet20_cifar.png]
DIR holds CIFAR-10's binary batches (data_batch_1.bin ... data_batch_5.bin, test_batch.bin, directly or
in cifar-10-batches-bin/). When they are absent, the script trains on a SYNTHETIC STAND-IN (random
32x32 images whose class is encoded by a colour/position pattern) and says so in every line it prints:
it shows the pipeline and speed, not CIFAR accuracy.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

import hybridnet as mx  # noqa: E402
from hybridnet import gluon  # noqa: E402
from hybridnet.gluon import nn  # noqa: E402


class BasicBlock(gluon.HybridBlock):
    def __init__(self, channels, stride, downsample=False, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = nn.HybridSequential(prefix="")
            self.body.add(nn.Conv2D(channels, 3, stride, 1, use_bias=False), nn.BatchNorm(), nn.Activation("relu"),
                          nn.Conv2D(channels, 3, 1, 1, use_bias=False), nn.BatchNorm())
            self.downsample = None
            if downsample:
                self.downsample = nn.HybridSequential(prefix="")
                self.downsample.add(nn.Conv2D(channels, 1, stride, use_bias=False), nn.BatchNorm())

    def hybrid_forward(self, F, x):
        residual = self.downsample(x) if self.downsample is not None else x
        return F.Activation(self.body(x) + residual, act_type="relu")


def resnet20(classes=10):
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(16, 3, 1, 1, use_bias=False), nn.BatchNorm(), nn.Activation("relu"))
        in_ch = 16
        for stage, ch in enumerate((16, 32, 64)):
            for i in range(3):
                stride = 2 if (i == 0 and stage > 0) else 1
                net.add(BasicBlock(ch, stride, downsample=(ch != in_ch)))
                in_ch = ch
        net.add(nn.GlobalAvgPool2D(), nn.Flatten(), nn.Dense(classes))
    return net


def synthetic_cifar(n_train=2048, n_test=512, seed=0):
    rng = np.random.default_rng(seed)

    def make(n):
        y = rng.integers(0, 10, n)
        x = rng.normal(0, 1, (n, 3, 32, 32)).astype(np.float32) * 0.5
        for k in range(10):
            m = y == k
            x[m, k % 3, (k * 3) % 28:(k * 3) % 28 + 4, :] += 1.5     # class = channel + row band
        return x, y.astype(np.float32)
    return (*make(n_train), *make(n_test))


def load_cifar(root):
    tr = gluon.data.vision.CIFAR10(root, train=True)
    te = gluon.data.vision.CIFAR10(root, train=False)
    mean = np.array([0.4914, 0.4822, 0.4465], np.float32)[:, None, None]
    std = np.array([0.2470, 0.2435, 0.2616], np.float32)[:, None, None]

    def arr(ds):
        x = ds._data.asnumpy() if hasattr(ds._data, "asnumpy") else np.asarray(ds._data)
        x = (x.astype(np.float32) / 255.0).transpose(0, 3, 1, 2)
        return (x - mean) / std, np.asarray(ds._label, dtype=np.float32)
    return (*arr(tr), *arr(te))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.join("~", ".mxnet", "datasets", "cifar10"))
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--ctx", default="cpu", choices=["cpu", "gpu"])
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--synthetic", action="store_true", help="use the synthetic stand-in even if files exist")
    ap.add_argument("--plot", default="resnet20_cifar.png")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    ctx = mx.gpu(0) if args.ctx == "gpu" else mx.cpu()
    mx.random.seed(0)
    label = "CIFAR-10"
    data = None
    if not args.synthetic:
        try:
            data = load_cifar(os.path.expanduser(args.root))
        except gluon.data.vision.DatasetFileError as e:
            print(f"{str(e).splitlines()[0]}\n-> using the SYNTHETIC STAND-IN (not CIFAR-10)")
    if data is None:
        data, label = synthetic_cifar(), "SYNTHETIC stand-in"
    net = resnet20()
    net.initialize(mx.init.Xavier(magnitude=2), ctx=ctx)
    net.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": args.lr, "momentum": 0.9, "wd": 1e-4})
    print(f"[{label}] {len(data[0])} train / {len(data[2])} test images; ResNet-20 on {ctx}, hybridized")
    t0 = time.perf_counter()
    hist = _common.train_classifier(net, trainer, gluon.loss.SoftmaxCrossEntropyLoss(), data, ctx, args.epochs,
                                    args.batch_size, max_steps=args.max_steps, show_progress=not args.no_progress)
    print(f"[{label}] {time.perf_counter() - t0:.1f} s")
    if args.plot:
        _common.plot_curves(hist, args.plot, f"ResNet-20 ({label})")
        print(f"curves written to {args.plot}")
    return hist["test acc"][-1]


if __name__ == "__main__":
    main()
