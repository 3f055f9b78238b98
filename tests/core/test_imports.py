"""Every module imports on its own in a fresh interpreter (catches core/plugin import cycles)."""

import pkgutil
import subprocess
import sys

import pytest

import conex
import conex_std


def _modules(package):
    yield package.__name__
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if not info.name.endswith("__main__"):
            yield info.name


@pytest.mark.parametrize("module", [*_modules(conex), *_modules(conex_std)])
def test_module_imports_alone(module):
    subprocess.run([sys.executable, "-W", "error", "-c", f"import {module}"], check=True, capture_output=True)


def test_the_core_never_names_conex_std():
    from pathlib import Path

    core = Path(conex.__file__).parent
    offenders = [p.name for p in core.rglob("*.py") if "conex_std" in p.read_text()]
    assert offenders == []
