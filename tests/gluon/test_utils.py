"""hybridnet.gluon.utils against MXNet 1.9.1 (numbers and messages observed with the MXNet oracle and
written here; the tests never import mxnet). download() is tested against a local HTTP server only."""
import functools
import hashlib
import http.server
import os
import threading
import warnings

import numpy as np
import pytest

import hybridnet as mx
from hybridnet import nd
from hybridnet.errors import HybridNetError, ShapeError
from hybridnet.gluon import utils
from hybridnet.gluon.utils import (DownloadError, check_sha1, clip_global_norm, download, replace_file,
                                   shape_is_known, split_and_load, split_data)


# ------------------------------------------------------------------------------------ split_data
def test_split_data_even_axis0_views():
    x = nd.array(np.arange(12).reshape(4, 3))
    s = split_data(x, 2)
    assert [a.shape for a in s] == [(2, 3), (2, 3)]
    np.testing.assert_array_equal(s[1].asnumpy(), np.arange(6, 12).reshape(2, 3))
    s[0][:] = -1   # MXNet: axis-0 slices share memory with the batch
    np.testing.assert_array_equal(x.asnumpy()[:2], -np.ones((2, 3)))


@pytest.mark.parametrize("shape,n,axis,expect", [
    ((7, 2), 3, 0, [(3, 2), (2, 2), (2, 2)]),          # MXNet 1.9.1
    ((2, 7), 3, 1, [(2, 3), (2, 2), (2, 2)]),
    ((2, 2), 3, 0, [(1, 2), (1, 2), (0, 2)]),          # more slices than rows: an empty last slice
    ((5, 2), 2, 0, [(3, 2), (2, 2)]),
    ((3, 2, 5), 2, -1, [(3, 2, 3), (3, 2, 2)]),
])
def test_split_data_uneven(shape, n, axis, expect):
    data = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    s = split_data(nd.array(data), n, batch_axis=axis, even_split=False)
    assert [a.shape for a in s] == expect
    np.testing.assert_array_equal(np.concatenate([a.asnumpy() for a in s], axis=axis), data)


def test_split_data_one_slice_is_a_list():
    s = split_data(nd.ones((3, 2)), 1)
    assert isinstance(s, list) and len(s) == 1 and s[0].shape == (3, 2)


@pytest.mark.parametrize("shape,axis", [((5, 2), 0), ((2, 5), 1)])
def test_split_data_uneven_error_text(shape, axis):
    # exact MXNet 1.9.1 text; a ShapeError is also a ValueError, as MXNet's was
    with pytest.raises(ValueError) as e:
        split_data(nd.ones(shape), 2, batch_axis=axis)
    assert isinstance(e.value, ShapeError)
    assert str(e.value) == (f"data with shape {shape} cannot be evenly split into 2 slices along axis {axis}. "
                            "Use a batch size that's multiple of 2 or set even_split=False to allow uneven "
                            "partitioning of data.")


@pytest.mark.parametrize("kw,match", [(dict(num_slice=0), "num_slice"), (dict(num_slice=2.0), "num_slice"),
                                      (dict(num_slice=2, batch_axis=2), "batch_axis 2 is out of range"),
                                      (dict(num_slice=2, batch_axis=-3), "batch_axis -3")])
def test_split_data_bad_args(kw, match):
    with pytest.raises(HybridNetError, match=match):
        split_data(nd.ones((4, 2)), **kw)


# ------------------------------------------------------------------------------------ split_and_load
def test_split_and_load_devices():
    x = nd.array(np.arange(8).reshape(4, 2))
    parts = split_and_load(x, [mx.cpu(0), mx.cpu(1)])
    assert [p.context for p in parts] == [mx.cpu(0), mx.cpu(1)]
    np.testing.assert_array_equal(parts[1].asnumpy(), [[4, 5], [6, 7]])


def test_split_and_load_error_text():
    with pytest.raises(ValueError, match=r"^data with shape \(5, 2\) cannot be evenly split into 2 slices "
                                         r"along axis 0\. Use a batch size that's multiple of 2 or set "
                                         r"even_split=False to allow uneven partitioning of data\.$"):
        split_and_load(nd.ones((5, 2)), [mx.cpu(0), mx.cpu(1)])
    parts = split_and_load(nd.ones((5, 2)), [mx.cpu(0), mx.cpu(1)], even_split=False)
    assert [p.shape for p in parts] == [(3, 2), (2, 2)]


def test_split_and_load_numpy_input():
    # MXNet: a NumPy array becomes a float32 NDArray on ctx_list[0] first (int64 input included)
    parts = split_and_load(np.arange(8).reshape(4, 2), [mx.cpu(0), mx.cpu(1)])
    assert all(isinstance(p, nd.NDArray) and p.dtype == np.float32 for p in parts)
    np.testing.assert_array_equal(np.concatenate([p.asnumpy() for p in parts]), np.arange(8).reshape(4, 2))
    one = split_and_load(np.arange(6).reshape(3, 2), [mx.cpu(0)])
    assert len(one) == 1 and one[0].dtype == np.float32 and one[0].shape == (3, 2)
    lst = split_and_load([[1, 2], [3, 4]], [mx.cpu(0), mx.cpu(1)], batch_axis=1)
    assert [p.asnumpy().tolist() for p in lst] == [[[1.0], [3.0]], [[2.0], [4.0]]]


