"""The behaviors ``conex.behaviors.neurons`` and ``conex.behaviors.synapses`` give a CoNeX script.

A name resolves to conex's registered behavior of that name, except where CoNeX's semantics differ
from conex's own; there it resolves to a subclass here that keeps CoNeX's:

* ``LIF``, ``ELIF``, ``AELIF`` start as CoNeX's do: ``v = 0`` and ``spikes = v >= threshold`` (so
  with a threshold at or below 0 every neuron spikes at the first step), and accept
  ``threshold == v_reset``. conex's own (``from conex.behaviors import LIF``) start at ``v_rest``
  without spikes.
* The dendritic inputs catch the source's spikes from its axon when the synapse has no
  ``PreSpikeCatcher``, as CoNeX's read the axon themselves.
* In the 0.1.5 dialect (:func:`conex_compat.dialect.dialect`), the learning rules read spikes and
  traces from both groups' axons (the groups carry ``SpikeTrace``), as CoNeX 0.1.5's do.
* ``SpikeNdDataset``, ``SensorySetter`` and ``LocationSetter`` feed an :class:`~conex_compat.structure.InputLayer`.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType
from typing import Any

import torch

import conex
from conex.errors import UnknownBehaviorError
from conex.registry import get_registry
from conex_compat.dialect import V0_1_5, current_dialect
from conex_compat.pymonntorch import Behavior

__all__ = ["AELIF", "ELIF", "LIF", "LocationSetter", "SensorySetter", "SpikeNdDataset", "resolve"]

_registered = get_registry().get


class _CoNeXStart:
    """CoNeX's initial state: ``v`` starts at 0 and ``spikes = v >= threshold``; ``threshold == v_reset`` is allowed."""

    init_v: Any
    init_s: Any
    threshold: Any
    v_reset: Any

    def validate(self) -> None:
        if not self.threshold >= self.v_reset:
            raise self.bad_parameter("threshold", self.threshold, f"a float >= v_reset ({self.v_reset})")

    def initialize(self, neurons: Any) -> None:
        super().initialize(neurons)
        if self.init_v is None:
            neurons.v.zero_()
        if self.init_s is None:
            neurons.spikes = neurons.v >= neurons.threshold
        self._first_v, self._first_spikes = neurons.v.clone(), neurons.spikes.clone()
        neurons.spiking_neuron = self

    def reset(self, neurons: Any) -> None:
        super().reset(neurons)
        neurons.v.copy_(self._first_v)
        neurons.spikes = self._first_spikes.clone()


def _variant(base: type[conex.Behavior], mixin: type, doc: str) -> type[conex.Behavior]:
    """``base`` with ``mixin`` first, under ``base``'s name, as a class of this module."""
    name = base.__name__
    return type(
        name, (mixin, base), {"__module__": __name__, "__qualname__": name, "__doc__": f"{base.__doc__}\n{doc}"}
    )


_START = "In conex's CoNeX surface it starts as CoNeX's: v = 0 and spikes = v >= threshold."
LIF = _variant(_registered("LIF"), _CoNeXStart, _START)
ELIF = _variant(_registered("ELIF"), _CoNeXStart, _START)
AELIF = _variant(_registered("AELIF"), _CoNeXStart, _START)


def _caught(behavior: conex.Behavior, synapse: Any, side: str, trace: bool = False) -> torch.Tensor:
    """This iteration's spikes (or trace) of ``side`` (``src``/``dst``), through the synapse's delays, from its axon."""
    group = getattr(synapse, side)
    axon = getattr(group, "axon", None)
    if axon is None:
        raise behavior.error(synapse, f"{side} {group.label()} has no axon: add NeuronAxon() to its behaviors")
    delay = getattr(synapse, f"{side}_delay")
    return axon.get_spike_trace(group, delay) if trace else axon.get_spike(group, delay)


