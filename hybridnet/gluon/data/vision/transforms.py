"""Image transforms (MXNet 1.9.1 ``gluon.data.vision.transforms``).

Each transform is a Block taking an image as an NDArray or NumPy array (HxWxC, or NxHxWxC where MXNet
allows a batch) and returning an NDArray. The arithmetic is MXNet's image operators' (float32 math,
results cast back to the input dtype; uint8 results are clamped to [0, 255] and truncated, as MXNet's
``saturate_cast``); resizing goes through Pillow (see ``_image.py`` for how it differs from OpenCV).

Differences from MXNet, on purpose:

* The transforms subclass ``HybridBlock`` where MXNet's do (so ``Compose`` groups and prints them as
  MXNet does), but they always run eagerly on the CPU in NumPy: ``hybridize()`` is accepted and ignored
  (they are data-pipeline code, run per sample, usually in DataLoader workers).
* Random draws come from NumPy's global generator (``np.random.seed``), which each DataLoader worker seeds
  differently; MXNet's random image operators drew from ``mx.random``.
"""
import numbers
import random

import numpy as np

from .... import nd
from ....nd.ndarray import NDArray
from ...block import Block, HybridBlock
from ...nn import HybridSequential, Sequential
from . import _image

__all__ = ["Compose", "Cast", "ToTensor", "Normalize", "Resize", "CenterCrop", "RandomResizedCrop",
           "CropResize", "RandomFlipLeftRight", "RandomFlipTopBottom", "RandomBrightness", "RandomContrast",
           "RandomSaturation", "RandomHue", "RandomColorJitter", "RandomLighting", "RandomApply"]

_GRAY = np.array([0.299, 0.587, 0.114], np.float32)
_EIG = np.array([[55.46 * -0.5675, 4.794 * 0.7192, 1.148 * 0.4009],
                 [55.46 * -0.5808, 4.794 * -0.0045, 1.148 * -0.8140],
                 [55.46 * -0.5836, 4.794 * -0.6948, 1.148 * 0.4203]], np.float32)


# ------------------------------------------------------------------------------------------------------
# helpers
def _np(x):
    return _image.as_numpy(x)


def _out(a, dtype=None):
    a = np.ascontiguousarray(a)
    return nd.array(a, dtype=a.dtype if dtype is None else dtype)


def _saturate(val, dtype):
    """MXNet's ``saturate_cast`` from float32: uint8 clamps to [0, 255] then truncates; others just cast."""
    if dtype == np.uint8:
        return np.clip(val, 0.0, 255.0).astype(np.uint8)
    return val.astype(dtype)


def _check_image(x, name, allow_batch=False):
    if x.ndim == 3 or (allow_batch and x.ndim == 4):
        return
    want = "(H, W, C) or (N, H, W, C)" if allow_batch else "(H, W, C)"
    raise ValueError(f"{name}: input image must have shape {want}, but got shape {x.shape}")


def _check_channels(x, name):
    if x.shape[-1] not in (1, 3):
        raise ValueError(f"{name}: the last dimension of the input image must be the channel dimension with "
                         f"either 1 or 3 elements, but got input with shape {x.shape}")


def _uniform(lo, hi):
    return np.float32(np.random.uniform(lo, hi))


def adjust_brightness(x, alpha):
    return _saturate(x.astype(np.float32) * np.float32(alpha), x.dtype)


def adjust_contrast(x, alpha):
    xf = x.astype(np.float32)
    if x.shape[2] > 1:
        gray_mean = np.float32((xf[:, :, :3] * _GRAY).sum(dtype=np.float32) / np.float32(x.shape[0] * x.shape[1]))
    else:
        gray_mean = np.float32(xf.sum(dtype=np.float32) / np.float32(x.shape[0] * x.shape[1]))
    beta = (np.float32(1) - np.float32(alpha)) * gray_mean
    return _saturate(xf * np.float32(alpha) + beta, x.dtype)


