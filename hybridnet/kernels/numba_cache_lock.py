"""Process-safe writes to Numba's on-disk cache.

Numba's ``IndexDataCacheFile.save`` reads a function's cache index, picks the first free data-file
name, rewrites the index and writes the data file, with no lock. Two processes that compile
*different* signatures of one cached function at the same time (pytest-xdist workers, several
training scripts started together, DataLoader workers running kernels) can both pick
``<fn>.1.nbc``: the index ends up mapping one signature to the other's machine code, and a later
process that loads it runs the wrong code (a crash was seen this way on a 16-core machine). Here
``save`` runs under an exclusive ``flock`` on ``<index>.lock``, so each writer sees the entries of
the ones before it. Installed by ``kernels.load_kernels`` (before any hybridnet kernel compiles);
a Numba without this class, or a platform without ``fcntl``, is left as it is.
"""
import os

__all__ = ["install"]

_done = []


def install():
    if _done:
        return
    _done.append(True)
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
