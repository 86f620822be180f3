"""Image helpers for ``gluon.data.vision``: decoding and resizing through Pillow (the ``image`` extra).

MXNet did both with OpenCV. Interpolation codes are OpenCV's: 0 nearest, 1 bilinear, 2 area, 3 bicubic,
4 Lanczos, 9 auto (area when enlarging, bicubic when shrinking, else bilinear), 10 random among 0-4.
Pillow's filters antialias when shrinking (OpenCV's bilinear does not), so a downscaled image differs
from MXNet's by more than rounding; upscaling agrees to within 1 grey level (tests/gluon/data).
"""
import os
import random

import numpy as np

from .... import nd
from ....errors import FormatError
from ....nd.ndarray import NDArray

_PIL_FILTERS = None


def pil():
    try:
        from PIL import Image
    except ImportError as e:  # pragma: no cover - Pillow is in the test extra
        raise ImportError("gluon.data.vision needs Pillow to decode and resize images: "
                          "pip install 'hybridnet[image]' (or pip install pillow)") from e
    return Image


def _filters():
    global _PIL_FILTERS
    if _PIL_FILTERS is None:
        R = pil().Resampling
        _PIL_FILTERS = {0: R.NEAREST, 1: R.BILINEAR, 2: R.BOX, 3: R.BICUBIC, 4: R.LANCZOS}
    return _PIL_FILTERS


def interp_method(interp, sizes=()):
    """OpenCV interpolation code -> 0..4 (resolves 9 = auto and 10 = random as MXNet)."""
    if interp == 9:
        if sizes:
            oh, ow, nh, nw = sizes
            if nh > oh and nw > ow:
                return 2
            if nh < oh and nw < ow:
                return 3
            return 1
        return 2
    if interp == 10:
        return random.randint(0, 4)
    if interp not in (0, 1, 2, 3, 4):
        raise ValueError("Unknown interp method %d" % interp)
    return interp


def as_numpy(x):
    return x.asnumpy() if isinstance(x, NDArray) else np.asarray(x)


def resize_hwc(img, w, h, interp=1):
    """Resize an HxWxC NumPy image to ``h`` x ``w`` with Pillow (any dtype; integers are rounded+clipped)."""
    Image = pil()
    if img.ndim != 3:
        raise ValueError(f"expected an image of shape (height, width, channels), got shape {img.shape}")
    interp = interp_method(interp, (img.shape[0], img.shape[1], h, w))
    flt = _filters()[interp]
    if img.shape[0] == h and img.shape[1] == w:
        return img.copy()
    c = img.shape[2]
    if img.dtype == np.uint8 and c in (3, 4):
        return np.asarray(Image.fromarray(img).resize((w, h), flt))
    out = np.empty((h, w, c), img.dtype)
    for k in range(c):
        ch = np.ascontiguousarray(img[:, :, k], dtype=np.float32)
        r = np.asarray(Image.fromarray(ch, mode="F").resize((w, h), flt))
        if np.issubdtype(img.dtype, np.integer):
            info = np.iinfo(img.dtype)
            r = np.clip(np.rint(r), info.min, info.max)
        out[:, :, k] = r
    return out


def imdecode_np(buf, flag=1, name="image"):
    """Decode bytes into an HxWxC uint8 RGB array (``flag=0``: HxWx1 grey)."""
    import io
    Image = pil()
    try:
        img = Image.open(io.BytesIO(bytes(buf)))
        img = img.convert("RGB" if flag else "L")
    except Exception as e:  # noqa: BLE001 - Pillow raises several types for corrupt files
        raise FormatError(f"cannot decode {name}: {type(e).__name__}: {e}. Replace or remove the file.") from e
    a = np.asarray(img)
    return a[:, :, None] if a.ndim == 2 else a


def imread(path, flag=1):
    """Read an image file into an NDArray (HxWx3 RGB uint8, or HxWx1 when ``flag=0``)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"image file {path} does not exist")
    with open(path, "rb") as f:
        buf = f.read()
    return nd.array(imdecode_np(buf, flag, name=path), dtype=np.uint8)


def imdecode(buf, flag=1):
    return nd.array(imdecode_np(buf, flag), dtype=np.uint8)
