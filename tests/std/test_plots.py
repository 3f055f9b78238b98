"""Figures of a run: axes in ms with units, titles, log rate axes, plastic synapses only, shared colour scales."""

from pathlib import Path

import pytest
import torch

from conex import ConexError, Network, NeuronGroup, SynapseGroup
from conex.behaviors import (
    LIF,
    Fire,
    NeuronAxon,
    PoissonInput,
    PostSpikeCatcher,
    PostTrace,
    PreSpikeCatcher,
    PreTrace,
    SimpleDendriteComputation,
    SimpleDendriteStructure,
    SimpleDendriticInput,
    SimpleSTDP,
    SynapseInit,
    WeightInitializer,
)
from conex.report import (
    LOG_RATIO,
    is_plastic,
    plot_fields,
    plot_raster,
    plot_rates,
    plot_run,
    plot_run_folder,
    plot_weights,
    tile,
)
from conex.runner import SpikeMonitor

pytest.importorskip("matplotlib")


def network(steps=60, replicas=1):
    """A 4x4 Poisson input to 6 LIF neurons through plastic synapses, plus fixed lateral ones; run ``steps``."""
    net = Network(dt=0.5, seed=1, replicas=replicas)
    inp = NeuronGroup((1, 4, 4), net, tag="input", behavior=[PoissonInput(intensity=1.0, scale=200.0), NeuronAxon()])
    exc = NeuronGroup(
        6,
        net,
        tag="exc",
        behavior=[SimpleDendriteStructure(), SimpleDendriteComputation(), LIF(tau=10.0), Fire(), NeuronAxon()],
    )
    SynapseGroup(
        net,
        inp,
        exc,
        tag="Proximal",
        behavior=[
            SynapseInit(),
            WeightInitializer(mode="uniform(0.2, 0.8)"),
            SimpleDendriticInput(current_coef=30.0),
            PreSpikeCatcher(),
            PostSpikeCatcher(),
            PreTrace(20.0),
            PostTrace(20.0),
            SimpleSTDP(a_plus=0.02, a_minus=0.02),
        ],
    )
    SynapseGroup(
        net,
        exc,
        exc,
        tag="Proximal",
        behavior=[
            SynapseInit(),
            WeightInitializer(mode="ones"),
            SimpleDendriticInput(current_coef=-1.0),
            PreSpikeCatcher(),
        ],
    )
    net.initialize()
    monitor = SpikeMonitor(net)
    for _ in range(steps):
        net.simulate_iteration()
        monitor.observe(net)
    return net, monitor


def test_raster_time_axis_is_in_ms_and_ticks_are_visible():
    net, monitor = network()
    events = {tag: monitor.event_tensor(tag) for tag in monitor.counts}
    fig = plot_raster(events, net.dt, {"input": 16, "exc": 6})
    axes = fig.axes
    assert axes[-1].get_xlabel() == "time (ms)"
    assert fig._suptitle.get_text() == "spike raster"
    ticks = axes[0].collections[0]
    times = ticks.get_offsets()[:, 0]
    assert times.max() <= 60 * 0.5
    assert sorted(times.tolist()) == sorted((events["input"][:, 0].double() * 0.5).tolist())
    assert ticks.get_sizes().min() >= 9  # 3 points tall at least
    assert axes[0].get_ylabel() == "input\nneuron index"
    assert axes[0].get_ylim() == (-0.5, 15.5)


def test_rates_are_smoothed_with_the_window_stated_and_log_scaled_when_far_apart():
    steps = 400
    per_step = {"fast": [5] * steps, "slow": [0] * (steps - 1) + [1]}  # 100 Hz and 0.25 Hz over 200 ms
    fig = plot_rates(per_step, {"fast": 100, "slow": 20}, dt=0.5, window_ms=10.0)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "time (ms)"
    assert ax.get_ylabel() == "rate (Hz), 10 ms box window"
    assert ax.get_title() == "population rate"
    fast = ax.lines[0]
    assert fast.get_ydata() == pytest.approx([100.0] * (steps - 19))
    assert fast.get_xdata()[0] == pytest.approx((1 + 9.5) * 0.5)  # the centre of the first 20-step window
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["fast (mean 100 Hz)", "slow (mean 0.25 Hz)"]

    close = plot_rates({"a": [5] * steps, "b": [2] * steps}, {"a": 100, "b": 100}, dt=0.5)
    assert close.axes[0].get_yscale() == "linear"  # 100 Hz and 40 Hz: ratio under LOG_RATIO
    assert LOG_RATIO > 100 / 40
    assert close.axes[0].get_ylabel() == "rate (Hz), 10 ms box window"  # default: a twentieth of 200 ms
    replicas = plot_rates({"a": [[1, 3]] * steps}, {"a": 10}, dt=1.0, window_ms=1.0)
    assert replicas.axes[0].lines[0].get_ydata() == pytest.approx([200.0] * steps)
    assert replicas.axes[0].get_title() == "population rate, mean over replicas"
    with pytest.raises(ConexError, match="window_ms: expected > 0 ms"):
        plot_rates(per_step, {"fast": 100, "slow": 20}, dt=0.5, window_ms=0.0)


