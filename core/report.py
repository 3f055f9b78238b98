"""Plots of a run (PNG, matplotlib): raster, population rates, weight histograms, receptive fields."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from conex.layouts import layout_of

if TYPE_CHECKING:
    from conex.network import Network
    from conex.runner import SpikeMonitor

__all__ = ["field_images", "plot_run", "tile"]


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError("plots need matplotlib: pip install 'conex[plot]'") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


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


def _replica_weights(synapse: Any, replica: int) -> torch.Tensor | None:
    """The weights of one replica (all of them when they have no replica axis), or None."""
    w = getattr(synapse, "weights", None)
    if not isinstance(w, torch.Tensor):
        return None
    replicas = synapse.network.replicas
    if replicas > 1 and not getattr(synapse, "shared_weights", False) and w.dim() >= 1 and w.shape[0] == replicas:
        return w[replica]
    return w


def tile(images: torch.Tensor, columns: int | None = None) -> torch.Tensor:
    """``(n, h, w)`` images into one ``(rows*(h+1)-1, cols*(w+1)-1)`` mosaic, each scaled to [0, 1]."""
    n, h, w = images.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    low = images.amin((1, 2), keepdim=True)
    span = (images.amax((1, 2), keepdim=True) - low).clamp_min(1e-12)
    scaled = (images - low) / span
    mosaic = torch.full((rows * (h + 1) - 1, columns * (w + 1) - 1), float("nan"))
    for i in range(n):
        r, c = divmod(i, columns)
        mosaic[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = scaled[i]
    return mosaic


def plot_run(net: Network, monitor: SpikeMonitor, out: Path, max_fields: int = 100) -> list[Path]:
    """Write raster.png, rates.png, weights.png and fields_<synapse>.png into ``out``.

    With ``R > 1`` replicas the raster, the weight histograms and the receptive fields show
    replica 0 and the rates the mean across replicas; the titles say so.
    """
    plt = _pyplot()
    written = []
    replicas = net.replicas
    one = f", replica 0 of {replicas}" if replicas > 1 else ""
    tags = list(monitor.counts)
    if tags:
        fig, axes = plt.subplots(len(tags), 1, figsize=(10, 2 + 1.5 * len(tags)), squeeze=False, sharex=True)
        for ax, tag in zip(axes[:, 0], tags, strict=True):
            events = monitor.event_tensor(tag)
            if replicas > 1:  # [iteration, replica, neuron] rows: replica 0's
                events = events[events[:, 1] == 0][:, [0, 2]]
            ax.scatter(events[:, 0], events[:, 1], s=1, marker="|", color="k")
            ax.set_ylabel(f"{tag}\nneuron")
        axes[-1, 0].set_xlabel("iteration")
        fig.suptitle(f"spike raster{one}")
        written.append(_save(fig, out / "raster.png", plt))

        fig, ax = plt.subplots(figsize=(10, 3))
        for group in monitor.groups:
            per_step = torch.tensor(monitor.per_step[group.tag], dtype=torch.float32)
            if replicas > 1:  # (steps, R) counts: their mean over the replicas
                per_step = per_step.reshape(-1, replicas).mean(1)
            window = max(1, min(50, per_step.numel() // 20))
            kernel = torch.ones(1, 1, window) / window
            smooth = torch.nn.functional.conv1d(per_step.view(1, 1, -1), kernel).flatten()
            ax.plot(smooth / group.size / (net.dt / 1000.0), label=group.tag)
        ax.set_xlabel("iteration")
        ax.set_ylabel("rate (Hz)")
        if replicas > 1:
            ax.set_title(f"population rate, mean over {replicas} replicas")
        ax.legend()
        written.append(_save(fig, out / "rates.png", plt))

    plastic = [s for s in net.synapse_groups if isinstance(getattr(s, "weights", None), torch.Tensor)]
    if plastic:
        fig, axes = plt.subplots(1, len(plastic), figsize=(3.5 * len(plastic), 3), squeeze=False)
        for ax, syn in zip(axes[0], plastic, strict=True):
            w = _replica_weights(syn, 0).detach()
            values = (w.coalesce().values() if w.is_sparse else w).float().cpu().flatten()
            ax.hist(values.numpy(), bins=50, color="steelblue")
            ax.set_title(syn.label().removeprefix("synapse ") + one, fontsize=9)
            ax.set_xlabel("weight")
        written.append(_save(fig, out / "weights.png", plt))

    for syn in plastic:
        images = field_images(syn)
        if images is None:
            continue
        fig, ax = plt.subplots(figsize=(6, 6))
        ax.imshow(tile(images[:max_fields]).numpy(), cmap="hot", interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(f"receptive fields {syn.label().removeprefix('synapse ')}{one}")
        written.append(_save(fig, out / f"fields_{_slug(syn.label().removeprefix('synapse '))}.png", plt))
    return written


def _save(fig: Any, path: Path, plt: Any) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
