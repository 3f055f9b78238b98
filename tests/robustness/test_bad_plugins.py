"""Plugins that break in every way a plugin can: conex keeps working, and says which plugin broke and why.

Each case is a fake plugin module written into a temporary import path and handed to the registry as
an entry point (nothing is installed), next to a healthy plugin ``good_lab`` providing ``Fine``. The
table asserts, for each: the registry still builds and ``Fine`` resolves, the broken plugin's status
and reason, the broken plugin's healthy classes kept where it had some, and, through the real command
line, that ``conex list-behaviors`` and ``conex plugins`` exit 0 without a traceback and warn about it.
"""

import os
import signal
import subprocess
import sys
import textwrap

import importlib_metadata
import pytest
from click.testing import CliRunner

import conex.behaviors
from conex import registry
from conex.cli import main
from conex.config import ConfigError, build_network, parse_config
from conex.errors import AmbiguousBehaviorError, UnknownBehaviorError

HEADER = "import sys\nfrom conex import Behavior, Phase, hookimpl, param\n"
KEPT = 'class Kept(Behavior):\n    """Kept although its neighbour is refused."""\n    category = "synapse"\n'


def behaviors_hook(*names):
    return "@hookimpl\ndef conex_behaviors():\n    return [" + ", ".join(names) + "]\n"


def bad_class(body):
    """A plugin with a healthy class Kept and a class Bad whose body is ``body``."""
    return KEPT + "class Bad(Behavior):\n" + textwrap.indent(body, "    ") + "\n" + behaviors_hook("Kept", "Bad")


