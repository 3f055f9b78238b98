"""Small networks around one behavior, with stand-ins for everything else it reads.

A behavior reads what other behaviors leave on its host: the attributes conex fixes (a group's
``v``, ``I``, ``spikes``, ``threshold``, ``axon``; a synapse's ``weights``, ``pre_spike``,
``post_trace``, ``src_delay``...). The stand-ins here provide all of them, drawn from the network's
generator, so a behavior is tested without any plugin besides its own:

* :class:`Stimulus` on every neuron group: LIF-like constants (``v_rest``, ``v_reset``, ``tau``,
  ``R``, a ``threshold`` tensor), random ``v``, ``I`` and ``spikes`` each iteration, and an
  ``axon`` that serves past spikes with per-neuron delays;
* :class:`SynapseStandIn` on every synapse: weights in any layout of :mod:`conex.layouts` (``"dense"``,
  ``"sparse"``, ``"one2one"``, ``"conv2d"``, ``"local2d"``, ``"lateral"``, or a plugin's own), zero
  delays, a random ``I``, ``pre_spike``/``post_spike`` copied from the groups and decaying ``pre_trace``/``post_trace``.

A stand-in drives an attribute only while the attribute still holds the stand-in's own tensor: once
the behavior under test sets it (LIF makes its own ``v``), the stand-in leaves it alone. Stand-ins
run at priority :data:`STAND_IN_PRIORITY`, before everything else.

The host specifications (:class:`NeuronHost`, :class:`SynapseHost`, :class:`NetworkHost`) say what
to build; :func:`build` builds it around a behavior.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

import attrs
import torch

from conex import layouts
from conex.behavior import Behavior, between, ge, gt, param
from conex.errors import bad_parameter
from conex.groups import NeuronGroup, SynapseGroup
from conex.layouts import Geometry, Layout
from conex.network import Network
from conex.scheduler import place_behavior
from conex.state import snapshot, walk_state

__all__ = [
    "STAND_IN_PRIORITY",
    "Built",
    "NetworkHost",
    "NeuronHost",
    "Stimulus",
    "StandInAxon",
    "SynapseHost",
    "SynapseStandIn",
    "build",
]

STAND_IN_PRIORITY = -1
"""Where stand-ins run: before every behavior with a CoNeX priority (the smallest is 1)."""

Size = int | tuple[int, int, int]
Extras = Callable[[], "Sequence[Behavior] | Mapping[int, Behavior]"]


class StandInAxon:
    """What a neuron group's ``axon`` offers: :meth:`get_spike` with per-neuron delays < ``max_delay``."""

    def __init__(self, size: int, max_delay: int, device: torch.device, replicas: tuple[int, ...] = ()) -> None:
        self.max_delay = max_delay
        self.history = torch.zeros((max_delay, *replicas, size), dtype=torch.bool, device=device)
        self._columns = torch.arange(size, device=device)
        self._head = 0

    def record(self, spikes: torch.Tensor) -> None:
        """Push this iteration's spikes (the oldest row is overwritten)."""
        self._head = (self._head + 1) % self.max_delay
        self.history[self._head].copy_(spikes)

    def get_spike(self, neurons: Any, delay: torch.Tensor) -> torch.Tensor:
        """``(size,)`` bools per replica: neuron i's spike of ``delay[i]`` iterations ago."""
        rows = torch.remainder(self._head - delay, self.max_delay)
        if self.history.dim() == 2:
            return self.history[rows, self._columns]
        return self.history[rows, :, self._columns].T  # (size, R) gathered, as (R, size)


