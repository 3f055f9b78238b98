"""Inhibitory plasticity sets the firing rate to its target (Vogels et al. 2011, Fig. 1).

Each LIF neuron gets 800 excitatory Poisson inputs (fixed weights, enough to fire at ~70 Hz alone)
and 200 inhibitory ones whose weights learn by the symmetric iSTDP rule of Vogels et al.: a pre
spike depresses by ``alpha``, every near-coincident pre/post pair potentiates, so inhibition grows
until the neuron fires at ``rho``. Three target rates run at once as three replicas of one network
(``rho`` is a per-replica parameter), 20 neurons each. Run in full from the repository root::

    .venv/bin/python examples/gallery/vogels_istdp.py
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from gallery_kit import lif_group, main, poisson_group, save_figure, spike_events
from matplotlib.ticker import NullFormatter

from conex import Network, SynapseGroup
from conex.behaviors import (
    PostSpikeCatcher,
    PostTrace,
    PreSpikeCatcher,
    PreTrace,
    SimpleDendriticInput,
    SimpleiSTDP,
    SynapseInit,
    WeightClip,
    WeightInitializer,
)

NAME = "vogels_istdp"
TARGETS = (5.0, 10.0, 20.0)  # Hz, one per replica
NEURONS, EXCITATORY, INHIBITORY, INPUT_RATE = 20, 800, 200, 10.0
SECONDS_FULL, SECONDS_SHORT = 60, 8
WINDOW = 1000  # ms, for the rates over time


def run(short: bool = False, out: Path | None = None) -> dict[str, Any]:
    """Simulate, plot, and return each target's final rate (mean of the last 10 s, or of the last 2 s when short)."""
    seconds = SECONDS_SHORT if short else SECONDS_FULL
    net = Network(dt=1.0, seed=0, replicas=len(TARGETS))
    exc = poisson_group(net, EXCITATORY, INPUT_RATE, tag="exc_input")
    inh = poisson_group(net, INHIBITORY, INPUT_RATE, tag="inh")  # the tag inh makes its current negative
    neurons = lif_group(net, NEURONS, "neurons", I_tau=5.0, tau=20.0, v_rest=-60.0, threshold=-50.0, v_reset=-60.0)
    SynapseGroup(
        net=net,
        src=exc,
        dst=neurons,
        tag="Proximal",
        behavior=[
            SynapseInit(),
            WeightInitializer(mode="uniform(0, 1)"),
            SimpleDendriticInput(current_coef=1.0),
            PreSpikeCatcher(),
        ],
    )
    inhibition = SynapseGroup(
        net=net,
        src=inh,
        dst=neurons,
        tag="Proximal",
        behavior=[
            SynapseInit(),
            WeightInitializer(mode=0.1),
            SimpleDendriticInput(current_coef=1.0),
            PreSpikeCatcher(),
            PostSpikeCatcher(),
            PreTrace(tau_s=20.0),
            PostTrace(tau_s=20.0),
            # compensate_dt: alpha corrected for the step's trace, so the fixed point is rho itself
            SimpleiSTDP(rho=list(TARGETS), lr=2e-2, is_inhibitory=True, compensate_dt=True),
            WeightClip(w_min=0.0, w_max=20.0),
        ],
    )
    net.initialize()
    steps = seconds * 1000
    net.simulate_iterations(steps)
    events = spike_events(neurons)  # [iteration, replica, neuron]
    edges = np.arange(0, steps + 1, WINDOW)
    rates = np.stack(
        [
            np.histogram(events[events[:, 1] == r, 0], bins=edges + 0.5)[0] / (NEURONS * WINDOW / 1000.0)
            for r in range(3)
        ]
    )
    tail = 2 if short else 10  # seconds averaged for the final rate
    final = rates[:, -tail:].mean(axis=1)

    fig, (ax_r, ax_w) = plt.subplots(1, 2, figsize=(9, 3.4))
    for r, rho in enumerate(TARGETS):
        line = ax_r.plot(edges[1:] / 1000.0, rates[r], label=f"rho = {rho:g} Hz")[0]
        ax_r.axhline(rho, color=line.get_color(), linestyle=":")
    ax_r.set(xlabel="time (s)", ylabel="rate (Hz, mean of 20 neurons)", yscale="log", title="Rate (1 s windows)")
    ax_r.set_yticks([2, 5, 10, 20, 50], labels=["2", "5", "10", "20", "50"])
    ax_r.yaxis.set_minor_formatter(NullFormatter())
    ax_r.legend()
    weights = inhibition.weights.numpy()  # (replicas, 200, 20)
    ax_w.hist([weights[r].ravel() for r in range(3)], bins=30, label=[f"rho = {t:g} Hz" for t in TARGETS])
    ax_w.set(xlabel="inhibitory weight", ylabel="synapses", title=f"Inhibitory weights after {seconds} s")
    ax_w.legend()
    fig.suptitle("Inhibitory plasticity sets the rate to its target (Vogels et al. 2011)")
    fig.tight_layout()
    figure = save_figure(fig, NAME, out)

    result: dict[str, Any] = {"targets": TARGETS, "final_rates": final.tolist(), "figure": figure}
    result["initial_rates"] = rates[:, 0].tolist()
    result["rows"] = [
        (f"rate with rho = {rho:g} Hz, last {tail} s (Hz)", f"{rate:.2f} (first second {first:.0f})", f"{rho:g}")
        for rho, rate, first in zip(TARGETS, final, rates[:, 0], strict=True)
    ]
    return result


if __name__ == "__main__":
    main("Vogels et al. (2011), Fig. 1: inhibitory plasticity sets the rate", run)