def adjust_saturation(x, alpha):
    if x.shape[2] == 1:
        return x.copy()
    xf = x.astype(np.float32)
    gray = (xf[:, :, :3] * _GRAY).sum(axis=2, keepdims=True, dtype=np.float32) * (np.float32(1) - np.float32(alpha))
    return _saturate(gray + xf * np.float32(alpha), x.dtype)


def _rgb_to_hls(r, g, b):
    r, g, b = r / np.float32(255), g / np.float32(255), b / np.float32(255)
    vmax = np.maximum(np.maximum(r, g), b)
    vmin = np.minimum(np.minimum(r, g), b)
    diff = vmax - vmin
    l = (vmax + vmin) * np.float32(0.5)
    nz = diff > np.finfo(np.float32).eps
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(l < 0.5, diff / (vmax + vmin), diff / (np.float32(2) - vmax - vmin))
        d = np.float32(60) / diff
        h = np.where(vmax == r, (g - b) * d,
                     np.where(vmax == g, (b - r) * d + np.float32(120), (r - g) * d + np.float32(240)))
    h = np.where(h < 0, h + np.float32(360), h)
    return np.where(nz, h, 0).astype(np.float32), l, np.where(nz, s, 0).astype(np.float32)


_HLS_SECTOR = np.array([[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]])


def _hls_to_rgb(h, l, s):
    p2 = np.where(l <= 0.5, l * (np.float32(1) + s), l + s - l * s).astype(np.float32)
    p1 = np.float32(2) * l - p2
    h = np.mod(h * np.float32(1 / 60.0), np.float32(6)).astype(np.float32)
    sector = np.minimum(h.astype(np.int64), 5)
    f = h - sector
    tab = np.stack([p2, p1, p1 + (p2 - p1) * (np.float32(1) - f), p1 + (p2 - p1) * f], axis=-1)
    idx = _HLS_SECTOR[sector]                               # (..., 3): b, g, r table entries
    b = np.take_along_axis(tab, idx[..., 0:1], -1)[..., 0]
    g = np.take_along_axis(tab, idx[..., 1:2], -1)[..., 0]
    r = np.take_along_axis(tab, idx[..., 2:3], -1)[..., 0]
    gray = s == 0
    r, g, b = (np.where(gray, l, v) for v in (r, g, b))
    return r * np.float32(255), g * np.float32(255), b * np.float32(255)


def adjust_hue(x, alpha):
    """MXNet's hue jitter: rotate the HLS hue by ``alpha * 360`` degrees."""
    if x.shape[2] == 1:
        return x.copy()
    xf = x.astype(np.float32)
    h, l, s = _rgb_to_hls(xf[:, :, 0], xf[:, :, 1], xf[:, :, 2])
    h = h + np.float32(alpha) * np.float32(360)
    r, g, b = _hls_to_rgb(h, l, s)
    return _saturate(np.stack([r, g, b], axis=2), x.dtype)


def adjust_lighting(x, alpha):
    """AlexNet PCA lighting noise with per-eigenvector ``alpha`` (3 values)."""
    if x.shape[2] == 1:
        return x.copy()
    pca = (_EIG * np.asarray(alpha, np.float32)).sum(axis=1, dtype=np.float32)
    return _saturate(x.astype(np.float32) + pca, x.dtype)


def _scale_down(src_size, size):
    w, h = size
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


def _fixed_crop(src, x0, y0, w, h, size=None, interp=2):
    out = src[y0:y0 + h, x0:x0 + w]
    if size is not None and (w, h) != tuple(size):
        sizes = (h, w, size[1], size[0])
        out = _image.resize_hwc(out, size[0], size[1], _image.interp_method(interp, sizes))
    return out