def test_split_and_load_single_device_and_empty():
    x = nd.ones((3, 2))
    assert split_and_load(x, [mx.cpu(0)])[0] is x          # same device: no copy, no split
    assert split_and_load(x, mx.cpu(0))[0].shape == (3, 2)  # a bare device is accepted too
    with pytest.raises(HybridNetError, match="ctx_list is empty"):
        split_and_load(x, [])


def test_split_and_load_gpu(device):
    parts = split_and_load(nd.ones((4, 3)), [device, mx.cpu(0)], batch_axis=0)
    assert parts[0].context == device and parts[1].context == mx.cpu(0)
    assert all(p.shape == (2, 3) for p in parts)


# ------------------------------------------------------------------------------------ clip_global_norm
def test_clip_global_norm_mxnet_example():
    a, b = nd.array([3, 3]), nd.array([[4], [4]])
    n = clip_global_norm([a, b], 1.0)
    # MXNet 1.9.1: 7.071068 (numpy.float32), arrays scaled in place by 1/7.07
    assert isinstance(n, np.float32) and n == np.float32(7.071068)
    np.testing.assert_array_equal(a.asnumpy(), np.array([0.4242640733718872] * 2, np.float32))
    np.testing.assert_array_equal(b.asnumpy(), np.array([[0.5656854510307312]] * 2, np.float32))


def test_clip_global_norm_below_max_unchanged():
    a = nd.array([0.3, 0.4])
    assert clip_global_norm([a], 1.0) == np.float32(0.5)
    np.testing.assert_array_equal(a.asnumpy(), np.array([0.3, 0.4], np.float32))


def test_clip_global_norm_no_check_returns_ndarray():
    a = nd.array([3, 4])
    n = clip_global_norm([a], 2.0, check_isfinite=False)
    assert isinstance(n, nd.NDArray) and n.shape == (1,) and n.asnumpy().tolist() == [5.0]
    np.testing.assert_allclose(a.asnumpy(), [1.2000000476837158, 1.600000023841858], rtol=1e-7)


def test_clip_global_norm_random_matches_mxnet():
    rs = np.random.RandomState(0)
    arrs = [rs.randn(3, 4).astype(np.float32), rs.randn(5).astype(np.float32)]
    nds = [nd.array(v) for v in arrs]
    n = clip_global_norm(nds, 0.5)
    np.testing.assert_allclose(n, np.float32(4.4798965), rtol=1e-6)   # MXNet 1.9.1
    mx_first_row = [0.1968853920698166, 0.04466143622994423, 0.10923667252063751, 0.25010544061660767]
    np.testing.assert_allclose(nds[0].asnumpy()[0], mx_first_row, rtol=2e-6)
    np.testing.assert_allclose(nds[1].asnumpy()[-1], 0.16675375401973724, rtol=2e-6)
    total = np.sqrt(sum(float((v.astype(np.float64) ** 2).sum()) for v in [x.asnumpy() for x in nds]))
    np.testing.assert_allclose(total, 0.5, rtol=1e-5)


@pytest.mark.parametrize("bad,expect_norm", [(np.inf, np.inf), (np.nan, np.nan)])
def test_clip_global_norm_nonfinite_warns(bad, expect_norm):
    a = nd.array([bad, 1.0])
    with pytest.warns(UserWarning, match=r"^nan or inf is detected\. Clipping results will be undefined\.$"):
        n = clip_global_norm([a], 1.0)
    if np.isnan(expect_norm):
        assert np.isnan(n)
    else:
        assert n == expect_norm
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        clip_global_norm([nd.array([bad])], 1.0, check_isfinite=False)   # no check, no warning


def test_clip_global_norm_multi_device(device):
    a = nd.array([3.0, 0.0], ctx=device)
    b = nd.array([4.0], ctx=mx.cpu(0))
    n = clip_global_norm([a, b], 1.0)
    np.testing.assert_allclose(n, 5.0, rtol=1e-6)
    assert a.context == device
    np.testing.assert_allclose(a.asnumpy(), [0.6, 0.0], rtol=1e-6)
    np.testing.assert_allclose(b.asnumpy(), [0.8], rtol=1e-6)


def test_clip_global_norm_bad_input():
    with pytest.raises(HybridNetError, match="got no arrays"):
        clip_global_norm([], 1.0)
    with pytest.raises(TypeError, match=r"arrays\[1\] is a ndarray, not an NDArray"):
        clip_global_norm([nd.ones((2,)), np.ones(2)], 1.0)


# ------------------------------------------------------------------------------------ shape_is_known
def test_shape_is_known():
    assert shape_is_known((3, 4)) and shape_is_known(())
    assert not shape_is_known(None)
    assert not shape_is_known((3, 0)) and not shape_is_known((-1, 2)) and not shape_is_known((None, 2))
    with pytest.raises(ShapeError, match="-2"):
        shape_is_known((3, -2))


