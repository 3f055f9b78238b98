"""CoNeX's MNIST example, main branch and 0.1.5, ported with only ``pymonntorch`` -> ``conex.pymonntorch``.

The networks are those of the CoNeX example (``Example/test/mnist.py``): a 5x5 convolution with STDP
from the sensory layer into layer 4, layer 2 built from layer 4 saved as JSON, layer 5 replicated from
layer 2, dense STDP between them, all in a cortical column fed by an input layer. The fake MNIST has
the data set's interface; the run is shortened to 20 iterations.
"""

import pytest
import torch
from torch.utils.data import DataLoader

from conex.pymonntorch import NeuronDimension, NeuronGroup, SynapseGroup
from tests.compat.fake_mnist import MNIST, Compose, ToTensor

ITERATIONS = 20


def build(tmp_path, main):
    from conex import (
        CorticalColumn,
        CorticalLayer,
        CorticalLayerConnection,
        InputLayer,
        Neocortex,
        Port,
        Synapsis,
        create_structure_from_dict,
        load_structure_dict_from_json,
        prioritize_behaviors,
        replicate,
        save_structure,
        save_structure_dict_to_json,
    )
    from conex.behaviors.neurons import LIF, NeuronAxon, SimpleDendriteComputation, SimpleDendriteStructure, SpikeTrace
    from conex.behaviors.synapses import (
        Conv2dDendriticInput,
        Conv2dSTDP,
        PostSpikeCatcher,
        PostTrace,
        PreSpikeCatcher,
        PreTrace,
        SimpleDendriticInput,
        SimpleSTDP,
        SynapseInit,
        WeightInitializer,
    )
    from conex.helpers.transforms.encoders import Poisson
    from conex.helpers.transforms.misc import SqueezeTransform

    def catch(post=False):
        if not main:
            return []
        return (
            [PreSpikeCatcher(), PostSpikeCatcher(), PreTrace(tau_s=10.0), PostTrace(tau_s=10.0)]
            if post
            else [PreSpikeCatcher()]
        )

    def population(size, tag=None):
        parts = [
            SimpleDendriteStructure(),
            SimpleDendriteComputation(),
            LIF(R=5.0, threshold=0.0, tau=10.0, v_reset=0.0, v_rest=0.0),
            NeuronAxon(),
        ]
        if not main:
            parts.append(SpikeTrace(tau_s=10.0))
        return NeuronGroup(net=net, size=size, tag=tag, behavior=prioritize_behaviors(parts))

    def proximal(src, dst, tag):
        parts = [SynapseInit(), WeightInitializer(mode="random"), SimpleDendriticInput(current_coef=1), *catch()]
        return SynapseGroup(net=net, src=src, dst=dst, tag=tag, behavior=prioritize_behaviors(parts))

    encode = Compose([ToTensor(), SqueezeTransform(dim=0), Poisson(time_window=30, ratio=5 / 30)])
    loader = DataLoader(MNIST(root="~/MNIST", train=True, download=True, transform=encode), batch_size=16)
    net = Neocortex(dt=1, device="cpu", dtype=torch.float32)
    input_layer = InputLayer(
        net=net,
        input_dataloader=loader,
        sensory_size=NeuronDimension(depth=1, height=28, width=28),
        instance_duration=30,
        sensory_trace=None if main else 2.7,
        output_ports={"data_out": (None, [("sensory_pop", {})])},
    )
    exc = population(NeuronDimension(depth=4, height=24, width=24))
    inh = population(576, tag="inh")
    layer_l4 = CorticalLayer(
        net=net,
        excitatory_neurongroup=exc,
        inhibitory_neurongroup=inh,
        synapsegroups=[
            proximal(exc, exc, "Proximal"),
            proximal(exc, inh, "Proximal"),
            proximal(inh, inh, "Proximal,inh"),
            proximal(inh, exc, "Proximal,inh"),
        ],
        input_ports={"input": (None, [Port(object=exc, label=None)])},
    )
    saved = save_structure(layer_l4, save_device=True, save_structure_tag=True)
    save_structure_dict_to_json(saved, tmp_path / "layer4.json")
    l2_dict = load_structure_dict_from_json(tmp_path / "layer4.json")
    l2_dict["output_ports"] = {"output": (None, [(0, None, None)])}
    exc_saved = l2_dict["built_structures"][0]
    exc_saved["behavior"] = [b for b in exc_saved["behavior"] if b["key"] != 0]
    exc_saved["size"], l2_dict["built_structures"][1]["size"] = 400, 100
    layer_l2 = create_structure_from_dict(net=net, structure_dict=l2_dict, built_structures=None)
    layer_l5, _ = replicate(layer_l2, net)
    learning = [SynapseInit(), WeightInitializer(mode="random"), SimpleDendriticInput(current_coef=1)]
    learning += [SimpleSTDP(a_plus=0.01, a_minus=0.002), *catch(post=True)]
    l4_l2 = CorticalLayerConnection(
        net=net,
        src=layer_l4,
        dst=layer_l2,
        connections=[("exc_pop", "exc_pop", prioritize_behaviors(learning), "Proximal")],
    )
    l2_l5, _ = replicate(l4_l2, net)
    l2_l5.connect_src(layer_l2)
    l2_l5.connect_dst(layer_l5)
    column = CorticalColumn(
        net=net,
        layers={"l4": layer_l4, "l2": layer_l2, "l5": layer_l5},
        layer_connections=[("l4", "l2", l4_l2), ("l2", "l5", l2_l5)],
        input_ports={"input": (None, [Port(object=layer_l4, label="input")])},
    )
    conv = [SynapseInit(), WeightInitializer(mode="random", weight_shape=(4, 1, 5, 5), kernel_shape=(4, 1, 5, 5))]
    conv += [Conv2dDendriticInput(current_coef=1), Conv2dSTDP(a_plus=0.01, a_minus=0.002), *catch(post=True)]
    Synapsis(
        net=net,
        src=input_layer,
        dst=column,
        input_port="data_out",
        output_port="input",
        synapsis_behavior=prioritize_behaviors(conv),
        synaptic_tag="Proximal",
    )
    return net, input_layer


