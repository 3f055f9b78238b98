"""conex.testing: each conformance check catches the defect it is for, and the stand-ins give what they promise."""

from __future__ import annotations

import itertools
from typing import Any, ClassVar

import numpy as np
import pytest
import torch

from conex import Behavior, ConexError, ParameterError, Phase, between, layouts, param
from conex.registry import BehaviorEntry, PluginStatus, Registry
from conex.testing import (
    CHECKS,
    ConformanceEntry,
    ConformanceError,
    Invalid,
    NetworkHost,
    NeuronHost,
    SynapseHost,
    assert_complete,
    build,
    conformance_suite,
    missing_entries,
)
from conex.testing import conformance as conformance_module


class Leak(Behavior):
    """Leaks a fraction of ``v`` each iteration: a behavior that passes every check."""

    priority = Phase.NEURON_DYNAMICS
    category = "neuron"
    requires = ("v",)

    rate: float = param(0.1, check=between(0, 1), doc="fraction of v lost per iteration")

    def initialize(self, neurons: Any) -> None:
        self.lost = neurons.vector()

    def forward(self, neurons: Any) -> None:
        torch.mul(neurons.v, self.rate, out=self.lost)
        neurons.v.sub_(self.lost)


class NoDoc(Leak):
    pass


class UndocumentedParameter(Leak):
    """Has a parameter without doc."""

    depth: int = param(2)


class Float32State(Leak):
    """Makes its state in float32 whatever the network's dtype."""

    def initialize(self, neurons: Any) -> None:
        self.lost = torch.zeros(neurons.size)

    def forward(self, neurons: Any) -> None:
        self.lost.copy_(neurons.v * self.rate)


class GlobalRandom(Leak):
    """Draws from torch's global generator."""

    def forward(self, neurons: Any) -> None:
        neurons.v.add_(torch.rand(neurons.size, dtype=neurons.v.dtype))


class SharedDefault(Leak):
    """Shares one default list between instances."""

    history: Any = param([], doc="values seen")  # a shared mutable default: the defect under test


class ClassCache(Leak):
    """Remembers its hosts in a class attribute."""

    seen: ClassVar[list] = []

    def initialize(self, neurons: Any) -> None:
        super().initialize(neurons)
        type(self).seen.append(neurons.size)


class Coupled(Leak):
    """Its output depends on how many instances ran before: state kept on the class."""

    calls: ClassVar[int] = 0

    def forward(self, neurons: Any) -> None:
        type(self).calls += 1
        neurons.v.add_(type(self).calls * 1e-3)


_BUFFERS: dict[int, torch.Tensor] = {}


class SharedStorage(Leak):
    """Keeps its state in a module-level cache shared by every instance."""

    def initialize(self, neurons: Any) -> None:
        self.lost = _BUFFERS.setdefault(neurons.size, neurons.vector())


class HiddenRepr(Leak):
    """Hides its parameters from repr."""

    def extra_repr(self) -> str:
        return ""


class Unchecked(Leak):
    """Bypasses parameter validation with its own __init__."""

    def __init__(self, rate: Any = 0.1) -> None:
        Behavior.__init__(self)
        self.rate = rate


class Tight(Leak):
    """Refuses rate > 0.5 with a plain ValueError instead of a ParameterError."""

    def validate(self) -> None:
        if self.rate > 0.5:
            raise ValueError("too fast")


class NeedsSpikes(Leak):
    """Requires something nobody provides, so initialize fails."""

    requires = ("nothing_here",)


class ForgetsTooMuch(Leak):
    """Its reset clears what initialize filled: the lost fraction starts at the rate, not 0."""

    def initialize(self, neurons: Any) -> None:
        self.lost = neurons.vector(self.rate)

    def reset(self, neurons: Any) -> None:
        self.lost.zero_()


class RedrawsOnReset(Leak):
    """Its reset draws a random number (and throws it away)."""

    def reset(self, neurons: Any) -> None:
        torch.rand(1, generator=neurons.network.generator)


def check(name: str, cls: type, **entry: Any) -> None:
    CHECKS[name](ConformanceEntry(cls.__name__, **entry), cls)


@pytest.mark.parametrize("name", list(CHECKS))
def test_a_conforming_behavior_passes_every_check(name):
    check(name, Leak, kwargs={"rate": 0.2}, invalid=(Invalid({"rate": 2.0}, ParameterError, "Leak.rate"),))


