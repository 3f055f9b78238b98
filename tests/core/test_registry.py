"""Plugin discovery through entry points: sorting, duplicates, broken plugins, blocking, lazy access."""

import textwrap

import importlib_metadata
import pytest

import conex
from conex import registry
from conex.errors import AmbiguousBehaviorError, UnknownBehaviorError

PLUGIN_TEMPLATE = """
from conex import Behavior, Phase, hookimpl, param, gt

{classes}

@hookimpl
def conex_behaviors():
    {body}
"""


@pytest.fixture
def make_plugin(tmp_path, monkeypatch):
    """Write a plugin module into a temporary import path; return an entry point for it."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(module, names=(), body=None, source=None):
        classes = "\n\n".join(
            f'class {n}(Behavior):\n    """{n} from {module}."""\n    priority = Phase.LEARNING\n'
            f'    category = "synapse"\n    rate: float = param(1.0, check=gt(0), unit="Hz", doc="a rate")\n'
            for n in names
        )
        text = source or PLUGIN_TEMPLATE.format(classes=classes, body=body or f"return [{', '.join(names)}]")
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(text))
        return importlib_metadata.EntryPoint(name=module, value=module, group="conex")

    return make


def test_entries_are_sorted_by_name_whatever_the_hook_order(make_plugin):
    eps = [make_plugin("zeta", ["Zed", "Alpha"]), make_plugin("beta", ["Mid"])]
    reg = registry.load_registry(eps)
    assert [e.name for e in reg] == ["Alpha", "Mid", "Zed"]
    assert [e.plugin for e in reg] == ["zeta", "beta", "zeta"]
    assert [p.name for p in reg.plugins] == ["beta", "zeta"]
    assert [e.name for e in registry.load_registry(reversed(eps))] == ["Alpha", "Mid", "Zed"]


def test_an_entry_describes_its_behavior(make_plugin):
    reg = registry.load_registry([make_plugin("labplug", ["Hebb"])])
    entry = reg.entry("Hebb")
    assert (entry.plugin, entry.category, entry.priority, entry.doc) == (
        "labplug",
        "synapse",
        500,
        "Hebb from labplug.",
    )
    assert entry.qualified_name == "labplug:Hebb"
    params = entry.as_dict()["parameters"]
    assert params == [
        {
            "name": "rate",
            "type": "float",
            "default": 1.0,
            "required": False,
            "unit": "Hz",
            "doc": "a rate",
            "expected": "> 0",
            "per_replica": False,
        }
    ]


def test_duplicate_names_are_reachable_qualified_and_refused_plain(make_plugin):
    reg = registry.load_registry([make_plugin("one", ["Rule"]), make_plugin("two", ["Rule", "Other"])])
    assert reg.get("one:Rule") is not reg.get("two:Rule")
    with pytest.raises(AmbiguousBehaviorError) as info:
        reg.get("Rule")
    assert "one:Rule" in str(info.value)
    assert "two:Rule" in str(info.value)
    assert reg.duplicates == {"Rule": ["one", "two"]}
    status = {p.name: p for p in reg.plugins}
    assert "also provided by two" in status["one"].error
    assert status["two"].status == "ok"
    assert reg.get("Other").__name__ == "Other"


def test_a_plugin_that_fails_to_import_is_reported_and_skipped(make_plugin):
    broken = make_plugin("broken", source="raise RuntimeError('missing CUDA toolkit')\n")
    reg = registry.load_registry([broken, make_plugin("good", ["Fine"])])
    assert reg.names() == ["Fine"]
    status = {p.name: p for p in reg.plugins}
    assert status["broken"].status == "error"
    assert status["broken"].error == "import failed: RuntimeError: missing CUDA toolkit"


def test_a_plugin_whose_hook_raises_is_reported_and_skipped(make_plugin):
    bad = make_plugin("raiser", body="raise KeyError('oops')")
    reg = registry.load_registry([bad, make_plugin("good", ["Fine"])])
    assert reg.names() == ["Fine"]
    assert {p.name: p.error for p in reg.plugins}["raiser"] == "conex_behaviors failed: KeyError: 'oops'"


def test_a_hook_returning_non_behaviors_is_reported(make_plugin):
    reg = registry.load_registry([make_plugin("odd", body="return [int]")])
    assert "non-Behavior" in {p.name: p.error for p in reg.plugins}["odd"]
    assert len(reg) == 0


def test_a_misspelled_hook_fails_check_pending_for_that_plugin_only(make_plugin):
    source = "from conex import hookimpl\n@hookimpl\ndef conex_behavoirs():\n    return []\n"
    reg = registry.load_registry([make_plugin("typo", source=source), make_plugin("good", ["Fine"])])
    status = {p.name: p for p in reg.plugins}
    assert status["typo"].status == "error"
    assert "conex_behavoirs" in status["typo"].error
    assert reg.names() == ["Fine"]


def test_plugins_can_be_disabled_by_environment(make_plugin, monkeypatch):
    monkeypatch.setenv("CONEX_DISABLE_PLUGINS", "noisy, other")
    reg = registry.load_registry([make_plugin("noisy", ["Loud"]), make_plugin("good", ["Fine"])])
    assert reg.names() == ["Fine"]
    assert {p.name: p.status for p in reg.plugins} == {"good": "ok", "noisy": "disabled"}


def test_unknown_names_suggest_close_matches(make_plugin):
    reg = registry.load_registry([make_plugin("lab", ["SimpleSTDP"])])
    with pytest.raises(UnknownBehaviorError, match=r"no behavior named 'SimpleSTPD'; did you mean SimpleSTDP\?"):
        reg.get("SimpleSTPD")


def test_providers_are_found_by_attribute(make_plugin):
    source = (
        "from conex import Behavior, hookimpl\n"
        "class Tracer(Behavior):\n    provides = ('post_trace',)\n"
        "@hookimpl\ndef conex_behaviors():\n    return [Tracer]\n"
    )
    reg = registry.load_registry([make_plugin("tr", source=source)])
    assert reg.providers_of("post_trace") == ["Tracer"]
    assert reg.providers_of("nothing") == []


def test_an_installed_distribution_is_found_through_its_dist_info(tmp_path, monkeypatch):
    """A plugin installed the way pip installs one: a module plus a dist-info with entry_points.txt."""
    (tmp_path / "labrules.py").write_text(
        "from conex import Behavior, hookimpl\n"
        'class LabRule(Behavior):\n    """A lab rule."""\n'
        "@hookimpl\ndef conex_behaviors():\n    return [LabRule]\n"
    )
    info = tmp_path / "labrules-2.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: labrules\nVersion: 2.1.0\n")
    (info / "entry_points.txt").write_text("[conex]\nlab = labrules\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = registry.load_registry()
    entry = reg.entry("LabRule")
    assert (entry.plugin, entry.version) == ("lab", "2.1.0")
    assert {p.name: p.version for p in reg.plugins}["lab"] == "2.1.0"


def test_conex_behaviors_resolves_lazily_through_the_registry(monkeypatch, make_plugin):
    reg = registry.load_registry([make_plugin("lazy", ["Lazy"])])
    monkeypatch.setattr(registry, "get_registry", lambda: reg)
    import conex.behaviors as behaviors

    monkeypatch.setattr(behaviors, "get_registry", lambda: reg)
    from conex.behaviors import Lazy

    assert Lazy is reg.get("Lazy")
    assert "Lazy" in dir(behaviors)
    with pytest.raises(ImportError):
        from conex.behaviors import Missing  # noqa: F401
    assert conex.behaviors.get("lazy:Lazy") is Lazy


def test_a_disabled_plugin_is_blocked_in_the_plugin_manager_and_never_imported(make_plugin, monkeypatch):
    monkeypatch.setenv("CONEX_DISABLE_PLUGINS", "blocked_lab")
    blocked = make_plugin("blocked_lab", source="raise RuntimeError('imported although disabled')\n")
    reg = registry.load_registry([blocked, make_plugin("open_lab", ["Open"])])
    manager = reg.plugin_manager
    assert manager.is_blocked("blocked_lab")
    assert manager.get_plugin("blocked_lab") is None
    assert not manager.is_blocked("open_lab")
    assert reg.names() == ["Open"]
    status = {p.name: p for p in reg.plugins}["blocked_lab"]
    assert (status.status, status.error, status.behaviors) == ("disabled", "listed in CONEX_DISABLE_PLUGINS", ())


def test_a_plugin_whose_hook_raises_is_unregistered_and_the_others_keep_their_behaviors(make_plugin):
    reg = registry.load_registry(
        [make_plugin("raising_lab", body="raise RuntimeError('no license')"), make_plugin("fine_lab", ["Kept", "Also"])]
    )
    assert [(e.name, e.plugin) for e in reg] == [("Also", "fine_lab"), ("Kept", "fine_lab")]
    status = {p.name: p for p in reg.plugins}
    assert (status["raising_lab"].status, status["raising_lab"].error) == (
        "error",
        "conex_behaviors failed: RuntimeError: no license",
    )
    assert (status["fine_lab"].status, status["fine_lab"].behaviors) == ("ok", ("Also", "Kept"))
    assert reg.plugin_manager.get_plugin("raising_lab") is None
    assert reg.plugin_manager.get_plugin("fine_lab").Kept is reg.get("Kept")


def test_hooks_are_called_through_pluggy_so_a_plugins_own_wrapper_applies(make_plugin):
    source = (
        "from conex import Behavior, hookimpl\n"
        "class Kept(Behavior):\n    pass\n"
        "class Dropped(Behavior):\n    pass\n"
        "@hookimpl\ndef conex_behaviors():\n    return [Kept, Dropped]\n"
        "@hookimpl(wrapper=True, specname='conex_behaviors')\ndef only_kept():\n"
        "    results = yield\n    return [[c for c in found if c is not Dropped] for found in results]\n"
    )
    reg = registry.load_registry([make_plugin("wrapping_lab", source=source), make_plugin("plain_lab", ["Plain"])])
    assert reg.names() == ["Kept", "Plain"]
    assert {p.name: p.behaviors for p in reg.plugins} == {"plain_lab": ("Plain",), "wrapping_lab": ("Kept",)}


def test_one_module_under_two_entry_point_names_registers_once(make_plugin):
    first = make_plugin("twice_lab", ["Once"])
    second = importlib_metadata.EntryPoint(name="twice_later", value="twice_lab", group="conex")
    reg = registry.load_registry([first, second])
    assert [(e.name, e.plugin) for e in reg] == [("Once", "twice_lab")]
    status = {p.name: p for p in reg.plugins}["twice_later"]
    assert status.status == "error"
    assert status.error.startswith("register failed: ValueError: Plugin already registered under a different name")


def test_a_registry_built_by_hand_has_an_empty_plugin_manager_that_knows_the_hooks():
    manager = registry.Registry([], []).plugin_manager
    assert manager.get_plugins() == set()
    assert manager.hook.conex_behaviors() == []
    assert manager.hook.conex_demos() == []


def test_the_installed_registry_is_built_once_until_reset(monkeypatch):
    monkeypatch.setattr(registry.Registry, "_installed", None)
    built = []

    def load(entry_points=None):
        built.append(registry.Registry([], []))
        return built[-1]

    monkeypatch.setattr(registry, "load_registry", load)
    first = registry.get_registry()
    assert registry.get_registry() is first
    assert registry.Registry.installed() is first
    assert built == [first]
    registry.reset_registry()
    second = registry.get_registry()
    assert second is not first
    assert built == [first, second]
    registry.Registry.forget_installed()
    assert registry.Registry.installed() is built[2]


def test_a_plain_name_resolves_to_its_one_provider_or_std_and_is_ambiguous_otherwise():
    def entry(name, plugin):
        return registry.BehaviorEntry(name, type(name, (conex.Behavior,), {}), plugin, None)

    std, lab, other = entry("Rule", "std"), entry("Rule", "lab"), entry("Rule", "other")
    reg = registry.Registry([lab, std, other, entry("Own", "lab"), entry("Pair", "lab"), entry("Pair", "other")], [])
    assert reg.plain("Rule") is std
    assert reg.get("Rule") is std.cls
    assert reg.get("lab:Rule") is lab.cls
    assert reg.plain("Own").plugin == "lab"
    assert reg.plain("Pair") is None
    assert reg.plain("Missing") is None
    assert reg.shadowed == {"Rule": ["lab", "other"]}
    with pytest.raises(AmbiguousBehaviorError, match="lab:Pair, other:Pair"):
        reg.get("Pair")
