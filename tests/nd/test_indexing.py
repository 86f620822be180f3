"""NDArray indexing: ``x[key]`` and ``x[key] = value`` with MXNet 1.9.1's legacy nd semantics.

Golden values marked "MXNet 1.9.1" were produced with the MXNet 1.9.1 oracle (mxnet==1.9.1, CPU);
everything else is checked against NumPy's indexing of the same data.
"""
import random

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import nd
from hybridnet.errors import AutogradError, DTypeError, HybridNetError, ShapeError
from hybridnet.ops.indexing import IndexingError, IndexOutOfRangeError, getitem


def _np_key(key):
    key = key if isinstance(key, tuple) else (key,)
    return tuple(k.asnumpy().astype(np.int64) if isinstance(k, nd.NDArray) else
                 (np.asarray(k) if isinstance(k, list) else k) for k in key)


def _np_get(a, key):
    r = a[_np_key(key)]
    return r.reshape(1) if r.ndim == 0 else r


# ---- x[key]: shapes and values ------------------------------------------------------------------

def test_int_index_shapes_match_mxnet():
    # MXNet 1.9.1: nd.arange(5)[2] has shape (1,); on 2-D, x[1] is a row and x[1, 2] has shape (1,)
    a = nd.arange(5)
    assert a[2].shape == (1,) and a[2].asnumpy().tolist() == [2.0]
    assert a[-1].asnumpy().tolist() == [4.0]
    assert a[np.int64(3)].asnumpy().tolist() == [3.0]
    x = nd.arange(6).reshape((2, 3))
    assert x[1].shape == (3,) and x[1].asnumpy().tolist() == [3.0, 4.0, 5.0]
    assert x[1, 2].shape == (1,) and x[1, 2].asnumpy().tolist() == [5.0]
    assert x[-1].asnumpy().tolist() == [3.0, 4.0, 5.0]
    assert x[:, 1].shape == (2,)
    # MXNet 1.9.1: x[None] (1,2,3), x[:, None] (2,1,3), x[..., None] (2,3,1), x[..., 1] (2,)
    assert x[None].shape == (1, 2, 3)
    assert x[:, None].shape == (2, 1, 3)
    assert x[..., None].shape == (2, 3, 1)
    assert x[..., 1].shape == (2,)
    # MXNet 1.9.1 on arange(24).reshape((2, 3, 4)): x[0, 1, None] (1, 4); x[None, 0, 1, 2] (1,) = [6]
    y = nd.arange(24).reshape((2, 3, 4))
    assert y[0, 1, None].shape == (1, 4)
    assert y[None, 0, 1, 2].asnumpy().tolist() == [6.0]
    assert nd.arange(5)[1, None].shape == (1,) and nd.arange(5)[None, 1].shape == (1,)


def test_slices_match_mxnet():
    a = nd.arange(5)
    # MXNet 1.9.1
    assert a[2:-1].asnumpy().tolist() == [2.0, 3.0]
    assert a[::-2].asnumpy().tolist() == [4.0, 2.0, 0.0]
    assert a[-100:100].asnumpy().tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert a[10:20].shape == (0,)
    x = nd.arange(6).reshape((2, 3))
    assert x[::-1].asnumpy().tolist() == [[3.0, 4.0, 5.0], [0.0, 1.0, 2.0]]
    y = nd.arange(24).reshape((2, 3, 4))
    assert y[1, ::-1, 1:3].asnumpy().tolist() == [[21.0, 22.0], [17.0, 18.0], [13.0, 14.0]]
    # MXNet raises "Invalid slicing range" for a[3:1]; hybridnet returns the empty slice as NumPy does
    assert a[3:1].shape == (0,)


def test_whole_array_keys_return_self():
    x = nd.arange(6).reshape((2, 3))
    assert x[:] is x          # MXNet 1.9.1: x[:] is x
    assert x[()] is x
    assert x[...].shape == (2, 3)


