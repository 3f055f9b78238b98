"""A balanced excitatory/inhibitory network fires asynchronously and irregularly (Brunel 2000, Fig. 8).

800 excitatory and 200 inhibitory current-based LIF neurons, each synapse present with probability
0.1; a spike kicks the voltage by J = 0.5 mV (excitatory) or -g J = -4 mV (inhibitory, g = 8), and
every neuron also gets 100 inputs from a pool of external Poisson neurons at 25 Hz. Inhibition
dominates, so the network settles in Brunel's asynchronous irregular state: low rates, a flat
population rate and irregular spike trains (CV of the inter-spike intervals close to 1). Run in
full from the repository root::

    .venv/bin/python examples/gallery/ei_balanced.py
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from gallery_kit import cv_of_isis, lif_group, main, poisson_group, rate_over_time, save_figure, spike_events

from conex import Network, SynapseGroup
from conex.behaviors import PreSpikeCatcher, SimpleDendriticInput, SynapseInit, WeightInitializer

NAME = "ei_balanced"
EXCITATORY, INHIBITORY, EXTERNAL = 800, 200, 1000
DENSITY, EXTERNAL_RATE = 0.1, 25.0  # connection probability; Hz
TAU, J, G = 20.0, 0.5, 8.0  # ms; mV per excitatory spike; relative inhibitory strength
SECONDS_FULL, SECONDS_SHORT = 10, 2
SETTLE = 500  # ms left out of the statistics


def connect(net: Network, src: Any, dst: Any, kick: float) -> SynapseGroup:
    """Random connections (probability DENSITY) through which a spike moves v by ``kick`` mV (sign: src's tag)."""
    return SynapseGroup(
        net=net,
        src=src,
        dst=dst,
        tag="Proximal",
        behavior=[
            SynapseInit(),
            WeightInitializer(mode=1.0, density=DENSITY, true_sparsity=False),
            # v += current_coef * w * dt / tau: a kick of `kick` mV per spike
            SimpleDendriticInput(current_coef=kick * TAU / net.dt),
            PreSpikeCatcher(),
        ],
    )


def run(short: bool = False, out: Path | None = None) -> dict[str, Any]:
    """Simulate, plot, and return the mean rates and the CV of the inter-spike intervals."""
    seconds = SECONDS_SHORT if short else SECONDS_FULL
    net = Network(dt=0.5, seed=0)
    lif = {"tau": TAU, "v_rest": -70.0, "threshold": -50.0, "v_reset": -60.0, "refractory": 2.0}
    external = poisson_group(net, EXTERNAL, EXTERNAL_RATE, tag="external")
    exc = lif_group(net, EXCITATORY, "exc", init_v="uniform(-70, -50)", **lif)
    inh = lif_group(net, INHIBITORY, "inh", init_v="uniform(-70, -50)", **lif)
    for dst in (exc, inh):
        connect(net, external, dst, J)
        connect(net, exc, dst, J)
        connect(net, inh, dst, G * J)  # the source's tag inh makes it negative
    net.initialize()
    steps = round(seconds * 1000 / net.dt)
    net.simulate_iterations(steps)
    start = round(SETTLE / net.dt)
    e_events, i_events = spike_events(exc), spike_events(inh)
    e_kept, i_kept = e_events[e_events[:, 0] > start], i_events[i_events[:, 0] > start]
    span = (steps - start) * net.dt / 1000.0  # s
    e_rate, i_rate = len(e_kept) / (EXCITATORY * span), len(i_kept) / (INHIBITORY * span)
    cvs = cv_of_isis(e_kept, EXCITATORY)
    times, population = rate_over_time(e_kept, EXCITATORY, start, steps, net.dt, window_ms=5.0)
    # synchrony: the population rate's fluctuation relative to its mean (0 for a perfectly asynchronous state)
    synchrony = float(population.std() / population.mean()) if population.mean() > 0 else float("nan")

    fig, axes = plt.subplots(
        2, 2, figsize=(9, 5), gridspec_kw={"height_ratios": [3, 1], "width_ratios": [3, 1]}, squeeze=False
    )
    (ax_raster, ax_rates), (ax_pop, ax_cv) = axes
    window = (steps - round(1000 / net.dt), steps)  # the last second
    for events, offset, color, label in ((e_events, 0, "tab:blue", "exc"), (i_events, EXCITATORY, "tab:red", "inh")):
        shown = events[(events[:, 0] > window[0]) & (events[:, 1] % 4 == 0)]  # every 4th neuron
        ax_raster.scatter(shown[:, 0] * net.dt, shown[:, 1] + offset, s=2, color=color, label=label, linewidths=0)
    ax_raster.set(ylabel="neuron (every 4th)", title="Spikes, last second", xlim=np.array(window) * net.dt)
    ax_raster.legend(loc="upper right", markerscale=4)
    per_neuron = np.bincount(e_kept[:, 1], minlength=EXCITATORY) / span
    ax_rates.hist(per_neuron, bins=30, color="tab:blue")
    ax_rates.set(xlabel="rate (Hz)", ylabel="exc neurons", title="Rates")
    shown = times > window[0] * net.dt
    ax_pop.plot(times[shown], population[shown], color="tab:blue")
    ax_pop.set(xlabel="time (ms)", ylabel="exc rate (Hz)", title="Population rate (5 ms bins)")
    ax_pop.set_xlim(ax_raster.get_xlim())
    ax_cv.hist(cvs, bins=30, color="tab:gray")
    ax_cv.set(xlabel="CV of ISIs", ylabel="exc neurons")
    fig.suptitle("Balanced E/I network, asynchronous irregular state (Brunel 2000)")
    fig.tight_layout()
    figure = save_figure(fig, NAME, out)

    result: dict[str, Any] = {
        "exc_rate": e_rate,
        "inh_rate": i_rate,
        "cv_mean": float(cvs.mean()),
        "synchrony": synchrony,
        "figure": figure,
    }
    result["rows"] = [
        ("mean rate exc / inh (Hz)", f"{e_rate:.1f} / {i_rate:.1f}", "low (a few to ~30 Hz in the AI state)"),
        ("mean CV of ISIs (exc)", f"{result['cv_mean']:.2f}", "close to 1 (irregular)"),
        ("population rate sd / mean (5 ms)", f"{synchrony:.2f}", "small (asynchronous)"),
        ("network", f"{EXCITATORY}+{INHIBITORY} neurons, {seconds} s", "10,000+2,500 neurons"),
    ]
    return result


if __name__ == "__main__":
    main("Brunel (2000), Fig. 8: asynchronous irregular state of a balanced network", run)