@pytest.mark.parametrize(
    ("name", "cls", "entry", "message"),
    [
        ("declares", NoDoc, {}, "NoDoc fails declares: the class has no docstring"),
        ("declares", UndocumentedParameter, {}, "parameters without doc=...: depth"),
        ("constructs", Leak, {"kwargs": {"rate": 7.0}}, "Leak(**{'rate': 7.0}) raised ParameterError"),
        ("validates", Unchecked, {}, "{'rate': 'not-a-value'} was accepted, expected ParameterTypeError"),
        (
            "validates",
            Tight,
            {"invalid": (Invalid({"rate": 0.9}, ParameterError, "rate"),)},
            "{'rate': 0.9} raised ValueError('too fast'), expected ParameterError",
        ),
        (
            "validates",
            Leak,
            {"invalid": (Invalid({"rate": 0.3}, ConexError, "rate", at="initialize"),)},
            "on NeuronHost(size=(2, 3, 4)",
        ),
        (
            "validates",
            NeedsSpikes,
            {"invalid": (Invalid({}, ParameterError, "nothing_here", at="initialize"),)},
            "at initialize raised ConexError",
        ),
        ("repr", HiddenRepr, {}, "HiddenRepr fails repr: repr 'HiddenRepr()' does not show rate"),
        ("device_dtype", Float32State, {}, "Float32State.lost is torch.float32, the network's dtype is torch.float64"),
        ("deterministic", GlobalRandom, {}, "it draws from the global torch RNG: use network.generator"),
        ("independent", SharedDefault, {}, "instances share the default object of 'history'"),
        ("independent", ClassCache, {}, "running it changes class-level state ClassCache.seen"),
        ("independent", Coupled, {}, "running two instances side by side changes host group.v"),
        ("independent", SharedStorage, {}, "two instances share the storage of lost"),
        ("resets", ForgetsTooMuch, {}, "ForgetsTooMuch fails resets: a reset right after initialize changes"),
        ("resets", RedrawsOnReset, {}, "a reset draws from network.generator"),
    ],
)
def test_each_check_catches_its_defect(name, cls, entry, message):
    with pytest.raises(ConformanceError) as info:
        check(name, cls, **entry)
    assert message.replace("host group", "neuron group host") in str(info.value)


def test_a_required_parameter_must_be_given_and_must_be_required():
    class Needy(Behavior):
        """Needs a time constant."""

        tau: float = param(doc="time constant")

    with pytest.raises(ConformanceError, match="required parameter 'tau' missing from the entry's kwargs"):
        check("constructs", Needy)
    check("constructs", Needy, kwargs={"tau": 2.0})


# -- completeness and the generated suite ------------------------------------------------------------


def lab_registry(*names: str, status: str = "ok") -> Registry:
    entries = [BehaviorEntry(n, Leak, "lab", "1.0") for n in names]
    return Registry(entries, [PluginStatus("lab", "1.0", status, None if status == "ok" else "boom", names)])


def test_completeness_names_what_is_missing_and_what_is_unknown():
    registry = lab_registry("Leak", "Drift")
    entries = [ConformanceEntry("Leak"), ConformanceEntry("lab:Ghost")]
    assert missing_entries(entries, "lab", registry) == (["Drift"], ["Ghost"])
    with pytest.raises(ConformanceError) as info:
        assert_complete(entries, "lab", registry)
    assert str(info.value) == (
        "plugin 'lab': registered without a conformance entry: Drift; "
        "entries for behaviors 'lab' does not register: Ghost"
    )
    assert_complete([ConformanceEntry("Leak"), ConformanceEntry("Drift")], "lab", registry)
    with pytest.raises(ConformanceError, match="plugin 'other' is not installed"):
        assert_complete(entries, "other", registry)
    with pytest.raises(ConformanceError, match="plugin 'lab' did not load: boom"):
        assert_complete(entries, "lab", lab_registry("Leak", status="error"))


