"""Random sampling: statistics of the draws, seeding, dtypes/devices/shapes as MXNet 1.9.1, errors.

Every test seeds the generators first, so the draws (and so these tests) are deterministic; the
statistical bounds are still set at about 6 standard errors so that they would hold for any seed.
"""
import doctest

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import autograd, nd
from hybridnet.errors import AttrError, AutogradError, DeviceError, DTypeError, ShapeError

N = 200_000


def _np(x):
    return x.asnumpy()


def _close_mean(a, mean, std, n=None, k=6.0):
    n = a.size if n is None else n
    assert abs(a.mean() - mean) < k * std / np.sqrt(n), (a.mean(), mean)


def _close_std(a, std, k=6.0):
    # the standard error of the sample std is about std / sqrt(2 n) (normal-ish data)
    assert abs(a.std() - std) < k * std * np.sqrt(2.0 / a.size) * 2, (a.std(), std)


# --- moments and ranges ---------------------------------------------------------------------------

def test_uniform_moments_and_range(device):
    mx.random.seed(1)
    x = nd.random.uniform(-1, 3, shape=(N,), ctx=device)
    assert x.context == device and x.dtype == np.float32 and x.shape == (N,)
    a = _np(x).astype(np.float64)
    assert a.min() >= -1 and a.max() < 3
    _close_mean(a, 1.0, 4 / np.sqrt(12))
    _close_std(a, 4 / np.sqrt(12))
    # the four quarters of [-1, 3) are equally likely
    counts = np.histogram(a, bins=4, range=(-1, 3))[0]
    chi2 = ((counts - N / 4) ** 2 / (N / 4)).sum()
    assert chi2 < 30, counts


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_uniform_half_open_for_every_dtype(device, dtype):
    mx.random.seed(2)
    a = _np(nd.random.uniform(0.5, 0.75, shape=(50_000,), dtype=dtype, ctx=device))
    assert a.dtype == np.dtype(dtype)
    assert a.min() >= 0.5 and a.max() < 0.75


def test_normal_moments(device):
    mx.random.seed(3)
    a = _np(nd.random.normal(2, 3, shape=(N,), ctx=device)).astype(np.float64)
    _close_mean(a, 2.0, 3.0)
    _close_std(a, 3.0)
    # about 68.3% within one standard deviation
    frac = np.mean(np.abs(a - 2) < 3)
    assert abs(frac - 0.6827) < 6 * np.sqrt(0.68 * 0.32 / N)


def test_randn(device):
    mx.random.seed(4)
    x = nd.random.randn(2, 3, ctx=device)
    assert x.shape == (2, 3) and x.dtype == np.float32 and x.context == device
    a = _np(nd.random.randn(N, loc=1, scale=2, dtype="float64", ctx=device))
    assert a.dtype == np.float64
    _close_mean(a, 1.0, 2.0)
    _close_std(a, 2.0)


def test_exponential_gamma_poisson_moments(device):
    mx.random.seed(5)
    e = _np(nd.random.exponential(2.0, shape=(N,), ctx=device)).astype(np.float64)   # scale 2: mean 2
    assert e.min() >= 0
    _close_mean(e, 2.0, 2.0)
    g = _np(nd.random.gamma(9, 0.5, shape=(N,), ctx=device)).astype(np.float64)      # mean 4.5, var 2.25
    assert g.min() > 0
    _close_mean(g, 4.5, 1.5)
    assert abs(g.var() - 2.25) < 0.05
    p = _np(nd.random.poisson(4, shape=(N,), ctx=device))
    assert p.dtype == np.float32 and (p == np.round(p)).all() and p.min() >= 0
    _close_mean(p.astype(np.float64), 4.0, 2.0)
    assert abs(p.astype(np.float64).var() - 4.0) < 0.1
    # legacy op names use the rate
    e2 = _np(nd.random_exponential(lam=4, shape=(N,), ctx=device)).astype(np.float64)
    _close_mean(e2, 0.25, 0.25)