def test_float_index_arrays_are_integer_positions():
    a = nd.arange(5)
    # MXNet 1.9.1 (gluon-semantics.md 1.1): a float mask is treated as integer indices
    assert a[nd.array([0, 1, 0, 1, 0])].asnumpy().tolist() == [0.0, 1.0, 0.0, 1.0, 0.0]
    # MXNet 1.9.1: fractional indices truncate, negative ones count from the end
    assert a[nd.array([1.7, -1])].asnumpy().tolist() == [1.0, 4.0]
    assert a[[4, 3]].asnumpy().tolist() == [4.0, 3.0]
    assert a[np.array([1, 2])].asnumpy().tolist() == [1.0, 2.0]
    assert a[range(1, 3)].asnumpy().tolist() == [1.0, 2.0]


ADV_KEYS = [  # (key, MXNet 1.9.1 result shape) on arange(24).reshape((2, 3, 4))
    (np.s_[None, [0, 1]], (1, 2, 3, 4)),
    (np.s_[[0, 1], None, 1], (2, 1, 4)),
    (np.s_[[1, 0], :, [0, 3]], (2, 3)),
    (np.s_[None, [1, 0], :, [0, 3]], (2, 1, 3)),
    (np.s_[1, [0, 2]], (2, 4)),
    (np.s_[[1], [0, 2], 1:3], (2, 2)),
    (np.s_[..., [1, 2]], (2, 3, 2)),
    (np.s_[:, 1, [1, 2]], (2, 2)),
    (np.s_[[[0], [1]], [0, 2]], (2, 2, 4)),
    (np.s_[:, ::-1, [0, 1]], (2, 3, 2)),
    (np.s_[0, :, [1]], (1, 3)),
    (np.s_[[0, 1], [0, 1], [0, 1]], (2,)),
    (np.s_[[[0, 1]]], (1, 2, 3, 4)),
    (np.s_[([0, 1],)], (2, 3, 4)),
    (np.s_[(0, [1])], (1, 4)),
]


@pytest.mark.parametrize("key,mx_shape", ADV_KEYS, ids=[str(k) for k, _ in ADV_KEYS])
def test_advanced_index_matches_mxnet_and_numpy(key, mx_shape):
    xn = np.arange(24, dtype=np.float32).reshape((2, 3, 4))
    x = nd.array(xn)
    r = x[key]
    assert r.shape == mx_shape
    np.testing.assert_array_equal(r.asnumpy(), _np_get(xn, key))


def test_advanced_with_ndarray_parts():
    xn = np.arange(24, dtype=np.float32).reshape((2, 3, 4))
    x = nd.array(xn)
    # MXNet 1.9.1: x[nd.array([1, 0]), nd.array([2, 1])] has shape (2, 4) = rows x[1, 2], x[0, 1]
    r = x[nd.array([1, 0]), nd.array([2, 1])]
    assert r.asnumpy().tolist() == [[20.0, 21.0, 22.0, 23.0], [4.0, 5.0, 6.0, 7.0]]
    assert x[nd.array([[0, 1]])].shape == (1, 2, 3, 4)
    for key in [(slice(None), nd.array([2, 0])), (nd.array([1, 0]), slice(1, 3), nd.array([3, 0])),
                (nd.array([[0], [1]]), [1, 2]), (nd.array([1, 0], dtype="int32"), None, nd.array([2, 2])),
                (1, nd.array([0, 2]), slice(None, None, -1)), (nd.array([1.9, 0.2]), Ellipsis, 2)]:
        np.testing.assert_array_equal(x[key].asnumpy(), _np_get(xn, key), err_msg=str(key))