def test_weight_histograms_show_only_plastic_synapses():
    net, _ = network(steps=5)
    plastic, fixed = net.synapse_groups
    assert is_plastic(plastic)
    assert not is_plastic(fixed)
    fig = plot_weights(net)
    titled = [ax.get_title() for ax in fig.axes]
    assert titled == [plastic.label().removeprefix("synapse ")]
    assert fig.axes[0].get_xlabel() == "weight"
    assert fig.axes[0].get_ylabel() == "synapses"
    counts = sum(p.get_height() for p in fig.axes[0].patches)
    assert counts == 16 * 6
    assert "2.5 ms" in fig._suptitle.get_text()


def test_receptive_fields_share_one_colour_scale_and_mark_classes():
    net, _ = network(steps=5)
    syn = net.synapse_groups[0]
    w = syn.weights
    fig = plot_fields(syn)
    image = fig.axes[0].images[0]
    assert image.get_clim() == pytest.approx((float(w.min()), float(w.max())))
    assert "one colour scale" in fig.axes[0].get_title()
    assert fig.axes[1].get_ylabel() == "weight"  # the colour bar
    per_tile = plot_fields(syn, per_tile=True)
    assert "each tile scaled to its own min-max" in per_tile.axes[0].get_title()
    assert per_tile.axes[0].images[0].get_clim() == pytest.approx((0.0, 1.0))
    assert len(per_tile.axes) == 1

    labels = torch.tensor([2, 0, 2, -1, 0, 2])
    classes = plot_fields(syn, labels=labels, columns=3)
    ax = classes.axes[0]
    assert [t.get_text() for t in ax.texts] == ["none", "0", "2"]
    assert len(ax.patches) == 3
    mosaic = ax.images[0].get_array()
    assert mosaic.shape == (2 * 5 - 1, 3 * 5 - 1)  # two rows of three 4x4 tiles
    assert torch.equal(torch.tensor(mosaic[0:4, 0:4].data), w[:, 3].view(4, 4))  # unit 3 (no class) comes first
    with pytest.raises(ConexError, match="labels: expected 6 values, got 2"):
        plot_fields(syn, labels=torch.tensor([0, 1]))


def test_tile_keeps_values_unless_per_tile():
    images = torch.arange(8.0).view(2, 2, 2)
    assert torch.equal(tile(images, 2)[:, :2], images[0])
    scaled = tile(images, 2, per_tile=True)
    assert torch.equal(scaled[:, 3:], torch.tensor([[0.0, 1 / 3], [2 / 3, 1.0]]))


def test_replicas_are_named_in_titles():
    net, monitor = network(steps=5, replicas=2)
    assert "replica 0 of 2" in plot_weights(net).axes[0].get_title()
    assert "replica 1 of 2" in plot_fields(net.synapse_groups[0], replica=1).axes[0].get_title()
    events = {tag: monitor.event_tensor(tag) for tag in monitor.counts}
    fig = plot_raster(events, net.dt, replica=1)
    replica_one = events["input"][events["input"][:, 1] == 1]
    assert len(fig.axes[0].collections[0].get_offsets()) == replica_one.shape[0]


def test_plot_run_writes_the_files_and_a_run_folder_is_redrawn(tmp_path: Path):
    from click.testing import CliRunner

    from conex.cli import main

    net, monitor = network(steps=20)
    written = plot_run(net, monitor, tmp_path)
    assert sorted(p.name for p in written) == ["fields_input_exc.png", "raster.png", "rates.png", "weights.png"]
    folder = tmp_path / "run"
    toml = tmp_path / "net.toml"
    toml.write_text(
        "[network]\ndt = 1.0\nseed = 0\n[groups.input]\nsize = 4\n[groups.input.PoissonInput]\nintensity = 50.0\n"
    )
    result = CliRunner().invoke(main, ["run", str(toml), "--steps", "10", "--out", str(folder), "--no-plots"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in plot_run_folder(folder)] == ["raster.png", "rates.png"]
    assert (folder / "rates.png").read_bytes().startswith(b"\x89PNG")
