"""A small pre-LN transformer encoder, hybridized, classifying scikit-learn's 8x8 digits read as a
sequence of 8 rows (8 pixels each). No download.

Run:  python examples/transformer_digits.py [--epochs 20] [--d-model 64] [--heads 4] [--layers 2]
      [--ctx cpu|gpu] [--plot transformer_digits.png]
The encoder layer (multi-head self-attention + FFN, LayerNorm before each, residuals, dropout) is
written once as a HybridBlock with F.* ops and works eagerly and hybridized. Typically ~96-97% test
accuracy.
"""
import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

import hybridnet as mx  # noqa: E402
from hybridnet import gluon  # noqa: E402
from hybridnet.gluon import nn  # noqa: E402


class MultiHeadAttention(gluon.HybridBlock):
    def __init__(self, d_model, heads, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        assert d_model % heads == 0
        self._heads, self._d = heads, d_model
        with self.name_scope():
            self.qkv = nn.Dense(3 * d_model, flatten=False)
            self.proj = nn.Dense(d_model, flatten=False)
            self.drop = nn.Dropout(dropout)

    def hybrid_forward(self, F, x):                         # x: (N, T, D)
        N, T, D = x.shape
        H, dh = self._heads, D // self._heads
        qkv = self.qkv(x).reshape((N, T, 3, H, dh)).transpose((2, 0, 3, 1, 4))   # (3, N, H, T, dh)
        q, k, v = [qkv[i].reshape((N * H, T, dh)) for i in range(3)]
        att = F.softmax(F.batch_dot(q, k, transpose_b=True) / math.sqrt(dh), axis=-1)
        out = F.batch_dot(self.drop(att), v).reshape((N, H, T, dh)).transpose((0, 2, 1, 3))
        return self.proj(out.reshape((N, T, D)))


class EncoderLayer(gluon.HybridBlock):
    """Pre-LN: x + Attn(LN(x)); x + FFN(LN(x))."""

    def __init__(self, d_model, heads, d_ff, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.ln1 = nn.LayerNorm()
            self.attn = MultiHeadAttention(d_model, heads, dropout)
            self.ln2 = nn.LayerNorm()
            self.ff1 = nn.Dense(d_ff, activation="relu", flatten=False)
            self.ff2 = nn.Dense(d_model, flatten=False)
            self.drop = nn.Dropout(dropout)

    def hybrid_forward(self, F, x):
        x = x + self.drop(self.attn(self.ln1(x)))
        return x + self.drop(self.ff2(self.ff1(self.ln2(x))))


class DigitsTransformer(gluon.HybridBlock):
    def __init__(self, d_model=64, heads=4, layers=2, d_ff=128, seq_len=8, classes=10, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.embed = nn.Dense(d_model, flatten=False)
            self.pos = self.params.get("pos", shape=(1, seq_len, d_model), init=mx.init.Normal(0.02))
            self.encoder = nn.HybridSequential()
            for _ in range(layers):
                self.encoder.add(EncoderLayer(d_model, heads, d_ff))
            self.ln = nn.LayerNorm()
            self.head = nn.Dense(classes)

    def hybrid_forward(self, F, x, pos):                     # x: (N, 1, 8, 8) -> rows as tokens
        h = F.broadcast_add(self.embed(x.reshape((0, 8, 8))), pos)
        h = self.ln(self.encoder(h))
        return self.head(h.mean(axis=1))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--d-model", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--ctx", default="cpu", choices=["cpu", "gpu"])
    ap.add_argument("--no-hybridize", action="store_true")
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--plot", default="transformer_digits.png")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    ctx = mx.gpu(0) if args.ctx == "gpu" else mx.cpu()
    mx.random.seed(0)
    data = _common.load_digits(images=True)
    net = DigitsTransformer(args.d_model, args.heads, args.layers, 2 * args.d_model)
    net.initialize(mx.init.Xavier(), ctx=ctx)
    if not args.no_hybridize:
        net.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": args.lr})
    print(f"digits as 8 tokens of 8 pixels: transformer d={args.d_model} heads={args.heads} "
          f"layers={args.layers} on {ctx}, {'eager' if args.no_hybridize else 'hybridized'}")
    hist = _common.train_classifier(net, trainer, gluon.loss.SoftmaxCrossEntropyLoss(), data, ctx, args.epochs,
                                    args.batch_size, max_steps=args.max_steps, show_progress=not args.no_progress,
                                    log_every=5)
    if args.plot:
        _common.plot_curves(hist, args.plot, "transformer on digits")
        print(f"curves written to {args.plot}")
    acc = hist["test acc"][-1]
    print(f"final test accuracy: {acc:.4f}")
    return acc


if __name__ == "__main__":
    main()
