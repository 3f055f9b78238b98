"""Running a sweep's packs as Ray Tune trials, recording each finished trial as it arrives.

Each pack is one trial of a :class:`ray.tune.Tuner` with a function trainable and the resources
asked for; the trainable sends its trials' records back with :func:`ray.tune.report`, and a
callback in this process (the driver) writes them into the sweep folder, so a cluster's workers
need no access to it. A resumed sweep runs a new Tuner over the trials without a record: the
folder's records, not Ray's experiment state, say what is finished.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ray
from ray import tune

from conex.sweep.results import TrialStore, write_results
from conex.sweep.spec import Pack, Sweep, SweepError, plan_packs
from conex.sweep.trial import run_pack, trial_record

__all__ = ["run_sweep"]

_RECORDS = "conex_records"


def _trainable(
    config: dict[str, Any], sweep: Sweep, packs: list[Pack], device: str | None, threads: int | None
) -> None:
    """One Ray Tune trial: run pack ``config["pack"]`` and report its records."""
    records = run_pack(sweep, packs[config["pack"]], device=device, threads=threads)
    tune.report({_RECORDS: json.dumps(records)})


def _describe(record: dict[str, Any]) -> str:
    """A trial's values for a progress line: ``SimpleSTDP.a_plus=0.01 seed=0``."""
    values = " ".join(f"{'.'.join(p.split('.')[-2:])}={_format(v)}" for p, v in record["values"].items())
    return f"{values} seed={record['seed']}".strip()


def _format(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else json.dumps(value)


class _Recorder(tune.Callback):
    """Writes each trial's records the moment Ray Tune hands them to the driver, and says so."""

    def __init__(self, sweep: Sweep, store: TrialStore, done: int, echo: Callable[[str], None]) -> None:
        self.sweep, self.store, self.done, self.echo = sweep, store, done, echo

    def on_trial_result(
        self, iteration: int, trials: list[Any], trial: Any, result: dict[str, Any], **info: Any
    ) -> None:
        for record in json.loads(result[_RECORDS]):
            self.store.write(record)
            self.done += 1
            packed = f", {record['replicas']} replicas" if record["replicas"] > 1 else ""
            self.echo(
                f"[{self.done}/{len(self.sweep.trials)}] {record['status']}  {_describe(record)}  "
                f"({record['wall_s']:.1f} s{packed})"
            )


def _start_ray(address: str | None) -> bool:
    """Connect to Ray (the cluster at ``address``, else a local one with this machine's CPUs); False if already up."""
    if ray.is_initialized():
        return False
    try:
        if address:
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
        else:
            ray.init(
                num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING
            )
    except ConnectionError as exc:
        raise SweepError(f"--address {address}: cannot connect to a Ray cluster: {exc}") from None
    return True


def run_sweep(
    sweep: Sweep,
    out: Path,
    *,
    pack: int = 8,
    address: str | None = None,
    cpus_per_trial: float = 1.0,
    gpus_per_trial: float = 0.0,
    device: str | None = None,
    plots: bool = True,
    echo: Callable[[str], None] = print,
) -> list[Path]:
    """Run every trial of ``sweep`` without a record in ``out``, then write the results; return the files written."""
    store = TrialStore(out)
    records = store.records()
    remaining = [t for t in sweep.trials if t.index not in records]
    packs = plan_packs(sweep, remaining, pack)
    if packs:
        echo(f"{len(remaining)} of {len(sweep.trials)} trials to run as {len(packs)} Ray Tune trials")
        started = _start_ray(address)
        try:
            _fit(sweep, out, store, packs, len(records), cpus_per_trial, gpus_per_trial, device, echo)
        finally:
            if started:
                ray.shutdown()
    records = store.records()
    unfinished = len(sweep.trials) - len(records)
    if unfinished:
        echo(f"{unfinished} trials unfinished; continue with: conex sweep --resume {out}")
    return write_results(sweep, records, out, plots=plots)


def _fit(
    sweep: Sweep,
    out: Path,
    store: TrialStore,
    packs: list[Pack],
    done: int,
    cpus_per_trial: float,
    gpus_per_trial: float,
    device: str | None,
    echo: Callable[[str], None],
) -> None:
    storage = (out / "ray").resolve()
    name = f"tune-{len(list(storage.glob('tune-*'))) if storage.is_dir() else 0}"
    threads = max(1, int(cpus_per_trial))
    trainable = tune.with_parameters(_trainable, sweep=sweep, packs=packs, device=device, threads=threads)
    tuner = tune.Tuner(
        tune.with_resources(trainable, {"cpu": cpus_per_trial, "gpu": gpus_per_trial}),
        param_space={"pack": tune.grid_search(list(range(len(packs))))},
        tune_config=tune.TuneConfig(reuse_actors=True),
        run_config=tune.RunConfig(
            name=name,
            storage_path=str(storage),
            verbose=0,
            callbacks=[_Recorder(sweep, store, done, echo)],
            failure_config=tune.FailureConfig(max_failures=0),
        ),
    )
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # Ray Tune's own tables and paths: conex prints one line a trial
    grid = tuner.fit()
    finished = store.records()
    for result in grid:
        if result.error is None:
            continue
        for trial in packs[result.config["pack"]].trials:
            if trial.index not in finished:
                first = (str(result.error).strip().splitlines() or [""])[0]
                status = f"ray: {type(result.error).__name__}: {first}"
                store.write(trial_record(trial, status, {}, float("nan"), len(packs[result.config["pack"]].trials)))
