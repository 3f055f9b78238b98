"""The README stays true: its example runs and CI runs its test command."""

import re
from pathlib import Path

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
