"""The digits demo as a sweep metric: the hook's values are the demo's, and ``conex sweep`` records them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch

from conex.config import build_network, parse_config
from conex.errors import ConexError
from conex.registry import get_registry
from conex.runner import Run, SpikeMonitor
from conex.sweep.metrics import plugin_metrics
from conex_std.demos.digits import load_digits_split, network_config, run_digits
from conex_std.demos.digits_metrics import DigitsProtocol

pytest.importorskip("sklearn")

THETA_PLUS = "groups.exc.AdaptiveThreshold.theta_plus"
TINY = {"steps_per_image": 8, "train_images": 16, "test_images": 10}
"""A protocol of a few images, a few steps each (the default ``epochs`` and ``min_spikes``)."""


def _network_text() -> str:
    """The packaged digits network with 12 excitatory neurons and the tiny protocol as its ``[run.digits]``."""
    text, _ = network_config()
    assert text.count("size = 400\n") == 1
    table = "\n".join(f"{key} = {value}" for key, value in TINY.items())
    return text.replace("size = 400\n", "size = 12\n") + f"\n[run.digits]\n{table}\n"


def _demo(config: dict, seed: int) -> dict[str, float]:
    """What ``run_digits`` measures for ``config`` and ``seed`` with the tiny protocol."""
    data = load_digits_split().head(TINY["train_images"], TINY["test_images"])
    result = run_digits(seed=seed, steps_per_image=TINY["steps_per_image"], data=data, config=config)
    return {
        "test_accuracy": result.test_accuracy,
        "train_accuracy": result.train_accuracy,
        "labelled_neurons": float((result.assignments >= 0).sum()),
        "training_showings": float(result.showings["training"]),
    }


def test_the_digits_metric_through_the_hook_is_the_demo_for_the_trials_config_and_seed():
    torch.set_num_threads(1)
    text = _network_text()
    config = parse_config(text)
    metric = plugin_metrics(get_registry())["digits"]
    net = build_network(config, seed=7, initialize=True)
    value = metric(net, config, Run(net, text, Path(), SpikeMonitor(net), target=0))
    assert value == _demo(config, seed=7)
    assert 0.0 <= value["test_accuracy"] <= 1.0
    assert value["training_showings"] >= TINY["train_images"]  # every training image shown at least once
    assert 0 < value["labelled_neurons"] <= 12


def test_the_protocol_table_defaults_to_the_demo_and_refuses_bad_settings():
    assert DigitsProtocol.from_config({}) == DigitsProtocol(epochs=1, steps_per_image=100, min_spikes=4)
    assert DigitsProtocol.from_config({"run": {"digits": {"epochs": 2}}}).epochs == 2
    with pytest.raises(ConexError, match=r"run\.digits\.epoch: unknown setting; settings: epochs"):
        DigitsProtocol.from_config({"run": {"digits": {"epoch": 2}}})
    with pytest.raises(ConexError, match=r"run\.digits\.steps_per_image: expected an int >= 1, got 0"):
        DigitsProtocol.from_config({"run": {"digits": {"steps_per_image": 0}}})
    with pytest.raises(ConexError, match=r"run\.digits\.min_spikes: expected an int >= 0, got 1\.5"):
        DigitsProtocol.from_config({"run": {"digits": {"min_spikes": 1.5}}})


def test_a_sweep_may_sweep_the_protocol_in_the_network_files_run_table():
    from conex.sweep.spec import SweepError, parse_sweep

    text = 'network = "digits.toml"\nsteps = 0\nmetrics = ["digits"]\n[grid]\n"run.digits.epochs" = [1, 2]\n'
    sweep = parse_sweep(text, _network_text(), source="sweep.toml", network_source="digits.toml")
    assert [t.values for t in sweep.trials] == [(("run.digits.epochs", 1),), (("run.digits.epochs", 2),)]
    bare, _ = network_config()
    with pytest.raises(SweepError, match=r'grid\."run\.digits\.epochs": digits\.toml has no \[run\]'):
        parse_sweep(text, bare, source="sweep.toml", network_source="digits.toml")


def test_a_sweep_of_the_digits_network_records_the_demos_accuracies(ray_cluster, tmp_path):
    pytest.importorskip("ray")
    from conex.sweep.results import start_folder
    from conex.sweep.tune import run_sweep

    torch.set_num_threads(1)
    text = _network_text()
    (tmp_path / "digits.toml").write_text(text)
    path = tmp_path / "sweep.toml"
    path.write_text(
        f'network = "digits.toml"\nsteps = 0\nseeds = [3]\nmetrics = ["digits"]\n[grid]\n"{THETA_PLUS}" = [1.0, 2.4]\n'
    )
    out = tmp_path / "out"
    run_sweep(start_folder(path, out, pack=8), out, pack=8, echo=lambda line: None)
    with (out / "results.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(float(r[THETA_PLUS]), r["seed"], r["status"], r["replicas"]) for r in rows] == [
        (1.0, "3", "ok", "1"),
        (2.4, "3", "ok", "1"),
    ]
    for row in rows:
        config = parse_config(text)
        config["groups"]["exc"]["AdaptiveThreshold"]["theta_plus"] = float(row[THETA_PLUS])
        expected = _demo(config, seed=3)
        assert {key: float(row[f"digits.{key}"]) for key in expected} == pytest.approx(expected, abs=1e-12)
