"""A hybridized CNN on scikit-learn's bundled 8x8 handwritten digits (no download).

Run:  python examples/cnn_digits.py [--epochs 15] [--batch-size 64] [--lr 0.05] [--ctx cpu|gpu]
      [--no-hybridize] [--plot cnn_digits.png]
Conv2D(16,3)+BatchNorm+relu -> Conv2D(32,3)+relu -> MaxPool2D -> Dense(64) -> Dropout -> Dense(10);
typically ~98% test accuracy. Writes a PNG of the loss/accuracy curves (--plot).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

import hybridnet as mx  # noqa: E402
from hybridnet import gluon  # noqa: E402
from hybridnet.gluon import nn  # noqa: E402


def build_net():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(16, kernel_size=3, padding=1), nn.BatchNorm(), nn.Activation("relu"),
                nn.Conv2D(32, kernel_size=3, padding=1, activation="relu"),
                nn.MaxPool2D(pool_size=2),
                nn.Flatten(), nn.Dense(64, activation="relu"), nn.Dropout(0.2), nn.Dense(10))
    return net


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--ctx", default="cpu", choices=["cpu", "gpu"])
    ap.add_argument("--no-hybridize", action="store_true")
    ap.add_argument("--max-steps", type=int, default=None, help="stop early (smoke tests)")
    ap.add_argument("--plot", default="cnn_digits.png", help="PNG of the curves ('' for none)")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    ctx = mx.gpu(0) if args.ctx == "gpu" else mx.cpu()
    mx.random.seed(0)
    data = _common.load_digits(images=True)
    net = build_net()
    net.initialize(mx.init.Xavier(magnitude=2.24), ctx=ctx)
    if not args.no_hybridize:
        net.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": args.lr, "momentum": 0.9, "wd": 1e-4})
    print(f"digits 8x8: {len(data[0])} train / {len(data[2])} test, CNN on {ctx}, "
          f"{'eager' if args.no_hybridize else 'hybridized'}")
    hist = _common.train_classifier(net, trainer, gluon.loss.SoftmaxCrossEntropyLoss(), data, ctx, args.epochs,
                                    args.batch_size, max_steps=args.max_steps, show_progress=not args.no_progress,
                                    log_every=5)
    if args.plot:
        _common.plot_curves(hist, args.plot, "CNN on digits")
        print(f"curves written to {args.plot}")
    acc = hist["test acc"][-1]
    print(f"final test accuracy: {acc:.4f}")
    return acc


if __name__ == "__main__":
    main()
