"""A word-level 2-layer LSTM language model (hybridized) trained on a local text file.

Run:  python examples/lstm_lm.py [--text FILE] [--epochs 5] [--hidden 200] [--bptt 35] [--batch-size 20]
      [--ctx cpu|gpu] [--plot lstm_lm.png]
With no --text it reads this repository's own Markdown documents (README.md, ARCHITECTURE.md,
BENCHMARKS.md): real English-and-code text that needs no download. Prints perplexity per epoch on a
held-out tail of the text (truncated BPTT with detached states, gradient clipping, SGD).
"""
import argparse
import math
import os
import re
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

import hybridnet as mx  # noqa: E402
from hybridnet import autograd, gluon, nd  # noqa: E402
from hybridnet.gluon import nn, rnn  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_corpus(path=None, max_vocab=5000):
    files = [path] if path else [os.path.join(ROOT, f) for f in ("README.md", "ARCHITECTURE.md", "BENCHMARKS.md")]
    text = "\n".join(open(f, encoding="utf-8", errors="replace").read() for f in files if os.path.exists(f))
    if not text.strip():
        raise FileNotFoundError(f"no text found in {files}; pass --text FILE")
    tokens = re.findall(r"[A-Za-z]+|[0-9]+|[^\sA-Za-z0-9]", text.lower()) + ["<eos>"]
    counts = {}
    for t in tokens:
        counts[t] = counts.get(t, 0) + 1
    vocab = ["<unk>"] + [w for w, _ in sorted(counts.items(), key=lambda kv: -kv[1])[:max_vocab - 1]]
    index = {w: i for i, w in enumerate(vocab)}
    ids = np.array([index.get(t, 0) for t in tokens], dtype=np.float32)
    n_val = len(ids) // 10
    return ids[:-n_val], ids[-n_val:], vocab


def batchify(ids, batch_size):
    n = len(ids) // batch_size
    return ids[:n * batch_size].reshape(batch_size, n).T          # (T, N): layout TNC


class RNNModel(gluon.HybridBlock):
    def __init__(self, vocab_size, embed=200, hidden=200, layers=2, dropout=0.2, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.drop = nn.Dropout(dropout)
            self.encoder = nn.Embedding(vocab_size, embed)
            self.rnn = rnn.LSTM(hidden, num_layers=layers, dropout=dropout, input_size=embed)
            self.decoder = nn.Dense(vocab_size, in_units=hidden, flatten=False)
        self.hidden = hidden

    def hybrid_forward(self, F, x, h, c):
        out, (h, c) = self.rnn(self.drop(self.encoder(x)), [h, c])
        return self.decoder(self.drop(out)), h, c

    def begin_state(self, batch_size, ctx):
        return self.rnn.begin_state(batch_size, ctx=ctx)


def evaluate(model, data, bptt, ctx):
    h, c = model.begin_state(data.shape[1], ctx)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    total, n = 0.0, 0
    for i in range(0, data.shape[0] - 1, bptt):
        seq = min(bptt, data.shape[0] - 1 - i)
        x = nd.array(data[i:i + seq], ctx=ctx)
        y = nd.array(data[i + 1:i + 1 + seq], ctx=ctx)
        out, h, c = model(x, h, c)
        total += float(loss_fn(out.reshape((-1, out.shape[-1])), y.reshape((-1,))).sum().asscalar())
        n += y.size
    return total / max(n, 1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--text", default=None)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--hidden", type=int, default=200)
    ap.add_argument("--bptt", type=int, default=35)
    ap.add_argument("--batch-size", type=int, default=20)
    ap.add_argument("--lr", type=float, default=1.0)
    ap.add_argument("--clip", type=float, default=0.25)
    ap.add_argument("--ctx", default="cpu", choices=["cpu", "gpu"])
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--plot", default="lstm_lm.png")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    ctx = mx.gpu(0) if args.ctx == "gpu" else mx.cpu()
    mx.random.seed(0)
    train_ids, val_ids, vocab = load_corpus(args.text)
    train, val = batchify(train_ids, args.batch_size), batchify(val_ids, args.batch_size)
    model = RNNModel(len(vocab), args.hidden, args.hidden)
    model.initialize(mx.init.Xavier(), ctx=ctx)
    model.hybridize(static_alloc=True)
    params = model.collect_params()
    trainer = gluon.Trainer(params, "sgd", {"learning_rate": args.lr})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    print(f"corpus: {len(train_ids)} train / {len(val_ids)} validation tokens, vocab {len(vocab)}; "
          f"2-layer LSTM {args.hidden} on {ctx}, hybridized")
    hist = {"train ppl": [], "val ppl": []}
    t0 = time.perf_counter()
    steps = 0
    for epoch in range(1, args.epochs + 1):
        h, c = model.begin_state(args.batch_size, ctx)
        total, n = 0.0, 0
        starts = range(0, train.shape[0] - 1, args.bptt)
        for i in _common.progress(starts, total=len(starts), desc=f"epoch {epoch}", enabled=not args.no_progress):
            seq = min(args.bptt, train.shape[0] - 1 - i)
            x = nd.array(train[i:i + seq], ctx=ctx)
            y = nd.array(train[i + 1:i + 1 + seq], ctx=ctx)
            h, c = h.detach(), c.detach()
            with autograd.record():
                out, h, c = model(x, h, c)
                loss = loss_fn(out.reshape((-1, out.shape[-1])), y.reshape((-1,)))   # (T*N,) per-token losses
            loss.backward()
            grads = [p.grad(ctx) for p in params.values() if p.grad_req != "null"]
            gluon.utils.clip_global_norm(grads, args.clip * seq * args.batch_size)
            trainer.step(seq * args.batch_size)
            total += float(loss.sum().asscalar())
            n += y.size
            steps += 1
            if args.max_steps and steps >= args.max_steps:
                break
        hist["train ppl"].append(math.exp(min(total / n, 50)))
        hist["val ppl"].append(math.exp(min(evaluate(model, val, args.bptt, ctx), 50)))
        print(f"epoch {epoch:3d}  train ppl {hist['train ppl'][-1]:8.1f}  val ppl {hist['val ppl'][-1]:8.1f}  "
              f"({time.perf_counter() - t0:.1f} s)")
        if args.max_steps and steps >= args.max_steps:
            break
    if args.plot:
        _common.plot_curves(hist, args.plot, "LSTM language model")
        print(f"curves written to {args.plot}")
    return hist["val ppl"][-1]


if __name__ == "__main__":
    main()
