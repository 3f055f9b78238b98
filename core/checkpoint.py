"""Checkpoints: the full simulation state, written atomically, restored bit for bit.

The state is every tensor, number, bool and string held by the network, its groups and their
behaviors (weights, traces, delay buffers, eligibility, thresholds, buffer positions...), in their
attributes as :func:`conex.state.walk_state` finds them, plus the random generator's state and the
iteration. Objects are matched by creation order and behaviors by priority, so restoring needs the
network rebuilt from the same description first (``conex run --resume`` does that from the config
stored inside).

Restoring copies into the existing tensors (and dicts of tensors) in place where shapes agree, so
tensors that several behaviors share stay shared.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from conex.errors import ConexError
from conex.network import Network
from conex.state import snapshot, walk_state

__all__ = ["capture_state", "load_checkpoint", "restore_state", "save_checkpoint"]

FORMAT_VERSION = 1


def capture_state(net: Network) -> dict[str, Any]:
    """Everything needed to continue ``net`` exactly where it is."""
    if not net.initialized:
        raise ConexError(f"{net.label()} is not initialized: nothing to checkpoint")
    return {
        "format": FORMAT_VERSION,
        "iteration": net.iteration,
        "generator": net.generator.get_state(),
        "objects": [snapshot(walk_state(obj)) for obj in net._objects],
        "behaviors": [
            {priority: snapshot(walk_state(b)) for priority, b in obj.behavior.items()} for obj in net._objects
        ],
    }


def _restored(current: Any, saved: Any, device: torch.device) -> Any:
    """What an attribute holding ``current`` holds once ``saved`` is restored into it.

    A dense tensor of the same shape and dtype is filled in place, and so is a dict (a behavior's delay
    buffers) item by item, so what several behaviors share stays shared; anything else is replaced
    (tensors moved to ``device``).
    """
    if (
        isinstance(saved, torch.Tensor)
        and isinstance(current, torch.Tensor)
        and current.layout == saved.layout == torch.strided
        and current.shape == saved.shape
        and current.dtype == saved.dtype
    ):
        return current.copy_(saved)
    if isinstance(saved, torch.Tensor):
        return saved.to(device)
    if isinstance(saved, dict) and isinstance(current, dict):
        for key, item in saved.items():
            current[key] = _restored(current.get(key), item, device)
        return current
    return saved


def restore_state(net: Network, state: Mapping[str, Any]) -> None:
    """Put ``state`` (from :func:`capture_state`) back into an initialized network of the same shape."""
    if state.get("format") != FORMAT_VERSION:
        raise ConexError(f"checkpoint format {state.get('format')!r} is not {FORMAT_VERSION}")
    if not net.initialized:
        raise ConexError(f"{net.label()} must be initialized before restoring a checkpoint")
    objects, behaviors = state["objects"], state["behaviors"]
    if len(objects) != len(net._objects):
        raise ConexError(f"checkpoint has {len(objects)} objects, the network {len(net._objects)}")
    for obj, saved_obj, saved_behaviors in zip(net._objects, objects, behaviors, strict=True):
        if sorted(saved_behaviors) != sorted(obj.behavior):
            raise ConexError(f"checkpoint behaviors of {obj.label()} are at other priorities than the network's")
        for target, saved in ((obj, saved_obj), *((obj.behavior[p], s) for p, s in saved_behaviors.items())):
            for name, value in saved.items():
                object.__setattr__(target, name, _restored(getattr(target, name, None), value, net.device))
    net.generator.set_state(state["generator"])
    net.iteration = state["iteration"]


def save_checkpoint(path: str | Path, net: Network, **extra: Any) -> Path:
    """Write ``net``'s state and ``extra`` (config text, plugin versions...) to ``path`` atomically.

    The file is written next to its destination and renamed over it only when complete, so a crash
    never leaves a half-written file in place of a good one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"state": capture_state(net), **extra}
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(payload, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (tensors and plain data only)."""
    try:
        return torch.load(Path(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ConexError(f"{path}: no checkpoint there") from None
