"""Dendritic inputs: turn the caught pre-synaptic spikes into the current ``synapse.I`` of each destination neuron.

One behavior does the work::

    I = current_coef * current_type * f(pre_spike)

where ``current_type`` is -1 for a source group tagged ``inh`` or ``GABA`` and +1 otherwise, and ``f``
is the ``current`` of the synapse's topology (:mod:`.topology`). Each variant only names its topology;
the destination's dendrite behavior reads ``I`` by the synapse's ``Proximal``/``Distal``/``Apical`` tag.
The receptive-field inputs (conv2d, local2d) declare the geometry (stride, padding) they bind the
synapse's topology with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import torch
import torch.nn.functional as F  # noqa: N812 - torch's own convention

from conex import Behavior, Phase, param
from conex_std.spikes import SilenceChecks, as_numbers
from conex_std.synapses.topology import Conv2d, Dense, Lateral, Local2d, One2One, Sparse, Topology, bind_topology
from conex_std.wiring import check_current_is_read

__all__ = [
    "BaseDendriticInput",
    "SparseDendriticInput",
    "One2OneDendriticInput",
    "SimpleDendriticInput",
    "AveragePool2D",
    "LateralDendriticInput",
    "Conv2dDendriticInput",
    "Local2dDendriticInput",
]

INHIBITORY_TAGS = ("inh", "GABA")

Current = Callable[[torch.Tensor], torch.Tensor]


class BaseDendriticInput(Behavior):
    """Current from pre-synaptic spikes through the weights, negative for an ``inh``/``GABA`` source.

    Sets ``synapse.I`` ``(dst.size,)`` each iteration from ``synapse.pre_spike`` (a :class:`PreSpikeCatcher`
    provides it) and ``synapse.weights`` (a :class:`WeightInitializer` provides them). This base class
    works on whatever layout the weights are in (conv2d and local2d with stride 1 and padding 0); the
    variants below name their topology, so weights of the wrong kind are reported at initialize.
    """

    priority = Phase.DENDRITIC_INPUT
    category = "synapse"
    requires = ("pre_spike", "weights")
    provides = ("I",)
    supports_replicas = True
    topology: ClassVar[type[Topology] | None] = None

    current_coef: float = param(1.0, doc="scalar multiplying the current", per_replica=True)

    def initialize(self, synapse: Any) -> None:
        check_current_is_read(self, synapse)
        self._silent = synapse.network.shared(SilenceChecks)
        self.current_type = self.sign(synapse)
        marked = [tag for tag in synapse.tags if tag in INHIBITORY_TAGS]
        if marked and self.current_type > 0 and getattr(self, "inhibitory", None) is None:
            raise self.error(
                synapse,
                f"the synapse is tagged {marked[0]!r} but its input is excitatory: the source group's tags make "
                f"dendritic input negative, so tag {synapse.src.label()} {marked[0]!r} (or drop the synapse's tag)",
            )
        self._current = self.bind(synapse)
        self._delayed = getattr(synapse, "delay_buffer", None)  # per-synapse delays (DelayInitializer)
        synapse.I = synapse.dst.vector()

    def sign(self, synapse: Any) -> float:
        """-1 when the source group is inhibitory (tag ``inh`` or ``GABA``), else +1."""
        return -1.0 if any(tag in synapse.src.tags for tag in INHIBITORY_TAGS) else 1.0

    def bind(self, synapse: Any) -> Current:
        """The function from a source spike vector ``(src.size,)`` to a current ``(dst.size,)``."""
        return bind_topology(self, synapse, self.topology).current

    def forward(self, synapse: Any) -> None:
        pre = synapse.pre_spike
        if self._delayed is not None:  # spikes in flight arrive whether or not anything spikes now
            factor = synapse.network.constant(self.current_coef * self.current_type)
            torch.mul(self._delayed.current(pre), factor, out=synapse.I)
        elif self._silent(pre):  # no spike, no current
            synapse.I.zero_()
        else:
            factor = synapse.network.constant(self.current_coef * self.current_type)
            torch.mul(self._current(pre), factor, out=synapse.I)

    def reset(self, synapse: Any) -> None:
        synapse.I.zero_()


class SimpleDendriticInput(BaseDendriticInput):
    """Fully connected: ``I[j] = sum_i pre_spike[i] * weights[i, j]`` (weights ``(src.size, dst.size)``)."""

    topology = Dense


class SparseDendriticInput(BaseDendriticInput):
    """Sparsely connected: as :class:`SimpleDendriticInput` over the stored synapses of sparse weights."""

    topology = Sparse


class One2OneDendriticInput(BaseDendriticInput):
    """One-to-one: ``I[i] = pre_spike[i] * weights[i]`` (weights ``(size,)``, ``src.size == dst.size``)."""

    topology = One2One


class LateralDendriticInput(BaseDendriticInput):
    """Within one group: a ``(1, 1, kd, kh, kw)`` kernel (odd sizes) centred on each neuron (same-size conv3d).

    ``inhibitory=None`` follows the source group's tags; ``True``/``False`` makes the current
    negative/positive whatever the tags say.
    """

    topology = Lateral

    inhibitory: bool | None = param(None, doc="force inhibitory (True) or excitatory (False); None follows tags")

    def sign(self, synapse: Any) -> float:
        if self.inhibitory is None:
            return super().sign(synapse)
        return -1.0 if self.inhibitory else 1.0


class _Patches(BaseDendriticInput):
    """Receptive fields cut from a 2-D source map: binds the synapse's topology with ``stride`` and ``padding``."""

    stride: Any = param(1, doc="stride of the receptive fields (int or (h, w))")
    padding: Any = param(0, doc="zero padding added to both sides of the source map (int or (h, w))")

    def validate(self) -> None:
        self.stride = self._geometry("stride", self.stride, 1)
        self.padding = self._geometry("padding", self.padding, 0)

    def _geometry(self, name: str, value: Any, least: int) -> int | tuple[int, int]:
        """``value`` as an int or a pair of ints, each at least ``least``."""
        expected = f"an int >= {least} or a pair of them"
        pair = value if isinstance(value, (tuple, list)) and len(value) == 2 else (value,)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in pair):
            raise self.bad_parameter(name, value, expected, wrong_type=True)
        if min(pair) < least:
            raise self.bad_parameter(name, value, expected)
        return tuple(value) if len(pair) == 2 else value

    def bind(self, synapse: Any) -> Current:
        return bind_topology(self, synapse, self.topology, stride=self.stride, padding=self.padding).current