class Stimulus(Behavior):
    """Stand-in for a neuron model: random ``v``, ``I`` and ``spikes`` each iteration, and an axon.

    Sets ``v_rest`` (-65 mV), ``v_reset`` (-70 mV), ``tau`` (10 ms), ``R`` (1) and a ``threshold``
    tensor (-55 mV); each iteration ``v ~ U(-72, -50)`` mV, ``I ~ U(0, 20)`` and spikes with
    probability ``rate``, each only while it is still the stimulus's own (see the module docstring).
    """

    category = "neuron"
    supports_replicas = True
    skew_first_replica: ClassVar[bool] = False  # set on an instance: replica 0 differs in every draw

    rate: float = param(0.3, check=between(0, 1), doc="probability of a spike per neuron and iteration")
    max_delay: int = param(4, check=ge(1), unit="iterations", doc="spike history the stand-in axon keeps")

    def initialize(self, neurons: Any) -> None:
        neurons.v_rest, neurons.v_reset, neurons.tau, neurons.R = -65.0, -70.0, 10.0, 1.0
        neurons.threshold = neurons.vector(-55.0)
        self._v = neurons.v = neurons.vector()
        self._current = neurons.I = neurons.vector()
        self._draw = neurons.vector()
        self._spikes = neurons.spikes = neurons.vector(0, dtype=torch.bool)
        net = neurons.network
        self.axon = neurons.axon = StandInAxon(neurons.size, self.max_delay, net.device, net.replica_shape)
        self._drive(neurons)

    def _drive(self, neurons: Any) -> None:
        generator = neurons.network.generator
        if neurons.v is self._v:
            self._v.uniform_(-72.0, -50.0, generator=generator)
        if neurons.I is self._current:
            self._current.uniform_(0.0, 20.0, generator=generator)
        if neurons.spikes is self._spikes:
            self._spikes = neurons.spikes = self._draw.uniform_(generator=generator) < self.rate
        if self.skew_first_replica:
            _skew(self._v, self._current, self._spikes)

    def forward(self, neurons: Any) -> None:
        self._drive(neurons)
        if neurons.axon is self.axon:
            self.axon.record(neurons.spikes)


class SynapseStandIn(Behavior):
    """Stand-in for a synapse's set-up, spike catchers and traces (see the module docstring).

    Weights ``U(0, 1)`` in ``layout`` (a name of :data:`conex.layouts.LAYOUTS`, a plugin's own
    :class:`~conex.layouts.Layout`, or ``None`` for no weights), shaped as the layout says; sparse
    layouts hold ``density`` of the entries. Each iteration ``pre_spike``/``post_spike`` are the
    groups' spikes, ``trace = trace * (1 - dt / trace_tau) + spike`` and ``I ~ U(0, 1)``.
    """

    category = "synapse"
    supports_replicas = True
    skew_first_replica: ClassVar[bool] = False  # set on an instance: replica 0 differs in every step

    layout: Any = param("dense", doc="weight layout: a name, a Layout, or None for no weights")
    kernel: Any = param((3, 3), doc="(kh, kw) of conv2d, local2d and lateral weights")
    stride: int = param(1, check=ge(1), doc="stride of conv2d and local2d receptive fields")
    padding: int = param(0, check=ge(0), doc="zero padding of conv2d and local2d receptive fields")
    density: float = param(0.5, check=between(0, 1, low_open=True), doc="fraction of stored sparse synapses")
    trace_tau: float = param(20.0, check=gt(0), unit="ms", doc="time constant of the stand-in traces")

    def validate(self) -> None:
        self.layout = resolve_layout(self.layout, type(self).__name__)

    def initialize(self, synapse: Any) -> None:
        net = synapse.network
        synapse.src_delay = synapse.src.tensor((synapse.src.size,), dtype=torch.long)
        synapse.dst_delay = synapse.dst.tensor((synapse.dst.size,), dtype=torch.long)
        synapse.stride, synapse.padding = self.stride, self.padding  # what a dendritic input would declare
        synapse.kernel_shape = None
        if self.layout is not None:
            synapse.weights = self._weights(synapse)
        self._own: dict[str, torch.Tensor] = {}
        for side, group in (("pre", synapse.src), ("post", synapse.dst)):
            self._own[f"{side}_spike"] = group.vector(0, dtype=torch.bool)
            self._own[f"{side}_trace"] = group.vector()
            setattr(synapse, f"{side}_trace_tau", self.trace_tau)
        self._own["I"] = synapse.dst.vector()
        for name, tensor in self._own.items():
            setattr(synapse, name, tensor)
        self._decay = 1.0 - net.dt / self.trace_tau

    def _weights(self, synapse: Any) -> torch.Tensor:
        src, dst, net = synapse.src, synapse.dst, synapse.network
        geometry = Geometry(layouts.pair(self.kernel), layouts.pair(self.stride), layouts.pair(self.padding))
        implied = self.layout.dst_shape(src.shape, dst.depth, geometry)
        if implied is not None and implied != dst.shape:
            raise self.error(synapse, f"layout {self.layout.name!r}: dst shape: expected {implied}, got {dst.shape}")
        if self.layout.name == "lateral" and src is not dst:
            raise self.error(synapse, "layout 'lateral' needs src and dst to be the same group")
        if isinstance(self.layout, layouts.Local2dLayout):
            synapse.kernel_shape = self.layout.kernel_shape(src.shape, dst.shape, geometry)
        like = {"device": net.device, "dtype": net.def_dtype}
        drawn = [
            self.layout.example_weights(src.shape, dst.shape, geometry, self.density, net.generator, **like)
            for _ in range(net.replicas)
        ]
        return drawn[0] if net.replicas == 1 else torch.stack(drawn)  # each replica its own

    def forward(self, synapse: Any) -> None:
        generator = synapse.network.generator
        for side, group in (("pre", synapse.src), ("post", synapse.dst)):
            spike, trace = self._own[f"{side}_spike"], self._own[f"{side}_trace"]
            if getattr(synapse, f"{side}_spike") is spike:
                spike.copy_(group.spikes)
            if getattr(synapse, f"{side}_trace") is trace:
                trace.mul_(self._decay).add_(getattr(synapse, f"{side}_spike"))
        if synapse.I is self._own["I"]:
            synapse.I.uniform_(generator=generator)
        if self.skew_first_replica:
            _skew(*self._own.values())