def test_randint_range_and_uniformity(device):
    mx.random.seed(6)
    x = nd.random.randint(-3, 5, shape=(N,), ctx=device)
    assert x.dtype == np.int32 and x.context == device
    a = _np(x)
    assert a.min() == -3 and a.max() == 4
    counts = np.bincount(a + 3, minlength=8)
    chi2 = ((counts - N / 8) ** 2 / (N / 8)).sum()
    assert chi2 < 45, counts      # 7 degrees of freedom
    b = _np(nd.random.randint(0, 2 ** 40, shape=(1000,), dtype="int64", ctx=device))
    assert b.dtype == np.int64 and b.min() >= 0 and b.max() < 2 ** 40 and b.max() > 2 ** 32


def test_sample_ops_per_element_parameters(device):
    mx.random.seed(7)
    mu = nd.array([0.0, 10.0], ctx=device)
    sigma = nd.array([1.0, 0.1], ctx=device)
    x = nd.random.normal(mu, sigma, shape=(50_000,))
    assert x.shape == (2, 50_000) and x.dtype == np.float32 and x.context == device
    a = _np(x).astype(np.float64)
    _close_mean(a[0], 0.0, 1.0)
    _close_mean(a[1], 10.0, 0.1)
    _close_std(a[1], 0.1)
    lo, hi = nd.array([0, 2.5], ctx=device), nd.array([1, 3.7], ctx=device)
    u = _np(nd.random.uniform(lo, hi, shape=(3, 1000)))
    assert u.shape == (2, 3, 1000)
    assert u[0].min() >= 0 and u[0].max() < 1 and u[1].min() >= 2.5 and u[1].max() < 3.7
    # one draw per distribution without shape; float64 parameters still give float32 (as MXNet)
    y = nd.random.uniform(lo.astype("float64"), hi.astype("float64"))
    assert y.shape == (2,) and y.dtype == np.float32
    assert nd.random.uniform(lo, hi, dtype="float64").dtype == np.float64
    ex = _np(nd.random.exponential(nd.array([1.0, 4.0], ctx=device), shape=(50_000,))).astype(np.float64)
    _close_mean(ex[0], 1.0, 1.0)
    _close_mean(ex[1], 4.0, 4.0)           # nd.random.exponential takes the scale
    ga = _np(nd.sample_gamma(nd.array([1.0, 0.0], ctx=device), nd.array([2.0, 1.0], ctx=device), shape=(50_000,)))
    _close_mean(ga[0].astype(np.float64), 2.0, 2.0)
    assert (ga[1] == 0).all()              # alpha = 0 gives 0 (as MXNet)
    po = _np(nd.sample_poisson(nd.array([[0.5, 20.0]], ctx=device), shape=(50_000,)))
    assert po.shape == (1, 2, 50_000)
    _close_mean(po[0, 0].astype(np.float64), 0.5, np.sqrt(0.5))
    _close_mean(po[0, 1].astype(np.float64), 20.0, np.sqrt(20.0))


def test_sample_invalid_per_element_parameters_give_nan(device):
    mx.random.seed(8)
    g = _np(nd.sample_gamma(nd.array([-1.0, 2.0], ctx=device), nd.array([1.0, 1.0], ctx=device)))
    assert np.isnan(g[0]) and g[1] > 0
    p = _np(nd.sample_poisson(nd.array([-1.0, 2.0], ctx=device)))
    assert np.isnan(p[0]) and p[1] >= 0


def test_like_ops(device):
    mx.random.seed(9)
    data = nd.zeros((300, 400), dtype="float64", ctx=device)
    x = nd.random.uniform_like(data, low=2, high=3)
    assert x.shape == (300, 400) and x.dtype == np.float64 and x.context == device
    a = _np(x)
    assert a.min() >= 2 and a.max() < 3
    _close_mean(a, 2.5, 1 / np.sqrt(12))
    n = _np(nd.random.normal_like(data, loc=-1, scale=0.5))
    _close_mean(n, -1.0, 0.5)
    assert nd.random.poisson_like(nd.zeros((2, 3), dtype="float16", ctx=device), lam=3).dtype == np.float16
    assert nd.random.gamma_like(data, alpha=2).shape == (300, 400)
    assert nd.random.exponential_like(data, lam=2).dtype == np.float64