def test_the_suite_runs_every_check_and_skips_runtime_checks_of_abstract_entries(monkeypatch):
    monkeypatch.setattr(conformance_module, "get_registry", lambda: lab_registry("Leak", "Drift"))
    entries = [ConformanceEntry("Leak"), ConformanceEntry("Drift", abstract="a base class")]
    suite = conformance_suite(entries, plugin="lab")
    assert suite.__name__ == "TestLabConformance"
    params = suite.test_conformance.pytestmark[0].args[1]
    assert [p.id for p in params] == [f"{e}-{c}" for e, c in itertools.product(("Leak", "Drift"), CHECKS)]
    instance = suite()
    for p in params:
        entry, name = p.values
        if entry.abstract and name in ("device_dtype", "deterministic", "independent"):
            with pytest.raises(pytest.skip.Exception, match="Drift is abstract: a base class"):
                instance.test_conformance(entry, name)
        else:
            instance.test_conformance(entry, name)
    instance.test_every_registered_behavior_has_an_entry()
    broken = conformance_suite([ConformanceEntry("Leak")], plugin="lab")()
    with pytest.raises(ConformanceError, match="registered without a conformance entry: Drift"):
        broken.test_every_registered_behavior_has_an_entry()


# -- stand-ins -----------------------------------------------------------------------------------------


class Probe(Behavior):
    """Does nothing: lets a test look at the stand-ins alone."""

    category = "synapse"
    priority = Phase.LEARNING


@pytest.mark.parametrize(
    ("layout", "weights", "dst"),
    [
        ("dense", (6, 5), (1, 1, 5)),
        ("one2one", (6,), (1, 2, 3)),
        ("conv2d", (3, 2, 3, 3), (3, 3, 3)),
        ("local2d", (3, 9, 18), (3, 3, 3)),
        ("lateral", (1, 1, 1, 3, 3), (2, 3, 3)),
    ],
)
def test_stand_in_weights_follow_the_spec_layouts(layout, weights, dst):
    syn = build(Probe(), SynapseHost(layout)).host
    assert tuple(syn.weights.shape) == weights
    assert syn.weights.dtype == torch.float64
    assert tuple(syn.dst.shape) == dst
    assert (syn.src is syn.dst) == (layout == "lateral")
    assert syn.kernel_shape == ((3, 3, 3, 2, 3, 3) if layout == "local2d" else None)
    assert float(syn.weights.min()) >= 0
    assert float(syn.weights.max()) < 1


def test_stand_in_sparse_weights_are_a_coalesced_coo_matrix_of_the_given_density():
    syn = build(Probe(), SynapseHost("sparse")).host
    assert syn.weights.layout == torch.sparse_coo
    assert syn.weights.is_coalesced()
    assert tuple(syn.weights.shape) == (6, 5)
    assert syn.weights._nnz() == 15


class Transposed(layouts.Layout):
    """A plugin's own layout: destination x source."""

    name = "transposed"

    def weight_shape(self, src, dst, geometry):
        return (dst[0] * dst[1] * dst[2], src[0] * src[1] * src[2])


def test_the_kit_hosts_a_plugins_own_layout():
    syn = build(Probe(), SynapseHost(Transposed(), src=4, dst=3), seed=2).host
    assert tuple(syn.weights.shape) == (3, 4)
    assert 0 <= float(syn.weights.min()) < float(syn.weights.max()) < 1  # U(0, 1), as the built-in layouts
    with pytest.raises(ParameterError, match=r"^SynapseHost.layout: expected one of 'dense', .*, got 'diagonal'$"):
        SynapseHost("diagonal")


def test_conv_geometry_with_stride_and_padding():
    host = SynapseHost("conv2d", src=(1, 6, 7), kernel=(2, 3), stride=2, padding=1, out_channels=4)
    syn = build(Probe(), host).host
    assert tuple(syn.dst.shape) == (4, 4, 4)
    assert (syn.stride, syn.padding) == (2, 1)
    with pytest.raises(ConexError, match=r"layout .conv2d.: dst shape: expected \(4, 4, 4\), got \(4, 2, 2\)"):
        build(Probe(), SynapseHost("conv2d", src=(1, 6, 7), dst=(4, 2, 2), kernel=(2, 3), stride=2, padding=1))