# ------------------------------------------------------------------------------------ files
def test_check_sha1(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(b"hybridnet" * 1000)
    good = hashlib.sha1(b"hybridnet" * 1000).hexdigest()
    assert check_sha1(str(p), good)
    assert not check_sha1(str(p), "0" * 40)


def test_replace_file_atomic(tmp_path):
    src, dst = tmp_path / "a.tmp", tmp_path / "a"
    dst.write_bytes(b"old")
    src.write_bytes(b"new")
    replace_file(str(src), str(dst))
    assert dst.read_bytes() == b"new" and not src.exists()
    src.write_bytes(b"x")
    with pytest.raises(OSError, match="Please retry the download"):
        replace_file(str(src), str(tmp_path / "no_such_dir" / "b"))
    assert not src.exists()   # the temp file is removed on failure


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("www")
    (root / "data.bin").write_bytes(b"payload-1")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))

    class Quiet(handler.func):
        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()
    httpd.server_close()


def test_download_to_file_and_dir(server, tmp_path, capsys):
    base, _ = server
    out = download(f"{base}/data.bin", path=str(tmp_path / "x.bin"))
    assert out == str(tmp_path / "x.bin") and (tmp_path / "x.bin").read_bytes() == b"payload-1"
    assert "Downloading" in capsys.readouterr().out
    out = download(f"{base}/data.bin", path=str(tmp_path))   # a directory: the URL's file name inside it
    assert out == os.path.join(str(tmp_path), "data.bin")
    assert not [f for f in os.listdir(tmp_path) if "." in f and f.count(".") > 1]   # no temp files left


def test_download_default_path_is_cwd(server, tmp_path, monkeypatch):
    base, _ = server
    monkeypatch.chdir(tmp_path)
    assert download(f"{base}/data.bin") == "data.bin"
    assert (tmp_path / "data.bin").read_bytes() == b"payload-1"


def test_download_existing_file_kept_and_sha1(server, tmp_path):
    base, root = server
    dst = tmp_path / "d.bin"
    dst.write_bytes(b"local copy")
    # exists and no hash requested: no network access at all (the URL is unreachable)
    assert download("http://127.0.0.1:1/d.bin", path=str(dst)) == str(dst)
    assert dst.read_bytes() == b"local copy"
    # a hash that the local copy does not match: re-downloaded
    good = hashlib.sha1(b"payload-1").hexdigest()
    download(f"{base}/data.bin", path=str(dst), sha1_hash=good)
    assert dst.read_bytes() == b"payload-1"
    # overwrite=True fetches again and replaces the file
    (root / "data.bin").write_bytes(b"payload-2")
    try:
        download(f"{base}/data.bin", path=str(dst), overwrite=True)
        assert dst.read_bytes() == b"payload-2"
    finally:
        (root / "data.bin").write_bytes(b"payload-1")


def test_download_hash_mismatch_after_download(server, tmp_path):
    base, _ = server
    with pytest.raises(UserWarning, match="is downloaded but the content hash does not match"):
        download(f"{base}/data.bin", path=str(tmp_path / "h.bin"), sha1_hash="0" * 40, retries=1)


def test_download_http_error_names_url_and_path(server, tmp_path):
    base, _ = server
    with pytest.raises(DownloadError) as e:
        download(f"{base}/missing.bin", path=str(tmp_path / "m.bin"), retries=1)
    msg = str(e.value)
    assert f"{base}/missing.bin" in msg and str(tmp_path / "m.bin") in msg and "404" in msg
    assert not list(tmp_path.iterdir())   # no partial or temp file left


def test_download_offline_error(tmp_path, capsys):
    url = "http://127.0.0.1:1/weights/resnet.params"   # port 1: connection refused, like no network
    dst = tmp_path / "models" / "resnet.params"
    with pytest.raises(DownloadError) as e:
        download(url, path=str(dst), sha1_hash="ab" * 20, retries=2)
    msg = str(e.value)
    assert url in msg and str(dst) in msg and "place it at" in msg and "ab" * 20 in msg
    assert isinstance(e.value, OSError) and isinstance(e.value, HybridNetError)
    out = capsys.readouterr().out
    assert out.count("Downloading") == 2 and "retrying, 1 attempt left" in out   # retries=2: two attempts


def test_download_file_url_and_args(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"abc")
    assert download(src.as_uri(), path=str(tmp_path / "copy.bin")) == str(tmp_path / "copy.bin")
    assert (tmp_path / "copy.bin").read_bytes() == b"abc"
    with pytest.raises(ValueError, match="Please set the `path` option"):
        download("http://example.com/dir/")
    with pytest.raises(ValueError, match="retries should be at least 0"):
        download(src.as_uri(), path=str(tmp_path / "r.bin"), retries=-1)
    with pytest.warns(UserWarning, match="Unverified HTTPS request"):
        download(src.as_uri(), path=str(tmp_path / "copy.bin"), verify_ssl=False)


def test_module_exports():
    for name in ("split_data", "split_and_load", "clip_global_norm", "check_sha1", "download", "replace_file",
                 "shape_is_known"):
        assert name in utils.__all__ and callable(getattr(utils, name))
