"""Convolutional STDP learns oriented edge detectors from oriented gratings (after Kheradpisheh et al. 2018).

A 16x16 image, ON/OFF coded (two input channels: the positive and the negative part of a zero-mean
stimulus) as Poisson spikes, drives 8 convolutional feature maps (5x5 kernels shared over the
12x12 positions) through :class:`Conv2dDendriticInput`. :class:`KWTA` lets at most one map fire
at each position (lateral inhibition across the maps), :class:`Conv2dSTDP` learns the shared kernels
and :class:`WeightNormalization` holds each kernel's sum fixed, so a kernel can only grow where it
shrinks elsewhere. The stimuli are sine gratings at random orientations and phases, 40 ms each with
10 ms of silence between. Each kernel ends as an oriented ON/OFF edge detector, and the maps share
out the orientations. Run in full from the repository root::

    .venv/bin/python examples/gallery/conv_orientation.py
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from gallery_kit import lif_group, main, save_figure

from conex import Network, NeuronGroup, SynapseGroup
from conex.behaviors import (
    KWTA,
    Conv2dDendriticInput,
    Conv2dSTDP,
    NeuronAxon,
    PostSpikeCatcher,
    PostTrace,
    PreSpikeCatcher,
    PreTrace,
    SpikeTrainInput,
    SynapseInit,
    WeightInitializer,
    WeightNormalization,
)

NAME = "conv_orientation"
SIDE, KERNEL, MAPS = 16, 5, 8  # image side, kernel side (pixels), feature maps
PERIOD = 6.0  # grating period (pixels), in training and in the orientation test
PEAK_RATE = 150.0  # Hz of an input neuron at the stimulus' peak
PRESENT, PAUSE = 40, 10  # ms per stimulus, ms of silence after it
ORIENTATIONS, PHASES = 8, 16  # of the test gratings
STIMULI_FULL, STIMULI_SHORT = 1200, 120


def grating(side: int, theta: float | np.ndarray, phase: float | np.ndarray) -> np.ndarray:
    """Zero-mean sine grating(s) ``(..., side, side)`` of period PERIOD, orientation ``theta`` (rad), ``phase``.

    ``theta`` is the direction the grating varies along (its wave vector): 0 gives vertical stripes.
    """
    yy, xx = np.mgrid[0:side, 0:side]
    theta, phase = np.asarray(theta)[..., None, None], np.asarray(phase)[..., None, None]
    return np.cos(2 * np.pi * (xx * np.cos(theta) + yy * np.sin(theta)) / PERIOD + phase)


def on_off(image: np.ndarray) -> np.ndarray:
    """The two input channels of ``image (..., h, w)``: its positive part and its negative part, ``(..., 2, h, w)``."""
    return np.stack([np.clip(image, 0, None), np.clip(-image, 0, None)], axis=-3)


def input_train(stimuli: int, rng: np.random.Generator) -> torch.Tensor:
    """Poisson spikes ``(stimuli * (PRESENT + PAUSE), 2 * SIDE**2)`` of gratings at random orientations and phases."""
    images = on_off(grating(SIDE, rng.uniform(0, np.pi, stimuli), rng.uniform(0, 2 * np.pi, stimuli)))
    p = images.reshape(stimuli, 1, -1) * PEAK_RATE / 1000.0  # spike probability per 1 ms iteration
    spikes = rng.random((stimuli, PRESENT, p.shape[-1])) < p
    silence = np.zeros((stimuli, PAUSE, p.shape[-1]), dtype=bool)
    return torch.from_numpy(np.concatenate([spikes, silence], axis=1).reshape(-1, p.shape[-1]))


def tuning(kernels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each kernel's response to gratings at ORIENTATIONS orientations, the best over PHASES phases.

    Returns ``(drive, rf)``, both ``(maps, ORIENTATIONS)``: ``drive`` is the input current the kernel
    receives from the ON/OFF coded grating (what the neuron sees, always > 0), ``rf`` the linear
    response of the receptive field ``ON - OFF`` to the zero-mean grating.
    """
    thetas = np.repeat(np.arange(ORIENTATIONS) * np.pi / ORIENTATIONS, PHASES)
    phases = np.tile(np.arange(PHASES) * 2 * np.pi / PHASES, ORIENTATIONS)
    tests = grating(KERNEL, thetas, phases)  # (ORIENTATIONS * PHASES, k, k)
    drive = np.einsum("mckl,tckl->mt", kernels, on_off(tests))
    rf = np.einsum("mkl,tkl->mt", kernels[:, 0] - kernels[:, 1], tests)
    best = [r.reshape(len(kernels), ORIENTATIONS, PHASES).max(axis=2) for r in (drive, rf)]
    return best[0], best[1]


