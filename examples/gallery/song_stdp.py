"""STDP makes the weights onto one neuron bimodal (Song, Miller & Abbott 2000, Fig. 2).

1000 Poisson inputs at 15 Hz drive one LIF neuron through plastic synapses. Additive pair STDP with
depression slightly stronger than potentiation (A-/A+ = 1.05, tau+ = tau- = 20 ms), limits that clip
but never freeze (``no_bound`` + :class:`WeightClip`, as in the paper), and competition among the
inputs drives the weights towards 0 or w_max while the output rate falls. Run in full from the
repository root::

    .venv/bin/python examples/gallery/song_stdp.py
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from gallery_kit import lif_group, main, poisson_group, rate_over_time, save_figure, spike_events

from conex import Network, SynapseGroup
from conex.behaviors import (
    PostSpikeCatcher,
    PostTrace,
    PreSpikeCatcher,
    PreTrace,
    SimpleDendriticInput,
    SimpleSTDP,
    SynapseInit,
    WeightClip,
    WeightInitializer,
)

NAME = "song_stdp"
INPUTS, INPUT_RATE = 1000, 15.0  # Hz
A_PLUS, RATIO = 0.01, 1.05  # potentiation per pairing (in units of w_max), A-/A+
SECONDS_FULL, SECONDS_SHORT = 400, 25


def near_bounds(w: np.ndarray, margin: float) -> float:
    """Fraction of weights (w_max = 1) within ``margin`` of 0 or of w_max."""
    return float(np.mean((w <= margin) | (w >= 1.0 - margin)))


def run(short: bool = False, out: Path | None = None) -> dict[str, Any]:
    """Simulate, plot, and return the figures of merit (weights near the bounds, output rates)."""
    seconds = SECONDS_SHORT if short else SECONDS_FULL
    net = Network(dt=1.0, seed=0)
    inputs = poisson_group(net, INPUTS, INPUT_RATE)
    # a spike through weight w adds current 0.6 * w that decays with 5 ms: a PSP of ~0.3 mV * w
    neuron = lif_group(net, 1, "neuron", I_tau=5.0, tau=10.0, v_rest=-74.0, threshold=-54.0, v_reset=-60.0)
    synapse = SynapseGroup(
        net=net,
        src=inputs,
        dst=neuron,
        tag="Proximal",
        behavior=[
            SynapseInit(),
            WeightInitializer(mode="uniform(0, 1)"),
            SimpleDendriticInput(current_coef=0.6),
            PreSpikeCatcher(),
            PostSpikeCatcher(),
            PreTrace(tau_s=20.0),
            PostTrace(tau_s=20.0),
            SimpleSTDP(a_plus=A_PLUS, a_minus=RATIO * A_PLUS, positive_bound="no_bound", negative_bound="no_bound"),
            WeightClip(w_min=0.0, w_max=1.0),
        ],
    )
    net.initialize()
    before = synapse.weights.flatten().clone().numpy()
    steps = seconds * 1000
    net.simulate_iterations(steps)
    after = synapse.weights.flatten().numpy()
    events = spike_events(neuron)
    times, rates = rate_over_time(events, 1, 0, steps, net.dt, window_ms=5000.0)
    last = min(20, seconds // 2) * 1000  # the final rate: the last 20 s (the last half of a short run)
    final_rate = float(np.sum(events[:, 0] > steps - last)) / (last / 1000.0)
    first_rate = float(np.sum(events[:, 0] <= 5000)) / 5.0

    fig, (ax_w, ax_r) = plt.subplots(1, 2, figsize=(9, 3.4))
    bins = np.linspace(0, 1, 26)
    ax_w.hist(before, bins=bins, alpha=0.6, label="before")
    ax_w.hist(after, bins=bins, alpha=0.6, label=f"after {seconds} s")
    ax_w.set(xlabel="weight / w_max", ylabel="synapses", title="Weight distribution")
    ax_w.legend()
    ax_r.plot(times / 1000.0, rates, marker=".")
    ax_r.set(xlabel="time (s)", ylabel="output rate (Hz)", title="Output rate (5 s windows)", ylim=(0, None))
    fig.suptitle("STDP on one neuron with 1000 Poisson inputs (Song, Miller & Abbott 2000)")
    fig.tight_layout()
    figure = save_figure(fig, NAME, out)

    result = {
        "near_bounds_10": near_bounds(after, 0.1),
        "near_bounds_20": near_bounds(after, 0.2),
        "near_bounds_20_before": near_bounds(before, 0.2),
        "first_rate": first_rate,
        "final_rate": final_rate,
        "figure": figure,
    }
    result["rows"] = [
        ("weights within 10% of 0 or w_max", f"{result['near_bounds_10']:.2f} (start 0.20)", "most: bimodal"),
        ("weights within 20% of 0 or w_max", f"{result['near_bounds_20']:.2f} (start 0.40)", "most: bimodal"),
        ("output rate, first 5 s (Hz)", f"{first_rate:.1f}", "-"),
        ("output rate, last 20 s (Hz)", f"{final_rate:.1f}", "falls; a few to ~15 Hz (see page)"),
        ("simulated time (s)", str(seconds), "long enough to converge"),
    ]
    return result


if __name__ == "__main__":
    main("Song, Miller & Abbott (2000), Fig. 2: STDP on one neuron", run)
