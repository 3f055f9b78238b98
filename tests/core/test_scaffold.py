"""``conex new-plugin``: the package it writes, loaded in-process (tests/core/test_plugin_installs.py installs one)."""

import importlib
import sys

import importlib_metadata
import pytest
import tomllib
from click.testing import CliRunner

from conex.cli import main
from conex.registry import load_registry
from conex.scaffold import ScaffoldError, plugin_files, write_plugin
from conex.testing import CHECKS, assert_complete, run_check

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

EXPECTED = {
    "pyproject.toml",
    "README.md",
    "src/conex_lab_x/__init__.py",
    "src/conex_lab_x/behaviors.py",
    "src/conex_lab_x/plugin.py",
    "src/conex_lab_x/conformance.py",
    "tests/conftest.py",
    "tests/test_behaviors.py",
    "tests/test_conformance.py",
}


def test_the_package_registers_its_plugin_through_the_entry_point():
    files = plugin_files("lab-x")
    assert set(files) == EXPECTED
    meta = tomllib.loads(files["pyproject.toml"])
    assert meta["project"]["name"] == "conex-lab-x"
    # conex's own distribution: the `conex` on the package index is an unrelated project
    assert meta["project"]["dependencies"] == ["conex-snn>=0.1.0"]
    assert "https://pypi.org/project/conex-snn/" in files["README.md"]
    assert meta["project"]["entry-points"]["conex"] == {"lab_x": "conex_lab_x.plugin"}
    assert meta["tool"]["setuptools"]["packages"] == ["conex_lab_x"]
    for path, text in files.items():
        if path.endswith(".py"):
            compile(text, path, "exec")
    assert 'TestConformance = conformance_suite(CONFORMANCE, plugin="lab_x")' in files["tests/test_conformance.py"]


@pytest.mark.parametrize("name", ["", "Lab", "my lab", "1lab", "lab-", "lab--x", "lab.x", "läb"])
def test_bad_names_are_refused(name):
    with pytest.raises(ScaffoldError, match="expected lowercase letters and digits"):
        plugin_files(name)


def test_nothing_is_overwritten(tmp_path):
    root = write_plugin("lab", tmp_path)
    assert root == tmp_path / "conex-lab"
    (root / "README.md").write_text("my notes")
    with pytest.raises(ScaffoldError, match="already exists and is not an empty folder: nothing was written"):
        write_plugin("lab", tmp_path)
    assert (root / "README.md").read_text() == "my notes"
    result = CliRunner().invoke(main, ["new-plugin", "lab", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "already exists" in result.stderr
    (tmp_path / "conex-empty").mkdir()
    assert write_plugin("empty", tmp_path) == tmp_path / "conex-empty"


def test_the_written_plugin_loads_and_its_behavior_passes_the_conformance_suite(tmp_path, monkeypatch):
    result = CliRunner().invoke(main, ["new-plugin", "lab-y", "--dir", str(tmp_path)])
    assert result.exit_code == 0
    assert f"wrote {tmp_path / 'conex-lab-y'}" in result.stdout
    monkeypatch.syspath_prepend(str(tmp_path / "conex-lab-y" / "src"))
    registry = load_registry([importlib_metadata.EntryPoint("lab_y", "conex_lab_y.plugin", "conex")])
    assert [(e.name, e.plugin, e.priority) for e in registry] == [("LabYSpikeCount", "lab_y", 365)]
    conformance = importlib.import_module("conex_lab_y.conformance")
    assert_complete(conformance.CONFORMANCE, "lab_y", registry)
    for check in CHECKS:
        assert run_check(conformance.CONFORMANCE[0], check, registry) is None
