"""The command line, driven through click's CliRunner."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conex import Behavior, Phase, gt, param
from conex import cli as cli_module
from conex.cli import main
from conex.registry import BehaviorEntry, PluginStatus, Registry


class Decay(Behavior):
    """Decays something.

    More detail that describe shows.
    """

    priority = Phase.PRE_TRACE
    category = "synapse"
    tau_s: float = param(positional=True, check=gt(0), unit="ms", doc="time constant")
    spike_scale: float = param(1.0, doc="increment per spike")


class Grow(Behavior):
    """Grows something."""

    category = "neuron"


@pytest.fixture
def runner(monkeypatch):
    reg = Registry(
        [
            BehaviorEntry("Grow", Grow, "lab", "0.2"),
            BehaviorEntry("Decay", Decay, "std", "0.1.0"),
            BehaviorEntry("Decay", Grow, "lab", "0.2"),
            BehaviorEntry("Alone", Grow, "std", "0.1.0"),
        ],
        [
            PluginStatus("std", "0.1.0", "ok", None, ("Alone", "Decay")),
            PluginStatus("lab", "0.2", "ok", None, ("Decay", "Grow")),
            PluginStatus("broken", "9", "error", "import failed: ImportError: no module named cupy"),
        ],
    )
    monkeypatch.setattr(cli_module, "get_registry", lambda: reg)
    return CliRunner()


def test_list_behaviors_table(runner):
    result = runner.invoke(main, ["list-behaviors"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["behavior", "plugin", "category", "priority", "description"]
    names = [line.split()[0] for line in lines[2:]]
    assert names == ["Alone", "lab:Decay", "Decay", "Grow"]  # the plain name a std behavior has stays std's
    assert "Decay      std     synapse   460       Decays something." in result.stdout
    assert "warning: plugin 'broken': import failed: ImportError: no module named cupy" in result.stderr


def test_list_behaviors_json_is_sorted_and_stable(runner):
    first = runner.invoke(main, ["list-behaviors", "--json"])
    second = runner.invoke(main, ["list-behaviors", "--json"])
    assert first.exit_code == 0
    assert first.stdout == second.stdout
    data = json.loads(first.stdout)
    assert [(d["name"], d["plugin"]) for d in data] == [
        ("Alone", "std"),
        ("Decay", "lab"),
        ("Decay", "std"),
        ("Grow", "lab"),
    ]
    decay = data[2]
    assert decay["parameters"][0]["name"] == "tau_s"
    assert decay["parameters"][0]["required"] is True
    assert decay["priority"] == 460


@pytest.mark.parametrize(
    ("args", "expected"),
    [(["--plugin", "lab"], ["lab:Decay", "Grow"]), (["--category", "synapse"], ["Decay"])],
)
def test_list_behaviors_filters(runner, args, expected):
    result = runner.invoke(main, ["list-behaviors", *args])
    assert [line.split()[0] for line in result.stdout.splitlines()[2:]] == expected


def test_describe_shows_the_parameter_table(runner):
    result = runner.invoke(main, ["describe", "std:Decay"])
    assert result.exit_code == 0
    assert "Decays something." in result.stdout
    assert "More detail that describe shows." in result.stdout
    assert "default priority: 460" in result.stdout
    assert "tau_s        float  (required)  ms    time constant; must be > 0" in result.stdout
    assert "spike_scale  float  1.0               increment per spike" in result.stdout
    data = json.loads(runner.invoke(main, ["describe", "Grow", "--json"]).stdout)
    assert data["plugin"] == "lab"
    assert data["parameters"] == []


def test_describe_unknown_name_is_one_line_with_close_matches_and_exit_2(runner):
    result = runner.invoke(main, ["describe", "Grwo"])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: no behavior named 'Grwo'; did you mean Grow?; "
        "plugin 'broken' failed to load (import failed: ImportError: no module named cupy)\n"
    )
    assert "Traceback" not in result.output


def test_describe_a_name_std_shares_with_another_plugin_shows_std_s(runner):
    result = runner.invoke(main, ["describe", "Decay"])
    assert result.exit_code == 0
    assert result.stdout.startswith("Decay  (std 0.1.0)")
    assert "Grows something." in runner.invoke(main, ["describe", "lab:Decay"]).stdout


def test_plugins_table_reports_status_and_reason(runner):
    result = runner.invoke(main, ["plugins"])
    assert result.exit_code == 0
    rows = result.stdout.splitlines()[2:]
    assert rows[0].split()[:3] == ["broken", "9", "error"]
    assert rows[0].endswith("import failed: ImportError: no module named cupy")
    assert [r.split()[0] for r in rows] == ["broken", "lab", "std"]
    data = json.loads(runner.invoke(main, ["plugins", "--json"]).stdout)
    assert data[2] == {
        "name": "std",
        "version": "0.1.0",
        "status": "ok",
        "error": None,
        "behaviors": ["Alone", "Decay"],
    }


def test_version():
    import conex

    result = CliRunner().invoke(main, ["--version"])
    assert result.stdout == f"conex, version {conex.__version__}\n"


def test_python_dash_m_conex_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "conex", "--help"], capture_output=True, text=True, check=True)
    for command in ("list-behaviors", "describe", "plugins"):
        assert command in out.stdout
