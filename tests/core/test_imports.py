"""Every module imports on its own in a fresh interpreter (catches core/plugin import cycles).

One interpreter imports only the third-party dependencies, then forks once per module: each child
imports its module first, with no conex module loaded before it, at the cost of one fork rather
than one torch import per module.
"""

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import conex
import conex_std

CHILD = """
import importlib, os, sys, traceback, warnings
import attrs, click, importlib_metadata, pluggy, torch, tqdm  # third-party only: no conex module yet
assert not any(m.startswith("conex") for m in sys.modules)
failed = []
for name in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        warnings.simplefilter("error")
        try:
            importlib.import_module(name)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    if os.waitpid(pid, 0)[1] != 0:
        failed.append(name)
print(" ".join(failed) or "ok")
"""


def _modules(package):
    yield package.__name__
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if not info.name.endswith("__main__"):
            yield info.name


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_every_module_imports_alone():
    modules = [*_modules(conex), *_modules(conex_std)]
    assert len(modules) > 20
    out = subprocess.run([sys.executable, "-c", CHILD, *modules], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_the_core_never_names_conex_std():
    core = Path(conex.__file__).parent
    offenders = [p.name for p in core.rglob("*.py") if "conex_std" in p.read_text()]
    assert offenders == []
