"""Figures of a run (matplotlib): spike raster, population rates, weight histograms, receptive fields.

Every ``plot_*`` function returns a :class:`matplotlib.figure.Figure` (made without pyplot, so it
changes no global matplotlib state); :func:`plot_run` writes them as PNG files, which is what
``conex run`` does, and :func:`plot_run_folder` redraws them from a ``conex run`` folder. Time axes
are in ms (``iteration * dt``), rates in Hz smoothed with a box window the axis label states, a rate
axis turns logarithmic when the groups' mean rates differ by :data:`LOG_RATIO` or more, weight
histograms show only plastic synapses (:func:`is_plastic`) and receptive-field tiles share one
colour scale unless asked otherwise (the title says which).

Spike events are the rows conex's monitors and recorders produce: ``[iteration, neuron]``, or
``[iteration, replica, neuron]`` with ``R > 1`` replicas (:class:`conex.runner.SpikeMonitor`, the
std plugin's ``EventRecorder``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from conex.errors import ConexError
from conex.layouts import layout_of
from conex.phases import Phase

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from conex.network import Network
    from conex.runner import SpikeMonitor

__all__ = [
    "LOG_RATIO",
    "is_plastic",
    "plot_raster",
    "plot_rates",
    "plot_weights",
    "plot_fields",
    "plot_run",
    "plot_run_folder",
    "field_images",
    "tile",
]

LOG_RATIO = 20.0
"""Mean rates that differ by this factor or more share a logarithmic rate axis."""


def _figure(width: float, height: float) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError("plots need matplotlib: pip install 'conex-snn[plot]'") from exc
    return Figure(figsize=(width, height), layout="constrained")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def _name(synapse: Any) -> str:
    return synapse.label().removeprefix("synapse ")


def _of_replica(replicas: int, replica: int) -> str:
    """The words a title adds when it shows one replica of several."""
    return f", replica {replica} of {replicas}" if replicas > 1 else ""


def is_plastic(synapse: Any) -> bool:
    """Whether ``synapse`` has weights and a learning rule (a behavior of the learning phase, 500).

    A rule switched off (``behavior_enabled = False``) still counts: its weights were learned.
    """
    if not isinstance(getattr(synapse, "weights", None), torch.Tensor):
        return False
    return any(type(b).priority == Phase.LEARNING for b in synapse.behavior.values())


def _events_of(events: torch.Tensor, replica: int) -> torch.Tensor:
    """``(n, 2)`` ``[iteration, neuron]`` rows: those of ``replica`` where rows name their replica."""
    events = events.detach().cpu().long()
    if events.dim() != 2 or events.shape[1] not in (2, 3):
        raise ConexError(f"spike events: expected (n, 2) or (n, 3) rows, got shape {tuple(events.shape)}")
    if events.shape[1] == 3:
        events = events[events[:, 1] == replica][:, [0, 2]]
    return events


def plot_raster(
    events: Mapping[str, torch.Tensor],
    dt: float,
    sizes: Mapping[str, int] | None = None,
    *,
    replica: int = 0,
    title: str = "spike raster",
) -> Figure:
    """One raster panel per group: a tick per spike at ``iteration * dt`` ms.

    Args:
        events: group tag -> ``(n, 2)`` ``[iteration, neuron]`` (or ``(n, 3)`` with a replica column) rows.
        dt: the network's time step in ms.
        sizes: group tag -> number of neurons, fixing each panel's neuron axis (else it fits the spikes).
        replica: which replica's events to show where rows name one.
        title: the figure's title.
    """
    tags = list(events)
    if not tags:
        raise ConexError("plot_raster: no groups to draw")
    fig = _figure(10, 1.2 + 1.6 * len(tags))
    axes = fig.subplots(len(tags), 1, squeeze=False, sharex=True)[:, 0]
    for ax, tag in zip(axes, tags, strict=True):
        rows = _events_of(events[tag], replica)
        size = (sizes or {}).get(tag) or (int(rows[:, 1].max()) + 1 if rows.numel() else 1)
        # ticks about as tall as a neuron's row in a 1.6 inch panel, never under 3 points
        mark = min(8.0, max(3.0, 110.0 / size))
        ax.scatter(rows[:, 0].double() * dt, rows[:, 1], s=mark**2, marker="|", linewidths=1.0, color="k")
        ax.set_ylim(-0.5, size - 0.5)
        ax.set_ylabel(f"{tag}\nneuron index")
        ax.set_title(f"{tag}: {rows.shape[0]} spikes", fontsize=9, loc="left")
    axes[-1].set_xlabel("time (ms)")
    fig.suptitle(title)
    return fig


def _smoothed(counts: torch.Tensor, size: int, dt: float, window: int) -> torch.Tensor:
    """Spike counts per step -> rate in Hz averaged over a box of ``window`` steps (valid part only)."""
    rate = counts.double() / size / (dt / 1000.0)
    return rate.unfold(0, window, 1).mean(1) if window > 1 else rate


def plot_rates(
    per_step: Mapping[str, Sequence[Any] | torch.Tensor],
    sizes: Mapping[str, int],
    dt: float,
    *,
    window_ms: float | None = None,
    first_iteration: int = 1,
    title: str | None = None,
) -> Figure:
    """The population rate of each group in Hz over time in ms, smoothed with a box window.

    Args:
        per_step: group tag -> spike count of each step (``(steps,)``), or of each step and
            replica (``(steps, R)``: the mean over replicas is drawn).
        sizes: group tag -> number of neurons.
        dt: time step in ms.
        window_ms: width of the box window (default: a twentieth of the run, at most 50 ms, at
            least one step); the axis label states it.
        first_iteration: the iteration of the first count (a fresh network's first step is 1).
        title: the figure's title (default: "population rate", plus the replica average when drawn).

    The rate axis is logarithmic when the groups' mean rates differ by :data:`LOG_RATIO` or more.
    """
    if not per_step:
        raise ConexError("plot_rates: no groups to draw")
    counts = {tag: torch.as_tensor(c, dtype=torch.float64) for tag, c in per_step.items()}
    steps = min(c.shape[0] for c in counts.values())
    if window_ms is None:
        window = min(round(50.0 / dt), steps // 20)
    elif not window_ms > 0:
        raise ConexError(f"plot_rates: window_ms: expected > 0 ms, got {window_ms!r}")
    else:
        window = min(round(window_ms / dt), steps)
    window = max(1, window)
    averaged = any(c.dim() == 2 and c.shape[1] > 1 for c in counts.values())
    fig = _figure(10, 3.2)
    ax = fig.subplots()
    means = []
    for tag, c in counts.items():
        if c.dim() == 2:
            c = c.mean(1)
        rate = _smoothed(c, sizes[tag], dt, window)
        # each smoothed value belongs to the centre of its window
        t = (torch.arange(rate.numel(), dtype=torch.float64) + first_iteration + (window - 1) / 2) * dt
        mean = float(c.sum()) / (sizes[tag] * max(c.numel(), 1) * dt / 1000.0)
        means.append(mean)
        ax.plot(t.numpy(), rate.numpy(), label=f"{tag} (mean {mean:.3g} Hz)")
    positive = [m for m in means if m > 0]
    if len(positive) > 1 and max(positive) / min(positive) >= LOG_RATIO:
        ax.set_yscale("log")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"rate (Hz), {window * dt:g} ms box window")
    ax.set_title(title or ("population rate" + (", mean over replicas" if averaged else "")))
    ax.legend(loc="best", fontsize=8)
    return fig


def _replica_weights(synapse: Any, replica: int) -> torch.Tensor | None:
    """The weights of one replica (all of them when they have no replica axis), or None."""
    w = getattr(synapse, "weights", None)
    if not isinstance(w, torch.Tensor):
        return None
    replicas = synapse.network.replicas
    if replicas > 1 and not getattr(synapse, "shared_weights", False) and w.dim() >= 1 and w.shape[0] == replicas:
        return w[replica]
    return w


def plot_weights(net: Network, *, replica: int = 0, bins: int = 50) -> Figure | None:
    """A histogram of the weights of each plastic synapse (:func:`is_plastic`); None if there is none."""
    plastic = [s for s in net.synapse_groups if is_plastic(s)]
    if not plastic:
        return None
    fig = _figure(3.6 * len(plastic), 3.2)
    axes = fig.subplots(1, len(plastic), squeeze=False)[0]
    for ax, syn in zip(axes, plastic, strict=True):
        w = _replica_weights(syn, replica).detach()
        values = (w.coalesce().values() if w.is_sparse else w).float().cpu().flatten()
        ax.hist(values.numpy(), bins=bins, color="steelblue")
        ax.set_title(_name(syn) + _of_replica(net.replicas, replica), fontsize=9)
        ax.set_xlabel("weight")
        ax.set_ylabel("synapses")
    fig.suptitle(f"weights of the plastic synapses at {net.iteration * net.dt:g} ms")
    return fig


def field_images(synapse: Any, replica: int = 0) -> torch.Tensor | None:
    """One 2-D image per destination unit showing what it listens to, or None if there is no picture.

    What each layout shows is :meth:`conex.layouts.Layout.fields`: conv2d kernels summed over input
    channels, local2d kernels at the central output position, dense weights from a 2-D source laid
    out as the source map (summed over depth). With ``R > 1`` replicas it shows the weights of
    ``replica``.
    """
    w = _replica_weights(synapse, replica)
    if w is None:
        return None
    layout = layout_of(w)
    if layout is None:
        return None
    return layout.fields(w.detach().float().cpu(), synapse.src_shape, getattr(synapse, "kernel_shape", None))


def tile(images: torch.Tensor, columns: int | None = None, *, per_tile: bool = False) -> torch.Tensor:
    """``(n, h, w)`` images into one ``(rows*(h+1)-1, cols*(w+1)-1)`` mosaic, NaN between tiles.

    The values are kept (one colour scale for all tiles) unless ``per_tile``, which scales each tile
    to [0, 1] by its own minimum and maximum.
    """
    n, h, w = images.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    if per_tile:
        low = images.amin((1, 2), keepdim=True)
        span = (images.amax((1, 2), keepdim=True) - low).clamp_min(1e-12)
        images = (images - low) / span
    mosaic = torch.full((rows * (h + 1) - 1, columns * (w + 1) - 1), float("nan"))
    for i in range(n):
        r, c = divmod(i, columns)
        mosaic[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = images[i]
    return mosaic


def plot_fields(
    synapse: Any,
    *,
    replica: int = 0,
    labels: torch.Tensor | None = None,
    per_tile: bool = False,
    max_fields: int = 100,
    columns: int | None = None,
    title: str | None = None,
) -> Figure | None:
    """The receptive fields of a synapse's destination units as tiles; None if its layout has no picture.

    Args:
        synapse: a synapse group with weights (:func:`field_images` says what each layout shows).
        replica: which replica's weights, with ``R > 1`` replicas.
        labels: ``(units,)`` class of each unit (``-1``: none). Tiles are then sorted by class and each
            class's first tile is framed and numbered, so the class boundaries are visible.
        per_tile: scale each tile by its own minimum and maximum (the title says so) instead of one
            colour scale for all, shown by the colour bar.
        max_fields: the first this many units are drawn.
        columns: tiles per row (default: a square mosaic).
        title: the figure's title (default: what is shown and how it is scaled).
    """
    images = field_images(synapse, replica)
    if images is None:
        return None
    order = torch.arange(images.shape[0])
    if labels is not None:
        labels = torch.as_tensor(labels).flatten().cpu()
        if labels.numel() != images.shape[0]:
            raise ConexError(f"plot_fields: labels: expected {images.shape[0]} values, got {labels.numel()}")
        order = torch.argsort(labels, stable=True)
    order = order[:max_fields]
    n, h, w = images[order].shape
    columns = columns or math.ceil(math.sqrt(n))
    mosaic = tile(images[order], columns, per_tile=per_tile)
    rows = math.ceil(n / columns)
    inch = min(0.12, 10.0 / (columns * (w + 1)))  # per pixel: at most 10 inches of tiles across
    fig = _figure(max(6.0, inch * columns * (w + 1) + 2.0), inch * rows * (h + 1) + 1.4)
    ax = fig.subplots()
    finite = mosaic[~mosaic.isnan()]
    low, high = (float(finite.min()), float(finite.max())) if finite.numel() else (0.0, 1.0)
    shown = ax.imshow(mosaic.numpy(), cmap="hot", interpolation="nearest", vmin=low, vmax=high)
    ax.set_xticks([])
    ax.set_yticks([])
    if per_tile:
        scaling = "each tile scaled to its own min-max"
    else:
        scaling = "one colour scale"
        fig.colorbar(shown, ax=ax, label="weight", shrink=0.8)
    if labels is not None:
        sorted_labels = labels[order]
        for i in range(n):
            if i and sorted_labels[i] == sorted_labels[i - 1]:
                continue
            r, c = divmod(i, columns)
            x, y = c * (w + 1) - 0.5, r * (h + 1) - 0.5
            ax.add_patch(_frame(x, y, w, h))
            name = "none" if int(sorted_labels[i]) < 0 else str(int(sorted_labels[i]))
            ax.text(x + 0.3, y + 0.3, name, color="cyan", fontsize=8, va="top", ha="left", fontweight="bold")
        scaling += ";\nsorted by class, each class's first tile framed and numbered"
    shown_units = f"{n} of {images.shape[0]}" if n < images.shape[0] else str(n)
    where = _of_replica(synapse.network.replicas, replica)
    ax.set_title(title or f"receptive fields of {shown_units} units, {_name(synapse)}{where}\n({scaling})", fontsize=9)
    return fig


def _frame(x: float, y: float, w: int, h: int) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, fill=False, edgecolor="cyan", linewidth=1.5)


def plot_run(net: Network, monitor: SpikeMonitor, out: Path, max_fields: int = 100) -> list[Path]:
    """Write raster.png, rates.png, weights.png and fields_<synapse>.png into ``out``.

    With ``R > 1`` replicas the raster, the weight histograms and the receptive fields show
    replica 0 and the rates the mean across replicas; the titles say so.
    """
    written = []
    sizes = {g.tag: g.size for g in monitor.groups}
    if monitor.counts:
        events = {tag: monitor.event_tensor(tag) for tag in monitor.counts}
        title = "spike raster" + _of_replica(net.replicas, 0)
        written.append(_save(plot_raster(events, net.dt, sizes, title=title), out / "raster.png"))
        first = net.iteration - len(next(iter(monitor.per_step.values()))) + 1
        per_step = {tag: monitor.per_step[tag] for tag in sizes}
        written.append(_save(plot_rates(per_step, sizes, net.dt, first_iteration=first), out / "rates.png"))
    weights = plot_weights(net)
    if weights is not None:
        written.append(_save(weights, out / "weights.png"))
    for syn in net.synapse_groups:
        fields = plot_fields(syn, max_fields=max_fields) if is_plastic(syn) else None
        if fields is not None:
            written.append(_save(fields, out / f"fields_{_slug(_name(syn))}.png"))
    return written


def plot_run_folder(folder: str | Path) -> list[Path]:
    """Redraw the PNG files of a ``conex run`` folder from its checkpoint (the network at its last step)."""
    from conex.runner import resume_run

    folder = Path(folder)
    run = resume_run(folder, steps=0)  # restored, not advanced
    return plot_run(run.net, run.monitor, folder)


def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, dpi=100)
    return path
