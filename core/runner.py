"""The main job: run a network file for N steps, watch it, summarize, save, checkpoint, resume.

This is what ``conex run`` does. It only reads the attributes conex fixes (``spikes`` on groups,
``weights`` on synapses) and, from any behavior that has one, a ``recorded()`` method returning
``{name: tensor}`` (the std plugin's recorders do).
"""

from __future__ import annotations

import io
import json
import platform
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import torch
from tqdm.auto import tqdm

from conex.checkpoint import (
    CheckpointError,
    load_checkpoint,
    remove_stale_temporaries,
    restore_state,
    save_checkpoint,
    write_atomic,
)
from conex.config import build_network, parse_config, read_text
from conex.errors import ConexError
from conex.network import Network
from conex.registry import get_registry

__all__ = ["Run", "SpikeMonitor", "check_folder", "prepare_out", "resume_run", "start_run", "weight_values"]

CHECKPOINT = "checkpoint.pt"
CONFIG = "network.toml"
# what a run's checkpoint holds besides the network's state (see Run.checkpoint)
_RUN_KEYS = {"config": str, "monitor": dict, "timing": dict, "target": int, "replicas": int}


class SpikeMonitor:
    """Spike counts per neuron and per step for every group with ``spikes``, and a bounded event log.

    Events are ``(iteration, neuron)`` rows; at most ``max_events`` per group are kept (the first
    ones), so memory stays bounded however long the run.

    With ``R > 1`` replicas everything is per replica: ``counts[tag]`` is ``(R, size)``, each entry
    of ``per_step[tag]`` lists the ``R`` replicas' spike counts of that step, and events are
    ``(iteration, replica, neuron)`` rows (``max_events`` counts those of all replicas).
    """

    def __init__(self, net: Network, max_events: int = 200_000) -> None:
        self.groups = [g for g in net.neuron_groups if isinstance(getattr(g, "spikes", None), torch.Tensor)]
        self.replicas = net.replicas
        self.max_events = max_events
        self.counts = {g.tag: torch.zeros((*net.replica_shape, g.size), dtype=torch.long) for g in self.groups}
        self.per_step: dict[str, list[Any]] = {g.tag: [] for g in self.groups}
        self.events: dict[str, list[torch.Tensor]] = {g.tag: [] for g in self.groups}
        self.n_events = dict.fromkeys(self.counts, 0)

    def observe(self, net: Network) -> None:
        for group in self.groups:
            spikes = group.spikes.detach().to("cpu", torch.bool)
            self.counts[group.tag] += spikes
            if self.replicas == 1:
                fired = spikes.nonzero().flatten()
                self.per_step[group.tag].append(int(fired.numel()))
                fired = fired.unsqueeze(1)
            else:
                fired = spikes.view(self.replicas, -1).nonzero()  # (replica, neuron) rows
                self.per_step[group.tag].append(spikes.view(self.replicas, -1).sum(1).tolist())
            room = self.max_events - self.n_events[group.tag]
            if room > 0 and fired.numel():
                fired = fired[:room]
                iteration = torch.full_like(fired[:, :1], net.iteration)
                self.events[group.tag].append(torch.cat([iteration, fired], 1))
                self.n_events[group.tag] += fired.shape[0]

    def event_tensor(self, tag: str) -> torch.Tensor:
        """``(n, 2)`` ``[iteration, neuron]`` rows of group ``tag`` (``(n, 3)`` ``[iteration, replica, neuron]``)."""
        chunks = self.events[tag]
        width = 2 if self.replicas == 1 else 3
        return torch.cat(chunks) if chunks else torch.zeros((0, width), dtype=torch.long)

    def state(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "per_step": self.per_step,
            "events": {t: self.event_tensor(t) for t in self.events},
        }

    def load(self, state: Mapping[str, Any], source: str = "checkpoint") -> None:
        """Continue from ``state`` (from :meth:`state`); one that does not fit the groups is a CheckpointError."""
        problem = self._mismatch(state)
        if problem:
            raise CheckpointError(f"{source}: the spike monitor's data {problem}")
        self.counts = state["counts"]
        self.per_step = state["per_step"]
        self.events = {t: [e] for t, e in state["events"].items()}
        self.n_events = {t: int(e.shape[0]) for t, e in state["events"].items()}

    def _mismatch(self, state: Any) -> str | None:
        """What in ``state`` does not fit this monitor's groups, as a phrase, or None."""
        if not isinstance(state, Mapping) or any(not isinstance(state.get(k), Mapping) for k in self.state()):
            return "is not a dict of counts, per_step and events"
        width = 2 if self.replicas == 1 else 3
        for tag, counts in self.counts.items():
            saved, events = state["counts"].get(tag), state["events"].get(tag)
            if not isinstance(saved, torch.Tensor) or saved.shape != counts.shape or saved.dtype != counts.dtype:
                return f"has no {tuple(counts.shape)} spike counts of group {tag}"
            if not isinstance(state["per_step"].get(tag), list):
                return f"has no spike counts per step of group {tag}"
            if not isinstance(events, torch.Tensor) or events.dim() != 2 or events.shape[1] != width:
                return f"has no (n, {width}) spike events of group {tag}"
        return None