# (id, module source, entry-point attribute or None, expected status, text the reason contains)
CASES = [
    (
        "import/raises-RuntimeError",
        "raise RuntimeError('no CUDA toolkit')",
        None,
        "error",
        "import failed: RuntimeError: no CUDA toolkit",
    ),
    (
        "import/missing-dependency",
        "import conex_no_such_dependency_xyz",
        None,
        "error",
        "import failed: ModuleNotFoundError: No module named 'conex_no_such_dependency_xyz'",
    ),
    ("import/syntax-error", "def broken(:\n    pass", None, "error", "import failed: SyntaxError"),
    ("import/sys-exit-code", "sys.exit(3)", None, "error", "import failed: SystemExit(3): the plugin called sys.exit"),
    ("import/sys-exit-none", "sys.exit()", None, "error", "import failed: SystemExit(None)"),
    ("import/sys-exit-message", "sys.exit('cannot start')", None, "error", "SystemExit('cannot start')"),
    (
        "import/raises-KeyboardInterrupt",
        "raise KeyboardInterrupt",
        None,
        "error",
        "import failed: KeyboardInterrupt raised by the plugin itself (not a Ctrl-C)",
    ),
    ("import/raises-GeneratorExit", "raise GeneratorExit('closed')", None, "error", "GeneratorExit: closed"),
    (
        "import/custom-BaseException",
        "class Boom(BaseException):\n    pass\nraise Boom('loud')",
        None,
        "error",
        "import failed: Boom: loud",
    ),
    (
        "import/unprintable-exception",
        "class Odd(Exception):\n    def __str__(self):\n        raise ValueError\nraise Odd()",
        None,
        "error",
        "import failed: Odd: (its message cannot be read)",
    ),
    (
        "import/multiline-message",
        "raise RuntimeError('first line\\n' + 'x' * 5000)",
        None,
        "error",
        "import failed: RuntimeError: first line",
    ),
    ("import/missing-attribute", "X = 1", "no_such_object", "error", "import failed: AttributeError"),
    (
        "register/hook-with-unknown-argument",
        "@hookimpl\ndef conex_behaviors(config):\n    return []",
        None,
        "error",
        "register failed: PluginValidationError",
    ),
    ("register/misspelled-hook", "@hookimpl\ndef conex_behavoirs():\n    return []", None, "error", "invalid hook: "),
    (
        "hook/raises-ValueError",
        "@hookimpl\ndef conex_behaviors():\n    raise ValueError('no license')",
        None,
        "error",
        "conex_behaviors failed: ValueError: no license",
    ),
    (
        "hook/calls-sys-exit",
        "@hookimpl\ndef conex_behaviors():\n    sys.exit(2)",
        None,
        "error",
        "conex_behaviors failed: SystemExit(2)",
    ),
    (
        "hook/raises-KeyboardInterrupt",
        "@hookimpl\ndef conex_behaviors():\n    raise KeyboardInterrupt",
        None,
        "error",
        "conex_behaviors failed: KeyboardInterrupt raised by the plugin itself",
    ),
    (
        "hook/returns-a-class-not-a-list",
        KEPT + "@hookimpl\ndef conex_behaviors():\n    return Kept",
        None,
        "error",
        "conex_behaviors failed: returned <class",
    ),
    (
        "hook/returns-a-string",
        "@hookimpl\ndef conex_behaviors():\n    return 'Kept'",
        None,
        "error",
        "conex_behaviors failed: returned 'Kept', expected a list",
    ),
    (
        "hook/generator-raises-midway",
        KEPT + "@hookimpl\ndef conex_behaviors():\n    yield Kept\n    raise OSError('disk gone')",
        None,
        "error",
        "conex_behaviors failed: OSError: disk gone",
    ),
    (
        "class/priority-string",
        bad_class("priority = 'abc'"),
        None,
        "partial",
        "refused Bad.priority: expected an int or None, got 'abc'",
    ),
    ("class/priority-float", bad_class("priority = 3.5"), None, "partial", "Bad.priority: expected an int or None"),
    ("class/priority-bool", bad_class("priority = True"), None, "partial", "Bad.priority: expected an int or None"),
    (
        "class/category-unknown",
        bad_class("category = 'synapses'"),
        None,
        "partial",
        "Bad.category: expected one of synapse, neuron, network, any, got 'synapses'",
    ),
    (
        "class/requires-a-string",
        bad_class("requires = 'pre_spike'"),
        None,
        "partial",
        "Bad.requires: expected a tuple of attribute names (strings), got 'pre_spike'",
    ),
    ("class/provides-numbers", bad_class("provides = [1, 2]"), None, "partial", "Bad.provides: expected a tuple"),
    ("class/requires-not-a-sequence", bad_class("requires = 5"), None, "partial", "Bad.requires: expected a tuple"),
    (
        "class/supports-replicas-string",
        bad_class("supports_replicas = 'yes'"),
        None,
        "partial",
        "Bad.supports_replicas: expected True or False, got 'yes'",
    ),
    (
        "class/describe-parameters-raises",
        bad_class("@classmethod\ndef describe_parameters(cls):\n    raise RuntimeError('table broken')"),
        None,
        "partial",
        "Bad: reading its description or parameters raised RuntimeError: table broken",
    ),
    (
        "class/docstring-raises",
        "class Raising:\n    def __get__(self, obj, owner):\n        raise LookupError('no doc')\n"
        + bad_class("__doc__ = Raising()"),
        None,
        "partial",
        "raised LookupError: no doc",
    ),
    (
        "class/name-with-colon",
        KEPT + "Bad = type('lab:Bad', (Behavior,), {})\n" + behaviors_hook("Kept", "Bad"),
        None,
        "partial",
        "lab:Bad: ':' in a behavior name clashes with plugin:Name",
    ),
    (
        "class/not-a-behavior",
        KEPT + "class Plain:\n    pass\n" + behaviors_hook("Kept", "Plain"),
        None,
        "partial",
        "Plain is a non-Behavior class",
    ),
    ("class/builtin-type", KEPT + behaviors_hook("Kept", "int"), None, "partial", "int is a non-Behavior class"),
    ("class/an-instance", KEPT + behaviors_hook("Kept", "Kept()"), None, "partial", "is not a class"),
    (
        "class/a-function",
        KEPT + "def helper():\n    pass\n" + behaviors_hook("Kept", "helper"),
        None,
        "partial",
        "<function helper",
    ),
    (
        "class/two-classes-one-name",
        KEPT + "First = Kept\nclass Kept(Behavior):\n    pass\n" + behaviors_hook("First", "Kept"),
        None,
        "partial",
        "Kept: a second class of that name from the same plugin",
    ),
    (
        "class/every-class-bad",
        "class Bad(Behavior):\n    priority = 'abc'\n" + behaviors_hook("Bad"),
        None,
        "error",
        "refused Bad.priority",
    ),
    (
        "demo/not-a-command",
        KEPT + behaviors_hook("Kept") + "@hookimpl\ndef conex_demos():\n    return [42]",
        None,
        "partial",
        "demo 42 is not a named click.Command",
    ),
    (
        "demo/hook-raises",
        KEPT + behaviors_hook("Kept") + "@hookimpl\ndef conex_demos():\n    raise ImportError('no sklearn')",
        None,
        "partial",
        "conex_demos failed: ImportError: no sklearn",
    ),
]


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def entry_point(folder, module, source, attribute=None):
    (folder / f"{module}.py").write_text(HEADER + source + "\n")
    value = module if attribute is None else f"{module}:{attribute}"
    return importlib_metadata.EntryPoint(name=module, value=value, group="conex")


def good(folder):
    source = 'class Fine(Behavior):\n    """A healthy behavior."""\n    priority = Phase.LEARNING\n' + behaviors_hook(
        "Fine"
    )
    return entry_point(folder, "good_lab", source)


