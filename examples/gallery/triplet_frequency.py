"""The triplet rule's dependence on the pairing frequency (Pfister & Gerstner 2006; data of Sjöström et al. 2001).

60 pairings of a pre and a post spike, 10 ms apart (pre first: +10 ms; post first: -10 ms), at
pairing frequencies from 1 to 50 Hz, through the triplet rule of the conex-triplet plugin with its
default parameters (the minimal visual-cortex fits of the paper, all-to-all and nearest-spike).
Pair STDP would give the same change at every frequency; the triplet term turns post-before-pre
depression into potentiation at high frequency. One neuron pair per (frequency, lag), all run at once
on one-to-one weights. The plugin is used from ``plugins/conex-triplet/src`` when it is not
installed. Run in full from the repository root::

    .venv/bin/python examples/gallery/triplet_frequency.py
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from gallery_kit import main, save_figure

from conex import Network, NeuronGroup, SynapseGroup
from conex.behaviors import (
    NeuronAxon,
    PostSpikeCatcher,
    PreSpikeCatcher,
    SpikeTrainInput,
    SynapseInit,
    WeightInitializer,
)

NAME = "triplet_frequency"
PAIRS, LAG = 60, 10  # pairings per protocol; ms between the spikes of a pair
FREQUENCIES_FULL = np.arange(1, 51)  # Hz
FREQUENCIES_SHORT = np.array([5, 10, 20, 30, 40, 50])
W0 = 1.0  # initial weight: a change of 0.1 is 10% of it


def triplet_plugin() -> ModuleType:
    """The ``conex_triplet`` package: installed, or else from this repository's ``plugins/conex-triplet/src``."""
    try:
        return importlib.import_module("conex_triplet")
    except ImportError:
        sys.path.append(str(Path(__file__).resolve().parents[2] / "plugins" / "conex-triplet" / "src"))
        return importlib.import_module("conex_triplet")


def pairing_trains(frequencies: np.ndarray, dt: float) -> tuple[list[tuple[float, int]], np.ndarray, np.ndarray]:
    """One pre/post neuron pair per (frequency, sign of the lag): their ``(T, pairs)`` spike trains."""
    cases = [(float(f), sign) for f in frequencies for sign in (+1, -1)]
    periods = [round(1000.0 / f / dt) for f, _ in cases]
    lag = round(LAG / dt)
    steps = max(periods) * PAIRS + 2 * lag + 2
    pre, post = np.zeros((steps, len(cases)), bool), np.zeros((steps, len(cases)), bool)
    for n, ((_, sign), period) in enumerate(zip(cases, periods, strict=True)):
        first = lag + np.arange(PAIRS) * period
        pre[first, n] = True
        post[first + sign * lag, n] = True
    return cases, pre, post


def crossing(frequencies: np.ndarray, change: np.ndarray) -> float:
    """The frequency (Hz, linearly interpolated) where ``change`` first turns from <= 0 to > 0; NaN if never."""
    for k in range(1, len(change)):
        if change[k - 1] <= 0 < change[k]:
            f0, f1, c0, c1 = frequencies[k - 1], frequencies[k], change[k - 1], change[k]
            return float(f0 + (f1 - f0) * (-c0) / (c1 - c0))
    return float("nan")


def run(short: bool = False, out: Path | None = None) -> dict[str, Any]:
    """Apply every protocol with both forms of the rule; return the crossover frequency and the changes."""
    plugin = triplet_plugin()
    frequencies = FREQUENCIES_SHORT if short else FREQUENCIES_FULL
    dt = 1.0
    cases, pre, post = pairing_trains(frequencies, dt)
    net = Network(dt=dt, dtype=torch.float64, seed=0)
    size = len(cases)
    src, dst = (
        NeuronGroup(
            size, net=net, tag=tag, behavior=[SpikeTrainInput(torch.as_tensor(train), loop=False), NeuronAxon()]
        )
        for tag, train in (("pre", pre), ("post", post))
    )
    forms = {"all-to-all": plugin.One2OneTripletSTDP, "nearest-spike": plugin.One2OneNearestTripletSTDP}
    synapses = {
        form: SynapseGroup(
            net=net,
            src=src,
            dst=dst,
            tag=form,
            behavior=[
                SynapseInit(),
                WeightInitializer(mode=W0, weight_shape=(size,)),
                PreSpikeCatcher(),
                PostSpikeCatcher(),
                rule(),
            ],
        )
        for form, rule in forms.items()
    }
    net.initialize()
    net.simulate_iterations(len(pre))
    changes = {}
    for form, synapse in synapses.items():
        dw = synapse.weights.numpy() - W0
        changes[form] = {sign: np.array([dw[n] for n, (_, s) in enumerate(cases) if s == sign]) for sign in (1, -1)}

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)
    for ax, (form, change) in zip(axes, changes.items(), strict=True):
        ax.plot(frequencies, 100 * change[1], marker=".", label="pre then post (+10 ms)")
        ax.plot(frequencies, 100 * change[-1], marker=".", label="post then pre (-10 ms)")
        ax.axhline(0, color="gray", linewidth=0.8)
        ax.set(xlabel="pairing frequency (Hz)", title=f"{form}, minimal visual-cortex fit")
    axes[0].set_ylabel(f"weight change after {PAIRS} pairings (%)")
    axes[0].legend()
    fig.suptitle("Triplet STDP: frequency dependence (Pfister & Gerstner 2006)")
    fig.tight_layout()
    figure = save_figure(fig, NAME, out)

    result: dict[str, Any] = {"figure": figure, "frequencies": frequencies.tolist()}
    rows = []
    for form, change in changes.items():
        key = form.split("-")[0]
        result[f"crossover_{key}"] = crossing(frequencies, change[-1])
        result[f"plus_{key}"] = change[1].tolist()
        result[f"minus_{key}"] = change[-1].tolist()
        low, high = 0, -1  # lowest and highest frequency
        rows += [
            (
                f"{form}: -10 ms turns to potentiation at (Hz)",
                f"{result[f'crossover_{key}']:.1f}",
                "data: LTD to ~20 Hz, LTP at 40-50 Hz",
            ),
            (
                f"{form}: +10 ms at {frequencies[low]} / {frequencies[high]} Hz (%)",
                f"{100 * change[1][low]:+.1f} / {100 * change[1][high]:+.1f}",
                "~0 at low, strong LTP at 50 Hz",
            ),
            (
                f"{form}: -10 ms at {frequencies[low]} / {frequencies[high]} Hz (%)",
                f"{100 * change[-1][low]:+.1f} / {100 * change[-1][high]:+.1f}",
                "LTD at low, LTP at 50 Hz",
            ),
        ]
    result["rows"] = rows
    return result


if __name__ == "__main__":
    main("Pfister & Gerstner (2006): triplet STDP vs pairing frequency", run)
