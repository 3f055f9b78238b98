"""Reward-modulated STDP picks out the one synapse whose pairings are rewarded, with the reward delayed.

A scaled-down version of the distal reward experiment of Izhikevich (2007, Fig. 1): 20 Poisson inputs
at 5 Hz project onto 5 LIF neurons through 100 synapses that learn by :class:`SimpleRSTDP` (STDP
filtered by an eligibility trace ``c`` with tau_c = 1 s, the weight changing by ``c`` times the
dopamine). Every time output neuron 0 fires 1 to 10 ms after input 0 (a pre-before-post pairing of
the synapse 0 -> 0), a reward of 0.5 is delivered 0.1 to 1 s later (uniformly at random), by a
:class:`Payoff` function; :class:`Dopamine` turns it into a concentration decaying with 200 ms.
Pairings of the other synapses happen by chance just as often, but only the chosen synapse's ones are
followed by dopamine on average, so its weight climbs to the maximum while the others sink. Run in
full from the repository root::

    .venv/bin/python examples/gallery/rstdp_distal_reward.py
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from gallery_kit import lif_group, main, poisson_group, save_figure

from conex import Network, NeuronGroup, SynapseGroup
from conex.behaviors import (
    Dopamine,
    Payoff,
    PostSpikeCatcher,
    PostTrace,
    PreSpikeCatcher,
    PreTrace,
    SimpleDendriticInput,
    SimpleRSTDP,
    SynapseInit,
    WeightClip,
    WeightInitializer,
)

NAME = "rstdp_distal_reward"
INPUTS, OUTPUTS, INPUT_RATE = 20, 5, 5.0  # Hz
NOISE, NOISE_RATE = 100, 10.0  # fixed Poisson drive of the outputs (Hz)
A_PLUS, RATIO, TAU_C, TAU_D = 4e-4, 1.2, 1000.0, 200.0  # eligibility per pairing; A-/A+; ms; ms
WINDOW, DELAY, REWARD = 10, (100, 1000), 0.5  # pairing window (ms), reward delay range (ms), payoff
SECONDS_FULL, SECONDS_SHORT = 300, 20


class DelayedReward:
    """A :class:`Payoff` function: ``REWARD`` a random DELAY after each pairing input 0 -> output 0.

    A pairing is a spike of output 0 that comes 1 to WINDOW iterations after a spike of input 0.
    ``groups`` (input, output) must be set before the network runs; ``pairings`` and ``rewards``
    keep the iterations at which they happened.
    """

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.groups: tuple[NeuronGroup, NeuronGroup] | None = None
        self.last_pre = -(10**9)
        self.due: list[int] = []
        self.pairings: list[int] = []
        self.rewards: list[int] = []

    def __call__(self, network: Network) -> float:
        t = network.iteration  # the groups' spikes are those of the iteration before
        pre, post = self.groups
        if bool(post.spikes.reshape(-1)[0]) and 0 < t - self.last_pre <= WINDOW:
            self.pairings.append(t)
            self.due.append(t + int(self.rng.integers(DELAY[0], DELAY[1] + 1)))
        if bool(pre.spikes.reshape(-1)[0]):
            self.last_pre = t
        payoff = 0.0
        for when in [when for when in self.due if when <= t]:
            self.due.remove(when)
            self.rewards.append(t)
            payoff += REWARD
        return payoff


def run(short: bool = False, out: Path | None = None) -> dict[str, Any]:
    """Simulate, plot the chosen synapse's weight against the others', and return how far ahead it ends."""
    seconds = SECONDS_SHORT if short else SECONDS_FULL
    reward = DelayedReward(seed=1)
    net = Network(dt=1.0, seed=0, behavior=[Payoff(function=reward), Dopamine(tau_dopamine=TAU_D)])
    inputs = poisson_group(net, INPUTS, INPUT_RATE)
    noise = poisson_group(net, NOISE, NOISE_RATE, tag="noise")
    outputs = lif_group(net, OUTPUTS, "outputs", tau=10.0, v_rest=-65.0, threshold=-50.0, v_reset=-65.0, refractory=2.0)
    # a noise spike kicks v by 1.1 mV, an input spike by w mV (w in [0, 1]): the outputs fire on the noise
    SynapseGroup(
        net=net,
        src=noise,
        dst=outputs,
        tag="Proximal",
        behavior=[
            SynapseInit(),
            WeightInitializer(mode=1.0),
            SimpleDendriticInput(current_coef=11.0),
            PreSpikeCatcher(),
        ],
    )
    synapse = SynapseGroup(
        net=net,
        src=inputs,
        dst=outputs,
        tag="Proximal",
        behavior=[
            SynapseInit(),
            WeightInitializer(mode="uniform(0, 0.5)"),
            SimpleDendriticInput(current_coef=10.0),
            PreSpikeCatcher(),
            PostSpikeCatcher(),
            PreTrace(tau_s=20.0),
            PostTrace(tau_s=20.0),
            SimpleRSTDP(
                a_plus=A_PLUS,
                a_minus=RATIO * A_PLUS,
                tau_c=TAU_C,
                positive_bound="no_bound",
                negative_bound="no_bound",
            ),
            WeightClip(w_min=0.0, w_max=1.0),
        ],
    )
    reward.groups = (inputs, outputs)
    net.initialize()
    history = [synapse.weights.flatten().clone().numpy()]
    for _ in range(seconds):
        net.simulate_iterations(1000)
        history.append(synapse.weights.flatten().clone().numpy())
    weights = np.asarray(history)  # (seconds + 1, INPUTS * OUTPUTS); synapse 0 -> 0 is column 0
    chosen, others = weights[:, 0], weights[:, 1:]
    final = weights[-1]
    rank = int(np.sum(final[1:] > final[0])) + 1  # 1: no other synapse is stronger

    fig, (ax_w, ax_h) = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [2, 1]})
    seconds_axis = np.arange(seconds + 1)
    ax_w.fill_between(
        seconds_axis, *np.percentile(others, [10, 90], axis=1), alpha=0.3, color="C0", label="others, 10-90%"
    )
    ax_w.plot(seconds_axis, others.mean(axis=1), color="C0", label="others, mean")
    ax_w.plot(seconds_axis, chosen, color="C3", lw=2, label="rewarded synapse")
    ax_w.plot(np.asarray(reward.rewards) / 1000.0, np.full(len(reward.rewards), 1.04), "|", color="k", ms=6)
    ax_w.set(xlabel="time (s)", ylabel="weight / w_max", title="Weights (ticks: rewards)", ylim=(0, 1.1))
    ax_w.legend(loc="center right", fontsize=8)
    ax_h.hist(final[1:], bins=np.linspace(0, 1, 21), label=f"the other {final.size - 1}")
    ax_h.axvline(final[0], color="C3", lw=2, label="rewarded")
    ax_h.set(xlabel="weight / w_max", ylabel="synapses", title=f"Weights after {seconds} s")
    ax_h.legend(fontsize=8)
    fig.suptitle("R-STDP: rewarding one synapse's pairings, 0.1-1 s later (after Izhikevich 2007, Fig. 1)")
    fig.tight_layout()
    figure = save_figure(fig, NAME, out)

    result = {
        "chosen": float(final[0]),
        "others_mean": float(final[1:].mean()),
        "others_max": float(final[1:].max()),
        "others_near_max": int(np.sum(final[1:] >= 0.9)),
        "ratio": float(final[0] / final[1:].mean()),
        "rank": rank,
        "rewards": len(reward.rewards),
        "pairings": len(reward.pairings),
        "figure": figure,
    }
    result["rows"] = [
        ("rewarded synapse's weight / w_max", f"{result['chosen']:.2f} (start {weights[0, 0]:.2f})", "~1 (at w_max)"),
        ("others' mean weight / w_max", f"{result['others_mean']:.3f} (start {weights[0, 1:].mean():.2f})", "low"),
        ("rewarded / others' mean", f"{result['ratio']:.1f}", "large"),
        ("rank of the rewarded synapse", f"{rank} of {final.size}", "1"),
        ("other synapses at >= 0.9 w_max", str(result["others_near_max"]), "none or few"),
        ("rewards delivered", f"{result['rewards']} in {seconds} s", "~1 per pairing"),
    ]
    return result


if __name__ == "__main__":
    main("Izhikevich (2007), Fig. 1: distal reward with R-STDP (scaled down)", run)
