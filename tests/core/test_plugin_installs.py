"""Plugins installed for real, with pip, into a temporary virtual environment.

Fault tolerance (a plugin whose import fails, one whose hook raises, two that claim one name), the
triplet plugin's install / use-by-name / uninstall path, and ``conex new-plugin``'s package passing
its own tests once installed.

The temporary environment sees this interpreter's packages (torch, conex) through a ``.pth`` file
that calls ``site.addsitedir`` on a copy of our site-packages made of links: ``venv
--system-site-packages`` would expose the *base* interpreter's packages, which lack torch. The copy
leaves out every conex plugin installed here (a user's ``pip install ./plugins/conex-triplet``), so
each test sees conex's own ``std`` plus exactly the plugins it installs. Packages are installed with
``pip --python`` from this environment, ``--no-deps --no-build-isolation``, so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import textwrap
import venv
from pathlib import Path

import importlib_metadata
import pytest
from click.testing import CliRunner

import conex
from conex import DISTRIBUTION
from conex.cli import main
from conex.testing import CHECKS

pytestmark = pytest.mark.install

ROOT = Path(__file__).resolve().parents[2]
TRIPLET = ROOT / "plugins" / "conex-triplet"
TRIPLET_RULES = {
    f"{layout}{form}TripletSTDP"
    for layout in ("Simple", "Sparse", "One2One", "Conv2d", "Local2d")
    for form in ("", "Nearest")
}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def plugin_free_site(target: Path, source: Path | None = None) -> Path:
    """``target``: links to every entry of ``source`` (this interpreter's site-packages) but the conex plugins' files.

    A plugin is a distribution other than conex's own with an entry point in the ``conex`` group;
    its files (package, ``.dist-info``, an editable install's ``.pth`` and finder) are the
    top-level names of its ``RECORD``.
    """
    source = Path(sysconfig.get_paths()["purelib"]) if source is None else source
    hidden = {
        file.parts[0]
        for dist in importlib_metadata.distributions(path=[str(source)])
        if _canonical(dist.metadata["Name"]) != DISTRIBUTION and dist.entry_points.select(group="conex")
        for file in dist.files or ()
        if file.parts and file.parts[0] != ".."
    }
    target.mkdir()
    for item in source.iterdir():
        if item.name not in hidden:
            (target / item.name).symlink_to(item)
    return target


class Env:
    """A virtual environment layered over this interpreter's site-packages, less its conex plugins."""

    def __init__(self, path: Path) -> None:
        venv.EnvBuilder(with_pip=False).create(path)
        self.python = path / "bin" / "python"
        purelib = Path(
            subprocess.run(
                [self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
        parent = str(plugin_free_site(path / "parent-site"))
        (purelib / "_conex_parent.pth").write_text(f"import site; site.addsitedir({parent!r})\n")
        self.environ = {k: v for k, v in os.environ.items() if k not in ("CONEX_DISABLE_PLUGINS", "PYTHONPATH")}

    def run(self, *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.python, *map(str, args)], capture_output=True, text=True, env=self.environ, cwd=cwd, timeout=300
        )

    def pip(self, *args: str | Path) -> None:
        command = [sys.executable, "-m", "pip", "--python", str(self.python), *map(str, args)]
        done = subprocess.run(command, capture_output=True, text=True, env=self.environ, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr

    def install(self, *packages: Path) -> None:
        self.pip("install", "-q", "--no-deps", "--no-build-isolation", *packages)

    def conex(self, *commands: list[str | Path]) -> list[Result]:
        """Run ``conex`` command lines in one interpreter of this environment (one torch import)."""
        done = self.run("-c", DRIVER, json.dumps([[str(a) for a in c] for c in commands]))
        assert done.returncode == 0, done.stderr
        return [Result(*r) for r in json.loads(done.stdout.splitlines()[-1])]


class Result:
    """One command line's exit code, standard output and standard error."""

    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code, self.stdout, self.stderr = code, stdout, stderr

    def json(self):
        assert self.code == 0, self.stderr
        return json.loads(self.stdout)


# each command line runs through conex's click entry point as `conex ...` would, registry rebuilt each time
DRIVER = """
import json, sys
from click.testing import CliRunner
from conex.cli import main
from conex.registry import reset_registry
results = []
for args in json.loads(sys.argv[1]):
    reset_registry()
    result = CliRunner().invoke(main, args)
    results.append((result.exit_code, result.stdout, result.stderr))
print(json.dumps(results))
"""


def make_package(root: Path, name: str, entry_point: str, source: str) -> Path:
    """A one-module distribution ``name`` registering module ``name`` (dashes as underscores) as ``entry_point``."""
    module = name.replace("-", "_")
    folder = root / name
    folder.mkdir()
    (folder / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
            [build-system]
            requires = ["setuptools>=69"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "{name}"
            version = "1.2.3"

            [project.entry-points.conex]
            {entry_point} = "{module}"

            [tool.setuptools]
            py-modules = ["{module}"]
        """)
    )
    (folder / f"{module}.py").write_text(textwrap.dedent(source))
    return folder


def rule_source(*names: str, lab: str) -> str:
    classes = "".join(
        f'class {n}(Behavior):\n    """{n} of {lab}."""\n    priority = Phase.LEARNING\n    category = "synapse"\n\n\n'
        for n in names
    )
    hook = f"@hookimpl\ndef conex_behaviors():\n    return [{', '.join(names)}]\n"
    return f"from conex import Behavior, Phase, hookimpl\n\n\n{classes}{hook}"


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    """An environment with four plugins: one fails to import, one's hook raises, two claim ``Hebb``."""
    root = tmp_path_factory.mktemp("plugins")
    env = Env(root / "venv")
    packages = [
        make_package(root, "conex-broken", "broken", "raise ImportError('this plugin needs the cupy package')\n"),
        make_package(
            root,
            "conex-raising",
            "raising",
            "from conex import hookimpl\n\n\n@hookimpl\ndef conex_behaviors():\n    raise RuntimeError('no license')\n",
        ),
        make_package(root, "conex-lab-a", "lab_a", rule_source("Hebb", lab="lab A")),
        make_package(root, "conex-lab-b", "lab_b", rule_source("Hebb", "Oja", lab="lab B")),
    ]
    env.install(*packages)
    commands = [
        ["plugins", "--json"],
        ["plugins"],
        ["list-behaviors"],
        ["list-behaviors", "--json"],
        ["describe", "Hebb"],
        ["describe", "lab_b:Hebb"],
    ]
    return {" ".join(c): r for c, r in zip(commands, env.conex(*commands), strict=True)}


def test_conex_plugins_reports_each_failure_with_its_reason(faulty):
    status = {p["name"]: p for p in faulty["plugins --json"].json()}
    assert status["broken"]["status"] == "error"
    assert status["broken"]["error"] == "import failed: ImportError: this plugin needs the cupy package"
    assert status["raising"]["status"] == "error"
    assert status["raising"]["error"] == "conex_behaviors failed: RuntimeError: no license"
    for lab, other in (("lab_a", "lab_b"), ("lab_b", "lab_a")):
        assert status[lab]["status"] == "ok"
        assert status[lab]["version"] == "1.2.3"
        assert (
            status[lab]["error"] == f"behavior 'Hebb' is also provided by {other}; plain name refused, use {lab}:Hebb"
        )
    assert status["std"]["status"] == "ok"
    table = faulty["plugins"]
    assert table.code == 0
    assert "import failed: ImportError: this plugin needs the cupy package" in table.stdout


def test_list_behaviors_keeps_working_for_the_rest_and_warns(faulty):
    done = faulty["list-behaviors"]
    assert done.code == 0
    assert "warning: plugin 'broken': import failed: ImportError: this plugin needs the cupy package" in done.stderr
    assert "warning: plugin 'raising': conex_behaviors failed: RuntimeError: no license" in done.stderr
    names = [line.split()[0] for line in done.stdout.splitlines()[2:]]
    assert {"lab_a:Hebb", "lab_b:Hebb", "Oja", "SimpleSTDP", "LIF"} <= set(names)
    assert "Hebb" not in names
    listed = {(e["name"], e["plugin"]) for e in faulty["list-behaviors --json"].json()}
    assert {("Hebb", "lab_a"), ("Hebb", "lab_b"), ("Oja", "lab_b")} <= listed
    assert not {plugin for _, plugin in listed} & {"broken", "raising"}


def test_a_doubly_claimed_name_is_refused_plain_and_served_qualified(faulty):
    plain = faulty["describe Hebb"]
    assert plain.code == 2
    assert "'Hebb' is provided by several plugins; use one of lab_a:Hebb, lab_b:Hebb" in plain.stderr
    qualified = faulty["describe lab_b:Hebb"]
    assert qualified.code == 0
    assert "Hebb of lab B." in qualified.stdout


def test_the_triplet_plugin_installs_runs_by_name_and_uninstalls(tmp_path):
    env = Env(tmp_path / "venv")
    network = TRIPLET / "examples" / "triplet.toml"
    run = ["run", network, "--steps", "40", "--no-plots", "--no-progress", "--out"]
    env.install(TRIPLET)
    listed, ran = env.conex(["list-behaviors", "--plugin", "triplet", "--json"], [*run, tmp_path / "run"])
    assert {e["name"] for e in listed.json()} == TRIPLET_RULES
    assert {e["plugin"] for e in listed.json()} == {"triplet"}
    assert ran.code == 0, ran.stderr
    assert "input=>exc" in ran.stdout

    env.pip("uninstall", "-y", "-q", "conex-triplet")
    listed, plugins, gone = env.conex(["list-behaviors", "--json"], ["plugins", "--json"], [*run, tmp_path / "again"])
    assert not TRIPLET_RULES & {e["name"] for e in listed.json()}
    assert "SimpleSTDP" in {e["name"] for e in listed.json()}
    assert [p["name"] for p in plugins.json()] == ["std"]
    assert gone.code != 0
    assert "synapses.input_exc.SimpleTripletSTDP: no behavior named 'SimpleTripletSTDP'" in gone.stderr


def test_new_plugin_writes_a_package_that_installs_and_passes_its_tests(tmp_path):
    written = CliRunner().invoke(main, ["new-plugin", "fresh-lab", "--dir", str(tmp_path)])
    assert written.exit_code == 0, written.output
    package = tmp_path / "conex-fresh-lab"
    env = Env(tmp_path / "venv")
    env.install(package)
    # it depends on conex's own distribution, which the environment has (the test extra aside)
    meta = "from importlib.metadata import requires as r, version as v; print(r('conex-fresh-lab')[0], v('conex-snn'))"
    assert env.run("-c", meta).stdout.split() == ["conex-snn>=0.1.0", conex.__version__]
    tests = env.run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=package)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    # the example's own 3 tests, one per conformance check, and the completeness check
    assert f"{3 + len(CHECKS) + 1} passed" in tests.stdout


def _fake_dist(site: Path, name: str, files: list[str], entry_points: str = "") -> None:
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)
    record = [*files, f"{info.name}/METADATA", f"{info.name}/RECORD", "../../../bin/tool"]
    (info / "RECORD").write_text("".join(f"{f},,\n" for f in record))
    for file in files:
        (site / file).parent.mkdir(parents=True, exist_ok=True)
        (site / file).write_text("")


def test_the_layered_site_hides_installed_plugins_and_keeps_everything_else(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    _fake_dist(site, "conex-snn", ["__editable__.conex_snn-1.0.pth"], "[conex]\nstd = conex_std.plugin\n")
    _fake_dist(site, "conex-lab", ["conex_lab/__init__.py", "__editable__.conex_lab-1.0.pth"], "[conex]\nlab = x\n")
    _fake_dist(site, "torchish", ["torchish/__init__.py"], "[console_scripts]\nt = torchish:main\n")
    layered = plugin_free_site(tmp_path / "layered", site)
    assert sorted(p.name for p in layered.iterdir()) == [
        "__editable__.conex_snn-1.0.pth",
        "conex_snn-1.0.dist-info",
        "torchish",
        "torchish-1.0.dist-info",
    ]
    assert (layered / "torchish").resolve() == site / "torchish"
