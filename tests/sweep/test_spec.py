"""Sweep files are checked before anything runs; trials pack into replicas only where they may."""

from __future__ import annotations

import importlib.util

import pytest
from click.testing import CliRunner

from conex.cli import main
from conex.sweep import SweepError, load_sweep, plan_packs

GRID = """
network = "net.toml"
steps = 10
seeds = [0, 1]
[grid]
"synapses.input_exc.SimpleSTDP.a_plus" = [0.005, 0.01]
"groups.input.PoissonInput.scale" = [10.0, 40.0]
"""


def test_grid_times_seeds_gives_every_trial_in_order(sweep_files):
    sweep = load_sweep(sweep_files(GRID))
    assert len(sweep.trials) == 8
    assert [t.seed for t in sweep.trials] == [0, 1] * 4
    assert [t.value("synapses.input_exc.SimpleSTDP.a_plus") for t in sweep.trials] == [0.005] * 4 + [0.01] * 4
    assert [t.value("groups.input.PoissonInput.scale") for t in sweep.trials[:4]] == [10.0, 10.0, 40.0, 40.0]
    assert sweep.metrics == ("rate.input", "rate.exc", "weights.input_exc.mean")
    assert sweep.per_replica == set(sweep.paths)
    assert [len(p.trials) for p in plan_packs(sweep, sweep.trials, 8)] == [8]
    assert [len(p.trials) for p in plan_packs(sweep, sweep.trials, 3)] == [3, 3, 2]
    assert [p.seed for p in plan_packs(sweep, sweep.trials, 1)] == [0, 1] * 4


def test_parameters_without_per_replica_values_split_the_packs(sweep_files):
    sweep = load_sweep(sweep_files(GRID + '"network.dt" = [0.5, 1.0]\n'))
    assert "network.dt" not in sweep.per_replica
    packs = plan_packs(sweep, sweep.trials, 8)
    assert [len(p.trials) for p in packs] == [8, 8]
    assert all(len({t.value("network.dt") for t in p.trials}) == 1 for p in packs)


def test_random_draws_are_the_same_every_time(sweep_files):
    pytest.importorskip("ray")
    text = GRID + '[random]\nsamples = 3\n"groups.exc.LIF.tau" = { loguniform = [5.0, 50.0] }\n'
    first, again = load_sweep(sweep_files(text)), load_sweep(sweep_files(text))
    assert len(first.trials) == 24
    taus = {t.value("groups.exc.LIF.tau") for t in first.trials}
    assert len(taus) == 3
    assert all(5.0 <= tau <= 50.0 for tau in taus)
    assert first.trials == again.trials


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GRID.replace("SimpleSTDP.a_plus", "SimpleSTDP.a_plu"),
            "sweep.toml: grid.\"synapses.input_exc.SimpleSTDP.a_plu\": SimpleSTDP has no parameter 'a_plu'",
        ),
        (
            GRID.replace("[10.0, 40.0]", "[10.0, -1.0]"),
            'sweep.toml: grid."groups.input.PoissonInput.scale": expected a float >= 0, got -1.0',
        ),
        (
            GRID.replace("groups.input.PoissonInput", "groups.inp.PoissonInput"),
            'sweep.toml: grid."groups.inp.PoissonInput.scale": ',
        ),
        (GRID.replace("[0.005, 0.01]", "0.005"), "expected a non-empty list of values, got 0.005"),
        (GRID + '"network.seed" = [1, 2]\n', 'grid."network.seed": network.seed cannot be swept'),
        (GRID.replace("steps = 10", "steps = -1"), "sweep.toml: steps: expected an int >= 0, got -1"),
        (GRID + 'metrics = ["rate.nope"]\n', 'grid."metrics": expected a dotted path'),  # a key after [grid] is in it
        (GRID.replace("seeds = [0, 1]", 'seeds = [0, 1]\nmetrics = ["rate.nope"]'), "sweep.toml: metrics[0]:"),
        (GRID + '[random]\nsamples = 2\n"groups.exc.LIF.tau" = { gaussian = [1, 2] }\n', "unknown distribution"),
        (GRID.replace('network = "net.toml"', 'network = "other.toml"'), "sweep.toml: network: no such file"),
    ],
)
def test_mistakes_are_one_line_naming_the_place(sweep_files, text, message):
    path = sweep_files(text)
    with pytest.raises(SweepError) as caught:
        load_sweep(path)
    error = str(caught.value)
    assert "\n" not in error
    assert error.startswith(str(path))
    assert message.replace("sweep.toml", str(path)) in error


def test_the_cli_says_to_install_ray_when_it_is_missing(sweep_files, monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else find_spec(name, *a))
    result = CliRunner().invoke(main, ["sweep", str(sweep_files(GRID))])
    assert result.exit_code == 1
    assert result.output.strip() == 'Error: conex sweep needs Ray Tune: pip install "conex-snn[sweep]"'
