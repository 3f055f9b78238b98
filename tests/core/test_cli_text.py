"""The CLI's text: docstrings rendered from reStructuredText, wrapped to the terminal, names found in any case.

Also the distribution name conex reports its version under, and ``--plugin`` / ``--category`` filters
that name nothing installed (a usage error, exit 2).
"""

import inspect
import json

import importlib_metadata
import pytest
from click.testing import CliRunner

import conex
from conex import Behavior, Phase, param
from conex import cli as cli_module
from conex.cli import main
from conex.registry import BehaviorEntry, PluginStatus, Registry, get_registry
from conex.table import MIN_WRAP, format_table, plain_inline, plain_text


@pytest.mark.parametrize(
    ("rst", "text"),
    [
        ("sets ``neurons.v`` each step", "sets neurons.v each step"),
        (":class:`~conex.network.Network` and :class:`conex.Network`", "Network and conex.Network"),
        (":meth:`~conex.Network.reset`, :py:func:`conex.run`", "reset, conex.run"),
        (":math:`\\tau \\dot v = -v`", "\\tau \\dot v = -v"),
        (":ref:`the plugin guide <plugins>` and :doc:`<replicas>`", "the plugin guide and replicas"),
        ("`Brian2 <https://brian2.rtfd.io>`_, `CoNeX`_, `dt`", "Brian2 (https://brian2.rtfd.io), CoNeX, dt"),
        ("**strong** and *weak*", "strong and weak"),
        # products and literals keep their stars; markup inside a literal is left alone
        (
            "w * x * y, a*b*c, ``(out_h*out_w, *shape)``, ``:class:`X```",
            "w * x * y, a*b*c, (out_h*out_w, *shape), :class:`X`",
        ),
        ("an adaptation current ``omega``::", "an adaptation current omega:"),
        ("Each iteration ::", "Each iteration"),
        ("::", ""),
    ],
)
def test_inline_markup_reads_as_plain_text(rst, text):
    assert plain_inline(rst) == text


DOC = """\
Pair STDP on :class:`~conex_std.synapses.topology.Dense` weights, ``(src.size, dst.size)``,
with soft or hard bounds applied each iteration::

    dw = a_plus * outer(pre_trace, post_spike) - a_minus * outer(pre_spike, post_trace)
    w += dw

.. math::

   \\Delta w = A_+ x_j

* ``kind="axonal"``: a pre spike reaches synapse ``ij`` ``d_ij`` iterations late, then enters
  ``I``;
* ``kind="dendritic"``: the synapse sees it at once.

.. note:: Read :class:`Fire` first."""


def test_a_docstring_wraps_to_the_width_and_keeps_its_literal_blocks():
    text = plain_text(DOC, 40)
    assert text.split("\n\n") == [
        "Pair STDP on Dense weights, (src.size,\ndst.size), with soft or hard bounds\napplied each iteration:",
        "    dw = a_plus * outer(pre_trace, post_spike) - a_minus * outer(pre_spike, post_trace)\n    w += dw",
        "   \\Delta w = A_+ x_j",
        '* kind="axonal": a pre spike reaches\n'
        "  synapse ij d_ij iterations late, then\n"
        "  enters I;\n"
        '* kind="dendritic": the synapse sees it\n'
        "  at once.",
        "Note: Read Fire first.",
    ]
    # however narrow the terminal, a paragraph keeps MIN_WRAP characters a line
    assert max(len(line) for line in plain_text("word " * 30, 5).splitlines()) == MIN_WRAP


def test_a_table_wraps_its_last_column_under_itself():
    rows = [("LIF", "std", "leaky integrate-and-fire neuron, the voltage decays to v_rest"), ("Fire", "std", "")]
    table = format_table(("behavior", "plugin", "description"), rows, width=40)
    assert table.splitlines() == [
        "behavior  plugin  description",
        "--------  ------  ------------------------",
        "LIF       std     leaky integrate-and-fire",
        "                  neuron, the voltage",
        "                  decays to v_rest",
        "Fire      std",
    ]
    assert format_table(("behavior", "plugin", "description"), rows, width=200) == format_table(
        ("behavior", "plugin", "description"), rows
    )
    # a terminal narrower than the lead columns still gives the last one MIN_WRAP characters
    narrow = format_table(("behavior", "plugin", "description"), rows, width=10).splitlines()
    assert narrow[1] == "--------  ------  " + "-" * MIN_WRAP


@pytest.fixture
def columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    return 100