@pytest.mark.parametrize("version", ["main", "0.1.5"])
def test_the_mnist_example_runs_to_the_end(tmp_path, monkeypatch, version):
    monkeypatch.setenv("CONEX_DIALECT", version)
    net, input_layer = build(tmp_path, main=version == "main")
    net.initialize(info=False)
    conv = net.SynapseGroups[-1]
    before = conv.weights.clone()
    net.simulate_iterations(ITERATIONS, measure_block_time=False)
    assert net.iteration == ITERATIONS
    assert len(net.NeuronGroups) == 7
    assert len(net.SynapseGroups) == 4 * 3 + 2 + 1
    assert [g.size for g in net.NeuronGroups] == [784, 2304, 576, 400, 100, 400, 100]
    assert conv.weights.shape == (4, 1, 5, 5)
    assert not torch.equal(conv.weights, before)  # the convolution learned
    assert input_layer.sensory_pop.spikes.dtype == torch.bool
    # CoNeX's LIF: v starts at 0 >= threshold 0, so every neuron spikes (no Fire behavior resets it)
    assert bool(net.NeuronGroups[1].spikes.all())
    # the learning rules run where the dialect's priority table puts them
    priorities = {type(b).__name__: p for p, b in conv.behavior.items()}
    assert priorities["Conv2dSTDP"] == (500 if version == "main" else 400)


def test_main_branch_code_without_its_dialect_is_an_error_naming_the_missing_behavior(tmp_path, monkeypatch):
    monkeypatch.setenv("CONEX_DIALECT", "main")
    net, _ = build(tmp_path, main=False)  # 0.1.5 code: no spike catchers
    with pytest.raises(ValueError, match="needs post_spike, which PostSpikeCatcher provides"):
        net.initialize(info=False)
