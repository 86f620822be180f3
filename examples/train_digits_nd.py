"""Train a 2-layer MLP on scikit-learn's handwritten digits (bundled with scikit-learn: no download),
written with `hybridnet.nd` + `hybridnet.autograd` exactly as one would with MXNet's legacy API.

Run:  python examples/train_digits_nd.py [--epochs 30] [--batch-size 64] [--lr 0.1] [--ctx cpu|gpu]
Prints per-epoch loss and accuracy; the final test accuracy is typically ~97%.
"""
import argparse
import time

import numpy as np

import hybridnet as mx
from hybridnet import autograd, nd


def load_digits(seed=0):
    from sklearn.datasets import load_digits as _load
    d = _load()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.float32)
    idx = np.random.default_rng(seed).permutation(len(x))
    n_test = len(x) // 5
    te, tr = idx[:n_test], idx[n_test:]
    return x[tr], y[tr], x[te], y[te]


def init_params(ctx, n_in=64, n_hidden=128, n_out=10, seed=0):
    mx.random.seed(seed)
    scale1, scale2 = np.sqrt(2.0 / n_in), np.sqrt(2.0 / n_hidden)
    params = {"w1": nd.random.normal(0, scale1, shape=(n_in, n_hidden), ctx=ctx), "b1": nd.zeros(n_hidden, ctx=ctx),
              "w2": nd.random.normal(0, scale2, shape=(n_hidden, n_out), ctx=ctx), "b2": nd.zeros(n_out, ctx=ctx)}
    for p in params.values():
        p.attach_grad()
    return params


def forward(params, x):
    h = nd.relu(nd.dot(x, params["w1"]) + params["b1"])
    return nd.dot(h, params["w2"]) + params["b2"]


def cross_entropy(logits, labels):
    return -nd.pick(nd.log_softmax(logits, axis=-1), labels, axis=-1)


def accuracy(params, x, y):
    pred = nd.argmax(forward(params, x), axis=1)
    return float((pred == y).mean().asscalar())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--ctx", default="cpu", choices=["cpu", "gpu"])
    args = ap.parse_args(argv)
    ctx = mx.gpu(0) if args.ctx == "gpu" else mx.cpu()

    xtr, ytr, xte, yte = load_digits()
    xtr_nd, ytr_nd = nd.array(xtr, ctx=ctx), nd.array(ytr, ctx=ctx)
    xte_nd, yte_nd = nd.array(xte, ctx=ctx), nd.array(yte, ctx=ctx)
    params = init_params(ctx)
    velocity = {k: nd.zeros(p.shape, ctx=ctx) for k, p in params.items()}
    rng = np.random.default_rng(0)
    n = len(xtr)
    print(f"digits: {n} train / {len(xte)} test samples, MLP 64-128-10 on {ctx}")
    t0 = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(n)
        total = 0.0
        for i in range(0, n, args.batch_size):
            idx = order[i:i + args.batch_size]
            xb = nd.array(xtr[idx], ctx=ctx)
            yb = nd.array(ytr[idx], ctx=ctx)
            with autograd.record():
                loss = cross_entropy(forward(params, xb), yb)
            loss.backward()
            bs = len(idx)
            for k, p in params.items():     # SGD with momentum and weight decay (MXNet's sgd update)
                g = p.grad / bs + args.wd * p
                velocity[k][:] = args.momentum * velocity[k] - args.lr * g
                p[:] = p + velocity[k]
            total += float(loss.sum().asscalar())
        if epoch == 1 or epoch % 5 == 0 or epoch == args.epochs:
            print(f"epoch {epoch:3d}  loss {total / n:.4f}  train acc {accuracy(params, xtr_nd, ytr_nd):.4f}  "
                  f"test acc {accuracy(params, xte_nd, yte_nd):.4f}  ({time.perf_counter() - t0:.1f} s)")
    acc = accuracy(params, xte_nd, yte_nd)
    print(f"final test accuracy: {acc:.4f}")
    return acc


if __name__ == "__main__":
    main()
