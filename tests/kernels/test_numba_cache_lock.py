"""Numba's disk cache written by two processes at once (kernels/numba_cache.py).

Two processes compile different signatures of one ``cache=True`` function; Numba's index/data writes
are slowed so that their windows overlap the way a real race does (A and B both read the empty
index; B's index lands last, A's data lands last). Unlocked, the index then maps float64 to the int64
machine code: ``f(2.5)`` returned 5 instead of 6.0 in a later process (seen when this test was
written). With the lock installed each writer sees the other's entry: both results are right and
both signatures load from the cache."""
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, sys.argv[1])
    from hybridnet.kernels.numba_cache import install
    install()
    from numba.core import caching
    cls = caching.IndexDataCacheFile
    si, sd = cls._save_index, cls._save_data
    d_index, d_data = {"A": (1.0, 3.0), "B": (2.0, 0.0)}[sys.argv[2]]
    def _save_index(self, overloads):
        time.sleep(d_index)
        return si(self, overloads)
    def _save_data(self, name, data):
        time.sleep(d_data)
        return sd(self, name, data)
    cls._save_index, cls._save_data = _save_index, _save_data
    import mod_race
    print(mod_race.f(3) if sys.argv[2] == "A" else mod_race.f(2.5))
""")

CHECK = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    import mod_race
    print(mod_race.f(3), mod_race.f(2.5), sum(mod_race.f.stats.cache_hits.values()))
""")


def test_concurrent_cache_writers_keep_signatures_apart(tmp_path):
    (tmp_path / "mod_race.py").write_text("import numba\n\n@numba.njit(cache=True)\ndef f(x):\n    return x * 2 + 1\n")
    (tmp_path / "child.py").write_text(CHILD)
    (tmp_path / "check.py").write_text(CHECK)
    procs = [subprocess.Popen([sys.executable, str(tmp_path / "child.py"), str(tmp_path), role],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for role in "AB"]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    assert [o[0].split() for o in outs] == [["7"], ["6.0"]]
    r = subprocess.run([sys.executable, str(tmp_path / "check.py"), str(tmp_path)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["7", "6.0", "2"]      # right answers, both from the cache