def osi(responses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Orientation selectivity ``(R_pref - R_orth) / (R_pref + R_orth)`` of each row, and its preferred index."""
    pref = responses.argmax(axis=1)
    rows = np.arange(len(responses))
    r_pref, r_orth = responses[rows, pref], responses[rows, (pref + ORIENTATIONS // 2) % ORIENTATIONS]
    return (r_pref - r_orth) / (r_pref + r_orth), pref


def run(short: bool = False, out: Path | None = None) -> dict[str, Any]:
    """Train, plot the kernels and their tuning, and return the orientation selectivity before and after."""
    stimuli = STIMULI_SHORT if short else STIMULI_FULL
    train = input_train(stimuli, np.random.default_rng(0))
    net = Network(dt=1.0, seed=0)
    image = NeuronGroup((2, SIDE, SIDE), net, tag="input", behavior=[SpikeTrainInput(train, loop=False), NeuronAxon()])
    side = SIDE - KERNEL + 1
    maps = lif_group(
        net,
        (MAPS, side, side),
        "maps",
        tau=10.0,
        v_rest=-65.0,
        threshold=-55.0,
        v_reset=-70.0,
        extra=[KWTA(k=1, dimension=0)],  # at each position at most one map fires
        max_events=10,  # the spikes are not needed
    )
    synapse = SynapseGroup(
        net=net,
        src=image,
        dst=maps,
        tag="Proximal",
        behavior=[
            SynapseInit(),
            WeightInitializer(mode="uniform(0, 1)", weight_shape=(MAPS, 2, KERNEL, KERNEL)),
            Conv2dDendriticInput(current_coef=12.0),
            PreSpikeCatcher(),
            PostSpikeCatcher(),
            PreTrace(tau_s=10.0),
            PostTrace(tau_s=10.0),
            # the change is averaged over the 144 positions, hence the large coefficients
            Conv2dSTDP(a_plus=0.5, a_minus=0.375, positive_bound="soft_bound", negative_bound="soft_bound"),
            WeightNormalization(norm=0.25 * 2 * KERNEL * KERNEL),  # the initial mean, 0.25 per weight
        ],
    )
    net.initialize()
    before = synapse.weights.clone().numpy()
    net.simulate_iterations(train.shape[0])
    after = synapse.weights.numpy()
    drive_0, rf_0 = tuning(before)
    drive, rf = tuning(after)
    osi_drive_0, _ = osi(drive_0)
    osi_rf_0, pref_0 = osi(rf_0)
    osi_drive, _ = osi(drive)
    osi_rf, pref = osi(rf)

    fig = plt.figure(figsize=(10, 5.6))
    grid = fig.add_gridspec(3, MAPS, height_ratios=[1, 1, 2.2])
    fields = after[:, 0] - after[:, 1]
    limit = np.abs(fields).max()
    for m in range(MAPS):
        for row, (w, label) in enumerate(((before[:, 0] - before[:, 1], "initial"), (fields, "learned"))):
            ax = fig.add_subplot(grid[row, m])
            ax.imshow(w[m], cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_xticks([])
            ax.set_yticks([])
            if m == 0:
                ax.set_ylabel(label)
            if row == 1:
                ax.set_title(f"{180 * pref[m] / ORIENTATIONS:.0f}°, {osi_rf[m]:.2f}", fontsize=8)
    degrees = np.arange(ORIENTATIONS) * 180 / ORIENTATIONS
    ax_t = fig.add_subplot(grid[2, : MAPS // 2])
    for m in range(MAPS):
        ax_t.plot(degrees, rf[m] / rf[m].max(), marker=".")
    ax_t.set(xlabel="grating orientation (°)", ylabel="response / own maximum", title="Tuning of the learned kernels")
    ax_o = fig.add_subplot(grid[2, MAPS // 2 + 1 :])
    x = np.arange(MAPS)
    ax_o.bar(x - 0.2, osi_rf_0, 0.4, label="initial (random)")
    ax_o.bar(x + 0.2, osi_rf, 0.4, label=f"after {stimuli} gratings")
    ax_o.set(xlabel="feature map", ylabel="OSI", title="Orientation selectivity (ON − OFF field)", ylim=(0, 1.15))  # noqa: RUF001
    ax_o.legend(fontsize=8, loc="upper left", ncols=2)
    fig.suptitle(
        "Conv2d STDP + KWTA: ON − OFF kernels (one shared colour scale; red ON, blue OFF), "  # noqa: RUF001
        "titles: preferred orientation, OSI",
        fontsize=10,
    )
    fig.tight_layout()
    figure = save_figure(fig, NAME, out)

    result = {
        "osi_rf": float(osi_rf.mean()),
        "osi_rf_before": float(osi_rf_0.mean()),
        "osi_drive": float(osi_drive.mean()),
        "osi_drive_before": float(osi_drive_0.mean()),
        "distinct": int(np.unique(pref).size),
        "distinct_before": int(np.unique(pref_0).size),
        "figure": figure,
    }
    result["rows"] = [
        ("mean OSI, ON - OFF field", f"{result['osi_rf']:.2f} (random start {result['osi_rf_before']:.2f})", "-"),
        ("mean OSI, input drive", f"{result['osi_drive']:.2f} (random start {result['osi_drive_before']:.2f})", "-"),
        ("distinct preferred orientations", f"{result['distinct']} of {MAPS} maps (8 bins)", "several: edges"),
        ("kernels", "oriented ON/OFF edges", "oriented edges (first layer)"),
    ]
    return result


if __name__ == "__main__":
    main("Conv2d STDP on oriented gratings (after Kheradpisheh et al. 2018): orientation-selective kernels", run)