def _skew(*tensors: torch.Tensor) -> None:
    """Make replica 0 of stand-in tensors differ from what the other replicas would see: spikes flipped,
    numbers scaled and shifted (the conformance kit's replicas check)."""
    for tensor in tensors:
        if tensor.dtype == torch.bool:
            tensor[0] = ~tensor[0]
        else:
            tensor[0].mul_(0.8).add_(0.5)


def resolve_layout(layout: str | Layout | None, owner: str) -> Layout | None:
    """A layout from its built-in name, a :class:`~conex.layouts.Layout` as given, or None."""
    if layout is None or isinstance(layout, Layout):
        return layout
    if isinstance(layout, str) and layout in layouts.LAYOUTS:
        return layouts.LAYOUTS[layout]
    expected = "one of " + ", ".join(repr(name) for name in layouts.LAYOUTS) + ", a conex.layouts.Layout or None"
    raise bad_parameter(owner, "layout", layout, expected)


# -- what to build ----------------------------------------------------------------------------------


def _attach(
    stand_in: Behavior | None, extras: Extras | None, behavior: Behavior | None, priority: float | None
) -> dict[float, Behavior]:
    """The behavior dict of the host: stand-in first, then the extras (a list at class defaults, or a
    ``{priority: behavior}`` dict), then the behavior under test."""
    placed: dict[float, Behavior] = {} if stand_in is None else {STAND_IN_PRIORITY: stand_in}
    made = extras() if extras is not None else []
    for at, extra in made.items() if isinstance(made, Mapping) else ((None, b) for b in made):
        place_behavior(placed, extra, at, where="the host's extras", fix="return a {priority: behavior} dict")
    if behavior is not None:
        place_behavior(placed, behavior, priority, where="the host", fix="give the entry a free priority")
    return placed


