"""Train a hybridized MLP on scikit-learn's handwritten digits (bundled with scikit-learn: no download),
written as an MXNet Gluon script: `import hybridnet as mx` is the only change.

Run:  python examples/train_digits.py [--epochs 20] [--batch-size 64] [--lr 0.1] [--ctx cpu|gpu] [--no-hybridize]
Prints per-epoch loss, train and test accuracy; the final test accuracy is typically ~98%.
The legacy-API version (nd + autograd, hand-written SGD) is examples/train_digits_nd.py.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import evaluate, load_digits  # noqa: E402

import hybridnet as mx  # noqa: E402
from hybridnet import autograd, gluon, nd  # noqa: E402
from hybridnet.gluon import nn  # noqa: E402


def build_net():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(128, activation="relu"))
        net.add(nn.Dropout(0.1))
        net.add(nn.Dense(10))
    return net


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--ctx", default="cpu", choices=["cpu", "gpu"])
    ap.add_argument("--no-hybridize", action="store_true")
    ap.add_argument("--save", default=None, help="write the trained parameters (.params) and an export here")
    args = ap.parse_args(argv)
    ctx = mx.gpu(0) if args.ctx == "gpu" else mx.cpu()
    mx.random.seed(0)

    xtr, ytr, xte, yte = load_digits()
    net = build_net()
    net.initialize(mx.init.Xavier(magnitude=2.24), ctx=ctx)
    if not args.no_hybridize:
        net.hybridize(static_alloc=True, static_shape=True)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd",
                            {"learning_rate": args.lr, "momentum": args.momentum, "wd": args.wd})
    rng = np.random.default_rng(0)
    n = len(xtr)
    print(f"digits: {n} train / {len(xte)} test samples, MLP 64-128-10 on {ctx}, "
          f"{'eager' if args.no_hybridize else 'hybridized'}")
    t0 = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(n)
        total = 0.0
        for i in range(0, n, args.batch_size):
            idx = order[i:i + args.batch_size]
            xb, yb = nd.array(xtr[idx], ctx=ctx), nd.array(ytr[idx], ctx=ctx)
            with autograd.record():
                loss = loss_fn(net(xb), yb)
            loss.backward()
            trainer.step(len(idx))
            total += float(loss.sum().asscalar())
        if epoch == 1 or epoch % 5 == 0 or epoch == args.epochs:
            print(f"epoch {epoch:3d}  loss {total / n:.4f}  train acc {evaluate(net, xtr, ytr, ctx):.4f}  "
                  f"test acc {evaluate(net, xte, yte, ctx):.4f}  ({time.perf_counter() - t0:.1f} s)")
    acc = evaluate(net, xte, yte, ctx)
    print(f"final test accuracy: {acc:.4f}")
    if args.save:
        net.save_parameters(args.save + ".params")
        net.export(args.save)
        print(f"saved {args.save}.params, {args.save}-symbol.json, {args.save}-0000.params")
    return acc


if __name__ == "__main__":
    main()