class _CatchesSpikes:
    """Without a ``PreSpikeCatcher`` on the synapse, the input reads the source's axon itself, as CoNeX's does."""

    def initialize(self, synapse: Any) -> None:
        catcher = _registered("PreSpikeCatcher")
        self._catches = not any(isinstance(b, catcher) for b in synapse.behavior.values())
        if self._catches:
            synapse.pre_spike = synapse.src.vector(0, dtype=torch.bool)  # what the axon holds before the first step
        super().initialize(synapse)

    def forward(self, synapse: Any) -> None:
        if self._catches:
            synapse.pre_spike = _caught(self, synapse, "src")
        super().forward(synapse)


class _ReadsNeuronTraces:
    """CoNeX 0.1.5's learning: spikes and traces come from both groups' axons (their ``SpikeTrace``).

    The rule is conex's own, fed each iteration with ``pre_spike``, ``pre_trace``, ``post_spike`` and
    ``post_trace`` read from the axons instead of from spike catchers and synaptic traces.
    """

    requires = ("weights", "src.axon", "dst.axon")

    def initialize(self, synapse: Any) -> None:
        self._catch(synapse)
        trace = _registered("SpikeTrace")
        for side, name in (("src", "pre_trace_tau"), ("dst", "post_trace_tau")):
            taus = [b.tau_s for b in getattr(synapse, side).behavior.values() if isinstance(b, trace)]
            if taus:
                setattr(synapse, name, taus[0])
        super().initialize(synapse)

    def _catch(self, synapse: Any) -> None:
        synapse.pre_spike = _caught(self, synapse, "src")
        synapse.post_spike = _caught(self, synapse, "dst")
        synapse.pre_trace = _caught(self, synapse, "src", trace=True)
        synapse.post_trace = _caught(self, synapse, "dst", trace=True)

    def forward(self, synapse: Any) -> None:
        self._catch(synapse)
        super().forward(synapse)


_INPUTS = (
    "BaseDendriticInput",
    "SimpleDendriticInput",
    "SparseDendriticInput",
    "One2OneDendriticInput",
    "Conv2dDendriticInput",
    "Local2dDendriticInput",
    "LateralDendriticInput",
    "AveragePool2D",
)
_RULES = tuple(
    f"{layout}{rule}"
    for layout in ("Simple", "Sparse", "One2One", "Conv2d", "Local2d")
    for rule in ("STDP", "iSTDP", "RSTDP")
)
_CATCHING = "Without a PreSpikeCatcher on the synapse it reads the source's axon itself, as CoNeX's inputs do."
_V015 = "CoNeX 0.1.5's form: it reads spikes and traces from both groups' axons (SpikeTrace on the groups)."

INPUT_VARIANTS = MappingProxyType({name: _variant(_registered(name), _CatchesSpikes, _CATCHING) for name in _INPUTS})
RULES_0_1_5 = MappingProxyType({name: _variant(_registered(name), _ReadsNeuronTraces, _V015) for name in _RULES})