def test_list_behaviors_fits_the_terminal_and_shows_no_markup(columns):
    result = CliRunner().invoke(main, ["list-behaviors", "--plugin", "std"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) > len(get_registry().names()) // 2
    assert max(len(line) for line in lines) <= columns
    for markup in ("``", ":class:`", ":meth:`", "::"):
        assert markup not in result.stdout
    # a wrapped description goes on under its column, on lines of their own
    start = next(i for i, line in enumerate(lines) if line.startswith("AELIF "))
    column = lines[0].index("description")
    end = next(i for i in range(start + 1, len(lines)) if lines[i][:column].strip())
    assert end - start > 1
    assert all(line[:column].isspace() for line in lines[start + 1 : end])
    described = " ".join(line[column:] for line in lines[start:end])
    assert described == "Adaptive exponential LIF: ELIF with an adaptation current omega:"


def test_describe_renders_every_std_behavior_within_the_width(columns):
    registry = get_registry()
    for entry in registry:
        if entry.plugin != "std":
            continue
        result = CliRunner().invoke(main, ["describe", entry.qualified_name])
        assert result.exit_code == 0, result.output
        assert "``" not in result.stdout, entry.name
        assert ":class:`" not in result.stdout, entry.name
        # only a literal block's lines (equations, kept as written) may be wider than the terminal
        literal = {line.strip() for line in inspect.cleandoc(entry.cls.__doc__ or "").splitlines()}
        wide = [line for line in result.stdout.splitlines() if len(line) > columns and line.strip() not in literal]
        assert wide == [], entry.name


def test_describe_finds_a_name_in_any_case():
    runner = CliRunner()
    expected = runner.invoke(main, ["describe", "SimpleSTDP"]).stdout
    assert expected.startswith("SimpleSTDP  (std ")
    for name in ("simplestdp", "SIMPLESTDP", "std:simplestdp", "STD:SimpleSTDP"):
        result = runner.invoke(main, ["describe", name])
        assert (result.exit_code, result.stdout) == (0, expected), name
    data = json.loads(runner.invoke(main, ["describe", "simplestdp", "--json"]).stdout)
    assert data["qualified_name"] == "std:SimpleSTDP"


def test_a_misspelt_name_gets_close_matches_in_any_case():
    result = CliRunner().invoke(main, ["describe", "simplstdp"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: no behavior named 'simplstdp'; did you mean SimpleSTDP")
    qualified = CliRunner().invoke(main, ["describe", "std:simplstdp"])
    assert qualified.exit_code == 2
    assert "plugin 'std' has no behavior 'simplstdp'; did you mean std:SimpleSTDP" in qualified.stderr


class Hebb(Behavior):
    """Hebb of lab A."""

    priority = Phase.LEARNING
    category = "synapse"
    rate: float = param(0.1, doc="learning rate")


class HEBB(Behavior):
    """HEBB of lab B."""

    priority = Phase.LEARNING
    category = "synapse"


def test_a_name_two_behaviors_share_up_to_case_is_not_guessed(monkeypatch):
    reg = Registry(
        [BehaviorEntry("Hebb", Hebb, "lab_a", "1"), BehaviorEntry("HEBB", HEBB, "lab_b", "1")],
        [PluginStatus("lab_a", "1", "ok", None, ("Hebb",)), PluginStatus("lab_b", "1", "ok", None, ("HEBB",))],
    )
    monkeypatch.setattr(cli_module, "get_registry", lambda: reg)
    result = CliRunner().invoke(main, ["describe", "hebb"])
    assert result.exit_code == 2
    assert result.stderr == "Error: no behavior named 'hebb'; did you mean HEBB, Hebb?\n"
    assert CliRunner().invoke(main, ["describe", "Hebb"]).stdout.startswith("Hebb  (lab_a 1)")


def test_an_unknown_plugin_filter_is_a_usage_error_naming_the_installed_ones():
    installed = sorted({p.name for p in get_registry().plugins})
    for args in (["list-behaviors", "--plugin", "nope"], ["list-behaviors", "--json", "--plugin", "nope"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2
        assert result.stdout == ""
        assert (
            f"Error: Invalid value for '--plugin': no plugin named 'nope' (installed plugins: {', '.join(installed)})"
            in result.stderr
        )
    close = CliRunner().invoke(main, ["list-behaviors", "--plugin", "sdt"])
    assert close.exit_code == 2
    assert "no plugin named 'sdt'; did you mean std?" in close.stderr


def test_plugin_and_category_filters_ignore_case():
    runner = CliRunner()
    std = json.loads(runner.invoke(main, ["list-behaviors", "--json", "--plugin", "std"]).stdout)
    assert json.loads(runner.invoke(main, ["list-behaviors", "--json", "--plugin", "STD"]).stdout) == std
    synapse = json.loads(runner.invoke(main, ["list-behaviors", "--json", "--category", "Synapse"]).stdout)
    assert len(synapse) > 10
    assert {e["category"] for e in synapse} == {"synapse"}
    bad = runner.invoke(main, ["list-behaviors", "--category", "glia"])
    assert bad.exit_code == 2
    assert "'glia' is not one of 'synapse', 'neuron', 'network', 'any'" in bad.stderr


def test_the_version_is_the_conex_snn_distribution_s():
    assert conex.DISTRIBUTION == "conex-snn"
    assert conex.__version__ == importlib_metadata.version("conex-snn") != "0+unknown"
    assert CliRunner().invoke(main, ["--version"]).stdout == f"conex, version {conex.__version__}\n"