@attrs.frozen
class NeuronHost:
    """A neuron group (tag ``"host"``) with a :class:`Stimulus`, the behavior under test and ``extras``.

    Args:
        size: the group's size, an int or ``(depth, height, width)``.
        afferent: tags of stand-in synapses from a second group (tag ``"input"``) onto this one,
            e.g. ``("Proximal", "Distal")`` for dendrite behaviors; each carries a random ``I``.
        extras: a function returning more behaviors for the group (fresh ones on every call),
            a list placed at their default priorities or a ``{priority: behavior}`` dict.
        rate: spike probability of the stand-ins.
    """

    kind: ClassVar[str] = "neuron"

    size: Size = (2, 3, 4)
    afferent: tuple[str, ...] = ()
    extras: Extras | None = None
    rate: float = 0.3

    def build(self, net: Network, behavior: Behavior | None, priority: float | None = None) -> NeuronGroup:
        host = NeuronGroup(
            self.size, net, tag="host", behavior=_attach(Stimulus(rate=self.rate), self.extras, behavior, priority)
        )
        if self.afferent:
            source = NeuronGroup(4, net, tag="input", behavior={STAND_IN_PRIORITY: Stimulus(rate=self.rate)})
            for tag in self.afferent:
                SynapseGroup(net, source, host, tag=tag, behavior={STAND_IN_PRIORITY: SynapseStandIn(layout=None)})
        return host


_DEFAULT_SOURCES: Mapping[str, tuple[int, int, int]] = {"conv2d": (2, 5, 5), "local2d": (2, 5, 5), "lateral": (2, 3, 3)}
_DEFAULT_SOURCE, _DEFAULT_DESTINATION = (1, 2, 3), (1, 1, 5)


@attrs.frozen
class SynapseHost:
    """A synapse (tag ``tag``) from a group ``"src"`` to a group ``"dst"``, each with a :class:`Stimulus`.

    The synapse carries a :class:`SynapseStandIn` in ``layout``, the behavior under test and
    ``extras``. Group sizes default to small shapes that fit the layout; where the layout implies
    the destination (conv2d and local2d: ``(out_channels, out_h, out_w)`` of the kernel; one2one
    and lateral: the source's shape) it is that; ``"lateral"`` connects one group to itself.

    Args:
        layout: a name of :data:`conex.layouts.LAYOUTS`, a plugin's :class:`~conex.layouts.Layout`,
            or None for a synapse without weights.
        src, dst: group sizes (defaults by layout).
        kernel, stride, padding, out_channels: receptive-field geometry of conv2d/local2d.
        tag: the synapse's tags (``Proximal`` by default); ``src_tag`` ``"inh"`` makes it inhibitory.
        dopamine: ``network.dopamine_concentration`` for reward-modulated rules.
        extras: more behaviors for the synapse, as for :class:`NeuronHost`.
    """

    kind: ClassVar[str] = "synapse"

    layout: Any = attrs.field(default="dense", converter=lambda value: resolve_layout(value, "SynapseHost"))
    src: Size | None = None
    dst: Size | None = None
    kernel: tuple[int, int] = (3, 3)
    stride: int = 1
    padding: int = 0
    out_channels: int = 3
    tag: str = "Proximal"
    src_tag: str = "src"
    dopamine: float = 0.0
    extras: Extras | None = None
    rate: float = 0.3

    def shapes(self) -> tuple[Size, Size]:
        """The source and destination sizes this host builds."""
        name = None if self.layout is None else self.layout.name
        src = self.src if self.src is not None else _DEFAULT_SOURCES.get(name, _DEFAULT_SOURCE)
        if self.dst is not None:
            return src, self.dst
        if self.layout is None:
            return src, _DEFAULT_DESTINATION
        geometry = Geometry(layouts.pair(self.kernel), layouts.pair(self.stride), layouts.pair(self.padding))
        implied = self.layout.dst_shape((1, 1, src) if isinstance(src, int) else src, self.out_channels, geometry)
        return src, implied or _DEFAULT_DESTINATION

    def build(self, net: Network, behavior: Behavior | None, priority: float | None = None) -> SynapseGroup:
        net.dopamine_concentration = self.dopamine
        src_size, dst_size = self.shapes()
        src = NeuronGroup(src_size, net, tag=self.src_tag, behavior={STAND_IN_PRIORITY: Stimulus(rate=self.rate)})
        dst = (
            src
            if self.layout is not None and self.layout.name == "lateral"
            else NeuronGroup(dst_size, net, tag="dst", behavior={STAND_IN_PRIORITY: Stimulus(rate=self.rate)})
        )
        stand_in = SynapseStandIn(layout=self.layout, kernel=self.kernel, stride=self.stride, padding=self.padding)
        return SynapseGroup(net, src, dst, tag=self.tag, behavior=_attach(stand_in, self.extras, behavior, priority))