def test_stand_in_spikes_traces_and_delayed_axon_match_a_replay():
    built = build(Probe(), SynapseHost("dense"), seed=3)
    syn, src = built.host, built.host.src
    seen, trace = [], np.zeros(6)
    for _ in range(9):
        built.run(1)
        seen.append(src.spikes.numpy().copy())
        trace = trace * (1 - 1.0 / 20.0) + seen[-1]
        np.testing.assert_array_equal(syn.pre_spike.numpy(), seen[-1])
        np.testing.assert_array_equal(syn.post_spike.numpy(), syn.dst.spikes.numpy())
        np.testing.assert_allclose(syn.pre_trace.numpy(), trace, rtol=1e-12)
        assert float(syn.I.min()) >= 0
        assert float(syn.I.max()) < 1
    delays = torch.tensor([0, 1, 2, 3, 1, 0])
    expected = [seen[-1 - int(d)][i] for i, d in enumerate(delays)]
    np.testing.assert_array_equal(src.axon.get_spike(src, delays).numpy(), expected)
    assert 0 < np.mean(seen) < 0.7


class Hold(Behavior):
    """Sets its own v and leaves it alone."""

    category = "neuron"
    priority = Phase.NEURON_DYNAMICS

    def initialize(self, neurons: Any) -> None:
        neurons.v = neurons.vector(-60.0)


def test_a_stand_in_stops_driving_what_the_behavior_took_over():
    held = build(Hold(), NeuronHost()).run(4).host
    assert torch.equal(held.v, held.vector(-60.0))
    driven = build(Leak(rate=0.0), NeuronHost()).run(1).host
    before = driven.v.clone()
    driven.network.simulate_iterations(1)
    assert not torch.equal(driven.v, before)
    assert float(driven.v.min()) >= -72.0
    assert float(driven.v.max()) <= -50.0


def test_hosts_default_by_category_and_dendrites_get_afferent_synapses():
    assert build(Probe()).host.label() == "synapse src=>dst"
    assert build(Leak()).host.label() == "neuron group host"

    class Clock(Behavior):
        """Counts iterations on the network."""

        category = "network"
        priority = Phase.PAYOFF

        def forward(self, network: Any) -> None:
            network.ticks = network.iteration

    assert build(Clock()).run(3).host.ticks == 3
    assert isinstance(build(Clock(), NetworkHost()).host.neuron_groups[0].spikes, torch.Tensor)
    host = build(Leak(), NeuronHost(afferent=("Proximal", "Apical"))).host
    assert sorted(k for k in host.afferent_synapses if k != "All") == ["Apical", "Proximal"]


def test_extras_and_the_behavior_under_test_are_placed_as_a_groups_behaviors_are():
    twice = NeuronHost(extras=lambda: [Leak(), Leak()])
    with pytest.raises(ConexError, match=r"^the host's extras: priority 260 of Leak is already taken by Leak"):
        build(Leak(), twice, priority=5)
    taken = NeuronHost(extras=lambda: {Phase.NEURON_DYNAMICS: Leak()})
    with pytest.raises(ConexError, match=r"^the host: priority 260 of Leak is already taken by Leak; give the entry"):
        build(Leak(), taken)
    assert build(Leak(), taken, priority=5).host.behavior[5].rate == 0.1


class Mixing(Behavior):
    """Says it supports replicas, yet copies replica 0's voltage into the others."""

    category = "neuron"
    priority = 250
    supports_replicas = True

    def forward(self, neurons):
        neurons.leak = neurons.v.mean(0, keepdim=True).expand_as(neurons.v).clone()


class KeepsApart(Mixing):
    """Works per replica: each replica's own voltage."""

    def forward(self, neurons):
        neurons.leak = neurons.v * 0.5


class OneNetworkOnly(Mixing):
    """Does not say it supports replicas."""

    supports_replicas = False


def test_the_replicas_check_catches_cross_talk_and_passes_what_keeps_replicas_apart():
    with pytest.raises(ConformanceError, match=r"^Mixing fails replicas: changing replica 0 changes the other"):
        conformance_module.check_replicas(ConformanceEntry("Mixing"), Mixing)
    conformance_module.check_replicas(ConformanceEntry("KeepsApart"), KeepsApart)
    conformance_module.check_replicas(ConformanceEntry("OneNetworkOnly"), OneNetworkOnly)  # refused: passes
    with pytest.raises(ConexError, match=r"^OneNetworkOnly on neuron group host: does not support replicas"):
        build(OneNetworkOnly(), replicas=2)
