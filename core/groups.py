"""Network objects: the things behaviors attach to.

Groups are plain attribute bags: behaviors and users set whatever state they need on them
(``neurons.v = ...``), as in PymoNNtorch. The attributes behaviors share have fixed names
(``spikes``, ``v``, ``I``, ``weights``, ``pre_trace``...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch

from conex.errors import ConexError, bad_parameter
from conex.fill import fill
from conex.scheduler import BehaviorSpec, normalize_behaviors

if TYPE_CHECKING:
    from conex.network import Network

__all__ = ["NetworkObject", "NeuronGroup", "SynapseGroup", "parse_tags"]

Size = int | Sequence[int]


def parse_tags(tag: str | None) -> list[str]:
    """``"exc, Proximal"`` -> ``["exc", "Proximal"]``."""
    if tag is None:
        return []
    if not isinstance(tag, str):
        raise TypeError(f"tag must be a comma-separated string, got {tag!r}")
    return [t.strip() for t in tag.split(",") if t.strip()]


class NetworkObject:
    """Something that holds behaviors: the network itself, a neuron group or a synapse group."""

    kind = "object"

    def __init__(self, network: Network, tag: str | None, behavior: BehaviorSpec) -> None:
        self.network = network
        self.tags = parse_tags(tag)
        self.behavior = normalize_behaviors(self.label(), behavior)

    @property
    def tag(self) -> str | None:
        """The first tag, used to name the object."""
        return self.tags[0] if self.tags else None

    def label(self) -> str:
        return f"{self.kind} {self.tag}" if self.tag else f"{self.kind} #{id(self):x}"

    def has_tag(self, tag: str) -> bool:
        return tag in self.tags

    def tensor(
        self, shape: Sequence[int], mode: str | float = "zeros", dtype: torch.dtype | None = None
    ) -> torch.Tensor:
        """A new tensor on the network's device, filled by ``mode`` (see :mod:`conex.fill`)."""
        net = self.network
        return fill(mode, shape, device=net.device, dtype=dtype or net.def_dtype, generator=net.generator)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label()}>"


def _shape_of(size: Size) -> tuple[int, int, int]:
    expected = "an int or (depth, height, width)"
    if isinstance(size, bool):
        raise bad_parameter("NeuronGroup", "size", size, expected, wrong_type=True)
    if isinstance(size, int):
        shape = (1, 1, size)
    elif (
        isinstance(size, Sequence)
        and len(size) == 3
        and all(isinstance(s, int) and not isinstance(s, bool) for s in size)
    ):
        shape = (size[0], size[1], size[2])
    else:
        raise bad_parameter("NeuronGroup", "size", size, expected, wrong_type=True)
    if min(shape) < 1:
        raise bad_parameter("NeuronGroup", "size", size, "positive sizes")
    return shape


class NeuronGroup(NetworkObject):
    """A population of neurons, laid out depth-major (``index = d*H*W + h*W + w``).

    Args:
        size: number of neurons, or ``(depth, height, width)``.
        net: the network this group belongs to.
        behavior: ``{priority: Behavior}`` or a list placed at each class's default priority.
        tag: comma-separated tags; ``inh`` or ``GABA`` makes its outgoing dendritic input negative.
    """

    kind = "neuron group"

    def __init__(self, size: Size, net: Network, behavior: BehaviorSpec = None, tag: str | None = None) -> None:
        super().__init__(net, tag, behavior)
        self.depth, self.height, self.width = _shape_of(size)
        self.size = self.depth * self.height * self.width
        self.afferent_synapses: dict[str, list[SynapseGroup]] = {"All": []}
        self.efferent_synapses: dict[str, list[SynapseGroup]] = {"All": []}
        net._add(self)

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(depth, height, width)``."""
        return (self.depth, self.height, self.width)

    def vector(self, mode: str | float = "zeros", dtype: torch.dtype | None = None) -> torch.Tensor:
        """A ``(size,)`` tensor per replica (``(R, size)`` with ``R > 1``) on the network's device, filled by ``mode``.

        Random modes draw the whole tensor at once, so each replica gets draws of its own.
        """
        return self.tensor((*self.network.replica_shape, self.size), mode, dtype)


class SynapseGroup(NetworkObject):
    """The connection from ``src`` to ``dst``.

    Args:
        net: the network.
        src, dst: source and destination neuron groups.
        tag: comma-separated tags; ``Proximal``, ``Distal`` or ``Apical`` picks the dendrite that
            receives this synapse's ``I``.
        behavior: ``{priority: Behavior}`` or a list placed at each class's default priority.
    """

    kind = "synapse"

    def __init__(
        self,
        net: Network,
        src: NeuronGroup,
        dst: NeuronGroup,
        tag: str | None = None,
        behavior: BehaviorSpec = None,
    ) -> None:
        for role, group in (("src", src), ("dst", dst)):
            if not isinstance(group, NeuronGroup):
                raise bad_parameter("SynapseGroup", role, group, "a NeuronGroup", wrong_type=True)
            if group.network is not net:
                raise ConexError(f"SynapseGroup {role} {group.label()} belongs to another network")
        self.src, self.dst = src, dst
        super().__init__(net, tag, behavior)
        self.src_shape = src.shape
        self.dst_shape = dst.shape
        for t in ["All", *self.tags]:
            src.efferent_synapses.setdefault(t, []).append(self)
            dst.afferent_synapses.setdefault(t, []).append(self)
        net._add(self)

    def label(self) -> str:
        return f"synapse {self.src.tag or '?'}=>{self.dst.tag or '?'}"

    def matrix(self, mode: str | float = "zeros", dtype: torch.dtype | None = None) -> torch.Tensor:
        """A dense ``(src.size, dst.size)`` tensor (source x destination) per replica, filled by ``mode``."""
        return self.tensor((*self.network.replica_shape, self.src.size, self.dst.size), mode, dtype)


def resolve_path(obj: Any, path: str) -> tuple[bool, Any]:
    """Follow a dotted attribute path (``"src.axon"``); return ``(found, value)``."""
    for part in path.split("."):
        if not hasattr(obj, part):
            return False, None
        obj = getattr(obj, part)
    return True, obj