# --- categorical draws and shuffling ---------------------------------------------------------------

def test_multinomial_frequencies(device):
    mx.random.seed(10)
    p = np.array([0.1, 0.2, 0.3, 0.4])
    s = _np(nd.random.multinomial(nd.array(p, ctx=device), shape=N))
    assert s.shape == (N,) and s.dtype == np.int32
    counts = np.bincount(s, minlength=4)
    chi2 = ((counts - N * p) ** 2 / (N * p)).sum()
    assert chi2 < 35, counts       # 3 degrees of freedom: P(chi2 > 35) ~ 1e-7
    # batches: each row its own distribution; zero-probability categories are never drawn
    probs = nd.array([[0.0, 0.5, 0.5], [0.9, 0.0, 0.1]], ctx=device)
    s2 = _np(nd.random.multinomial(probs, shape=(20_000,)))
    assert s2.shape == (2, 20_000)
    assert not (s2[0] == 0).any() and not (s2[1] == 1).any()
    assert abs((s2[1] == 0).mean() - 0.9) < 6 * np.sqrt(0.09 / 20_000)


def test_multinomial_shapes_dtypes_and_log_prob(device):
    mx.random.seed(11)
    probs = nd.array([[0.1, 0.2, 0.7], [1.0, 0.0, 0.0]], ctx=device)
    assert nd.random.multinomial(nd.array([0.1, 0.9], ctx=device)).shape == (1,)      # 1-D: (1,)
    assert nd.random.multinomial(nd.array([0.1, 0.9], ctx=device), shape=5).shape == (5,)
    assert nd.random.multinomial(probs).shape == (2,)
    s, logp = nd.random.multinomial(probs, shape=(2, 3), get_prob=True)
    assert s.shape == logp.shape == (2, 2, 3) and s.dtype == np.int32 and logp.dtype == np.float32
    ref = np.log(_np(probs)[np.arange(2)[:, None, None], _np(s)])
    np.testing.assert_allclose(_np(logp), ref, rtol=1e-6)
    assert (_np(s)[1] == 0).all()
    assert nd.random.multinomial(probs, dtype="float32").dtype == np.float32
    assert nd.random.multinomial(probs, dtype="uint8").dtype == np.uint8
    f64 = nd.random.multinomial(probs.astype("float64"), get_prob=True)
    assert isinstance(f64, list) and f64[1].dtype == np.float64
    # rows that do not sum to 1 (MXNet does not normalise: the running sum is compared with u)
    big = _np(nd.random.multinomial(nd.array([[2.0, 5.0]], ctx=device), shape=(1000,)))
    assert (big == 0).all()
    small = _np(nd.random.multinomial(nd.array([[0.0, 0.0, 0.1]], ctx=device), shape=(1000,)))
    assert (small == 2).all()


def test_multinomial_reinforce_gradient(device):
    mx.random.seed(12)
    x = nd.array([[1.0, 2.0, 3.0], [4.0, 1.0, 1.0]], ctx=device)
    x.attach_grad()
    with autograd.record():
        p = x / 6
        s, logp = nd.random.multinomial(p, shape=(4,), get_prob=True)
        loss = (logp * nd.array([[1.0, 2.0, 3.0, 4.0]], ctx=device)).sum()
    loss.backward()
    # d/dx sum_j w_j log(x[s_j] / 6) = sum_j w_j / x[s_j] at the sampled entries
    sn, xn = _np(s), _np(x)
    expected = np.zeros((2, 3))
    for i in range(2):
        for j in range(4):
            expected[i, sn[i, j]] += (j + 1) / xn[i, sn[i, j]]
    np.testing.assert_allclose(_np(x.grad), expected, rtol=1e-5)
    # without get_prob nothing flows back (MXNet: zero gradient)
    y = nd.array([0.5, 0.5], ctx=device)
    y.attach_grad()
    with autograd.record():
        z = nd.random.multinomial(y, shape=3).astype("float32").sum() + 2 * y.sum()
    z.backward()
    assert _np(y.grad).tolist() == [2.0, 2.0]


