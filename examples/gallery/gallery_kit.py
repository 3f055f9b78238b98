"""What every gallery example shares: neuron groups, spike statistics, the figure and the printed comparison.

Each example in this folder is one script with ``run(short=False, out=None) -> dict``: the full version
writes its figure to ``docs/_static/gallery/<name>.png`` (or into ``out``), the short one is what
``tests/test_gallery.py`` runs in a few seconds. The dict holds the measured figures of merit, the
figure's path under ``"figure"`` and, under ``"rows"``, ``(quantity, measured, paper)`` triples that
:func:`main` prints side by side. Time is in ms, rates in Hz, voltages in mV.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: the examples run on machines without a display

import matplotlib.pyplot as plt
import numpy as np
import torch

from conex import Behavior, Network, NeuronGroup
from conex.behaviors import (
    LIF,
    EventRecorder,
    Fire,
    NeuronAxon,
    PoissonInput,
    SimpleDendriteComputation,
    SimpleDendriteStructure,
)

__all__ = [
    "FIGURES",
    "Row",
    "cv_of_isis",
    "lif_group",
    "main",
    "poisson_group",
    "rate_over_time",
    "report",
    "save_figure",
    "spike_events",
]

FIGURES = Path(__file__).resolve().parents[2] / "docs" / "_static" / "gallery"
"""Where the full runs put their figures: the docs include them from there."""

Row = tuple[str, str, str]
"""One line of the comparison: quantity, what conex measured, what the paper reports."""


def poisson_group(net: Network, size: int, rate: float, tag: str = "input") -> NeuronGroup:
    """``size`` independent Poisson spike sources firing at ``rate`` Hz (tag ``inh`` makes their input negative)."""
    return NeuronGroup(size, net=net, tag=tag, behavior=[PoissonInput(intensity=1.0, scale=rate), NeuronAxon()])


def lif_group(
    net: Network,
    size: int | tuple[int, int, int],
    tag: str,
    *,
    I_tau: float | None = None,  # noqa: N803 - conex's parameter name
    extra: Sequence[Behavior] = (),
    max_events: int = 2_000_000,
    **lif: Any,
) -> NeuronGroup:
    """Current-based LIF neurons (``LIF(**lif)``) whose spikes an :class:`EventRecorder` keeps.

    ``I_tau`` (ms) makes the synaptic current decay exponentially (``None``: each spike is one
    instantaneous kick of the voltage); ``extra`` behaviors (KWTA, homeostasis) join at their
    default priorities.
    """
    behaviors = [
        SimpleDendriteStructure(),
        SimpleDendriteComputation(I_tau=I_tau),
        LIF(**lif),
        *extra,
        Fire(),
        NeuronAxon(),
        EventRecorder("spikes", max_events=max_events),
    ]
    return NeuronGroup(size, net=net, tag=tag, behavior=behaviors)


def spike_events(group: NeuronGroup) -> np.ndarray:
    """The ``(n, 2)`` ``[iteration, neuron]`` spike events the group's :class:`EventRecorder` kept."""
    for behavior in group.behavior.values():
        if isinstance(behavior, EventRecorder):
            return behavior.data("spikes").cpu().numpy()
    raise LookupError(f"{group.label()} has no EventRecorder: build it with lif_group")


def rate_over_time(
    events: np.ndarray, size: int, start: int, stop: int, dt: float, window_ms: float
) -> tuple[np.ndarray, np.ndarray]:
    """Population rate (Hz per neuron) in windows of ``window_ms`` over iterations ``(start, stop]``.

    Returns the windows' centres (ms) and rates.
    """
    width = max(1, round(window_ms / dt))
    edges = np.arange(start, stop + 1, width)
    counts, _ = np.histogram(events[:, 0], bins=edges + 0.5)
    centres = (edges[:-1] + width / 2) * dt
    return centres, counts / (size * width * dt / 1000.0)


def cv_of_isis(events: np.ndarray, size: int, min_spikes: int = 5) -> np.ndarray:
    """Coefficient of variation of the inter-spike intervals of each neuron with at least ``min_spikes`` spikes."""
    order = np.lexsort((events[:, 0], events[:, 1]))
    times, neurons = events[order, 0], events[order, 1]
    cvs = []
    for neuron in range(size):
        own = times[neurons == neuron]
        if own.size >= min_spikes:
            isis = np.diff(own)
            cvs.append(isis.std() / isis.mean())
    return np.asarray(cvs)


def save_figure(fig: plt.Figure, name: str, out: Path | None) -> Path:
    """Write ``fig`` as ``<out or FIGURES>/<name>.png`` (small: 90 dpi) and close it; returns the path."""
    folder = FIGURES if out is None else Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def report(title: str, rows: Sequence[Row]) -> str:
    """The comparison as a text table: quantity, measured with conex, the paper's value."""
    header = ("quantity", "conex (measured)", "paper")
    widths = [max(len(row[k]) for row in (header, *rows)) for k in range(3)]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def main(title: str, run: Callable[..., dict[str, Any]]) -> None:
    """Run the full version of an example once, then print its figure's path and the comparison."""
    torch.set_num_threads(1)  # small tensors: more threads only contend
    result = run(short=False)
    print(report(title, result["rows"]))
    print("figure:", result["figure"])
