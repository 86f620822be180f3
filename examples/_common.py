"""Helpers shared by the examples: progress bars (tqdm), a loss/accuracy PNG (matplotlib), the
scikit-learn digits split, and a training loop for classifiers. Not part of the library."""
import os
import time

import numpy as np


def progress(iterable, total=None, desc=None, enabled=True):
    """tqdm progress bar when tqdm is installed and enabled, else the plain iterable."""
    if enabled:
        try:
            from tqdm import tqdm
            return tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True)
        except ImportError:
            pass
    return iterable


def plot_curves(history, path, title=""):
    """Write a PNG with one panel per metric in ``history`` ({name: [values per epoch]})."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"(matplotlib not installed: no plot written to {path})")
        return None
    names = [k for k, v in history.items() if v]
    fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.2), squeeze=False)
    for ax, name in zip(axes[0], names):
        ax.plot(range(1, len(history[name]) + 1), history[name], marker="o", ms=3)
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def load_digits(seed=0, images=False):
    """scikit-learn's bundled 8x8 digits (no download): (xtr, ytr, xte, yte); images=True gives
    (N, 1, 8, 8) arrays, else (N, 64)."""
    from sklearn.datasets import load_digits as _load
    d = _load()
    x = (d.data / 16.0).astype(np.float32)
    if images:
        x = x.reshape(-1, 1, 8, 8)
    y = d.target.astype(np.float32)
    idx = np.random.default_rng(seed).permutation(len(x))
    n_test = len(x) // 5
    te, tr = idx[:n_test], idx[n_test:]
    return x[tr], y[tr], x[te], y[te]


def evaluate(net, x, y, ctx, batch_size=256):
    import hybridnet as mx
    from hybridnet import nd
    metric = mx.metric.Accuracy()
    for i in range(0, len(x), batch_size):
        out = net(nd.array(x[i:i + batch_size], ctx=ctx))
        metric.update([nd.array(y[i:i + batch_size], ctx=ctx)], [out])
    return metric.get()[1]


def train_classifier(net, trainer, loss_fn, data, ctx, epochs, batch_size, max_steps=None, show_progress=True,
                     log_every=1):
    """Standard Gluon loop; returns the history {'loss', 'train acc', 'test acc'}."""
    from hybridnet import autograd, nd
    xtr, ytr, xte, yte = data
    rng = np.random.default_rng(0)
    history = {"loss": [], "train acc": [], "test acc": []}
    t0 = time.perf_counter()
    steps = 0
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(xtr))
        total, seen = 0.0, 0
        batches = range(0, len(xtr), batch_size)
        for i in progress(batches, total=len(batches), desc=f"epoch {epoch}", enabled=show_progress):
            idx = order[i:i + batch_size]
            xb, yb = nd.array(xtr[idx], ctx=ctx), nd.array(ytr[idx], ctx=ctx)
            with autograd.record():
                loss = loss_fn(net(xb), yb)
            loss.backward()
            trainer.step(len(idx))
            total += float(loss.sum().asscalar())
            seen += len(idx)
            steps += 1
            if max_steps and steps >= max_steps:
                break
        history["loss"].append(total / max(seen, 1))
        history["train acc"].append(evaluate(net, xtr, ytr, ctx))
        history["test acc"].append(evaluate(net, xte, yte, ctx))
        if epoch == 1 or epoch % log_every == 0 or epoch == epochs:
            print(f"epoch {epoch:3d}  loss {history['loss'][-1]:.4f}  train acc {history['train acc'][-1]:.4f}  "
                  f"test acc {history['test acc'][-1]:.4f}  ({time.perf_counter() - t0:.1f} s)")
        if max_steps and steps >= max_steps:
            break
    return history