def test_shuffle_is_a_permutation_of_rows(device):
    mx.random.seed(13)
    x = nd.array(np.arange(60).reshape(20, 3), ctx=device)
    y = nd.random.shuffle(x)
    assert y.shape == x.shape and y.dtype == x.dtype and y.context == device
    a, b = _np(x), _np(y)
    assert sorted(map(tuple, a)) == sorted(map(tuple, b))        # the same rows, each row intact
    assert not (a == b).all()
    assert (_np(x) == np.arange(60).reshape(20, 3)).all()          # input untouched
    i = nd.random.shuffle(nd.arange(10, dtype="int32", ctx=device))
    assert i.dtype == np.int32 and sorted(_np(i).tolist()) == list(range(10))
    assert nd.shuffle(nd.zeros((0, 2), ctx=device)).shape == (0, 2)
    # every element lands first about equally often
    first = np.array([_np(nd.random.shuffle(nd.arange(3, ctx=device)))[0] for _ in range(3000)])
    counts = np.bincount(first.astype(int), minlength=3)
    assert ((counts - 1000) ** 2 / 1000).sum() < 25, counts


def test_shuffle_is_not_differentiable():
    x = nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = nd.random.shuffle(x).sum()
    with pytest.raises(AutogradError, match="_shuffle is not differentiable"):
        y.backward()


def test_sample_and_like_ops_give_zero_gradients():
    x = nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = (nd.random.uniform(x, x + 1) + nd.random.normal_like(x) + x).sum()
    y.backward()
    assert _np(x.grad).tolist() == [1.0, 1.0, 1.0]


# --- seeding ---------------------------------------------------------------------------------------

def _draws(device):
    return [_np(nd.random.uniform(shape=(5,), ctx=device)), _np(nd.random.normal(shape=(5,), ctx=device)),
            _np(nd.random.randint(0, 100, shape=(5,), ctx=device)),
            _np(nd.random.multinomial(nd.array([0.3, 0.3, 0.4], ctx=device), shape=5)),
            _np(nd.random.shuffle(nd.arange(8, ctx=device))),
            _np(nd.random.uniform(nd.zeros((5,), ctx=device), nd.ones((5,), ctx=device)))]


def test_seed_reproducible(device):
    mx.random.seed(42)
    a = _draws(device)
    mx.random.seed(42)
    b = _draws(device)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    mx.random.seed(43)
    c = _draws(device)
    assert not np.array_equal(a[0], c[0]) and not np.array_equal(a[1], c[1])
    # consecutive draws differ (the generator advances; nothing is cached)
    assert not np.array_equal(_np(nd.random.uniform(shape=(5,), ctx=device)),
                              _np(nd.random.uniform(shape=(5,), ctx=device)))


def test_seed_one_device_leaves_the_others(device):
    mx.random.seed(1)
    other = mx.cpu() if device.device_type == "gpu" else None
    a = _np(nd.random.uniform(shape=(4,), ctx=device))
    mx.random.seed(7, ctx=device)
    b = _np(nd.random.uniform(shape=(4,), ctx=device))
    mx.random.seed(7, ctx=str(device))
    np.testing.assert_array_equal(_np(nd.random.uniform(shape=(4,), ctx=device)), b)
    assert not np.array_equal(a, b)
    # seed(s) for all devices and seed(s, ctx=device) agree on device id 0
    mx.random.seed(7)
    np.testing.assert_array_equal(_np(nd.random.uniform(shape=(4,), ctx=device)), b)
    if other is not None:
        mx.random.seed(3)
        c1 = _np(nd.random.uniform(shape=(4,), ctx=other))
        mx.random.seed(3)
        mx.random.seed(99, ctx=device)        # reseeding the GPU does not move the CPU stream
        np.testing.assert_array_equal(_np(nd.random.uniform(shape=(4,), ctx=other)), c1)


