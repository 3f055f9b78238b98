"""``conex sweep``: many trials of one network file over a parameter space and seeds, on Ray Tune.

A sweep file (TOML) names a network file, the steps, the seeds, the parameter space as dotted
paths into the network file and the metrics to record; :func:`load_sweep` reads and checks it
(building each distinct parameter point once), :func:`plan_packs` packs trials that differ only in
seeds and per-replica parameters into replica batches, :func:`conex.sweep.tune.run_sweep` runs the
packs as Ray Tune trials and :mod:`conex.sweep.results` writes ``results.csv`` and plots. Only
:mod:`conex.sweep.tune` needs Ray; the rest is plain conex.
"""

from __future__ import annotations

from conex.sweep.spec import Pack, Sweep, SweepError, Trial, load_sweep, pack_config, plan_packs

__all__ = ["Pack", "Sweep", "SweepError", "Trial", "load_sweep", "pack_config", "plan_packs"]