def test_advanced_layout_where_mxnet_and_numpy_differ():
    xn = np.arange(120, dtype=np.float32).reshape((2, 3, 4, 5))
    x = nd.array(xn)
    # An empty '...' between index arrays: MXNet 1.9.1 expands it to nothing and keeps the index arrays
    # adjacent -> shape (1, 2, 3); NumPy treats them as separated -> (2, 3, 1). hybridnet follows MXNet.
    key = np.s_[:-1, np.array([[-2], [2]]), ..., 3, np.array([2, -5, -1])]
    assert x[key].shape == (1, 2, 3)
    np.testing.assert_array_equal(x[key].asnumpy(), xn[:-1, np.array([[-2], [2]]), 3, np.array([2, -5, -1])])
    # None right after adjacent index arrays: MXNet 1.9.1 gives (1, 2, 3, 4, 5) for x[[0, 1], None], which
    # puts the new axis in the wrong place (it ignores the block's rank); hybridnet gives NumPy's layout.
    assert x[[0, 1], None].shape == (2, 1, 3, 4, 5)
    np.testing.assert_array_equal(x[[0, 1], None].asnumpy(), xn[[0, 1], None])


def _random_key(rng, shape, advanced):
    parts = []
    for n in shape[:rng.randrange(1, len(shape) + 1)]:
        r = rng.random()
        if r < 0.25:
            parts.append(rng.randrange(-n, n))
        elif r < 0.6 or not advanced:
            parts.append(slice(rng.choice([None, rng.randrange(-n - 1, n + 2)]),
                               rng.choice([None, rng.randrange(-n - 1, n + 2)]), rng.choice([None, 1, 2, -1, -3])))
        else:
            shp = rng.choice([(2,), (1,), (2, 1), (3,)])
            arr = np.array([rng.randrange(-n, n) for _ in range(int(np.prod(shp)))]).reshape(shp)
            parts.append(rng.choice([nd.array(arr), arr, arr.tolist() if arr.ndim == 1 else arr]))
    for _ in range(rng.randrange(0, 3)):
        parts.insert(rng.randrange(0, len(parts) + 1), None)
    if rng.random() < 0.2:   # at the ends only: an empty '...' between index arrays is where MXNet != NumPy
        parts.insert(rng.choice([0, len(parts)]), Ellipsis)
    return tuple(parts)


@pytest.mark.parametrize("advanced", [False, True], ids=["basic", "advanced"])
def test_getitem_random_keys_match_numpy(advanced):
    rng = random.Random(7)
    xn = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    x = nd.array(xn)
    checked = 0
    for _ in range(600):
        key = _random_key(rng, xn.shape, advanced)
        try:
            expected = _np_get(xn, key)
        except IndexError:   # index arrays that do not broadcast
            with pytest.raises(IndexError):
                x[key]
            continue
        for got in (x[key], getitem(x, key)):   # eager views and the registry-op lowering
            assert got.shape == expected.shape, key
            np.testing.assert_array_equal(got.asnumpy(), expected, err_msg=str(key))
        checked += 1
    assert checked > 400


# ---- views: basic indexing shares memory where MXNet does ---------------------------------------

@pytest.mark.parametrize("key,shares", [
    # MXNet 1.9.1, x = arange(6).reshape((2, 3)); after y = x[key]; y[:] = -1, is x changed?
    (np.s_[1:2], True), (np.s_[1], True), (np.s_[1, 1:], True), (np.s_[0:1, 0:2], True),
    (np.s_[None], True), (np.s_[1, 2], True), (np.s_[:, 1:], False), (np.s_[::-1], False),
    (np.s_[:, 1], False), (np.s_[[0, 1]], False),
])
def test_view_semantics_match_mxnet(key, shares):
    x = nd.arange(6).reshape((2, 3))
    y = x[key]
    y[:] = -1
    changed = (x.asnumpy() == -1).any()
    assert changed == shares
    if shares:
        expected = np.arange(6, dtype=np.float32).reshape((2, 3))
        expected[key] = -1
        np.testing.assert_array_equal(x.asnumpy(), expected)


def test_view_from_docs_example():
    # MXNet 1.9.1 docstring: x = arange(8).reshape((2, 2, 2)); y = x[0]; y[:] = -1 changes x[0];
    # y = x[:, :, 1] is a copy
    x = nd.arange(8).reshape((2, 2, 2))
    x[0][:] = -1
    assert x.asnumpy()[0].tolist() == [[-1.0, -1.0], [-1.0, -1.0]]
    x = nd.arange(8).reshape((2, 2, 2))
    y = x[:, :, 1]
    y[:] = -1
    assert x.asnumpy().tolist() == np.arange(8).reshape((2, 2, 2)).tolist()