def weight_values(synapse: Any) -> list[torch.Tensor] | None:
    """The synapse's weights as 1-D float CPU tensors, one per replica (one if shared), or None without weights.

    Dense weights of ``R > 1`` replicas are ``(R, ...)``, sparse ones a ``(R, S, D)`` sparse tensor
    (its stored values); weights without the replica axis (``synapse.shared_weights``) are one
    tensor for every replica.
    """
    w = getattr(synapse, "weights", None)
    if not isinstance(w, torch.Tensor):
        return None
    w = w.detach()
    replicas = synapse.network.replicas
    per_replica = (
        replicas > 1 and not getattr(synapse, "shared_weights", False) and w.dim() >= 1 and w.shape[0] == replicas
    )
    if w.is_sparse:
        w = w.coalesce()
        values = w.values().float().cpu()
        if not per_replica:
            return [values]
        replica = w.indices()[0].cpu()
        return [values[replica == r] for r in range(replicas)]
    values = w.float().cpu()
    return list(values.reshape(replicas, -1)) if per_replica else [values.flatten()]


def _statistics(values: torch.Tensor) -> dict[str, float]:
    """Mean, std, min and max of ``values`` (NaN when there are none)."""
    if not values.numel():
        return dict.fromkeys(("mean", "std", "min", "max"), float("nan"))
    return {
        "mean": float(values.mean()),
        "std": float(values.std()) if values.numel() > 1 else 0.0,
        "min": float(values.min()),
        "max": float(values.max()),
    }


def _spread(values: list[float]) -> float:
    """The standard deviation across replicas (0 for one)."""
    return float(torch.tensor(values, dtype=torch.float64).std()) if len(values) > 1 else 0.0


