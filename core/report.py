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


def field_images(synapse: Any) -> torch.Tensor | None:
    """One 2-D image per destination unit showing what it listens to, or None if there is no picture.

    What each layout shows is :meth:`conex.layouts.Layout.fields`: conv2d kernels summed over input
    channels, local2d kernels at the central output position, dense weights from a 2-D source laid
    out as the source map (summed over depth).
    """
    w = getattr(synapse, "weights", None)
    if not isinstance(w, torch.Tensor):
        return None
    layout = layout_of(w)
    if layout is None:
        return None
    return layout.fields(w.detach().float().cpu(), synapse.src_shape, getattr(synapse, "kernel_shape", None))


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
    """Write raster.png, rates.png, weights.png and fields_<synapse>.png into ``out``."""
    plt = _pyplot()
    written = []
    tags = list(monitor.counts)
    if tags:
        fig, axes = plt.subplots(len(tags), 1, figsize=(10, 2 + 1.5 * len(tags)), squeeze=False, sharex=True)
        for ax, tag in zip(axes[:, 0], tags, strict=True):
            events = monitor.event_tensor(tag)
            ax.scatter(events[:, 0], events[:, 1], s=1, marker="|", color="k")
            ax.set_ylabel(f"{tag}\nneuron")
        axes[-1, 0].set_xlabel("iteration")
        fig.suptitle("spike raster")
        written.append(_save(fig, out / "raster.png", plt))

        fig, ax = plt.subplots(figsize=(10, 3))
        for group in monitor.groups:
            per_step = torch.tensor(monitor.per_step[group.tag], dtype=torch.float32)
            window = max(1, min(50, per_step.numel() // 20))
            kernel = torch.ones(1, 1, window) / window
            smooth = torch.nn.functional.conv1d(per_step.view(1, 1, -1), kernel).flatten()
            ax.plot(smooth / group.size / (net.dt / 1000.0), label=group.tag)
        ax.set_xlabel("iteration")
        ax.set_ylabel("rate (Hz)")
        ax.legend()
        written.append(_save(fig, out / "rates.png", plt))

    plastic = [s for s in net.synapse_groups if isinstance(getattr(s, "weights", None), torch.Tensor)]
    if plastic:
        fig, axes = plt.subplots(1, len(plastic), figsize=(3.5 * len(plastic), 3), squeeze=False)
        for ax, syn in zip(axes[0], plastic, strict=True):
            w = syn.weights.detach()
            values = (w.coalesce().values() if w.is_sparse else w).float().cpu().flatten()
            ax.hist(values.numpy(), bins=50, color="steelblue")
            ax.set_title(syn.label().removeprefix("synapse "), fontsize=9)
            ax.set_xlabel("weight")
        written.append(_save(fig, out / "weights.png", plt))

    for syn in plastic:
        images = field_images(syn)
        if images is None:
            continue
        fig, ax = plt.subplots(figsize=(6, 6))
        ax.imshow(tile(images[:max_fields]).numpy(), cmap="hot", interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(f"receptive fields {syn.label().removeprefix('synapse ')}")
        written.append(_save(fig, out / f"fields_{_slug(syn.label().removeprefix('synapse '))}.png", plt))
    return written


def _save(fig: Any, path: Path, plt: Any) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