@pytest.fixture
def installed(monkeypatch):
    """Make the given entry points the installed ones, for the real command line."""

    def install(eps):
        monkeypatch.setattr(registry.importlib_metadata, "entry_points", lambda group: list(eps))
        monkeypatch.setattr(registry.Registry, "_installed", None)

    yield install
    registry.reset_registry()


@pytest.mark.parametrize(("source", "attribute", "status", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_broken_plugin_is_reported_and_the_rest_keeps_working(
    plugin_dir, installed, source, attribute, status, reason
):
    module = f"bad_{abs(hash(source)) % 10**8}"  # a fresh module name per case: nothing cached between cases
    eps = [entry_point(plugin_dir, module, source, attribute), good(plugin_dir)]
    reg = registry.load_registry(eps)
    assert reg.get("Fine").__name__ == "Fine"
    assert reg.entry("good_lab:Fine").priority == 500
    found = {p.name: p for p in reg.plugins}
    assert found["good_lab"].status == "ok"
    assert found[module].status == status
    assert reason in found[module].error
    assert "\n" not in found[module].error
    if status == "partial":
        assert found[module].behaviors == (("Kept",) if "Kept" in source else ())
        if "Kept" in source:
            assert reg.get(f"{module}:Kept").__name__ == "Kept"

    installed(eps)
    runner = CliRunner()
    listed = runner.invoke(main, ["list-behaviors"])
    assert (listed.exit_code, listed.exception) == (0, None)
    assert "Fine" in listed.stdout.split()
    assert "Traceback" not in listed.output
    assert f"warning: plugin {module!r}: " in listed.stderr
    assert reason in listed.stderr
    shown = runner.invoke(main, ["plugins", "--json"])
    assert (shown.exit_code, shown.exception) == (0, None)
    assert "Traceback" not in shown.output
    table = runner.invoke(main, ["plugins"])
    row = next(line for line in table.stdout.splitlines() if line.startswith(module))
    assert row.split()[1:2] == [status]


def test_the_table_has_twenty_cases_or_more_in_each_stage():
    stages = [case[0].split("/")[0] for case in CASES]
    assert len(CASES) >= 20
    assert {s: stages.count(s) for s in dict.fromkeys(stages)} == {
        "import": 12,
        "register": 2,
        "hook": 6,
        "class": 17,
        "demo": 2,
    }


def test_a_real_ctrl_c_while_a_plugin_imports_still_stops_conex(plugin_dir):
    source = "import signal\nsignal.raise_signal(signal.SIGINT)"  # the user's Ctrl-C arrives during the import
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        registry.load_registry([entry_point(plugin_dir, "slow_lab", source), good(plugin_dir)])
    assert signal.getsignal(signal.SIGINT) is before


def test_the_interrupt_handler_is_restored_after_loading(plugin_dir):
    before = signal.getsignal(signal.SIGINT)
    registry.load_registry([entry_point(plugin_dir, "quiet_lab", "raise KeyboardInterrupt"), good(plugin_dir)])
    assert signal.getsignal(signal.SIGINT) is before


# -- names: std keeps its plain names, broken plugins are named when their behaviors are asked for -------


def providing(folder, module, *names, doc="from a lab"):
    classes = "".join(f'class {n}(Behavior):\n    """{n} {doc}."""\n    category = "synapse"\n' for n in names)
    return entry_point(folder, module, classes + behaviors_hook(*names))


def test_a_plugin_exporting_a_std_name_leaves_the_plain_name_to_std(plugin_dir):
    real = list(importlib_metadata.entry_points(group="conex"))
    reg = registry.load_registry([*real, providing(plugin_dir, "stdp_lab", "SimpleSTDP", "LabOnly")])
    assert reg.get("SimpleSTDP").__module__ == "conex_std.synapses.learning"
    assert reg.get("stdp_lab:SimpleSTDP").__module__ == "stdp_lab"
    assert reg.shadowed["SimpleSTDP"] == ["stdp_lab"]
    status = {p.name: p for p in reg.plugins}
    assert status["stdp_lab"].status == "ok"
    assert "shadows std's SimpleSTDP: the plain name SimpleSTDP stays std's, this one is stdp_lab:SimpleSTDP" in (
        status["stdp_lab"].error
    )
    assert status["std"].error is None
    # an existing network file naming SimpleSTDP still means std's
    text = """
[groups.a]
size = 3
[groups.a.NeuronAxon]
[synapses.s]
src = "a"
dst = "a"
[synapses.s.SynapseInit]
[synapses.s.SimpleSTDP]
a_plus = 0.01
a_minus = 0.01
"""
    net = build_network(parse_config(text), registry=reg)
    rule = next(b for b in net.synapse_groups[0].behavior.values() if type(b).__name__ == "SimpleSTDP")
    assert type(rule).__module__ == "conex_std.synapses.learning"


def test_the_cli_lists_std_plain_and_the_shadowing_plugin_qualified(plugin_dir, installed):
    real = list(importlib_metadata.entry_points(group="conex"))
    installed([*real, providing(plugin_dir, "shadow_lab", "SimpleSTDP")])
    result = CliRunner().invoke(main, ["list-behaviors"])
    names = [line.split()[0] for line in result.stdout.splitlines()[2:]]
    assert "SimpleSTDP" in names
    assert "shadow_lab:SimpleSTDP" in names
    assert "std:SimpleSTDP" not in names
    table = CliRunner().invoke(main, ["plugins"]).stdout
    assert "shadows std's SimpleSTDP" in next(line for line in table.splitlines() if line.startswith("shadow_lab"))


def test_std_wins_over_two_other_plugins_and_two_others_alone_are_refused_listing_both(plugin_dir):
    std = providing(plugin_dir, "std", "Rule", doc="from std")
    one, two = providing(plugin_dir, "one_lab", "Rule"), providing(plugin_dir, "two_lab", "Rule")
    assert registry.load_registry([std, one, two]).get("Rule").__module__ == "std"
    with pytest.raises(
        AmbiguousBehaviorError, match=r"'Rule' is provided by several plugins; use one of one_lab:Rule, two_lab:Rule"
    ):
        registry.load_registry([one, two]).get("Rule")


@pytest.mark.parametrize(
    ("request_name", "message"),
    [
        (
            "broken_lab:Hebb",
            r"no behavior named 'broken_lab:Hebb': plugin 'broken_lab' failed to load "
            r"\(import failed: RuntimeError: no CUDA\)",
        ),
        (
            "Hebb",
            r"no behavior named 'Hebb'; plugin 'broken_lab' failed to load \(import failed: RuntimeError: no CUDA\)",
        ),
        (
            "Bad",
            r"no behavior named 'Bad'; plugin 'half_lab' provides 'Bad' but it was refused: "
            r"Bad\.priority: expected an int or None, got 'abc'",
        ),
        ("half_lab:Bad", r"plugin 'half_lab' provides 'Bad' but it was refused: Bad\.priority"),
        ("nowhere_lab:Hebb", r"no plugin named 'nowhere_lab' \(plugins: broken_lab, good_lab, half_lab\)"),
        ("good_lab:Fien", r"plugin 'good_lab' has no behavior 'Fien'; did you mean good_lab:Fine\?"),
    ],
    ids=[
        "qualified-of-failed",
        "plain-while-one-failed",
        "refused-class",
        "qualified-refused",
        "unknown-plugin",
        "typo-in-plugin",
    ],
)
def test_asking_for_a_missing_behavior_names_the_plugin_that_failed(plugin_dir, monkeypatch, request_name, message):
    eps = [
        entry_point(plugin_dir, "broken_lab", "raise RuntimeError('no CUDA')"),
        entry_point(plugin_dir, "half_lab", bad_class("priority = 'abc'")),
        good(plugin_dir),
    ]
    reg = registry.load_registry(eps)
    with pytest.raises(UnknownBehaviorError, match=message):
        reg.get(request_name)
    with pytest.raises(ConfigError, match=r"groups\.g\.") as info:
        build_network(parse_config(f'[groups.g]\nsize = 2\n[groups.g."{request_name}"]\n'), registry=reg)
    assert "Traceback" not in str(info.value)
    monkeypatch.setattr(conex.behaviors, "get_registry", lambda: reg)
    if ":" not in request_name:
        with pytest.raises(AttributeError, match=message):
            getattr(conex.behaviors, request_name)
    with pytest.raises(UnknownBehaviorError, match=message):
        conex.behaviors.get(request_name)


def test_an_installed_plugin_that_calls_sys_exit_on_import_does_not_take_the_command_line_down(tmp_path):
    """The reported case, end to end: a dist-info on the path, the real ``conex`` in a subprocess."""
    (tmp_path / "exiting_lab.py").write_text("import sys\nsys.exit(7)\n")
    info = tmp_path / "exiting_lab-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: exiting-lab\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[conex]\nexiting_lab = exiting_lab\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    command = [sys.executable, "-m", "conex"]
    listed = subprocess.run([*command, "list-behaviors"], capture_output=True, text=True, env=env, check=False)
    assert listed.returncode == 0
    assert "SimpleSTDP" in listed.stdout
    assert "warning: plugin 'exiting_lab': import failed: SystemExit(7): the plugin called sys.exit" in listed.stderr
    assert "Traceback" not in listed.stderr
    shown = subprocess.run([*command, "plugins"], capture_output=True, text=True, env=env, check=False)
    assert shown.returncode == 0
    row = next(line for line in shown.stdout.splitlines() if line.startswith("exiting_lab"))
    assert row.split()[1:3] == ["1.0", "error"]