@attrs.define
class Run:
    """A network being run from a config, with its output folder."""

    net: Network
    config_text: str
    out: Path
    monitor: SpikeMonitor
    target: int = 0
    seconds: float = 0.0
    steps_run: int = 0

    def advance(self, *, checkpoint_every: int | None = None, progress: bool = True) -> None:
        """Run until iteration ``target``, checkpointing every ``checkpoint_every`` iterations."""
        steps = self.target - self.net.iteration
        bar = tqdm(total=steps, disable=not progress, unit="step", desc="conex run")
        with torch.no_grad():
            for _ in range(steps):
                start = time.perf_counter()
                self.net.simulate_iteration()
                self.seconds += time.perf_counter() - start
                self.steps_run += 1
                self.monitor.observe(self.net)
                bar.update()
                if checkpoint_every and self.net.iteration % checkpoint_every == 0:
                    self.checkpoint()
        bar.close()
        if self.net.check_finite:
            self.net.assert_finite()  # the last steps since the network's own periodic check

    def checkpoint(self) -> Path:
        return save_checkpoint(
            self.out / CHECKPOINT,
            self.net,
            config=self.config_text,
            plugins=_plugin_versions(),
            monitor=self.monitor.state(),
            timing={"seconds": self.seconds, "steps": self.steps_run},
            target=self.target,
            replicas=self.net.replicas,
        )

    def summary(self) -> dict[str, Any]:
        """Rates per group, weight statistics per plastic synapse, time per step.

        With ``R > 1`` replicas ``rates_hz`` holds each group's mean across replicas, ``rates_hz_sd``
        the standard deviation across replicas and ``rates_hz_per_replica`` the ``R`` rates;
        ``weights`` holds statistics of all replicas' weights together plus ``mean_sd``, the
        standard deviation of the replicas' mean weights, and ``weights_per_replica`` those of each.
        """
        net = self.net
        duration_s = max(net.iteration, 1) * net.dt / 1000.0
        summary: dict[str, Any] = {"iterations": net.iteration, "dt_ms": net.dt, "replicas": net.replicas}
        if net.replicas == 1:
            summary["rates_hz"] = {
                tag: float(c.sum()) / (c.numel() * duration_s) for tag, c in self.monitor.counts.items()
            }
        else:
            per_replica = {
                tag: (c.sum(-1).double() / (c.shape[-1] * duration_s)).tolist()
                for tag, c in self.monitor.counts.items()
            }
            summary["rates_hz"] = {tag: sum(r) / len(r) for tag, r in per_replica.items()}
            summary["rates_hz_sd"] = {tag: _spread(r) for tag, r in per_replica.items()}
            summary["rates_hz_per_replica"] = per_replica
        weights, weights_per_replica = {}, {}
        for syn in net.synapse_groups:
            values = weight_values(syn)
            if values is None:
                continue
            name = syn.label().removeprefix("synapse ")
            weights[name] = _statistics(torch.cat(values))
            if net.replicas > 1:
                each = [_statistics(v) for v in values] * (net.replicas if len(values) == 1 else 1)
                weights[name]["mean_sd"] = _spread([e["mean"] for e in each])
                weights_per_replica[name] = each
        summary["weights"] = weights
        if net.replicas > 1:
            summary["weights_per_replica"] = weights_per_replica
        summary.update(
            {
                "device": str(net.device),
                "ms_per_step": 1000.0 * self.seconds / max(self.steps_run, 1),
                "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
                "torch": torch.__version__,
            }
        )
        return summary

    def save_results(self, plots: bool = True) -> list[Path]:
        """Write recorded data, the summary and (with matplotlib installed) plots into ``out``.

        Each file is written atomically (:func:`conex.checkpoint.write_atomic`): a link in its place is
        replaced, never written through.
        """
        written = [self.checkpoint()]
        spikes = {t: self.monitor.event_tensor(t) for t in self.monitor.events}
        _save_tensors({"spikes": spikes, "spikes_per_step": self.monitor.per_step}, self.out / "spikes.pt")
        recorded = _recordings(self.net)
        if recorded:
            written.append(_save_tensors(recorded, self.out / "recordings.pt"))
        summary = json.dumps(self.summary(), indent=2, sort_keys=True) + "\n"
        write_atomic(self.out / "summary.json", summary.encode("utf-8"))
        written += [self.out / "spikes.pt", self.out / "summary.json"]
        if plots:
            from conex.report import plot_run

            written += plot_run(self.net, self.monitor, self.out)
        return written


def _save_tensors(data: Any, path: Path) -> Path:
    """``torch.save`` of ``data`` to ``path``, written atomically."""
    buffer = io.BytesIO()
    torch.save(data, buffer)
    return write_atomic(path, buffer.getbuffer())


def _recordings(net: Network) -> dict[str, dict[str, torch.Tensor]]:
    found = {}
    for obj in net._objects:
        for priority, behavior in obj.behavior.items():
            recorded: Callable[[], dict[str, torch.Tensor]] | None = getattr(behavior, "recorded", None)
            if callable(recorded):
                found[f"{obj.label()}/{type(behavior).__name__}@{priority}"] = recorded()
    return found


def _plugin_versions() -> dict[str, str | None]:
    return {p.name: p.version for p in get_registry().plugins}