def center_crop(src, size, interp=2):
    """MXNet ``image.center_crop`` on a NumPy HxWxC image; returns ``(out, (x0, y0, w, h))``."""
    h, w = src.shape[:2]
    new_w, new_h = _scale_down((w, h), size)
    x0 = int((w - new_w) / 2)
    y0 = int((h - new_h) / 2)
    return _fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def random_size_crop(src, size, area, ratio, interp=2):
    """MXNet ``image.random_size_crop`` (Python ``random``): 10 tries, then a center crop."""
    h, w = src.shape[:2]
    src_area = h * w
    if isinstance(area, numbers.Number):
        area = (area, 1.0)
    for _ in range(10):
        target_area = random.uniform(area[0], area[1]) * src_area
        log_ratio = (np.log(ratio[0]), np.log(ratio[1]))
        new_ratio = np.exp(random.uniform(*log_ratio))
        new_w = int(round(np.sqrt(target_area * new_ratio)))
        new_h = int(round(np.sqrt(target_area / new_ratio)))
        if new_w <= w and new_h <= h:
            x0 = random.randint(0, w - new_w)
            y0 = random.randint(0, h - new_h)
            return _fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)
    return center_crop(src, size, interp)


def _resize_hw(data_h, data_w, size, keep_ratio):
    if isinstance(size, numbers.Number):
        size = (int(size),)
    size = tuple(int(s) for s in size)
    if len(size) not in (1, 2):
        raise ValueError(f"Resize: size must be an int or (width, height), got {size}")
    if any(s <= 0 for s in size):
        raise ValueError(f"Resize: size must be positive, got {size}")
    if len(size) == 1:
        if not keep_ratio:
            return size[0], size[0]
        if data_h > data_w:
            return data_h * size[0] // data_w, size[0]
        return size[0], data_w * size[0] // data_h
    return size[1], size[0]


# ------------------------------------------------------------------------------------------------------
# blocks
class _Eager(HybridBlock):
    """A transform that subclasses HybridBlock as MXNet's does but always runs eagerly in NumPy."""

    def hybridize(self, active=True, **kwargs):
        self._active = False

    @property
    def _explicit_inactive(self):
        return True

    @_explicit_inactive.setter
    def _explicit_inactive(self, value):
        pass

    def __repr__(self):
        return "{name}(\n\n)".format(name=self.__class__.__name__)


class _EagerBlock(Block):
    def __repr__(self):
        return "{name}(\n\n)".format(name=self.__class__.__name__)


class Compose(Sequential):
    """Apply transforms in order. Consecutive HybridBlocks are grouped into a HybridSequential (as MXNet).

    >>> t = Compose([Resize(4), ToTensor()])
    >>> t(np.zeros((8, 6, 3), np.uint8)).shape
    (3, 4, 4)
    """

    def __init__(self, transforms):
        super().__init__()
        transforms = list(transforms) + [None]
        hybrid = []
        for i in transforms:
            if isinstance(i, HybridBlock):
                hybrid.append(i)
                continue
            elif len(hybrid) == 1:
                self.add(hybrid[0])
                hybrid = []
            elif len(hybrid) > 1:
                hblock = HybridSequential()
                for j in hybrid:
                    hblock.add(j)
                hblock.hybridize()
                self.add(hblock)
                hybrid = []
            if i is not None:
                self.add(i)


class Cast(_Eager):
    """Cast to ``dtype`` (default float32)."""

    def __init__(self, dtype="float32"):
        super().__init__()
        self._dtype = dtype

    def forward(self, x):
        if isinstance(x, NDArray):
            return x.astype(self._dtype)
        return _out(_np(x), self._dtype)


class ToTensor(_Eager):
    """HxWxC (or NxHxWxC) image in [0, 255] -> float32 CxHxW (NxCxHxW) in [0, 1].

    >>> ToTensor()(np.full((2, 2, 3), 255, np.uint8)).asnumpy().max()
    np.float32(1.0)
    """

    def forward(self, x):
        a = _np(x)
        _check_image(a, "ToTensor", allow_batch=True)
        axes = (2, 0, 1) if a.ndim == 3 else (0, 3, 1, 2)
        return _out(a.transpose(axes).astype(np.float32) / np.float32(255.0))


