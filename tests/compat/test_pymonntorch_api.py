"""PymoNNtorch's API on conex: a lab's behavior runs unchanged, recorders, lookups, tensors, priorities, dialects."""

import pytest
import torch

from conex.errors import ConexError, ParameterError
from conex.pymonntorch import Behavior, EventRecorder, Network, NeuronGroup, Recorder, SynapseGroup, dialect


class LeakyCounter(Behavior):
    """A lab's behavior as written for PymoNNtorch: **kwargs in, parameters read in initialize."""

    def initialize(self, neurons):
        super().initialize(neurons)
        self.rate = self.parameter("rate", 0.5)
        self.decay = self.parameter("decay", 0.9, neurons)
        neurons.count = neurons.vector("zeros()")
        neurons.drive = neurons.vector(self.parameter("drive", "uniform"))
        neurons.spikes = neurons.vector(dtype=torch.bool)

    def forward(self, neurons):
        neurons.count *= self.decay
        neurons.spikes = neurons.drive > 1 - self.rate
        neurons.count += neurons.spikes
        neurons.seen = neurons.iteration


def lab_network(**kwargs):
    net = Network(dt=1.0, seed=3)
    group = NeuronGroup(
        10,
        net,
        behavior={
            1: LeakyCounter(rate=0.3, tag="counter", **kwargs),
            9: Recorder(variables=["count", "n.spikes"], tag="rec"),
            10: EventRecorder(variables=["spikes"], tag="events"),
        },
    )
    return net, group


def test_a_pymonntorch_style_behavior_runs_unchanged(capsys):
    net, group = lab_network()
    net.initialize(info=False)
    net.simulate_iterations(5, measure_block_time=False)
    assert group.seen == 5
    assert net["counter", 0].rate == 0.3
    assert net["counter", 0].decay == 0.9
    assert capsys.readouterr().out == ""


def test_unused_parameters_are_reported_as_pymonntorch_does(capsys):
    net, _ = lab_network(rat=0.1)
    net.initialize(info=False)
    assert 'Warning: "rat" not used in initialize' in capsys.readouterr().out


def test_recorders_keep_every_sample_and_are_found_by_tag_and_variable():
    net, group = lab_network()
    net.initialize(info=False)
    net.simulate_iterations(7, measure_block_time=False)
    recorder = net["rec", 0]
    assert isinstance(recorder, Recorder)
    assert recorder.variables["count"].shape == (7, 10)
    assert torch.equal(group["n.spikes", 0], recorder.variables["n.spikes"])
    events = group["spikes", 0]
    assert events.shape[1] == 2
    assert int(events.shape[0]) == int(recorder.variables["n.spikes"].sum())
    assert torch.equal(group["spikes.t", 0], events[:, 0])
    assert net["nothing", 0] is None


def test_recorders_refuse_expressions():
    net = Network()
    NeuronGroup(3, net, behavior={1: LeakyCounter(), 9: Recorder(variables=["torch.mean(n.v)"])})
    with pytest.raises(ParameterError, match=r"Recorder\.variables: expected an attribute path"):
        net.initialize(info=False)


def test_tensor_helpers_take_pymonntorch_arguments():
    net = Network(seed=0)
    group = NeuronGroup(1000, net)
    syn = SynapseGroup(net, src=group, dst=group, tag="Proximal")
    assert group.vector("normal(mean=5, std=3)").mean().item() == pytest.approx(5, abs=0.3)
    assert group.vector("ones", scale=2.0).sum().item() == 2000
    assert 0.05 < group.vector("ones", density=0.1).mean().item() < 0.15
    assert syn.matrix("zeros()").shape == (1000, 1000)
    assert group.tensor(mode="ones", dim=(2, 3)).shape == (2, 3)
    assert group.def_dtype == torch.float32
    assert group.tags == ["NeuronGroup_1", "NeuronGroup", "ng"]
    assert "NeuronGroup_1 => NeuronGroup_1" in syn.tags


def test_behaviors_added_after_initialize_are_initialized_and_scheduled():
    net = Network()
    group = NeuronGroup(4, net, behavior={1: LeakyCounter()})
    net.initialize(info=False)
    net.simulate_iterations(2, measure_block_time=False)
    group.add_behavior(5, Recorder(variables="count", tag="late"))
    net.simulate_iterations(3, measure_block_time=False)
    assert net["late", 0].variables["count"].shape == (3, 4)
    with pytest.raises(ConexError, match="priority 5 of Recorder is already taken by Recorder"):
        group.add_behavior(5, Recorder(variables="count"))