class Conv2dDendriticInput(_Patches):
    """2-D convolution: ``I = conv2d(pre_spike.view(src_shape), weights, stride, padding)``, flattened.

    Weights ``(out_c, in_c, kh, kw)`` with ``in_c = src.depth``, ``out_c = dst.depth`` and the destination's
    (height, width) the convolution's output size.
    """

    topology = Conv2d


class Local2dDendriticInput(_Patches):
    """Locally connected: like :class:`Conv2dDendriticInput` with a separate kernel per output position.

    Weights ``(out_c, out_h*out_w, in_c*kh*kw)``; ``synapse.kernel_shape = (out_c, out_h, out_w, in_c, kh, kw)``
    (from ``WeightInitializer(kernel_shape=...)``).
    """

    topology = Local2d


class AveragePool2D(BaseDendriticInput):
    """Average pooling of the source spikes onto the destination's (height, width), channel by channel.

    ``I = adaptive_avg_pool2d(pre_spike.view(src_shape), (dst.height, dst.width))``, flattened. Source and
    destination have the same depth; the destination map is no larger than the source's. No weights.
    """

    requires = ("pre_spike",)

    def bind(self, synapse: Any) -> Current:
        src, dst = synapse.src, synapse.dst
        if src.depth != dst.depth:
            raise self.error(synapse, f"depth: expected the source's {src.depth} at the destination, got {dst.depth}")
        if dst.height > src.height or dst.width > src.width:
            raise self.error(
                synapse,
                f"destination (height, width): expected at most the source's {(src.height, src.width)}, "
                f"got {(dst.height, dst.width)}",
            )
        net = synapse.network
        shape, size, dtype, batch = src.shape, (dst.height, dst.width), net.def_dtype, net.replica_shape
        return lambda pre: F.adaptive_avg_pool2d(as_numbers(pre).to(dtype=dtype).view(*batch, *shape), size).view(
            *batch, -1
        )