class Normalize(_Eager):
    """``(x - mean[c]) / std[c]`` per channel of a CxHxW or NxCxHxW tensor (scalars apply to all channels)."""

    def __init__(self, mean=0.0, std=1.0):
        super().__init__()
        self._mean = mean
        self._std = std

    def forward(self, x):
        a = _np(x)
        if a.ndim not in (3, 4):
            raise ValueError(f"Normalize: input tensor must have shape (C, H, W) or (N, C, H, W), but got "
                             f"shape {a.shape}")
        c = a.shape[0] if a.ndim == 3 else a.shape[1]
        mean = np.atleast_1d(np.asarray(self._mean, dtype=a.dtype))
        std = np.atleast_1d(np.asarray(self._std, dtype=a.dtype))
        for name, v in (("mean", mean), ("std", std)):
            if v.size not in (1, c):
                raise ValueError(f"Normalize: invalid {name} {tuple(v.tolist())} for input with shape {a.shape}: "
                                 f"{name} must have either 1 or {c} elements")
        shape = (-1, 1, 1)
        mean = np.broadcast_to(mean, (c,)).reshape(shape)
        std = np.broadcast_to(std, (c,)).reshape(shape)
        return _out(((a - mean) / std).astype(a.dtype))


class Resize(_Eager):
    """Resize to ``size`` (int: square, or the short edge with ``keep_ratio``; or ``(width, height)``)."""

    def __init__(self, size, keep_ratio=False, interpolation=1):
        super().__init__()
        self._keep = keep_ratio
        self._size = size
        self._interpolation = interpolation

    def forward(self, x):
        a = _np(x)
        _check_image(a, "Resize", allow_batch=True)
        if a.dtype == np.float16:
            raise TypeError("Resize: image resize doesn't support float16; Cast to float32 first")
        hw = a.shape[:2] if a.ndim == 3 else a.shape[1:3]
        h, w = _resize_hw(hw[0], hw[1], self._size, self._keep)
        if a.ndim == 3:
            return _out(_image.resize_hwc(a, w, h, self._interpolation))
        return _out(np.stack([_image.resize_hwc(i, w, h, self._interpolation) for i in a]))


class CenterCrop(_EagerBlock):
    """Crop the center to ``size`` (int or ``(width, height)``), upsampling when the image is smaller."""

    def __init__(self, size, interpolation=1):
        super().__init__()
        if isinstance(size, numbers.Number):
            size = (size, size)
        self._args = (tuple(size), interpolation)

    def forward(self, x):
        a = _np(x)
        _check_image(a, "CenterCrop")
        return _out(center_crop(a, *self._args)[0])