def prepare_out(out: Path, overwrite: bool) -> None:
    """Make the results folder ``out``; one that exists and is not empty is an error unless ``overwrite``.

    An existing folder is checked as :func:`check_folder` does.
    """
    if out.exists() and not out.is_dir():
        raise ConexError(f"{out} is a file, not a results folder: choose another --out")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise ConexError(f"{out} exists and is not empty: choose another --out, or pass --overwrite")
        check_folder(out)
    out.mkdir(parents=True, exist_ok=True)


def check_folder(out: Path) -> None:
    """Refuse a results folder holding a symbolic link; remove the temporary files a killed run left there.

    A run writes its files into ``out``: through a link it would write wherever the link points.
    """
    links = sorted(entry.name for entry in out.iterdir() if entry.is_symlink())
    if links:
        raise ConexError(
            f"{out / links[0]} is a symbolic link: conex does not write through links in a results folder; "
            "remove it, or choose another --out"
        )
    remove_stale_temporaries(out)


def start_run(
    config_path: Path,
    out: Path,
    steps: int,
    *,
    device: str | None = None,
    seed: int | None = None,
    replicas: int | None = None,
    overwrite: bool = False,
) -> Run:
    """Build and initialize the network of ``config_path`` to run ``steps`` steps into ``out``.

    ``device``, ``seed`` and ``replicas`` override the file's values. Every mistake in the file is a
    :class:`~conex.config.ConfigError` naming it, raised before ``out`` is touched.
    """
    text = read_text(config_path)
    source = str(config_path)
    config = parse_config(text, source=source)
    net = build_network(config, device=device, seed=seed, replicas=replicas, initialize=True, source=source)
    prepare_out(out, overwrite)
    write_atomic(out / CONFIG, text.encode("utf-8"))
    return Run(net, text, out, SpikeMonitor(net), target=steps)


def resume_run(out: Path, *, steps: int | None = None, device: str | None = None) -> Run:
    """Rebuild the network stored in ``out``'s checkpoint and restore its state exactly.

    The run continues to the iteration planned when it started, or ``steps`` further steps; a run
    that reached its planned iteration needs ``steps``. The checkpoint is verified (see
    :mod:`conex.checkpoint`), and so is ``out`` (:func:`check_folder`): every problem is a
    :class:`~conex.checkpoint.CheckpointError` (or another ConexError) naming the file, raised before
    a step runs.
    """
    check_folder(out)
    path = out / CHECKPOINT
    payload = load_checkpoint(path)
    for key, kind in _RUN_KEYS.items():
        if not isinstance(payload.get(key), kind) or isinstance(payload.get(key), bool):
            raise CheckpointError(
                f"{path}: no {key!r} ({kind.__name__}) in the checkpoint; was it written by conex run?"
            )
    seconds, steps_run = payload["timing"].get("seconds"), payload["timing"].get("steps")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not isinstance(steps_run, int):
        raise CheckpointError(f"{path}: its 'timing' is not {{seconds: float, steps: int}}")
    iteration, target = payload["state"]["iteration"], payload["target"]
    if steps is None and iteration >= target:
        raise ConexError(
            f"the run in {out} is complete ({iteration} of {target} iterations): give --steps N to run N more"
        )
    text = payload["config"]
    edited = out / CONFIG
    if edited.is_file() and read_text(edited) != text:
        raise CheckpointError(
            f"{edited} differs from the network stored in {path}: a run resumes the network it saved; "
            "undo the edit, or start a new run from the edited file"
        )
    source = f"{path} (its network)"
    config = parse_config(text, source=source)
    net = build_network(config, device=device, replicas=payload["replicas"], initialize=True, source=source)
    restore_state(net, payload["state"], source=str(path))
    monitor = SpikeMonitor(net)
    monitor.load(payload["monitor"], source=str(path))
    plugins = payload.get("plugins")
    plugins = plugins if isinstance(plugins, dict) else {}
    missing = {name: v for name, v in plugins.items() if _plugin_versions().get(name) != v}
    if missing:
        changes = ", ".join(f"{n} {v} -> {_plugin_versions().get(n)}" for n, v in missing.items())
        tqdm.write(f"warning: plugin versions differ from the checkpoint's: {changes}")
    run = Run(net, text, out, monitor, target=target if steps is None else net.iteration + steps)
    run.seconds, run.steps_run = float(seconds), steps_run
    return run