def test_prioritize_behaviors_refuses_two_behaviors_at_one_priority():
    from conex import prioritize_behaviors
    from conex.behaviors.synapses import SimpleDendriticInput, SynapseInit

    assert list(prioritize_behaviors([SynapseInit(), SimpleDendriticInput()])) == [2, 180]
    with pytest.raises(ConexError, match="SimpleDendriticInput and SimpleDendriticInput both run at priority 180"):
        prioritize_behaviors([SimpleDendriticInput(), SimpleDendriticInput()])


def test_the_dialect_is_chosen_explicitly(monkeypatch):
    from conex.behaviors import SimpleSTDP as ConexSTDP
    from conex.nn import priority

    monkeypatch.setenv("CONEX_DIALECT", "main")
    assert dialect() == "main"
    from conex.behaviors.synapses import SimpleSTDP

    assert SimpleSTDP is ConexSTDP  # main branch: conex's own class
    assert priority.SYNAPSE_PRIORITIES["SimpleSTDP"] == 500
    assert dialect("0.1.5") == "0.1.5"
    from conex.behaviors.synapses import SimpleSTDP as STDPv015

    assert issubclass(STDPv015, ConexSTDP)
    assert priority.SYNAPSE_PRIORITIES["SimpleSTDP"] == 400
    assert "PreTrace" not in priority.SYNAPSE_PRIORITIES
    with pytest.raises(ParameterError, match=r"dialect\.name: expected one of 'main', '0\.1\.5', got '0\.2'"):
        dialect("0.2")


def test_conex_s_priorities_for_noise_and_activity_homeostasis():
    from conex import prioritize_behaviors
    from conex.behaviors.neurons import ActivityBaseHomeostasis, InherentNoise, VoltageBaseHomeostasis

    placed = prioritize_behaviors(
        [InherentNoise(), ActivityBaseHomeostasis(2, 10, 0.1), VoltageBaseHomeostasis(target_voltage=0)]
    )
    assert sorted(placed) == [280, 301, 341]


def test_coNeX_validation_accepts_what_the_reference_documents():
    from conex.behaviors.neurons import LIF
    from conex.behaviors.synapses import WeightInitializer

    assert LIF(R=5, threshold=0.0, tau=10, v_reset=0.0, v_rest=0.0).threshold == 0.0
    assert WeightInitializer(mode="random", kernel_shape=(4, 1, 5, 5)).weight_shape == (4, 1, 5, 5)
    assert WeightInitializer(mode="normal(mean=5, std=3)").mode == "normal(mean=5, std=3)"
    with pytest.raises(ParameterError, match="kernel_shape: expected a Conv2d kernel"):
        WeightInitializer(mode="random", kernel_shape=(4, 5, 5))


def test_coNeX_s_lif_starts_at_zero_and_fires_where_zero_reaches_threshold():
    from conex.behaviors.neurons import LIF

    net = Network()
    group = NeuronGroup(3, net, behavior={260: LIF(R=1, threshold=0.0, tau=10, v_reset=0.0, v_rest=0.0)})
    net.initialize(info=False)
    assert torch.equal(group.v, torch.zeros(3))
    assert bool(group.spikes.all())
    net.reset()
    assert bool(group.spikes.all())


def test_save_and_build_a_layer_through_json(tmp_path):
    from conex import (
        CorticalLayer,
        Neocortex,
        create_structure_from_dict,
        load_structure_dict_from_json,
        prioritize_behaviors,
        replicate,
        save_structure,
        save_structure_dict_to_json,
    )
    from conex.behaviors.neurons import LIF, NeuronAxon

    net = Neocortex()
    exc = NeuronGroup(5, net, behavior=prioritize_behaviors([LIF(2.0, 1.0, 10.0, 0.0, 0.0), NeuronAxon()]))
    inh = NeuronGroup(2, net, behavior=prioritize_behaviors([LIF(3.0, 1.0, 10.0, 0.0, 0.0)]), tag="inh")
    layer = CorticalLayer(net, excitatory_neurongroup=exc, inhibitory_neurongroup=inh)
    path = tmp_path / "layer.json"
    save_structure_dict_to_json(save_structure(layer, save_structure_tag=True), path)
    save_structure_dict_to_json(save_structure(layer, save_structure_tag=True), path)  # written anew
    copy = create_structure_from_dict(net, load_structure_dict_from_json(path))
    twin, _ = replicate(copy, net)
    assert [g.size for g in (copy.exc_pop, copy.inh_pop, twin.exc_pop)] == [5, 2, 5]
    assert copy.inh_pop.behavior[260].R == 3.0
    assert copy.exc_pop.behavior[260] is not exc.behavior[260]