# ---- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn,exc,match", [
    # MXNet 1.9.1 raises IndexError "index 5 is out of bounds for axis 0 with size 5" for the first three
    (lambda a, x: a[5], IndexOutOfRangeError, r"index 5 is out of bounds for axis 0 with size 5 \(array shape \(5,\)\)"),
    (lambda a, x: a[-6], IndexOutOfRangeError, r"index -6 is out of bounds for axis 0 with size 5"),
    (lambda a, x: x[0, 5], IndexOutOfRangeError, r"index 5 is out of bounds for axis 1 with size 3 \(array shape \(2, 3\)\)"),
    (lambda a, x: a[nd.array([7])], IndexOutOfRangeError, r"gather_nd: index 7 is out of bounds for axis 0 with size 5"),
    (lambda a, x: a[[1, -7]], IndexOutOfRangeError, r"index -7 is out of bounds for axis 0 with size 5"),
    (lambda a, x: x[:, [0, 3]], IndexOutOfRangeError, r"index 3 is out of bounds for axis 1 with size 3"),
    (lambda a, x: x[0, 0, 0], IndexingError, r"too many indices \(3\) for an array with 2 dimensions"),
    (lambda a, x: x[..., ...], IndexingError, "single ellipsis"),
    (lambda a, x: a[::0], IndexingError, "slice step cannot be zero"),
    (lambda a, x: a[1.0], DTypeError, "indexing with key 1.0 of type float"),
    (lambda a, x: a[True], DTypeError, "boolean masks are not supported"),
    (lambda a, x: a[np.array([True, False, True, False, True])], DTypeError, "boolean masks"),
    (lambda a, x: x[[0, 1], [0, 1, 2]], IndexingError, "could not be broadcast together"),
])
def test_index_errors(fn, exc, match):
    a = nd.arange(5)
    x = nd.arange(6).reshape((2, 3))
    with pytest.raises(exc, match=match) as info:
        fn(a, x)
    assert isinstance(info.value, HybridNetError)


def test_out_of_range_is_also_index_error():
    with pytest.raises(IndexError):
        nd.arange(3)[3]
    with pytest.raises(ShapeError):
        nd.arange(3)[3]
    # iteration stops at len(x) (NDArray.__iter__), element i of a 1-D array has shape (1,)
    assert [v.asnumpy().tolist() for v in nd.arange(3)] == [[0.0], [1.0], [2.0]]


# ---- x[key] = value ----------------------------------------------------------------------------

def test_setitem_matches_mxnet():
    # MXNet 1.9.1 results of each assignment on zeros((2, 3))
    cases = [
        (lambda x: x.__setitem__(1, nd.array([1, 2, 3])), [[0, 0, 0], [1, 2, 3]]),
        (lambda x: x.__setitem__((slice(None), 1), 5), [[0, 5, 0], [0, 5, 0]]),
        (lambda x: x.__setitem__(slice(None), np.arange(3)), [[0, 1, 2], [0, 1, 2]]),
        (lambda x: x.__setitem__(nd.array([1]), 7), [[0, 0, 0], [7, 7, 7]]),
        (lambda x: x.__setitem__((nd.array([0, 1, 0]), nd.array([2, 2, 1])), nd.array([1, 2, 3])),
         [[0, 3, 1], [0, 0, 2]]),
        (lambda x: x.__setitem__((1, slice(None, None, -1)), nd.array([1, 2, 3])), [[0, 0, 0], [3, 2, 1]]),
        (lambda x: x.__setitem__(0, [1, 2, 3]), [[1, 2, 3], [0, 0, 0]]),
        (lambda x: x.__setitem__((None, 0), nd.array([[1, 2, 3]])), [[1, 2, 3], [0, 0, 0]]),
        (lambda x: x.__setitem__((1, 2), 4), [[0, 0, 0], [0, 0, 4]]),
        (lambda x: x.__setitem__(([0], [1, 2]), 5), [[0, 5, 5], [0, 0, 0]]),
        (lambda x: x.__setitem__((slice(None, None, -1), slice(0, 2, 2)), [6]), [[6, 0, 0], [6, 0, 0]]),
    ]
    for fn, expected in cases:
        x = nd.zeros((2, 3))
        fn(x)
        assert x.asnumpy().tolist() == expected


