"""``TensorSpec``: the abstract value (shape, dtype, device) that inference rules work on.

Inference rules accept anything with ``.shape``, ``.dtype`` and ``.device`` (an NDArray, a traced
value, a TensorSpec), so eager code never has to build specs.
"""
import numpy as np

__all__ = ["TensorSpec", "spec_of", "fmt_spec"]


class TensorSpec:
    __slots__ = ("shape", "dtype", "device")

    def __init__(self, shape, dtype, device):
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.device = device

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def __eq__(self, other):
        return (isinstance(other, TensorSpec) and self.shape == other.shape
                and self.dtype == other.dtype and self.device == other.device)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.device))

    def __repr__(self):
        return f"TensorSpec({fmt_spec(self)})"


def spec_of(x):
    return TensorSpec(x.shape, x.dtype, x.device)


_SHORT = {"float32": "f32", "float64": "f64", "float16": "f16", "int32": "i32", "int64": "i64",
          "int8": "i8", "uint8": "u8", "bool": "bool", "int16": "i16", "uint16": "u16"}


def fmt_spec(s):
    """``float32[2,3]@cpu(0)`` - the form used in errors and graph printouts."""
    dt = np.dtype(s.dtype).name
    return f"{dt}[{','.join(str(d) for d in s.shape)}]@{s.device}"
