"""Numba's disk cache of hybridnet kernels keyed on the code they inline (kernels/numba_cache.py).

A kernel that inlines ``exp32`` from ``cpu/simd.py`` must not be loaded from the disk cache after
``simd.py`` changed: Numba's own stamp only covers the kernel's defining file, so the old machine code
ran (found when ``exp32`` gained explicit FMAs). Each child process runs with its own
``NUMBA_CACHE_DIR`` and reports whether the kernel came from the cache; "an edit" is simulated by
replacing the toolchain digest before the first kernel is built."""
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    sys.path.insert(0, sys.argv[3])
    import numpy as np
    from hybridnet.kernels import numba_cache, load_kernels
    if sys.argv[2] == "edited":
        numba_cache._digests[False] = b"edited"
        numba_cache._digests[True] = b"edited-ops"
    load_kernels("cpu")
    from hybridnet.kernels.cpu.simd import fast_exp, _exp_array
    fast_exp(np.zeros(3, np.float32))
    import user_mod
    user_mod.g(1.5)
    k = _exp_array()
    print(sum(k.stats.cache_hits.values()), sum(user_mod.g.stats.cache_hits.values()))
""")

USER = "from numba import njit\n\n@njit(cache=True)\ndef g(x):\n    return x * 2\n"


@pytest.fixture()
def cache_env(tmp_path):
    (tmp_path / "user_mod.py").write_text(USER)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("NUMBA_DISABLE_JIT", None)

    def run(mode):
        r = subprocess.run([sys.executable, "-c", CHILD, ROOT, mode, str(tmp_path)], env=env,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        kernel_hits, user_hits = map(int, r.stdout.split())
        return kernel_hits, user_hits
    return run


def test_a_toolchain_edit_invalidates_cached_kernels_but_not_user_functions(cache_env):
    assert cache_env("same") == (0, 0)         # first process: both compiled and saved
    assert cache_env("same") == (1, 1)         # second: both loaded from the cache
    kernel_hits, user_hits = cache_env("edited")
    assert kernel_hits == 0, "a hybridnet kernel was loaded from a cache made with other toolchain code"
    assert user_hits == 1, "the user's own cached function must keep Numba's stamp"


def test_stamp_only_changes_for_files_in_the_package():
    from hybridnet.kernels import numba_cache as s
    outside = s.stamp("/tmp/somewhere/mod.py", b"numba")
    assert outside == b"numba"
    kern = s.stamp(os.path.join(s._PKG, "kernels", "cpu", "norm.py"), b"numba")
    ops = s.stamp(os.path.join(s._PKG, "ops", "reduce.py"), b"numba")
    assert kern[0] == b"numba" and kern[2] == s.toolchain_digest()
    assert ops[2] == s.toolchain_digest(ops=True) != kern[2]
