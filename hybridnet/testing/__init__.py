"""Testing helpers: ``assert_almost_equal`` with per-dtype tolerances, numeric gradient checks, and the
op-case records (``hybridnet.testing.op_cases``)."""
import numpy as np

__all__ = ["assert_almost_equal", "tolerances", "numeric_grad_check"]

_TOL = {"float16": (1e-2, 1e-2), "float32": (1e-5, 1e-6), "float64": (1e-10, 1e-12)}


def tolerances(dtype):
    return _TOL.get(np.dtype(dtype).name, (0, 0))


def assert_almost_equal(a, b, rtol=None, atol=None, names=("a", "b"), equal_nan=True):
    a = a.asnumpy() if hasattr(a, "asnumpy") else np.asarray(a)
    b = b.asnumpy() if hasattr(b, "asnumpy") else np.asarray(b)
    r, t = tolerances(a.dtype)
    np.testing.assert_allclose(a, b, rtol=r if rtol is None else rtol, atol=t if atol is None else atol,
                               equal_nan=equal_nan, err_msg=f"{names[0]} vs {names[1]}")


from .gradcheck import numeric_grad_check  # noqa: E402
