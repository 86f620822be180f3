"""hybridnet's two fixes to Numba's on-disk cache, installed by ``kernels.load_kernels`` before any
hybridnet kernel is compiled (a Numba without the patched classes, or a platform without ``fcntl``, is
left as it is).

**Writes under a lock.** Numba's ``IndexDataCacheFile.save`` reads a function's cache index, picks the first free data-file
name, rewrites the index and writes the data file, with no lock. Two processes that compile
*different* signatures of one cached function at the same time (pytest-xdist workers, several
training scripts started together, DataLoader workers running kernels) can both pick
``<fn>.1.nbc``: the index ends up mapping one signature to the other's machine code, and a later
process that loads it runs the wrong code (a crash was seen this way on a 16-core machine). Here
``save`` runs under an exclusive ``flock`` on ``<index>.lock``, so each writer sees the entries of
the ones before it.

**Stamps that cover inlined code.** Numba validates a cached function by a digest of the one file
that defines it. hybridnet's kernels inline code from other files: the vectorisable math (``cpu/simd.py``: ``exp32``, ``fma``, ...), the
formula preparation (``formula.py``, ``cpu/elementwise.py``) and the ops' scalar helpers
(``@scalar_helper`` functions in ``ops/unary.py``, ``binary.py``, ``nn_basic.py``, called by formulas in
the other ops files). An edit there left every cached kernel that inlined the old code in place: a later
process loaded the old machine code, i.e. silently ran the previous version of ``exp``.

``get_source_stamp`` of Numba's source-file-backed cache locators is wrapped: for a file inside the
hybridnet package the stamp becomes the digest of the file *and* of those toolchain files, so changing any of them recompiles the
kernels that may depend on it. Files outside the package (the user's own ``@njit(cache=True)``) keep
Numba's stamp. The digests are read once per process (~0.2 ms).
"""
import hashlib
import os

__all__ = ["install", "toolchain_digest", "stamp"]

_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))      # .../hybridnet
# Inlined into kernels defined anywhere in the package.
TOOLCHAIN = ("kernels/cpu/simd.py", "kernels/formula.py", "kernels/cpu/elementwise.py")
# Files whose @scalar_helper functions formulas in other ops files call (inlined by Numba).
OPS_HELPERS = ("ops/unary.py", "ops/binary.py", "ops/nn_basic.py")

_digests = {}


def _file_digest(rel):
    try:
        with open(os.path.join(_PKG, rel), "rb") as f:
            return hashlib.sha256(f.read()).digest()
    except OSError:
        return rel.encode()


def toolchain_digest(ops=False):
    """Digest of ``TOOLCHAIN`` (and ``OPS_HELPERS`` with ``ops=True``), computed once per process."""
    d = _digests.get(ops)
    if d is None:
        h = hashlib.sha256()
        for rel in TOOLCHAIN + (OPS_HELPERS if ops else ()):
            h.update(_file_digest(rel))
        d = _digests[ops] = h.digest()
    return d


def stamp(path, numba_stamp):
    """The cache stamp for a function defined in ``path`` whose Numba stamp is ``numba_stamp``."""
    p = os.path.abspath(path)
    if not p.startswith(_PKG + os.sep):
        return numba_stamp
    ops = p.startswith(os.path.join(_PKG, "ops") + os.sep)
    return (numba_stamp, "hybridnet-toolchain", toolchain_digest(ops))


_done = []


def install():
    if _done:
        return
    _done.append(True)
    _install_lock()
    _install_stamp()


def _install_lock():
    try:
        import fcntl

        from numba.core import caching
        cls = caching.IndexDataCacheFile
        orig = cls.save
    except (ImportError, AttributeError):
        return
    if getattr(orig, "_hn_locked", False):
        return

    def save(self, key, data):
        try:
            fd = os.open(self._index_path + ".lock", os.O_CREAT | os.O_RDWR, 0o644)
        except OSError:             # read-only cache dir etc.: Numba's own handling
            return orig(self, key, data)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            return orig(self, key, data)
        finally:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
    save._hn_locked = True
    cls.save = save


def _install_stamp():
    try:
        from numba.core import caching
        mixin = caching._SourceFileBackedLocatorMixin
        orig = mixin.get_source_stamp
    except (ImportError, AttributeError):       # another Numba layout: its own stamps
        return
    if getattr(orig, "_hn_stamped", False):
        return

    def get_source_stamp(self):
        s = orig(self)
        path = getattr(self, "_py_file", None)
        return s if path is None else stamp(path, s)
    get_source_stamp._hn_stamped = True
    mixin.get_source_stamp = get_source_stamp