def test_setitem_casts_and_repeats_like_mxnet():
    # MXNet 1.9.1: a float scalar into an int32 array truncates
    x = nd.zeros((2, 3), dtype="int32")
    x[0] = 2.7
    assert x.asnumpy().tolist() == [[2, 2, 2], [0, 0, 0]] and x.dtype == np.int32
    # MXNet 1.9.1: repeated indices, the last write wins: zeros(4)[[0, 0, 1]] = [1, 2, 3] -> [2, 3, 0, 0]
    y = nd.zeros((4,))
    y[nd.array([0, 0, 1])] = nd.array([1, 2, 3])
    assert y.asnumpy().tolist() == [2.0, 3.0, 0.0, 0.0]
    # an NDArray of another dtype is cast to x's dtype
    z = nd.zeros((3,))
    z[:] = nd.array([1, 2, 3], dtype="int32")
    assert z.dtype == np.float32 and z.asnumpy().tolist() == [1.0, 2.0, 3.0]
    # negative and float index arrays, as in getitem
    w = nd.zeros((5,))
    w[nd.array([-1, 1.8])] = 9
    assert w.asnumpy().tolist() == [0.0, 9.0, 0.0, 0.0, 9.0]


def test_setitem_writes_through_views():
    x = nd.arange(6).reshape((2, 3))
    v = x[1:2]
    x[1] = 0
    assert v.asnumpy().tolist() == [[0.0, 0.0, 0.0]]
    x[1:2][:] = 7     # MXNet 1.9.1: x[1:2] is a view, so this writes x
    assert x.asnumpy().tolist() == [[0.0, 1.0, 2.0], [7.0, 7.0, 7.0]]


def test_setitem_random_keys_match_numpy():
    rng = random.Random(3)
    base = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    checked = 0
    for _ in range(400):
        key = _random_key(rng, base.shape, rng.random() < 0.5)
        nkey = _np_key(key)
        expected = base.copy()
        try:
            target = expected[nkey]
        except IndexError:
            continue
        value = np.float32(rng.randrange(100, 200)) if rng.random() < 0.3 else \
            (np.arange(target.size, dtype=np.float32) + 100).reshape(target.shape)
        try:
            expected[nkey] = value
        except ValueError:
            continue
        x = nd.array(base)
        x[key] = nd.array(value) if isinstance(value, np.ndarray) and rng.random() < 0.5 else value
        # repeated advanced indices: NumPy and hybridnet both keep the last write
        np.testing.assert_array_equal(x.asnumpy(), expected, err_msg=str(key))
        checked += 1
    assert checked > 250


@pytest.mark.parametrize("fn,exc,match", [
    (lambda x: x.__setitem__(2, 1), IndexOutOfRangeError, "index 2 is out of bounds for axis 0 with size 2"),
    (lambda x: x.__setitem__(nd.array([0, 5]), 1), IndexOutOfRangeError,
     "index 5 is out of bounds for axis 0 with size 2"),
    (lambda x: x.__setitem__(0, nd.ones((2,))), ShapeError,
     r"cannot broadcast a value of shape \(2,\) to x\[0\] of shape \(3,\)"),
    (lambda x: x.__setitem__(slice(None), "abc"), ShapeError, "cannot convert the value"),
    (lambda x: x.__setitem__((0, 0, 0), 1), IndexingError, "too many indices"),
])
def test_setitem_errors(fn, exc, match):
    x = nd.zeros((2, 3))
    with pytest.raises(exc, match=match):
        fn(x)


