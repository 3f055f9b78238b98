"""A small CoNeX network (the examples' shape) that runs on CoNeX 0.1.5 and on conex, for agreement tests.

``python agreement_net.py OUT FORM`` builds it, sets deterministic weights after initialize, seeds
torch's generator (which the Poisson encoder draws from), runs 100 iterations and saves every neuron
group's recorded spikes and every synapse group's weights to ``OUT`` (``torch.save``). ``FORM`` is
``0.1.5`` (learning rules read the neuron groups' traces; CoNeX 0.1.5 runs only this one) or ``main``
(spike catchers and synaptic traces; conex and CoNeX's main branch run it). On conex the one change is
the import of ``conex.pymonntorch`` instead of ``pymonntorch``, plus the dialect for the 0.1.5 form.
"""

import os
import sys

import torch
from torch.utils.data import DataLoader, Dataset

OUT, FORM = sys.argv[1], sys.argv[2]

try:
    from pymonntorch import NeuronDimension, NeuronGroup, Recorder, SynapseGroup  # CoNeX 0.1.5's peer
except ImportError:
    from conex.pymonntorch import NeuronDimension, NeuronGroup, Recorder, SynapseGroup, dialect

    dialect("main" if FORM == "main" else "0.1.5")

from conex import (  # noqa: E402 - after the dialect is chosen
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
    save_structure,
    save_structure_dict_to_json,
)
from conex.behaviors.neurons import (  # noqa: E402
    LIF,
    Fire,
    NeuronAxon,
    SimpleDendriteComputation,
    SimpleDendriteStructure,
    SpikeTrace,
)
from conex.behaviors.synapses import (  # noqa: E402
    Conv2dDendriticInput,
    Conv2dSTDP,
    SimpleDendriticInput,
    SimpleSTDP,
    SynapseInit,
    WeightInitializer,
)
from conex.helpers.transforms.encoders import Poisson  # noqa: E402

MAIN = FORM == "main"
if MAIN:
    from conex.behaviors.synapses import PostSpikeCatcher, PostTrace, PreSpikeCatcher, PreTrace
TAU = 10.0


class Digits(Dataset):
    """Eight deterministic 12x12 "images" in [0, 1], Poisson-encoded over 10 steps."""

    def __init__(self):
        generator = torch.Generator().manual_seed(3)
        self.images = torch.rand((8, 12, 12), generator=generator) ** 2
        self.encode = Poisson(time_window=10, ratio=0.6)

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return self.encode(self.images[i].clone()), i % 10


def neurons(net, size, tag=None):
    behaviors = [
        SimpleDendriteStructure(),
        SimpleDendriteComputation(),
        LIF(R=5.0, threshold=1.5, tau=10.0, v_reset=0.0, v_rest=0.0),
        Fire(),
        NeuronAxon(),
    ]
    if not MAIN:
        behaviors.append(SpikeTrace(tau_s=TAU))
    return NeuronGroup(net=net, size=size, tag=tag, behavior=prioritize_behaviors(behaviors))


def catchers(post=False):
    if not MAIN:
        return []
    if not post:
        return [PreSpikeCatcher()]
    return [PreSpikeCatcher(), PostSpikeCatcher(), PreTrace(tau_s=TAU), PostTrace(tau_s=TAU)]


def synapse(net, src, dst, tag):
    parts = [SynapseInit(), WeightInitializer(mode="random"), SimpleDendriticInput(current_coef=1), *catchers()]
    return SynapseGroup(net=net, src=src, dst=dst, tag=tag, behavior=prioritize_behaviors(parts))


net = Neocortex(dt=1)
loader = DataLoader(Digits(), batch_size=4)
inputs = InputLayer(
    net=net,
    input_dataloader=loader,
    sensory_size=NeuronDimension(depth=1, height=12, width=12),
    instance_duration=10,
    sensory_trace=None if MAIN else TAU,
    output_ports={"data_out": (None, [("sensory_pop", {})])},
)
exc = neurons(net, NeuronDimension(depth=4, height=8, width=8))
inh = neurons(net, 64, tag="inh")
l4 = CorticalLayer(
    net=net,
    excitatory_neurongroup=exc,
    inhibitory_neurongroup=inh,
    synapsegroups=[synapse(net, exc, inh, "Proximal"), synapse(net, inh, exc, "Proximal,inh")],
    input_ports={"input": (None, [Port(object=exc, label=None)])},
)
saved = save_structure(l4, save_device=True, save_structure_tag=True)
if os.path.exists(OUT + ".json"):
    os.remove(OUT + ".json")  # CoNeX appends to the file
save_structure_dict_to_json(saved, OUT + ".json")
l2_dict = load_structure_dict_from_json(OUT + ".json")
l2_dict["built_structures"][0]["behavior"] = [b for b in l2_dict["built_structures"][0]["behavior"] if b["key"] != 0]
l2_dict["built_structures"][0]["size"] = 30
l2_dict["built_structures"][1]["size"] = 10
l2 = create_structure_from_dict(net=net, structure_dict=l2_dict)
rule = [SynapseInit(), WeightInitializer(mode="random"), SimpleDendriticInput(current_coef=1)]
rule += [SimpleSTDP(a_plus=0.01, a_minus=0.002), *catchers(post=True)]
l4_l2 = CorticalLayerConnection(net=net, connections=[("exc_pop", "exc_pop", prioritize_behaviors(rule), "Proximal")])
column = CorticalColumn(
    net=net,
    layers={"l4": l4, "l2": l2},
    layer_connections=[("l4", "l2", l4_l2)],
    input_ports={"input": (None, [Port(object=l4, label="input")])},
)
conv = [SynapseInit(), WeightInitializer(mode="random", weight_shape=(4, 1, 5, 5), kernel_shape=(4, 1, 5, 5))]
conv += [Conv2dDendriticInput(current_coef=1), Conv2dSTDP(a_plus=0.01, a_minus=0.002), *catchers(post=True)]
Synapsis(
    net=net, src=inputs, dst=column, input_port="data_out", output_port="input",
    synapsis_behavior=prioritize_behaviors(conv), synaptic_tag="Proximal",
)  # fmt: skip

for group in net.NeuronGroups:
    group.add_behavior(1000, Recorder(variables=["spikes"], tag="spike_recorder"), initialize=False)
net.initialize(info=False)
initial = []
for index, group in enumerate(net.SynapseGroups):
    generator = torch.Generator().manual_seed(100 + index)
    weights = torch.rand(tuple(group.weights.shape), generator=generator) * (0.5 if group.weights.dim() == 4 else 0.3)
    group.weights.copy_(weights)
    initial.append(weights)
torch.manual_seed(7)
net.simulate_iterations(100, measure_block_time=False)
torch.save(
    {
        "spikes": [group["spike_recorder", 0].variables["spikes"].clone() for group in net.NeuronGroups],
        "weights": [group.weights.clone() for group in net.SynapseGroups],
        "initial": initial,
    },
    OUT,
)