def test_seed_arguments():
    for bad in (1.5, "a", None):
        with pytest.raises(ValueError, match="seed_state must be int"):
            mx.random.seed(bad)
    mx.random.seed(np.int64(3))
    mx.random.seed(-1)
    # truncated to a C int, as MXNet: 2**32 + 5 seeds like 5
    mx.random.seed(2 ** 32 + 5)
    a = _np(nd.random.uniform(shape=(3,)))
    mx.random.seed(5)
    np.testing.assert_array_equal(_np(nd.random.uniform(shape=(3,))), a)
    with pytest.raises(DeviceError):
        mx.random.seed(1, ctx="tpu(0)")


def test_process_starts_seeded():
    import subprocess
    import sys
    code = "import hybridnet as mx; print(mx.nd.random.uniform(shape=(3,)).asnumpy().tolist())"
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            for _ in range(2)}
    assert len(outs) == 1     # MXNet 1.x also starts from a fixed seed


# --- front ends: names, signatures, dtypes, devices, out= ------------------------------------------

def test_mxnet_default_dtypes_and_shapes():
    mx.random.seed(0)
    assert nd.random.uniform().shape == (1,) and nd.random.uniform().dtype == np.float32
    assert nd.random.normal().dtype == np.float32
    assert nd.random.randint(0, 5).shape == (1,) and nd.random.randint(0, 5).dtype == np.int32
    assert nd.random.poisson(3, shape=2).dtype == np.float32
    assert nd.random.gamma(2, shape=2).dtype == np.float32
    assert nd.random.multinomial(nd.array([0.5, 0.5])).dtype == np.int32
    assert nd.random.uniform(shape=[2, 3]).shape == (2, 3)
    assert nd.random.uniform(shape=(0, 3)).shape == (0, 3)        # hybridnet allows 0-size draws


def test_legacy_spellings_take_shape_and_ctx():
    for fn in (nd.random_uniform, nd.random_normal, nd.uniform, nd.normal, nd.random_exponential,
               nd.random_gamma, nd.random_poisson):
        x = fn(shape=(2, 3), ctx=mx.cpu())
        assert x.shape == (2, 3) and x.dtype == np.float32 and x.context == mx.cpu()
    assert nd.random_uniform(0, 1, (2,)).shape == (2,)               # MXNet's positional order
    assert nd.random_randint(0, 5, (3,)).dtype == np.int32
    assert nd.random_uniform(shape=(2,), ctx="cpu(0)").context == mx.cpu(0)
    assert nd.sample_multinomial(nd.array([[0.0, 1.0]])).asnumpy().tolist() == [1]
    assert nd.shuffle(nd.ones((2, 2))).shape == (2, 2)
    assert nd.sample_uniform(nd.zeros((2,)), nd.ones((2,)), shape=(3,)).shape == (2, 3)
    for n in ("uniform", "normal", "randn", "randint", "exponential", "gamma", "poisson", "multinomial",
              "shuffle", "seed"):
        assert callable(getattr(mx.random, n))
    assert mx.random.uniform is nd.random.uniform


def test_device_from_ctx_and_current_context(device):
    assert nd.random.uniform(shape=(2,), ctx=device).context == device
    assert nd.random_normal(shape=(2,), ctx=str(device)).context == device
    with device:
        assert nd.random.uniform(shape=(2,)).context == device
        assert nd.random.randint(0, 3, shape=(2,)).context == device


