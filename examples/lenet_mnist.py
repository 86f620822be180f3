"""LeNet on MNIST, hybridized, with gluon.data (DataLoader + vision.MNIST + transforms).

Run:  python examples/lenet_mnist.py --root DIR [--epochs 5] [--batch-size 64] [--num-workers 0]
      [--ctx cpu|gpu] [--plot lenet_mnist.png]
DIR holds the standard MNIST files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz; gzipped or not). Without them the script says
exactly which files to place where (it downloads them only when the network allows). Typically ~99%.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

import hybridnet as mx  # noqa: E402
from hybridnet import autograd, gluon  # noqa: E402
from hybridnet.gluon import nn  # noqa: E402
from hybridnet.gluon.data.vision import transforms  # noqa: E402


def lenet():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(6, kernel_size=5, activation="relu"), nn.MaxPool2D(2),
                nn.Conv2D(16, kernel_size=5, activation="relu"), nn.MaxPool2D(2),
                nn.Flatten(), nn.Dense(120, activation="relu"), nn.Dense(84, activation="relu"), nn.Dense(10))
    return net


def evaluate(net, loader, ctx):
    metric = mx.metric.Accuracy()
    for x, y in loader:
        metric.update([y.as_in_context(ctx)], [net(x.as_in_context(ctx))])
    return metric.get()[1]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.join("~", ".mxnet", "datasets", "mnist"))
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--num-workers", type=int, default=0)
    ap.add_argument("--ctx", default="cpu", choices=["cpu", "gpu"])
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--plot", default="lenet_mnist.png")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    ctx = mx.gpu(0) if args.ctx == "gpu" else mx.cpu()
    mx.random.seed(0)
    root = os.path.expanduser(args.root)
    try:
        train = gluon.data.vision.MNIST(root, train=True)
        test = gluon.data.vision.MNIST(root, train=False)
    except gluon.data.vision.DatasetFileError as e:
        print(e)
        return None
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.13, 0.31)])
    train_loader = gluon.data.DataLoader(train.transform_first(tf), batch_size=args.batch_size, shuffle=True,
                                         num_workers=args.num_workers, last_batch="discard")
    test_loader = gluon.data.DataLoader(test.transform_first(tf), batch_size=256, num_workers=args.num_workers)
    net = lenet()
    net.initialize(mx.init.Xavier(), ctx=ctx)
    net.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": args.lr, "momentum": 0.9})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    print(f"MNIST: {len(train)} train / {len(test)} test from {root}; LeNet on {ctx}, hybridized")
    hist = {"loss": [], "test acc": []}
    t0, steps = time.perf_counter(), 0
    for epoch in range(1, args.epochs + 1):
        total, n = 0.0, 0
        for x, y in _common.progress(train_loader, total=len(train_loader), desc=f"epoch {epoch}",
                                     enabled=not args.no_progress):
            x, y = x.as_in_context(ctx), y.as_in_context(ctx)
            with autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(x.shape[0])
            total += float(loss.sum().asscalar())
            n += x.shape[0]
            steps += 1
            if args.max_steps and steps >= args.max_steps:
                break
        hist["loss"].append(total / max(n, 1))
        hist["test acc"].append(evaluate(net, test_loader, ctx))
        print(f"epoch {epoch}  loss {hist['loss'][-1]:.4f}  test acc {hist['test acc'][-1]:.4f}  "
              f"({time.perf_counter() - t0:.1f} s)")
        if args.max_steps and steps >= args.max_steps:
            break
    if args.plot:
        _common.plot_curves(hist, args.plot, "LeNet on MNIST")
        print(f"curves written to {args.plot}")
    return hist["test acc"][-1]


if __name__ == "__main__":
    main()
