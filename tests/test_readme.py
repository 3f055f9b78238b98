"""The README stays true: its example runs, CI runs its test command, the extras and commands it names exist."""

import re
import sys
from pathlib import Path

from conex import DISTRIBUTION
from conex.cli import main

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_the_readme_example_runs_and_learns():
    (code,) = re.findall(r"```python\n(.*?)```", README, re.S)
    code = code.replace("net.simulate(1000)", "net.simulate(300, progress=False)")
    code = code.replace("net.initialize()", "net.initialize(); w0 = net.synapse_groups[0].weights.clone()")
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    net = namespace["net"]
    syn = net.synapse_groups[0]
    assert net.iteration == 300
    assert syn.weights.shape == (100, 100)
    assert (syn.weights - namespace["w0"]).abs().max() > 1e-3, "STDP never changed the weights"
    assert float(syn.post_trace.sum()) > 0, "the excitatory group never fired"


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"^(python3 -m venv .*)$", README, re.M)
    assert len(commands) == 2
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_the_extras_the_readme_installs_exist_under_the_distribution_name():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == DISTRIBUTION == "conex-snn"
    named = re.findall(r'pip install [^`\n]*?"(?:\.|conex-snn)\[([\w,]+)\]"', README)
    extras = {extra for group in named for extra in group.split(",")}
    assert {"demo", "test", "docs", "sweep"} <= extras
    assert extras <= set(project["optional-dependencies"])
    assert not re.search(r"pip install [^`\n]*conex\[", README), "the distribution is conex-snn"
    assert "source .venv/bin/activate" in README


def test_every_command_in_the_readme_table_is_a_conex_command():
    table = re.findall(r"^\| `conex ([\w-]+)", README, re.M)
    assert set(table) == set(main.commands)
