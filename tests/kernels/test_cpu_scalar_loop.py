"""The _*_scalar ops take a compiled loop from LOOP_MIN_SIZE elements (scalar as a loop-invariant
argument) and the raw ufunc below it: both paths must give identical results, for every scalar op,
float and integer dtypes, edge values, n-d inputs and out=."""
import numpy as np
import pytest

from hybridnet import nd
from hybridnet.kernels.cpu.elementwise import LOOP_MIN_SIZE
from hybridnet.ops.registry import builtin_ops

SCALAR_OPS = [op for op in builtin_ops() if len(op.inputs) == 1 and len(op.scalar_attrs) == 1
              and op.scalar is not None and op.name.endswith("_scalar")]   # (Activation's attr is a name)


@pytest.mark.parametrize("op", SCALAR_OPS, ids=lambda o: o.name)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_loop_path_equals_ufunc_path(op, dtype):
    from hybridnet.kernels import kernel_for
    from hybridnet import cpu
    rng = np.random.default_rng(0)
    n = LOOP_MIN_SIZE + 37
    if dtype == "int32":
        big = rng.integers(-5, 6, size=(n,)).astype(dtype)
        scalars = [2, -3, 0]
    else:
        big = rng.uniform(-3, 3, size=(n,)).astype(dtype)
        big[:4] = [0.0, -0.0, np.inf, np.nan]
        scalars = [1.5, -0.5, 0.0, 2.0]
    k = kernel_for(op, cpu())
    for s in scalars:
        with np.errstate(all="ignore"):
            looped = k(big.reshape(7, -1) if n % 7 == 0 else big, **{op.scalar_attrs[0]: s})
            pieces = np.concatenate([k(big[i:i + 64], **{op.scalar_attrs[0]: s})
                                     for i in range(0, n, 64)])          # small: the ufunc path
        np.testing.assert_array_equal(looped.reshape(-1), pieces, err_msg=f"{op.name} scalar={s} {dtype}")
        assert looped.dtype == big.dtype


def test_loop_path_writes_out_and_nd():
    x = nd.array(np.arange(LOOP_MIN_SIZE * 3, dtype=np.float32).reshape(3, -1))
    out = nd.zeros(x.shape)
    r = nd._plus_scalar(x, scalar=1.0, out=out)
    assert r is out and out.asnumpy()[2, -1] == LOOP_MIN_SIZE * 3
    np.testing.assert_array_equal((x * 2).asnumpy(), x.asnumpy() * 2)
    assert (nd.array(np.ones(4096), dtype="int32") * 0.5).asnumpy().sum() == 0   # scalar takes int dtype
