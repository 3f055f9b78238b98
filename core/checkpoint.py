"""Checkpoints: the full simulation state, written atomically, restored bit for bit.

The state is every tensor, number, bool and string held by the network, its groups and their
behaviors (weights, traces, delay buffers, eligibility, thresholds, buffer positions...), in their
attributes as :func:`conex.state.walk_state` finds them, plus the random generator's state and the
iteration. Objects are matched by creation order and behaviors by priority, so restoring needs the
network rebuilt from the same description first (``conex run --resume`` does that from the config
stored inside).

Restoring copies into the existing tensors (and dicts of tensors) in place where shapes agree, so
tensors that several behaviors share stay shared.

A checkpoint is never taken on trust. The file is one header line,
``conex-checkpoint format=2 size=<bytes> sha256=<hex>``, followed by what ``torch.save`` wrote; loading
checks the format, the size and the hash (a truncated, damaged or edited file is refused), reads
tensors and plain data only (``weights_only``: a pickle that would run code is refused), and
restoring checks that the state fits the network (the same objects, behaviors, tensor shapes and
dtypes) before it changes anything. Every such problem is a one-line :class:`CheckpointError` naming
the file. Files are written to a temporary file next to their destination and renamed over it when
complete; temporary files a killed process left behind are removed by the next save or load there.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from conex.errors import ConexError
from conex.groups import NetworkObject, SynapseGroup
from conex.network import Network
from conex.state import snapshot, tensors_in, walk_state

__all__ = [
    "CheckpointError",
    "capture_state",
    "check_state",
    "load_checkpoint",
    "remove_stale_temporaries",
    "restore_state",
    "save_checkpoint",
    "write_atomic",
]

FORMAT_VERSION = 2
_MAGIC = "conex-checkpoint"
_HEADER = re.compile(rf"{_MAGIC} format=(\d+) size=(\d+) sha256=([0-9a-f]{{64}})")
_TEMPORARY = re.compile(r"\..+\.(\d+)\.[^.]+\.conex-tmp")  # .NAME.PID.RANDOM.conex-tmp, see write_atomic
_STATE_KEYS = {"format": int, "iteration": int, "generator": torch.Tensor, "objects": list, "behaviors": list}
_STATE_KEYS |= {"hosts": list, "classes": list}


class CheckpointError(ConexError):
    """A checkpoint that cannot be used: missing, unreadable, damaged, edited, of another format or network."""


def _host(obj: NetworkObject) -> str:
    """A name of ``obj`` that is the same in every build of one config: its label, without an id when untagged."""
    return obj.label() if obj.tag or isinstance(obj, SynapseGroup) else obj.kind


def capture_state(net: Network) -> dict[str, Any]:
    """Everything needed to continue ``net`` exactly where it is."""
    if not net.initialized:
        raise ConexError(f"{net.label()} is not initialized: nothing to checkpoint")
    return {
        "format": FORMAT_VERSION,
        "iteration": net.iteration,
        "generator": net.generator.get_state(),
        "hosts": [_host(obj) for obj in net._objects],
        "classes": [{p: type(b).__name__ for p, b in obj.behavior.items()} for obj in net._objects],
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


def check_state(state: Any, source: str = "checkpoint") -> None:
    """Refuse ``state`` unless it is a state dict of this format with every part :func:`capture_state` writes.

    ``source`` (the file) starts every message.
    """
    if not isinstance(state, Mapping):
        raise CheckpointError(f"{source}: expected a conex network state, got a {type(state).__name__}")
    version = state.get("format")
    if version != FORMAT_VERSION:
        raise CheckpointError(f"{source}: state format {version!r}; this conex reads format {FORMAT_VERSION}")
    for key, kind in _STATE_KEYS.items():
        if key not in state:
            raise CheckpointError(f"{source}: the state has no {key!r}")
        if not isinstance(state[key], kind) or isinstance(state[key], bool):
            raise CheckpointError(
                f"{source}: state {key!r} is a {type(state[key]).__name__}, expected a {kind.__name__}"
            )
    if state["iteration"] < 0:
        raise CheckpointError(f"{source}: state 'iteration' is {state['iteration']}, expected >= 0")
    count = len(state["objects"])
    for key in ("hosts", "classes", "behaviors"):
        if len(state[key]) != count:
            raise CheckpointError(f"{source}: state {key!r} has {len(state[key])} entries, 'objects' {count}")
    for key in ("objects", "classes", "behaviors"):
        if not all(isinstance(item, Mapping) for item in state[key]):
            raise CheckpointError(f"{source}: state {key!r} holds something other than dicts")


def _mismatch(net: Network, state: Mapping[str, Any]) -> str | None:
    """What in ``state`` does not fit ``net`` (objects, behaviors, attributes, tensor shapes and dtypes), or None.

    An attribute holding tensors in the network must be in the state; one only the state holds (set
    during a run) is fine. A tensor must keep its dtype and layout, and its shape unless the network's is empty (a
    placeholder a run fills, like a list of events).
    """
    if len(state["objects"]) != len(net._objects):
        return f"the checkpoint has {len(state['objects'])} objects, the network {len(net._objects)}"
    generator = net.generator.get_state()
    if state["generator"].shape != generator.shape or state["generator"].dtype != generator.dtype:
        return f"its random generator state is not one of a {net.device.type} generator (resume on its device)"
    for index, obj in enumerate(net._objects):
        host, saved_host = _host(obj), state["hosts"][index]
        if saved_host != host:
            return f"object {index} is {saved_host} in the checkpoint, {host} in the network"
        classes = {p: type(b).__name__ for p, b in obj.behavior.items()}
        saved_classes = dict(state["classes"][index])
        if saved_classes != classes or sorted(state["behaviors"][index]) != sorted(classes):
            return f"{host} has behaviors {_listed(saved_classes)} in the checkpoint, {_listed(classes)} in the network"
        parts = [(host, obj, state["objects"][index])]
        parts += [
            (f"{host}, {classes[p]} at {p}", obj.behavior[p], saved) for p, saved in state["behaviors"][index].items()
        ]
        for where, target, saved in parts:
            problem = _attribute_mismatch(dict(walk_state(target)), saved)
            if problem:
                return f"{where}: {problem}"
    return None


def _listed(classes: Mapping[Any, str]) -> str:
    return ", ".join(f"{name} at {priority}" for priority, name in sorted(classes.items())) or "none"


def _attribute_mismatch(current: Mapping[str, Any], saved: Mapping[str, Any]) -> str | None:
    """The first attribute of ``current`` that ``saved`` lacks or whose tensors do not fit, as a phrase; or None."""
    for name, value in current.items():
        mine = dict(tensors_in(name, value))
        if not mine:
            continue
        if name not in saved:
            return f"the checkpoint has no {name!r}"
        theirs = dict(tensors_in(name, saved[name]))
        for path, tensor in mine.items():
            other = theirs.get(path)
            if other is None:
                return f"{path} is a tensor in the network, not in the checkpoint"
            if (other.dtype, other.layout) != (tensor.dtype, tensor.layout):
                kinds = [f"{t.dtype} ({t.layout})".replace("torch.", "") for t in (other, tensor)]
                return f"{path} is {kinds[0]} in the checkpoint, {kinds[1]} in the network"
            if tensor.numel() and other.shape != tensor.shape:
                return f"{path} has shape {tuple(other.shape)} in the checkpoint, {tuple(tensor.shape)} in the network"
    return None


def restore_state(net: Network, state: Mapping[str, Any], *, source: str = "checkpoint") -> None:
    """Put ``state`` (from :func:`capture_state`) back into an initialized network of the same shape.

    Everything is checked before anything changes: a state of another format, or one that does not fit
    ``net`` (other objects or behaviors, a tensor of another shape or dtype), is a
    :class:`CheckpointError` starting with ``source``.
    """
    check_state(state, source)
    if not net.initialized:
        raise ConexError(f"{net.label()} must be initialized before restoring a checkpoint")
    problem = _mismatch(net, state)
    if problem:
        raise CheckpointError(f"{source} does not fit the network: {problem}")
    for obj, saved_obj, saved_behaviors in zip(net._objects, state["objects"], state["behaviors"], strict=True):
        for target, saved in ((obj, saved_obj), *((obj.behavior[p], s) for p, s in saved_behaviors.items())):
            for name, value in saved.items():
                object.__setattr__(target, name, _restored(getattr(target, name, None), value, net.device))
    net.generator.set_state(state["generator"])
    net.iteration = state["iteration"]


def write_atomic(path: str | Path, *chunks: bytes | memoryview) -> Path:
    """Write ``chunks`` to ``path`` through a temporary file renamed over it only when complete.

    A crash never leaves a half-written file in place of a good one, and a symbolic link at ``path``
    is replaced, never written through. The temporary file, ``.NAME.PID.RANDOM.conex-tmp`` next to
    ``path``, is removed on failure; one a killed process left is removed by
    :func:`remove_stale_temporaries`.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".conex-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def remove_stale_temporaries(folder: str | Path) -> list[Path]:
    """Remove the temporary files of :func:`write_atomic` in ``folder`` whose writing process is gone.

    Those of a process still running (this one included) may be in flight and stay; so do all of
    them where processes cannot be probed safely (outside POSIX). Returns the removed paths.
    """
    removed = []
    for entry in Path(folder).iterdir():
        match = _TEMPORARY.fullmatch(entry.name)
        if match and not entry.is_symlink() and entry.is_file() and not _running(int(match.group(1))):
            entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