@attrs.frozen
class NetworkHost:
    """The network itself, holding the behavior under test and ``extras``, with one stimulated group."""

    kind: ClassVar[str] = "network"

    extras: Extras | None = None
    rate: float = 0.3

    def build(self, net: Network, behavior: Behavior | None, priority: float | None = None) -> Network:
        net.behavior.update(_attach(None, self.extras, behavior, priority))
        NeuronGroup(6, net, tag="group", behavior={STAND_IN_PRIORITY: Stimulus(rate=self.rate)})
        return net


HostSpec = NeuronHost | SynapseHost | NetworkHost


# -- building and inspecting ------------------------------------------------------------------------


@attrs.frozen
class Built:
    """A network built around ``behavior``: ``net``, the ``host`` object and the behavior."""

    net: Network
    host: Any
    behavior: Behavior

    def run(self, steps: int) -> Built:
        """Simulate ``steps`` iterations; returns self."""
        self.net.simulate_iterations(steps)
        return self

    def objects(self) -> list[Any]:
        """The network and every group and synapse of it, in creation order."""
        return [self.net, *self.net.neuron_groups, *self.net.synapse_groups]

    def state(self) -> dict[str, Any]:
        """The state of the network's objects and of the behavior under test, by path; tensors cloned.

        Keys are ``"<object label>.<attribute>"`` and ``"<Behavior>.<attribute path>"``, values as
        :func:`conex.state.walk_state` finds them; the behavior's declared parameters (given by the
        user) are left out.
        """
        found: dict[str, Any] = {}
        for obj in self.objects():
            found.update(snapshot(walk_state(obj), prefix=f"{obj.label()}."))
        found.update(snapshot(behavior_state(self.behavior), prefix=f"{type(self.behavior).__name__}."))
        return found


def behavior_state(behavior: Behavior) -> Iterator[tuple[str, Any]]:
    """``(path, value)`` of the state a behavior holds, its declared parameters excepted.

    Follows dicts, lists, tuples and plain objects (a topology, a ring buffer) two levels deep,
    but not into network objects or other behaviors.
    """
    return walk_state(behavior, depth=2, skip={name for name, _ in behavior.parameter_values()})


def build(
    behavior: Behavior,
    host: HostSpec | None = None,
    *,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
    device: str | torch.device = "cpu",
    dt: float = 1.0,
    priority: float | None = None,
    initialize: bool = True,
    replicas: int = 1,
) -> Built:
    """A network around ``behavior``: the ``host`` spec built with stand-ins, initialized unless told not.

    ``host`` defaults to the behavior's category: a :class:`SynapseHost` (dense), a
    :class:`NetworkHost` or a :class:`NeuronHost`. ``priority`` overrides the class's default;
    ``replicas`` is the network's number of replicas.
    """
    if host is None:
        host = {"synapse": SynapseHost, "network": NetworkHost}.get(type(behavior).category, NeuronHost)()
    # stand-ins drive a behavior alone, outside the network that keeps it in range (an exponential
    # neuron without Fire to reset it runs to infinity): the checks compare runs, not finiteness
    net = Network(dt=dt, device=device, dtype=dtype, seed=seed, replicas=replicas, check_finite=False)
    obj = host.build(net, behavior, priority)
    if initialize:
        net.initialize()
    return Built(net, obj, behavior)
