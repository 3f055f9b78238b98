"""STDP in a random E/I network on sparse weights: 2% connectivity stored as sparse tensors.

1600 excitatory and 400 inhibitory current-based LIF neurons, each pair connected with probability
0.02, driven by 1000 external Poisson neurons (10% connectivity). Every synapse group is a sparse COO
tensor (``WeightInitializer(density=..., true_sparsity=True)`` with :class:`SparseDendriticInput`);
the excitatory-to-excitatory synapses learn by :class:`SparseSTDP` (additive, depression slightly
stronger, clipped to [0, 1]) while the network stays in an asynchronous irregular state. The
example measures the memory the sparse synapses take against the same network with dense weights,
and how far STDP moves the weight distribution. Run in full from the repository root::

    .venv/bin/python examples/gallery/sparse_stdp.py
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from gallery_kit import cv_of_isis, lif_group, main, poisson_group, rate_over_time, save_figure, spike_events

from conex import Network, NeuronGroup, SynapseGroup
from conex.behaviors import (
    PostSpikeCatcher,
    PostTrace,
    PreSpikeCatcher,
    PreTrace,
    SimpleDendriticInput,
    SimpleSTDP,
    SparseDendriticInput,
    SparseSTDP,
    SynapseInit,
    WeightClip,
    WeightInitializer,
)

NAME = "sparse_stdp"
EXCITATORY, INHIBITORY, EXTERNAL = 1600, 400, 1000
DENSITY, EXTERNAL_DENSITY, EXTERNAL_RATE = 0.02, 0.1, 20.0  # connection probabilities; Hz
TAU, J_EE, J_E, J_I = 20.0, 1.0, 0.5, 4.0  # ms; mV per spike: exc->exc at w = 1, other excitatory, inhibitory
A_PLUS, RATIO = 0.02, 1.1  # STDP potentiation per pairing (w_max = 1), A-/A+
SECONDS_FULL, SECONDS_SHORT = 30, 2


def connect(
    net: Network,
    src: NeuronGroup,
    dst: NeuronGroup,
    kick: float,
    density: float,
    *,
    sparse: bool,
    plastic: bool = False,
) -> SynapseGroup:
    """Random synapses (probability ``density``) through which a spike moves v by ``kick * w`` mV.

    ``sparse``: a sparse COO weight tensor and the Sparse* behaviors, else a dense one with zeros
    where there is no synapse. ``plastic``: weights uniform in [0.2, 0.8] that learn by STDP, else 1.
    """
    behaviors = [
        SynapseInit(),
        WeightInitializer(mode="uniform(0.2, 0.8)" if plastic else 1.0, density=density, true_sparsity=sparse),
        # v += current_coef * w * dt / tau: a kick of `kick` mV per spike through w = 1
        (SparseDendriticInput if sparse else SimpleDendriticInput)(current_coef=kick * TAU / net.dt),
        PreSpikeCatcher(),
    ]
    if plastic:
        stdp = SparseSTDP if sparse else SimpleSTDP
        behaviors += [
            PostSpikeCatcher(),
            PreTrace(tau_s=20.0),
            PostTrace(tau_s=20.0),
            stdp(a_plus=A_PLUS, a_minus=RATIO * A_PLUS, positive_bound="no_bound", negative_bound="no_bound"),
            WeightClip(w_min=0.0, w_max=1.0),
        ]
    return SynapseGroup(net=net, src=src, dst=dst, tag="Proximal", behavior=behaviors)


def build(sparse: bool) -> tuple[Network, NeuronGroup, NeuronGroup, SynapseGroup]:
    """The initialized network (sparse or dense weights): ``(net, exc, inh, exc-to-exc synapse)``."""
    net = Network(dt=0.5, seed=0)
    lif = {"tau": TAU, "v_rest": -70.0, "threshold": -50.0, "v_reset": -60.0, "refractory": 2.0}
    external = poisson_group(net, EXTERNAL, EXTERNAL_RATE, tag="external")
    exc = lif_group(net, EXCITATORY, "exc", init_v="uniform(-70, -50)", **lif)
    inh = lif_group(net, INHIBITORY, "inh", init_v="uniform(-70, -50)", **lif)
    for dst in (exc, inh):
        connect(net, external, dst, J_E, EXTERNAL_DENSITY, sparse=sparse)
        connect(net, inh, dst, J_I, DENSITY, sparse=sparse)  # the source's tag inh makes it negative
    connect(net, exc, inh, J_E, DENSITY, sparse=sparse)
    plastic = connect(net, exc, exc, J_EE, DENSITY, sparse=sparse, plastic=True)
    net.initialize()
    return net, exc, inh, plastic


def synapse_bytes(synapse: SynapseGroup) -> int:
    """Bytes of the tensors a synapse group holds: its state and its topology's index arrays, each storage once.

    A sparse tensor counts its indices and values.
    """
    holders = [synapse, getattr(synapse, "topology", None)]
    tensors = [value for holder in holders if holder is not None for value in vars(holder).values()]
    storages: dict[int, int] = {}
    for tensor in tensors:
        if not isinstance(tensor, torch.Tensor):
            continue
        parts = [tensor.indices(), tensor.values()] if tensor.layout == torch.sparse_coo else [tensor]
        for part in parts:
            storage = part.untyped_storage()
            storages[storage.data_ptr()] = storage.nbytes()
    return sum(storages.values())


def network_bytes(net: Network) -> int:
    """Bytes of all the network's synapse groups (:func:`synapse_bytes`)."""
    return sum(synapse_bytes(synapse) for synapse in net.synapse_groups)