def test_setitem_refused_while_recording():
    x = nd.arange(6).reshape((2, 3))
    x.attach_grad()
    with mx.autograd.record():
        # MXNet 1.9.1: "Assigning to NDArrays that are already in a computational graph will cause
        # undefined behavior when evaluating gradients ... you cannot use inplace operations like
        # +=, *=, relu(x, out=x), y[idx]=x, etc inside a record section."
        with pytest.raises(AutogradError, match="already in a recorded computation"):
            x[:] = 1
        y = x * 2
        for key in (0, slice(0, 1), [0]):
            with pytest.raises(AutogradError, match="x\\[idx\\] = v inside a record section"):
                y[key] = 1
        free = nd.zeros((3,))   # not part of the graph: allowed, as in MXNet
        free[:] = 1
    assert free.asnumpy().tolist() == [1.0, 1.0, 1.0]
    x[:] = 1                    # outside record(): allowed
    assert x.asnumpy().tolist() == [[1.0] * 3] * 2


# ---- gradients ---------------------------------------------------------------------------------

def test_gradients_through_indexing_match_mxnet():
    x = nd.arange(6).reshape((2, 3))
    x.attach_grad()
    with mx.autograd.record():
        z = (x[1:2] * 3).sum() + x[[0, 1], [1, 2]].sum() + x[:, 1:].sum() + x[nd.array([1])].sum() \
            + x[1, 2] * 5 + x[::-1, 0].sum()
    z.backward()
    # row 1 gets 3 from x[1:2]*3, 1 from x[[1]] ; (0,1) and (1,2) get 1 from the pairs; columns 1, 2 get 1
    # from x[:, 1:]; (1, 2) gets 5; column 0 gets 1 from x[::-1, 0]
    assert x.grad.asnumpy().tolist() == [[1.0, 2.0, 1.0], [5.0, 5.0, 11.0]]


def test_gradient_of_repeated_indices_accumulates():
    x = nd.arange(4)
    x.attach_grad()
    with mx.autograd.record():
        y = x[nd.array([0, 0, 3, 0])] * nd.array([1, 2, 3, 4])
    y.backward()
    assert x.grad.asnumpy().tolist() == [7.0, 0.0, 0.0, 3.0]


@pytest.mark.parametrize("key", [np.s_[1:3], np.s_[1], np.s_[::-1, 2], np.s_[:, None, 1:4:2], np.s_[..., -1],
                                 "idx0", "idx_mixed", "pairs"])
def test_numeric_gradients(key):
    from hybridnet.testing import numeric_grad_check
    keys = {"idx0": lambda: (nd.array([2, 0, 2]),),
            "idx_mixed": lambda: (nd.array([0, 2]), slice(1, 3), nd.array([4, 0])),
            "pairs": lambda: (nd.array([[0], [2]]), [1, 3])}
    k = keys[key]() if isinstance(key, str) else key
    xn = np.random.default_rng(0).standard_normal((3, 4, 5))
    numeric_grad_check(lambda a: a[k], [xn])
    numeric_grad_check(lambda a: a[k], [xn], order=2)


def test_recorded_basic_index_is_still_a_view():
    x = nd.arange(6).reshape((2, 3))
    x.attach_grad()
    with mx.autograd.record():
        y = x[1:2]
    assert y._entry is not None
    x[1] = 0      # outside record: y sees the write, as an MXNet view would
    assert y.asnumpy().tolist() == [[0.0, 0.0, 0.0]]


# ---- devices -----------------------------------------------------------------------------------

def test_indexing_on_device(device):
    xn = np.arange(24, dtype=np.float32).reshape((2, 3, 4))
    x = nd.array(xn, ctx=device)
    for key in [np.s_[1], np.s_[:, 1:3], np.s_[::-1, None, 2], (nd.array([1, 0], ctx=device), slice(None), [3, 0])]:
        r = x[key]
        assert r.context == device
        np.testing.assert_array_equal(r.asnumpy(), _np_get(xn, key))
    x[0, 1:] = nd.ones((2, 4), ctx=device)
    x[nd.array([1], ctx=device), 0] = 5
    expected = xn.copy()
    expected[0, 1:] = 1
    expected[1, 0] = 5
    np.testing.assert_array_equal(x.asnumpy(), expected)