class RandomResizedCrop(_EagerBlock):
    """Crop a random area (``scale`` of the image) with a random aspect ``ratio``, resized to ``size``."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation=1):
        super().__init__()
        if isinstance(size, numbers.Number):
            size = (size, size)
        self._args = (tuple(size), scale, ratio, interpolation)

    def forward(self, x):
        a = _np(x)
        _check_image(a, "RandomResizedCrop")
        return _out(random_size_crop(a, *self._args)[0])


class CropResize(_Eager):
    """Crop ``(x, y, width, height)`` and optionally resize to ``size``."""

    def __init__(self, x, y, width, height, size=None, interpolation=None):
        super().__init__()
        self._x, self._y, self._width, self._height = x, y, width, height
        self._size = size
        self._interpolation = interpolation

    def forward(self, x):
        a = _np(x)
        _check_image(a, "CropResize", allow_batch=True)
        H, W = a.shape[-3], a.shape[-2]
        if self._x < 0 or self._y < 0 or self._x + self._width > W or self._y + self._height > H:
            raise ValueError(f"CropResize: the crop (x={self._x}, y={self._y}, width={self._width}, "
                             f"height={self._height}) is outside the image of shape {a.shape}")
        out = a[..., self._y:self._y + self._height, self._x:self._x + self._width, :]
        if self._size:
            interp = 1 if self._interpolation is None else self._interpolation
            h, w = _resize_hw(out.shape[-3], out.shape[-2], self._size, False)
            if out.ndim == 3:
                out = _image.resize_hwc(out, w, h, interp)
            else:
                out = np.stack([_image.resize_hwc(i, w, h, interp) for i in out])
        return _out(out)


class RandomFlipLeftRight(_Eager):
    """Flip the image horizontally with probability 0.5."""

    def forward(self, x):
        a = _np(x)
        _check_image(a, "RandomFlipLeftRight")
        return _out(a[:, ::-1] if np.random.random() < 0.5 else a)


class RandomFlipTopBottom(_Eager):
    """Flip the image vertically with probability 0.5."""

    def forward(self, x):
        a = _np(x)
        _check_image(a, "RandomFlipTopBottom")
        return _out(a[::-1] if np.random.random() < 0.5 else a)


class _RandomEnhance(_Eager):
    _fn = None
    _name = ""

    def __init__(self, value):
        super().__init__()
        self._args = (max(0, 1 - value), 1 + value)

    def forward(self, x):
        a = _np(x)
        _check_image(a, type(self).__name__)
        _check_channels(a, type(self).__name__)
        return _out(type(self)._fn(a, _uniform(*self._args)))


class RandomBrightness(_RandomEnhance):
    """Multiply by a factor drawn from ``[max(0, 1 - brightness), 1 + brightness]``."""
    _fn = staticmethod(adjust_brightness)


class RandomContrast(_RandomEnhance):
    """Blend with the mean grey level by a factor from ``[max(0, 1 - contrast), 1 + contrast]``."""
    _fn = staticmethod(adjust_contrast)


class RandomSaturation(_RandomEnhance):
    """Blend with the per-pixel grey level by a factor from ``[max(0, 1 - saturation), 1 + saturation]``."""
    _fn = staticmethod(adjust_saturation)


class RandomHue(_RandomEnhance):
    """Rotate the hue by ``alpha * 360`` degrees, ``alpha`` from ``[max(0, 1 - hue), 1 + hue]`` (MXNet's rule)."""
    _fn = staticmethod(adjust_hue)


class RandomColorJitter(_Eager):
    """Brightness, contrast, saturation and hue jitter (each ``1 + U(-v, v)``; hue ``U(-v, v)``) in random order."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        super().__init__()
        self._args = (brightness, contrast, saturation, hue)

    def forward(self, x):
        a = _np(x)
        _check_image(a, "RandomColorJitter")
        _check_channels(a, "RandomColorJitter")
        brightness, contrast, saturation, hue = self._args
        for op in np.random.permutation(4):
            if op == 0 and brightness > 0:
                a = adjust_brightness(a, 1 + _uniform(-brightness, brightness))
            elif op == 1 and contrast > 0:
                a = adjust_contrast(a, 1 + _uniform(-contrast, contrast))
            elif op == 2 and saturation > 0:
                a = adjust_saturation(a, 1 + _uniform(-saturation, saturation))
            elif op == 3 and hue > 0:
                a = adjust_hue(a, _uniform(-hue, hue))
        return _out(a)


class RandomLighting(_Eager):
    """AlexNet-style PCA lighting noise with ``alpha`` ~ N(0, ``alpha``) per eigenvector."""

    def __init__(self, alpha):
        super().__init__()
        self._alpha = alpha

    def forward(self, x):
        a = _np(x)
        _check_image(a, "RandomLighting")
        _check_channels(a, "RandomLighting")
        alpha = np.random.normal(0, self._alpha, size=3).astype(np.float32)
        return _out(adjust_lighting(a, alpha))


class RandomApply(Sequential):
    """Apply ``transforms`` with probability ``p``."""

    def __init__(self, transforms, p=0.5):
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, x):
        if self.p < random.random():
            return x
        return self.transforms(x)
