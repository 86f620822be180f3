"""Every runnable example in hybridnet.gluon's docstrings (and testing.gluon) runs and prints what it
says."""
import doctest
import importlib
import pkgutil

import pytest

import hybridnet.gluon as gluon_pkg

MODULES = sorted({m.name for m in pkgutil.walk_packages(gluon_pkg.__path__, "hybridnet.gluon.")}
                 | {"hybridnet.gluon", "hybridnet.testing.gluon"})


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)          # examples that write files write them here
    mod = importlib.import_module(name)
    import hybridnet
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False,
                          extraglobs={"mx": hybridnet, "nd": hybridnet.nd})   # the usual preamble
    assert res.failed == 0, f"{name}: {res.failed} of {res.attempted} docstring examples failed"
