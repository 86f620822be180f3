"""Contrib optimizers (``mx.optimizer.contrib``): ``GroupAdaGrad`` (MXNet 1.9.1, dense path)."""
from .optimizer import Optimizer, register

__all__ = ["GroupAdaGrad"]


@register
class GroupAdaGrad(Optimizer):
    """AdaGrad with one learning rate per row of a 2-D weight: ``history += mean(g^2, axis=1)``;
    ``w -= lr*g/sqrt(history + eps)`` (g rescaled and clipped). Weight decay is not supported."""

    def __init__(self, eps=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        if len(weight.shape) != 2:
            raise ValueError(f"GroupAdaGrad needs 2-D weights, got shape {weight.shape}")
        from .. import nd
        return nd.zeros((weight.shape[0], 1), ctx=weight.context)

    def update(self, index, weight, grad, state):
        from .. import nd
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        if wd != 0:
            raise ValueError('Weight decay is not supported for GroupAdaGrad')
        grad = grad * self.rescale_grad
        if self.clip_gradient is not None:
            grad = nd.clip(grad, -self.clip_gradient, self.clip_gradient)
        state[:] += nd.mean(nd.square(grad), axis=1, keepdims=True)
        div = lr * grad / nd.sqrt(state + self.float_stable_eps)
        weight[:] -= div
