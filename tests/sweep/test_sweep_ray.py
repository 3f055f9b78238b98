"""Sweeps on a local Ray (one for all tests): the results table, failing trials, and resuming a killed sweep."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conex.cli import main
from conex.sweep.results import TrialStore, start_folder

pytest.importorskip("ray")

from conex.sweep.tune import run_sweep

pytestmark = pytest.mark.usefixtures("ray_cluster", "with_plugin")

A_PLUS = "synapses.input_exc.SimpleSTDP.a_plus"
SCALE = "groups.input.PoissonInput.scale"


def _sweep(steps: int, metrics: list[str], scales: str = "[10.0, 40.0]") -> str:
    return f"""
network = "net.toml"
steps = {steps}
seeds = [0, 1]
metrics = {json.dumps(metrics)}
[grid]
"{A_PLUS}" = [0.0, 0.05]
"{SCALE}" = {scales}
"""


def _rows(out: Path) -> list[dict[str, str]]:
    with (out / "results.csv").open() as handle:
        return list(csv.DictReader(handle))


def test_a_grid_times_seeds_gives_a_row_per_trial_with_its_values_and_metrics(sweep_files, tmp_path):
    path = sweep_files(_sweep(200, ["rate.input", "weights.input_exc.mean", "count"]))
    out = tmp_path / "out"
    written = run_sweep(start_folder(path, out, pack=8), out, pack=8, echo=lambda line: None)
    rows = _rows(out)
    assert len(rows) == 8
    assert list(rows[0]) == [
        *("trial", A_PLUS, SCALE, "seed", "status"),
        *("rate.input", "weights.input_exc.mean", "count", "wall_s", "replicas"),
    ]
    assert {(float(r[A_PLUS]), float(r[SCALE]), int(r["seed"])) for r in rows} == {
        (a, s, seed) for a in (0.0, 0.05) for s in (10.0, 40.0) for seed in (0, 1)
    }
    assert {r["status"] for r in rows} == {"ok"}
    assert {r["replicas"] for r in rows} == {"8"}  # one pack: every swept parameter takes per-replica values
    assert all(float(r["wall_s"]) > 0 for r in rows)
    for row in rows:
        rate = float(row["rate.input"])
        assert rate == pytest.approx(float(row[SCALE]), rel=0.35)  # intensity 1.0: rate = scale Hz
        if float(row[SCALE]) == 40.0:  # the output fires: potentiation wins with a_plus, depression without
            mean = float(row["weights.input_exc.mean"])
            assert mean > 0.8 if float(row[A_PLUS]) > 0 else mean < 0.45
    assert float(rows[0]["weights.input_exc.mean"]) != float(rows[1]["weights.input_exc.mean"])  # seeds differ
    assert (out / "results.parquet") in written
    assert (out / "plots" / f"rate.input--{SCALE}.png").is_file()


def test_a_trial_that_raises_is_recorded_with_its_error_and_the_others_finish(sweep_files, tmp_path):
    path = sweep_files(_sweep(20, ["rate.exc", "explode"]))
    out = tmp_path / "out"
    run_sweep(start_folder(path, out, pack=8), out, pack=8, echo=lambda line: None)
    rows = _rows(out)
    assert len(rows) == 8
    for row in rows:
        if float(row[SCALE]) > 30:
            assert row["status"] == f"RuntimeError: scale {float(row[SCALE])} is too much"
            assert row["explode.ok"] == ""
        else:
            assert row["status"] == "ok"
            assert (row["explode.ok"], row["explode.iterations"]) == ("1.0", "20.0")
        assert row["replicas"] == "1"  # explode does not support replicas: one by one


def test_a_killed_sweep_resumes_without_rerunning_finished_trials(
    sweep_files, tmp_path, ray_cluster, calls_log, plugin_env
):
    path = sweep_files(_sweep(1500, ["rate.exc", "count"], scales="[10.0, 20.0]"))
    out = tmp_path / "out"
    calls_log.write_text("")
    command = [sys.executable, "-m", "conex", "sweep", str(path), "--out", str(out), "--pack", "1"]
    process = subprocess.Popen(
        [*command, "--address", ray_cluster],
        env=plugin_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    store = TrialStore(out)
    deadline = time.monotonic() + 60
    while len(store.records()) < 3 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    running = process.poll() is None
    if running:
        os.killpg(process.pid, signal.SIGKILL)
    _, stderr = process.communicate()
    assert running, stderr.decode()
    finished = store.records()
    assert 3 <= len(finished) < 8
    assert not (out / "results.csv").exists()
    calls_before = len(calls_log.read_text().splitlines())

    result = CliRunner().invoke(main, ["sweep", "--resume", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{8 - len(finished)} of 8 trials to run" in result.output
    rerun = [tuple(json.loads(line)) for line in calls_log.read_text().splitlines()[calls_before:]]
    done = {(r["values"][SCALE], r["values"][A_PLUS], r["seed"]) for r in finished.values()}
    assert len(rerun) == 8 - len(finished)
    assert not done & set(rerun)
    rows = _rows(out)
    assert len(rows) == 8
    assert {r["status"] for r in rows} == {"ok"}