def _running(pid: int) -> bool:
    """Whether process ``pid`` may still be running (True where that cannot be probed safely)."""
    if os.name != "posix" or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists, as another user's process
        return True
    return True


def save_checkpoint(path: str | Path, net: Network, **extra: Any) -> Path:
    """Write ``net``'s state and ``extra`` (config text, plugin versions...) to ``path`` atomically.

    The file is the header line (format, size and SHA-256 of the rest) and what ``torch.save``
    writes; see :func:`write_atomic` for how it is written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent)
    buffer = io.BytesIO()
    torch.save({"state": capture_state(net), **extra}, buffer)
    body = buffer.getbuffer()
    header = f"{_MAGIC} format={FORMAT_VERSION} size={len(body)} sha256={hashlib.sha256(body).hexdigest()}\n"
    return write_atomic(path, header.encode("ascii"), body)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read and verify a checkpoint written by :func:`save_checkpoint` (tensors and plain data only).

    Returns the payload: ``state`` (checked by :func:`check_state`) and the extra data saved with it.
    Anything wrong with the file is a :class:`CheckpointError` naming it.
    """
    path = Path(path)
    try:
        if path.parent.is_dir():
            remove_stale_temporaries(path.parent)
        data = path.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no checkpoint there") from None
    except IsADirectoryError:
        raise CheckpointError(f"{path}: expected a checkpoint file, got a folder") from None
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read: {exc.strerror or exc}") from None
    payload = _decode(data, path)
    if not isinstance(payload, dict):
        raise CheckpointError(f"{path}: expected a dict of checkpoint data, got a {type(payload).__name__}")
    if "state" not in payload:
        raise CheckpointError(f"{path}: no 'state' in the checkpoint")
    check_state(payload["state"], str(path))
    return payload


