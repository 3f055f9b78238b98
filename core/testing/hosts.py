"""Small networks around one behavior, with stand-ins for everything else it reads.

A behavior reads what other behaviors leave on its host: the attributes the SPEC fixes (a group's
``v``, ``I``, ``spikes``, ``threshold``, ``axon``; a synapse's ``weights``, ``pre_spike``,
``post_trace``, ``src_delay``...). The stand-ins here provide all of them, drawn from the network's
generator, so a behavior is tested without any plugin besides its own:

* :class:`Stimulus` on every neuron group: LIF-like constants (``v_rest``, ``v_reset``, ``tau``,
  ``R``, a ``threshold`` tensor), random ``v``, ``I`` and ``spikes`` each iteration, and an
  ``axon`` that serves past spikes with per-neuron delays;
* :class:`SynapseStandIn` on every synapse: weights in any layout of the SPEC (``"dense"``,
  ``"sparse"``, ``"one2one"``, ``"conv2d"``, ``"local2d"``, ``"lateral"``), zero delays, a random
  ``I``, ``pre_spike``/``post_spike`` copied from the groups and decaying ``pre_trace``/``post_trace``.

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

from conex.behavior import Behavior, between, ge, gt, one_of, param
from conex.errors import ConexError
from conex.groups import NetworkObject, NeuronGroup, SynapseGroup
from conex.network import Network
from conex.scheduler import normalize_behaviors

__all__ = [
    "LAYOUTS",
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

LAYOUTS = ("dense", "sparse", "one2one", "conv2d", "local2d", "lateral")
"""Weight layouts :class:`SynapseStandIn` can make (the SPEC's, section 2)."""

Size = int | tuple[int, int, int]
Extras = Callable[[], "Sequence[Behavior] | Mapping[int, Behavior]"]


class StandInAxon:
    """What a neuron group's ``axon`` offers: :meth:`get_spike` with per-neuron delays < ``max_delay``."""

    def __init__(self, size: int, max_delay: int, device: torch.device) -> None:
        self.max_delay = max_delay
        self.history = torch.zeros((max_delay, size), dtype=torch.bool, device=device)
        self._columns = torch.arange(size, device=device)
        self._head = 0

    def record(self, spikes: torch.Tensor) -> None:
        """Push this iteration's spikes (the oldest row is overwritten)."""
        self._head = (self._head + 1) % self.max_delay
        self.history[self._head].copy_(spikes)

    def get_spike(self, neurons: Any, delay: torch.Tensor) -> torch.Tensor:
        """``(size,)`` bools: neuron i's spike of ``delay[i]`` iterations ago."""
        return self.history[torch.remainder(self._head - delay, self.max_delay), self._columns]


class Stimulus(Behavior):
    """Stand-in for a neuron model: random ``v``, ``I`` and ``spikes`` each iteration, and an axon.

    Sets ``v_rest`` (-65 mV), ``v_reset`` (-70 mV), ``tau`` (10 ms), ``R`` (1) and a ``threshold``
    tensor (-55 mV); each iteration ``v ~ U(-72, -50)`` mV, ``I ~ U(0, 20)`` and spikes with
    probability ``rate``, each only while it is still the stimulus's own (see the module docstring).
    """

    category = "neuron"

    rate: float = param(0.3, check=between(0, 1), doc="probability of a spike per neuron and iteration")
    max_delay: int = param(4, check=ge(1), unit="iterations", doc="spike history the stand-in axon keeps")

    def initialize(self, neurons: Any) -> None:
        neurons.v_rest, neurons.v_reset, neurons.tau, neurons.R = -65.0, -70.0, 10.0, 1.0
        neurons.threshold = neurons.vector(-55.0)
        self._v = neurons.v = neurons.vector()
        self._current = neurons.I = neurons.vector()
        self._draw = neurons.vector()
        self._spikes = neurons.spikes = neurons.vector(0, dtype=torch.bool)
        self.axon = neurons.axon = StandInAxon(neurons.size, self.max_delay, neurons.network.device)
        self._drive(neurons)

    def _drive(self, neurons: Any) -> None:
        generator = neurons.network.generator
        if neurons.v is self._v:
            self._v.uniform_(-72.0, -50.0, generator=generator)
        if neurons.I is self._current:
            self._current.uniform_(0.0, 20.0, generator=generator)
        if neurons.spikes is self._spikes:
            self._spikes = neurons.spikes = self._draw.uniform_(generator=generator) < self.rate

    def forward(self, neurons: Any) -> None:
        self._drive(neurons)
        if neurons.axon is self.axon:
            self.axon.record(neurons.spikes)


def _out_hw(src: tuple[int, int, int], kernel: tuple[int, int], stride: int, padding: int) -> tuple[int, int]:
    return tuple((src[i + 1] + 2 * padding - kernel[i]) // stride + 1 for i in range(2))  # type: ignore[return-value]


class SynapseStandIn(Behavior):
    """Stand-in for a synapse's set-up, spike catchers and traces (see the module docstring).

    Weights ``U(0, 1)`` in ``layout`` (``None``: no weights), shaped as the SPEC says; for
    ``"sparse"`` a coalesced COO tensor holding ``density`` of the entries. Each iteration
    ``pre_spike``/``post_spike`` are the groups' spikes, ``trace = trace * (1 - dt / trace_tau) +
    spike`` and ``I ~ U(0, 1)``.
    """

    category = "synapse"

    layout: str | None = param("dense", check=one_of(*LAYOUTS), doc="weight layout, or None for no weights")
    kernel: Any = param((3, 3), doc="(kh, kw) of conv2d, local2d and lateral weights")
    stride: int = param(1, check=ge(1), doc="stride of conv2d and local2d receptive fields")
    padding: int = param(0, check=ge(0), doc="zero padding of conv2d and local2d receptive fields")
    density: float = param(0.5, check=between(0, 1, low_open=True), doc="fraction of stored sparse synapses")
    trace_tau: float = param(20.0, check=gt(0), unit="ms", doc="time constant of the stand-in traces")

    def initialize(self, synapse: Any) -> None:
        net = synapse.network
        synapse.src_delay = synapse.src.vector(dtype=torch.long)
        synapse.dst_delay = synapse.dst.vector(dtype=torch.long)
        synapse.stride, synapse.padding = self.stride, self.padding
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
        src, dst = synapse.src, synapse.dst
        kh, kw = self.kernel
        if self.layout == "dense":
            return synapse.matrix("uniform")
        if self.layout == "sparse":
            net = synapse.network
            count = max(1, int(src.size * dst.size * self.density))
            kept = torch.randperm(src.size * dst.size, generator=net.generator, device=net.device)[:count].sort().values
            indices = torch.stack((kept // dst.size, kept % dst.size))
            values = synapse.tensor((count,), "uniform")
            return torch.sparse_coo_tensor(
                indices, values, (src.size, dst.size), check_invariants=True, is_coalesced=True
            )
        if self.layout == "one2one":
            self._expect(synapse, "dst.size", src.size, dst.size)
            return synapse.tensor((src.size,), "uniform")
        if self.layout == "lateral":
            if src is not dst:
                raise self.error(synapse, "layout 'lateral' needs src and dst to be the same group")
            return synapse.tensor((1, 1, 1, kh, kw), "uniform")
        out_h, out_w = _out_hw(src.shape, (kh, kw), self.stride, self.padding)
        self._expect(synapse, "dst (height, width)", (out_h, out_w), (dst.height, dst.width))
        if self.layout == "conv2d":
            return synapse.tensor((dst.depth, src.depth, kh, kw), "uniform")
        synapse.kernel_shape = (dst.depth, out_h, out_w, src.depth, kh, kw)
        return synapse.tensor((dst.depth, out_h * out_w, src.depth * kh * kw), "uniform")

    def _expect(self, synapse: Any, what: str, expected: Any, got: Any) -> None:
        if expected != got:
            raise self.error(synapse, f"layout {self.layout!r}: {what}: expected {expected}, got {got}")

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


# -- what to build ----------------------------------------------------------------------------------


def _behaviors(extras: Extras | None) -> dict[float, Behavior]:
    """The extra behaviors a host spec asks for, keyed by priority (class defaults for a list)."""
    made = extras() if extras is not None else []
    if isinstance(made, Mapping):
        return dict(made)
    placed: dict[float, Behavior] = {}
    for behavior in made:
        priority = type(behavior).priority
        if priority is None:
            name = type(behavior).__name__
            raise ConexError(f"extra {name} has no default priority: return a {{priority: behavior}}")
        placed[int(priority)] = behavior
    return placed


def _attach(
    stand_in: Behavior | None, extras: Extras | None, behavior: Behavior | None, priority: float | None
) -> dict[float, Behavior]:
    """The behavior dict of the host: stand-in first, then the extras, then the behavior under test."""
    placed: dict[float, Behavior] = {} if stand_in is None else {STAND_IN_PRIORITY: stand_in}
    for at, extra in _behaviors(extras).items():
        if at in placed:
            raise ConexError(f"extra {type(extra).__name__} at priority {at} collides with {type(placed[at]).__name__}")
        placed[at] = extra
    if behavior is not None:
        at = priority if priority is not None else type(behavior).priority
        if at is None:
            raise ConexError(f"{type(behavior).__name__} has no default priority: give the entry a priority")
        if at in placed:
            other = type(placed[at]).__name__
            raise ConexError(f"{type(behavior).__name__} at priority {at} collides with {other}: give another priority")
        placed[at] = behavior
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


_DEFAULT_SHAPES: dict[str | None, tuple[tuple[int, int, int], tuple[int, int, int] | None]] = {
    None: ((1, 2, 3), (1, 1, 5)),
    "dense": ((1, 2, 3), (1, 1, 5)),
    "sparse": ((1, 2, 3), (1, 1, 5)),
    "one2one": ((1, 2, 3), (1, 2, 3)),
    "conv2d": ((2, 5, 5), None),
    "local2d": ((2, 5, 5), None),
    "lateral": ((2, 3, 3), None),
}


@attrs.frozen
class SynapseHost:
    """A synapse (tag ``tag``) from a group ``"src"`` to a group ``"dst"``, each with a :class:`Stimulus`.

    The synapse carries a :class:`SynapseStandIn` in ``layout``, the behavior under test and
    ``extras``. Group sizes default to small shapes that fit the layout; for ``"conv2d"`` and
    ``"local2d"`` the destination is ``(out_channels, out_h, out_w)`` of the kernel; ``"lateral"``
    connects one group to itself.

    Args:
        layout: one of :data:`LAYOUTS`, or None for a synapse without weights.
        src, dst: group sizes (defaults by layout).
        kernel, stride, padding, out_channels: receptive-field geometry of conv2d/local2d.
        tag: the synapse's tags (``Proximal`` by default); ``src_tag`` ``"inh"`` makes it inhibitory.
        dopamine: ``network.dopamine_concentration`` for reward-modulated rules.
        extras: more behaviors for the synapse, as for :class:`NeuronHost`.
    """

    kind: ClassVar[str] = "synapse"

    layout: str | None = attrs.field(default="dense", validator=attrs.validators.in_((*LAYOUTS, None)))
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
        src_default, dst_default = _DEFAULT_SHAPES[self.layout]
        src = self.src if self.src is not None else src_default
        if self.dst is not None:
            return src, self.dst
        if dst_default is not None:
            return src, dst_default
        if self.layout == "lateral":
            return src, src
        shape = (src, src, src) if isinstance(src, int) else src
        return src, (self.out_channels, *_out_hw(shape, self.kernel, self.stride, self.padding))

    def build(self, net: Network, behavior: Behavior | None, priority: float | None = None) -> SynapseGroup:
        net.dopamine_concentration = self.dopamine
        src_size, dst_size = self.shapes()
        src = NeuronGroup(src_size, net, tag=self.src_tag, behavior={STAND_IN_PRIORITY: Stimulus(rate=self.rate)})
        dst = (
            src
            if self.layout == "lateral"
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
        net.behavior.update(normalize_behaviors(net.label(), _attach(None, self.extras, behavior, priority)))
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
        """Every tensor and number on the network's objects and in the behavior under test, by path.

        Keys are ``"<object label>.<attribute>"`` and ``"<Behavior>.<attribute path>"``; the
        behavior's declared parameters (given by the user) are left out. Tensors are cloned.
        """
        found: dict[str, Any] = {}
        for obj in self.objects():
            for name, value in vars(obj).items():
                if isinstance(value, torch.Tensor):
                    found[f"{obj.label()}.{name}"] = value.detach().clone()
                elif isinstance(value, (bool, int, float)):
                    found[f"{obj.label()}.{name}"] = value
        for path, value in behavior_state(self.behavior):
            copied = value.detach().clone() if isinstance(value, torch.Tensor) else value
            found[f"{type(self.behavior).__name__}.{path}"] = copied
        return found


_MODULE_INTERNALS = frozenset(vars(torch.nn.Module())) - {"_parameters", "_buffers"}


def behavior_state(behavior: Behavior) -> Iterator[tuple[str, Any]]:
    """``(path, value)`` of the tensors and numbers a behavior holds, its declared parameters excepted.

    Follows dicts, lists, tuples and plain objects (a topology, a ring buffer) two levels deep,
    but not into network objects or other behaviors.
    """
    declared = {name for name, _ in behavior.parameter_values()}
    for name, value in vars(behavior).items():
        if name in declared or name in _MODULE_INTERNALS:
            continue
        yield from _walk(name, value, depth=2)


def _walk(path: str, value: Any, depth: int) -> Iterator[tuple[str, Any]]:
    if isinstance(value, (torch.Tensor, bool, int, float)):
        yield path, value
    elif depth == 0 or isinstance(value, (Behavior, NetworkObject, torch.nn.Module, torch.Generator, str, type)):
        return
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(f"{path}[{key!r}]", item, depth - 1)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _walk(f"{path}[{index}]", item, depth - 1)
    elif hasattr(value, "__dict__") and not callable(value):
        for key, item in vars(value).items():
            yield from _walk(f"{path}.{key}", item, depth - 1)


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
) -> Built:
    """A network around ``behavior``: the ``host`` spec built with stand-ins, initialized unless told not.

    ``host`` defaults to the behavior's category: a :class:`SynapseHost` (dense), a
    :class:`NetworkHost` or a :class:`NeuronHost`. ``priority`` overrides the class's default.
    """
    if host is None:
        host = {"synapse": SynapseHost, "network": NetworkHost}.get(type(behavior).category, NeuronHost)()
    net = Network(dt=dt, device=device, dtype=dtype, seed=seed)
    obj = host.build(net, behavior, priority)
    if initialize:
        net.initialize()
    return Built(net, obj, behavior)