class SpikeNdDataset(Behavior):
    """Feeds an input layer from a data loader: one instance (``x``, ``loc``, ``y``) per iteration.

    Each batch of the loader is ``(sensory, [location,] label)``; sensory data are viewed as instances of
    ``ndim_sensory`` dimensions (a ``(batch, time, 28, 28)`` spike tensor gives ``batch * time`` instances
    of ``28 x 28``), each flattened into the layer's ``x``. A label covers ``instances / labels`` instances.
    After each sample (``instance_duration`` instances) come ``silent_interval`` iterations of no input.
    With ``loop`` the loader starts over when it ends.
    """

    def __init__(self, dataloader: Any, instance_duration: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, dataloader=dataloader, instance_duration=instance_duration, **kwargs)

    def initialize(self, layer: Any) -> None:
        super().initialize(layer)
        self.dataloader = self.parameter("dataloader", None, required=True)
        self.ndim_sensory = self.parameter("ndim_sensory", 2)
        self.ndim_location = self.parameter("ndim_location", 2)
        self.have_location = self.parameter("have_location", False)
        self.have_sensory = self.parameter("have_sensory", True)
        self.have_label = self.parameter("have_label", True)
        self.silent_interval = self.parameter("silent_interval", 0)
        self.instance_duration = self.parameter("instance_duration", 0, required=True)
        self.loop = self.parameter("loop", True)
        self._instances = self._stream()
        self._silent_left = 0
        layer.x = layer.loc = layer.y = None

    def _batches(self) -> Iterator[Any]:
        yield from self.dataloader
        while self.loop:
            yield from self.dataloader

    def _instances_of(self, batch: Any, position: int, ndim: int) -> torch.Tensor:
        data = batch[position].to(self.device)
        return data.reshape((-1, *data.shape[data.dim() - ndim :]))

    def _stream(self) -> Iterator[tuple[Any, Any, Any]]:
        for batch in self._batches():
            sensory = self._instances_of(batch, 0, self.ndim_sensory) if self.have_sensory else None
            location = (
                self._instances_of(batch, int(self.have_sensory), self.ndim_location) if self.have_location else None
            )
            count = (sensory if sensory is not None else location).shape[0]
            labels = batch[-1].to(self.device) if self.have_label else None
            per_label = count // labels.numel() if labels is not None else self.instance_duration
            for i in range(count):
                if per_label and i % per_label == per_label - 1:
                    self._silent_left = self.silent_interval  # the sample ends here: silence follows
                yield (
                    None if sensory is None else sensory[i].reshape(-1),
                    None if location is None else location[i].reshape(-1),
                    None if labels is None else labels[i // per_label],
                )

    def forward(self, layer: Any) -> None:
        if self._silent_left and self._silence_started:
            self._silent_left -= 1
            layer.x = None if layer.x is None else torch.zeros_like(layer.x)
            layer.loc = None if layer.loc is None else torch.zeros_like(layer.loc)
            self._silence_started = self._silent_left > 0
            return
        layer.x, layer.loc, layer.y = next(self._instances)
        self._silence_started = self._silent_left > 0

    _silence_started = False


class _Setter(Behavior):
    """Copies one of the layer's inputs into the group's spikes each iteration (no input: no spikes)."""

    source = ""

    def initialize(self, neurons: Any) -> None:
        super().initialize(neurons)
        self.layer = neurons.parent_structure
        neurons.spikes = neurons.vector(0, dtype=torch.bool)

    def forward(self, neurons: Any) -> None:
        value = getattr(self.layer, self.source, None)
        neurons.spikes = neurons.vector(0, dtype=torch.bool) if value is None else value.to(torch.bool)


class SensorySetter(_Setter):
    """The group's spikes are its input layer's sensory input ``x``."""

    source = "x"


class LocationSetter(_Setter):
    """The group's spikes are its input layer's location input ``loc``."""

    source = "loc"


_OWN = MappingProxyType(
    {
        "LIF": LIF,
        "ELIF": ELIF,
        "AELIF": AELIF,
        "SpikeNdDataset": SpikeNdDataset,
        "SensorySetter": SensorySetter,
        "LocationSetter": LocationSetter,
        **INPUT_VARIANTS,
    }
)


def resolve(name: str) -> type[conex.Behavior]:
    """The behavior class a CoNeX script gets for ``name`` in the current dialect."""
    if name.startswith("_"):
        raise AttributeError(name)
    if current_dialect() == V0_1_5 and name in RULES_0_1_5:
        return RULES_0_1_5[name]
    if name in _OWN:
        return _OWN[name]
    try:
        return _registered(name)
    except UnknownBehaviorError as exc:
        raise AttributeError(f"conex has no CoNeX behavior {name!r}: {exc}") from None


def __getattr__(name: str) -> Any:
    """The variant classes by name, so that saved structures (and pickles) find them here."""
    for table in (INPUT_VARIANTS, RULES_0_1_5):
        if name in table:
            return table[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