def run(short: bool = False, out: Path | None = None) -> dict[str, Any]:
    """Measure memory sparse vs dense, simulate the sparse network, plot, and return the figures of merit."""
    seconds = SECONDS_SHORT if short else SECONDS_FULL
    dense_net, _, _, dense_plastic = build(sparse=False)
    dense_bytes, dense_ee = network_bytes(dense_net), synapse_bytes(dense_plastic)
    del dense_net, dense_plastic
    net, exc, inh, plastic = build(sparse=True)
    sparse_bytes, sparse_ee = network_bytes(net), synapse_bytes(plastic)
    before = plastic.weights.values().clone().numpy()
    steps = round(seconds * 1000 / net.dt)
    net.simulate_iterations(steps)
    after = plastic.weights.values().numpy()
    exc_events, inh_events = spike_events(exc), spike_events(inh)
    exc_rate = len(exc_events) / EXCITATORY / seconds
    inh_rate = len(inh_events) / INHIBITORY / seconds
    cvs = cv_of_isis(exc_events, EXCITATORY)

    fig, axes = plt.subplots(2, 2, figsize=(10, 6.4))
    ax_s, ax_w, ax_r, ax_m = axes.flat
    last = steps - round(1000 / net.dt)  # the last second
    for events, offset, colour, label in ((exc_events, 0, "C0", "exc"), (inh_events, EXCITATORY, "C3", "inh")):
        shown = events[(events[:, 0] > last) & (events[:, 1] % 8 == 0)]  # every 8th neuron
        ax_s.scatter(shown[:, 0] * net.dt / 1000.0, (shown[:, 1] + offset) / 8, s=2, c=colour, label=label)
    ax_s.set(xlabel="time (s)", ylabel="neuron (every 8th)", title="Spikes in the last second")
    ax_s.legend(loc="upper right", markerscale=4, fontsize=8)
    bins = np.linspace(0, 1, 41)
    ax_w.hist(before, bins=bins, alpha=0.6, label="before")
    ax_w.hist(after, bins=bins, alpha=0.6, label=f"after {seconds} s")
    ax_w.set(xlabel="weight / w_max", ylabel="synapses", title=f"Plastic exc→exc weights ({before.size} synapses)")
    ax_w.legend()
    times, rates = rate_over_time(exc_events, EXCITATORY, 0, steps, net.dt, window_ms=100.0)
    ax_r.plot(times / 1000.0, rates, label="exc")
    times, rates = rate_over_time(inh_events, INHIBITORY, 0, steps, net.dt, window_ms=100.0)
    ax_r.plot(times / 1000.0, rates, label="inh", c="C3")
    ax_r.set(xlabel="time (s)", ylabel="rate (Hz)", title="Population rate (100 ms windows)", ylim=(0, None))
    ax_r.legend()
    labels = ["exc→exc\n(plastic)", "all synapses"]
    x = np.arange(2)
    ax_m.bar(x - 0.2, [dense_ee / 1e6, dense_bytes / 1e6], 0.4, label="dense weights")
    ax_m.bar(x + 0.2, [sparse_ee / 1e6, sparse_bytes / 1e6], 0.4, label="sparse weights")
    ax_m.set_xticks(x, labels)
    ax_m.set(ylabel="MB (synapse tensors)", title="Memory: sparse vs dense", yscale="log")
    ax_m.legend(fontsize=8)
    fig.suptitle(
        f"STDP in a random E/I network, {EXCITATORY + INHIBITORY} LIF neurons at {DENSITY:.0%} connectivity, "
        "sparse weights"
    )
    fig.tight_layout()
    figure = save_figure(fig, NAME, out)

    result = {
        "memory_ratio": dense_bytes / sparse_bytes,
        "memory_ratio_ee": dense_ee / sparse_ee,
        "sparse_mb": sparse_bytes / 1e6,
        "dense_mb": dense_bytes / 1e6,
        "synapses": int(before.size),
        "w_mean_before": float(before.mean()),
        "w_mean_after": float(after.mean()),
        "w_std_before": float(before.std()),
        "w_std_after": float(after.std()),
        "mean_abs_change": float(np.abs(after - before).mean()),
        "exc_rate": exc_rate,
        "inh_rate": inh_rate,
        "cv_mean": float(cvs.mean()),
        "figure": figure,
    }
    result["rows"] = [
        (
            "synapse memory, dense / sparse",
            f"{result['memory_ratio']:.1f} ({result['dense_mb']:.1f} MB vs {result['sparse_mb']:.1f} MB)",
            "-",
        ),
        ("exc->exc memory, dense / sparse", f"{result['memory_ratio_ee']:.1f}", "-"),
        ("plastic weights: mean", f"{result['w_mean_before']:.3f} -> {result['w_mean_after']:.3f}", "-"),
        ("plastic weights: std", f"{result['w_std_before']:.3f} -> {result['w_std_after']:.3f}", "-"),
        ("plastic weights: mean |change|", f"{result['mean_abs_change']:.3f}", "-"),
        ("rates exc / inh (Hz)", f"{exc_rate:.1f} / {inh_rate:.1f}", "asynchronous irregular"),
        ("mean CV of the ISIs (exc)", f"{result['cv_mean']:.2f}", "close to 1"),
    ]
    return result


if __name__ == "__main__":
    main(f"STDP in a sparse random E/I network ({EXCITATORY + INHIBITORY} neurons, {DENSITY:.0%})", run)