def test_out_argument():
    o = nd.zeros((4,), dtype="float64")
    r = nd.random.uniform(2, 3, out=o)
    assert r is o and o.dtype == np.float64
    a = _np(o)
    assert a.min() >= 2 and a.max() < 3
    o2 = nd.zeros((2, 2), dtype="int64")
    assert nd.random.randint(1, 5, out=o2) is o2 and o2.dtype == np.int64 and (_np(o2) >= 1).all()
    s, p = nd.zeros((3,), dtype="int32"), nd.zeros((3,))
    r = nd.random.multinomial(nd.array([0.0, 1.0]), shape=3, get_prob=True, out=[s, p])
    assert r[0] is s and r[1] is p
    assert _np(s).tolist() == [1, 1, 1] and _np(p).tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(ShapeError):
        nd.random.uniform(shape=(3,), out=nd.zeros((4,)))


def test_attrs_encode_as_mxnet_json():
    op = mx.ops.get_op("_random_uniform")
    enc = op.encode_attrs({"low": 0.0, "high": 2.0, "shape": (2, 3), "ctx": mx.cpu(0), "dtype": np.dtype("float64")})
    assert enc == {"high": "2.0", "shape": "(2, 3)", "ctx": "cpu(0)", "dtype": "float64"}
    back = op.parse_attrs(enc)
    assert back["ctx"] == mx.cpu(0) and back["shape"] == (2, 3) and back["dtype"] == np.float64
    assert op.parse_attrs({"ctx": ""})["ctx"] is None
    assert op.effects and mx.ops.get_op("_shuffle").effects and mx.ops.get_op("sample_multinomial").effects


# --- errors ----------------------------------------------------------------------------------------

def test_errors():
    with pytest.raises(AttrError, match="low=2.* greater than high=1"):
        nd.random.uniform(2, 1, shape=(3,))
    with pytest.raises(AttrError, match="scale=0 must be positive"):
        nd.random.normal(0, 0, shape=(3,))
    with pytest.raises(AttrError, match="is empty"):
        nd.random.randint(5, 5, shape=(3,))
    with pytest.raises(AttrError, match="does not fit int32"):
        nd.random.randint(0, 2 ** 40, shape=(3,))
    with pytest.raises(ShapeError, match="negative dimension"):
        nd.random.uniform(shape=(2, -1))
    with pytest.raises(ShapeError, match="no output shape"):
        nd.random_uniform()
    with pytest.raises(ShapeError, match="no output shape"):
        nd.random.randn()
    with pytest.raises(AttrError, match="Did you mean 'dtype'"):
        nd.random.uniform(0, 1, shape=(2,), dtpye="float64")
    with pytest.raises(AttrError, match="Did you mean 'low'"):
        nd.random_uniform(shape=(2,), lo=1)
    with pytest.raises(AttrError, match="dtype"):
        nd.random.uniform(shape=(2,), dtype="int32")
    with pytest.raises(AttrError, match="dtype"):
        nd.random.randint(0, 5, shape=(2,), dtype="float32")
    with pytest.raises(AttrError, match="same type"):
        nd.random.uniform(nd.zeros((2,)), 1)
    with pytest.raises(AttrError, match="numbers"):
        nd.random.randint(nd.zeros((1,)), nd.ones((1,)))
    with pytest.raises(ShapeError, match="different shapes"):
        nd.random.uniform(nd.zeros((2,)), nd.ones((3,)))
    with pytest.raises(DTypeError, match="floating point"):
        nd.random.multinomial(nd.array([[1, 0]], dtype="int32"))
    with pytest.raises(DTypeError, match="floating point"):
        nd.random.normal_like(nd.zeros((2,), dtype="int32"))
    with pytest.raises(ShapeError, match="scalar"):
        nd.random.shuffle(nd.array(5.0).reshape(()))
    with pytest.raises(DeviceError):
        nd.random.uniform(shape=(2,), ctx="tpu(0)")
    with pytest.raises(AttrError, match="ctx"):
        nd.random_uniform(shape=(2,), ctx=3)


# --- documentation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("mod", ["hybridnet.nd.random", "hybridnet.random"])
def test_module_doc_examples(mod):
    import importlib
    m = importlib.import_module(mod)
    res = doctest.testmod(m, extraglobs={"nd": nd, "mx": mx, "np": np}, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0 and res.attempted > 5