def _decode(data: bytes, path: Path) -> Any:
    """The payload in the checkpoint bytes ``data`` once its header, size and hash check out."""
    if not data:
        raise CheckpointError(f"{path}: empty file, not a checkpoint")
    end = data.find(b"\n", 0, 256)
    header = data[:end].decode("ascii", "replace") if end >= 0 else ""
    if not header.startswith(_MAGIC + " "):
        if data.startswith(b"PK"):  # a zip, as torch.save writes: an older conex wrote format 1 that way
            raise CheckpointError(
                f"{path}: a torch file without conex's header (format 1, from an older conex?); "
                f"this conex reads format {FORMAT_VERSION}"
            )
        raise CheckpointError(f"{path}: not a conex checkpoint (no {_MAGIC} header)")
    version = re.match(rf"{_MAGIC} format=(\d+)", header)
    if version and int(version.group(1)) != FORMAT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format {version.group(1)}; this conex reads format {FORMAT_VERSION}")
    fields = _HEADER.fullmatch(header)
    if fields is None:
        raise CheckpointError(f"{path}: damaged header {header[:80]!r}")
    body = memoryview(data)[end + 1 :]
    size = int(fields.group(2))
    if len(body) != size:
        state = "truncated" if len(body) < size else "longer than written"
        raise CheckpointError(f"{path}: {state}: {len(body)} bytes after the header, {size} written")
    if hashlib.sha256(body).hexdigest() != fields.group(3):
        raise CheckpointError(f"{path}: damaged or edited: its content does not match the SHA-256 it was written with")
    try:
        return torch.load(io.BytesIO(body), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"GLOBAL (\S+)", str(exc))
        what = f"the Python object {found.group(1)}" if found else "objects other than tensors and plain data"
        raise CheckpointError(f"{path}: refused: it would load {what}; a checkpoint holds data, never code") from None
    except Exception as exc:  # noqa: BLE001 - torch's readers of bytes not its own raise KeyError, struct.error...
        first = (str(exc).splitlines() or [""])[0]
        raise CheckpointError(f"{path}: cannot be read ({type(exc).__name__}: {first})") from None
