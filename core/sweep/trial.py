"""Running one pack of trials: build its network with one replica per trial, run it, measure it.

This is what a Ray Tune trial task does; it needs no Ray, so a pack also runs in a plain process.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from conex.config import build_network
from conex.registry import get_registry
from conex.runner import Run, SpikeMonitor
from conex.sweep.metrics import evaluate, plugin_metrics
from conex.sweep.spec import Pack, Sweep, Trial, pack_config

__all__ = ["run_pack", "trial_record"]


def trial_record(trial: Trial, status: str, metrics: dict[str, float], wall_s: float, replicas: int) -> dict[str, Any]:
    """A finished trial as the sweep folder keeps it (``status``: ``ok`` or the error)."""
    return {
        "trial": trial.index,
        "values": dict(trial.values),
        "seed": trial.seed,
        "status": status,
        "metrics": metrics,
        "wall_s": wall_s,
        "replicas": replicas,
    }


def _error(exc: BaseException) -> str:
    """An exception as one line: ``Type: message``."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def _measure(sweep: Sweep, pack: Pack, device: str | None) -> list[dict[str, float]]:
    config = pack_config(sweep.config, pack.trials)
    net = build_network(config, device=device, seed=pack.seed, replicas=len(pack.trials), initialize=True)
    run = Run(net, sweep.network_text, Path(), SpikeMonitor(net), target=sweep.steps)
    run.advance(progress=False)
    return evaluate(sweep.metrics, net, config, run, plugin_metrics(get_registry()))


def run_pack(
    sweep: Sweep, pack: Pack, *, device: str | None = None, threads: int | None = None
) -> list[dict[str, Any]]:
    """The records of the pack's trials: their metrics, or the error a trial raised.

    A pack of several trials that fails is run again one trial at a time, so one bad trial does not
    take the others of its pack with it.
    """
    if threads is not None:
        torch.set_num_threads(threads)
    start = time.perf_counter()
    try:
        measured = _measure(sweep, pack, device)
    except Exception as exc:  # noqa: BLE001 - a failing trial is recorded with its error, the sweep goes on
        if len(pack.trials) > 1:
            return [record for t in pack.trials for record in run_pack(sweep, Pack(pack.index, (t,)), device=device)]
        return [trial_record(pack.trials[0], _error(exc), {}, time.perf_counter() - start, 1)]
    wall_s = time.perf_counter() - start
    return [trial_record(t, "ok", m, wall_s, len(pack.trials)) for t, m in zip(pack.trials, measured, strict=True)]
