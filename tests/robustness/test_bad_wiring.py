"""Wiring mistakes that used to run silently (or fail late): each is a ConexError at initialize, before the first step.

Each case builds a small network ``inp -> exc`` with one mistake and asserts the error class, that the
message names the synapse, the group and the tag or attribute at fault and what to add, and that the
network did not step. The positive cases at the end keep today's accepted spellings and setups working.
"""

import pytest
import torch

from conex import ConexError, Network, NeuronGroup, SynapseGroup
from conex.behaviors import (
    LIF,
    Conv2dDendriticInput,
    Dopamine,
    Fire,
    LateralDendriticInput,
    NeuronAxon,
    One2OneDendriticInput,
    One2OneRSTDP,
    Payoff,
    PoissonInput,
    PostSpikeCatcher,
    PostTrace,
    PreSpikeCatcher,
    PreTrace,
    SimpleDendriteComputation,
    SimpleDendriteStructure,
    SimpleDendriticInput,
    SimpleRSTDP,
    SimpleSTDP,
    SparseDendriticInput,
    SynapseInit,
    WeightInitializer,
)
from conex.errors import ParameterError

SYN = "synapse inp=>exc"
EXC = "neuron group exc"


def neurons(structure=None, computation=None, axon=True):
    behaviors = [
        structure or SimpleDendriteStructure(),
        computation or SimpleDendriteComputation(),
        LIF(tau=10.0, threshold=-55.0, v_reset=-70.0, v_rest=-65.0, init_v=-65.0),
        Fire(),
    ]
    return behaviors + ([NeuronAxon()] if axon else [])


def plastic(rule):
    return [PreSpikeCatcher(), PostSpikeCatcher(), PreTrace(tau_s=10.0), PostTrace(tau_s=10.0), rule]


def dense(*more, mode="ones"):
    return [SynapseInit(), WeightInitializer(mode=mode), SimpleDendriticInput(), PreSpikeCatcher(), *more]


def network(
    tag="Proximal",
    synapse=None,
    dst=None,
    net_behaviors=(),
    src_axon=True,
    size=4,
    dst_size=3,
    lateral=False,
    src_tag="inp",
):
    net = Network(dt=1.0, seed=0, behavior=list(net_behaviors))
    readers = [SimpleDendriteStructure(), SimpleDendriteComputation()] if lateral else []
    src_behaviors = [PoissonInput(intensity=0.5, scale=1000.0), *readers] + ([NeuronAxon()] if src_axon else [])
    inp = NeuronGroup(size, net, tag=src_tag, behavior=src_behaviors)
    exc = inp if lateral else NeuronGroup(dst_size, net, tag="exc", behavior=dst if dst is not None else neurons())
    SynapseGroup(net, inp, exc, tag=tag, behavior=synapse if synapse is not None else dense())
    return net


def firing():
    """A destination that fires at random (500 Hz) and reads Proximal input: its synapses learn."""
    return [
        SimpleDendriteStructure(),
        SimpleDendriteComputation(),
        PoissonInput(intensity=0.5, scale=1000.0),
        NeuronAxon(),
    ]


def rstdp_synapse(rule):
    return [SynapseInit(), WeightInitializer(mode="uniform(0, 0.5)"), SimpleDendriticInput(), *plastic(rule)]


WITH_DISTAL = SimpleDendriteComputation(distal_provocativeness=0.5)
# (id, build the network, error class, texts the message contains)
CASES = [
    (
        "tag/lowercase-proximal",
        lambda: network("proximal"),
        ConexError,
        [SYN, "'proximal'", EXC, "did you mean Proximal? (tags are case-sensitive)"],
    ),
    (
        "tag/typo-Proximall",
        lambda: network("Proximall"),
        ConexError,
        [SYN, "'Proximall'", EXC, "did you mean Proximal?"],
    ),
    ("tag/uppercase-PROXIMAL", lambda: network("PROXIMAL"), ConexError, [SYN, "'PROXIMAL'", "did you mean Proximal?"]),
    (
        "tag/lowercase-distal-with-distal-read",
        lambda: network("distal", dst=neurons(computation=SimpleDendriteComputation(distal_provocativeness=0.5))),
        ConexError,
        [SYN, "'distal'", EXC, "did you mean Distal?"],
    ),
    (
        "tag/no-tag-at-all",
        lambda: network(None),
        ConexError,
        [SYN, "tags (none)", EXC, "reads synapses tagged Proximal", "add Proximal to the synapse's tag"],
    ),
    ("tag/only-a-name-tag", lambda: network("inp_to_exc"), ConexError, [SYN, "'inp_to_exc'", "add Proximal"]),
    (
        "tag/apical-but-apical-ignored",
        lambda: network("Apical"),
        ConexError,
        [SYN, "'Apical'", "SimpleDendriteComputation ignores it (apical_provocativeness is None)", EXC],
    ),
    (
        "tag/distal-but-distal-ignored",
        lambda: network("Distal"),
        ConexError,
        [SYN, "'Distal'", "distal_provocativeness is None", "reads synapses tagged Proximal"],
    ),
    (
        "tag/sparse-input-wrong-case",
        lambda: network(
            "proximal",
            synapse=[
                SynapseInit(),
                WeightInitializer(mode="ones", density=0.5),
                SparseDendriticInput(),
                PreSpikeCatcher(),
            ],
        ),
        ConexError,
        ["SparseDendriticInput on synapse inp=>exc", "did you mean Proximal?"],
    ),
    (
        "tag/one2one-input-typo",
        lambda: network(
            "Proximl",
            dst_size=4,
            synapse=[
                SynapseInit(),
                WeightInitializer(mode="ones", weight_shape=(4,)),
                One2OneDendriticInput(),
                PreSpikeCatcher(),
            ],
        ),
        ConexError,
        ["One2OneDendriticInput", SYN, "did you mean Proximal?"],
    ),
    (
        "tag/conv2d-input-lowercase",
        lambda: network(
            "proximal",
            size=(1, 4, 4),
            dst_size=(2, 3, 3),
            synapse=[
                SynapseInit(),
                WeightInitializer(mode="ones", kernel_shape=(2, 1, 2, 2)),
                Conv2dDendriticInput(),
                PreSpikeCatcher(),
            ],
        ),
        ConexError,
        ["Conv2dDendriticInput", SYN, "did you mean Proximal?"],
    ),
    (
        "tag/lateral-input-wrong-case",
        lambda: network(
            "apical",
            lateral=True,
            size=(1, 3, 3),
            synapse=[
                SynapseInit(),
                WeightInitializer(mode="ones", weight_shape=(1, 1, 1, 3, 3)),
                LateralDendriticInput(),
                PreSpikeCatcher(),
            ],
        ),
        ConexError,
        ["LateralDendriticInput on synapse inp=>inp", "'apical'", "neuron group inp"],
    ),
    (
        "tag/inhibitory-tag-on-the-synapse",
        lambda: network("Proximal, inh"),
        ConexError,
        [SYN, "tagged 'inh' but its input is excitatory", "tag neuron group inp 'inh'"],
    ),
    (
        "tag/GABA-tag-on-the-synapse",
        lambda: network("GABA, Proximal"),
        ConexError,
        [SYN, "tagged 'GABA'", "tag neuron group inp 'GABA'"],
    ),
    (
        "dopamine/rstdp-without-dopamine",
        lambda: network(synapse=rstdp_synapse(SimpleRSTDP(0.01, 0.01, 10.0))),
        ConexError,
        [
            "SimpleRSTDP on synapse inp=>exc",
            "network.dopamine_concentration",
            "never change",
            "add Payoff and Dopamine(tau_dopamine=...)",
            "[network.Dopamine]",
            "external_dopamine=True",
        ],
    ),
    (
        "dopamine/rstdp-with-payoff-only",
        lambda: network(synapse=rstdp_synapse(SimpleRSTDP(0.01, 0.01, 10.0)), net_behaviors=[Payoff()]),
        ConexError,
        ["SimpleRSTDP on synapse inp=>exc", "add Payoff and Dopamine"],
    ),
    (
        "dopamine/one2one-rstdp-without-dopamine",
        lambda: network(
            dst_size=4,
            synapse=[
                SynapseInit(),
                WeightInitializer(mode="ones", weight_shape=(4,)),
                One2OneDendriticInput(),
                *plastic(One2OneRSTDP(0.01, 0.01, 10.0)),
            ],
        ),
        ConexError,
        ["One2OneRSTDP on synapse inp=>exc", "Dopamine"],
    ),
    (
        "requires/dopamine-without-payoff",
        lambda: network(net_behaviors=[Dopamine(tau_dopamine=10.0)]),
        ConexError,
        ["Dopamine", "payoff", "add a Payoff"],
    ),
    (
        "requires/stdp-without-traces",
        lambda: network(
            synapse=[
                SynapseInit(),
                WeightInitializer(mode="ones"),
                SimpleDendriticInput(),
                PreSpikeCatcher(),
                PostSpikeCatcher(),
                SimpleSTDP(0.01, 0.01),
            ]
        ),
        ConexError,
        ["SimpleSTDP on synapse inp=>exc", "pre_trace", "PreTrace"],
    ),
    (
        "requires/stdp-without-post-spikes",
        lambda: network(
            synapse=[
                SynapseInit(),
                WeightInitializer(mode="ones"),
                SimpleDendriticInput(),
                PreSpikeCatcher(),
                PreTrace(10.0),
                SimpleSTDP(0.01, 0.01),
            ]
        ),
        ConexError,
        ["SimpleSTDP on synapse inp=>exc", "post_spike", "PostSpikeCatcher"],
    ),
    (
        "requires/spike-catcher-without-source-axon",
        lambda: network(src_axon=False),
        ConexError,
        ["PreSpikeCatcher on synapse inp=>exc", "src neuron group inp has no axon", "add NeuronAxon"],
    ),
    (
        "requires/computation-without-structure",
        lambda: network(dst=[SimpleDendriteComputation(), LIF(tau=10.0), Fire()]),
        ConexError,
        ["SimpleDendriteComputation on neuron group exc", "I_proximal", "SimpleDendriteStructure"],
    ),
    (
        "dendrite/switched-off-but-tagged",
        lambda: network(dst=neurons(structure=SimpleDendriteStructure(Proximal_max_delay=0))),
        ParameterError,
        ["SimpleDendriteStructure.Proximal_max_delay", EXC, "synapse inp=>exc is tagged Proximal"],
    ),
]


@pytest.mark.parametrize(("build", "error", "texts"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_wiring_mistake_is_an_error_at_initialize(build, error, texts):
    net = build()
    with pytest.raises(error) as info:
        net.initialize()
    assert isinstance(info.value, ConexError)
    message = str(info.value)
    for text in texts:
        assert text in message, f"{text!r} not in {message!r}"
    assert (net.iteration, net.initialized) == (0, False)


def test_the_table_covers_each_kind_of_mistake():
    kinds = [case[0].split("/")[0] for case in CASES]
    assert len(CASES) >= 12
    assert {k: kinds.count(k) for k in dict.fromkeys(kinds)} == {"tag": 14, "dopamine": 3, "requires": 5, "dendrite": 1}


# -- what keeps working ---------------------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["Proximal", "exc_in, Proximal", " Proximal ", "Proximal,Distal"])
def test_the_accepted_spellings_still_reach_the_neurons(tag):
    net = network(tag, synapse=dense(mode="ones"), dst=neurons(computation=WITH_DISTAL))
    net.initialize()
    net.simulate_iterations(5)
    assert float(net.neuron_groups[1].I_proximal.abs().sum()) > 0


def test_distal_and_apical_inputs_are_accepted_when_the_computation_reads_them():
    computation = SimpleDendriteComputation(distal_provocativeness=0.5, apical_provocativeness=0.3)
    for tag in ("Distal", "Apical"):
        net = network(
            tag,
            dst=neurons(
                computation=SimpleDendriteComputation(
                    distal_provocativeness=computation.distal_provocativeness,
                    apical_provocativeness=computation.apical_provocativeness,
                )
            ),
        )
        net.initialize()
        net.simulate_iterations(3)
        assert float(getattr(net.neuron_groups[1], f"I_{tag.lower()}").abs().sum()) > 0


def test_a_destination_without_declared_readers_is_not_checked():
    """A harness (or an undeclared plugin reader) that reads synapse.I itself: no tag rule applies."""
    net = network("anything", dst=[])
    net.initialize()
    net.simulate_iterations(3)
    assert net.synapse_groups[0].I.shape == (3,)


def test_rstdp_with_a_dopamine_behavior_learns():
    net = network(
        synapse=rstdp_synapse(SimpleRSTDP(0.05, 0.01, 10.0)),
        dst=firing(),
        net_behaviors=[Payoff(initial_payoff=1.0), Dopamine(tau_dopamine=10.0)],
    )
    net.initialize()
    before = net.synapse_groups[0].weights.clone()
    net.simulate_iterations(30)
    assert not torch.equal(net.synapse_groups[0].weights, before)


def test_rstdp_with_external_dopamine_learns_from_the_users_loop():
    net = network(synapse=rstdp_synapse(SimpleRSTDP(0.05, 0.01, 10.0, external_dopamine=True)), dst=firing())
    net.initialize()
    syn = net.synapse_groups[0]
    before = syn.weights.clone()
    for step in range(30):
        net.dopamine_concentration = 1.0 if step % 5 == 0 else 0.0
        net.simulate_iteration()
    assert not torch.equal(syn.weights, before)


def test_a_rule_driven_by_hand_outside_the_schedule_is_not_checked():
    """Unit tests (and users) may call rule.initialize(synapse) on a synapse the rule is not attached to."""
    net = network(synapse=dense(PostSpikeCatcher(), PreTrace(10.0), PostTrace(10.0)))
    net.initialize()
    rule = SimpleRSTDP(0.05, 0.01, 10.0)
    rule.initialize(net.synapse_groups[0])
    assert net.synapse_groups[0].c.shape == net.synapse_groups[0].weights.shape


@pytest.mark.parametrize("src_tag", ["inh", "GABA, exc"], ids=["inh-source", "GABA-source"])
def test_an_inhibitory_synapse_tag_is_fine_on_an_inhibitory_source(src_tag):
    net = network("Proximal, inh", src_tag=src_tag)
    net.initialize()
    net.simulate_iterations(3)
    assert net.synapse_groups[0].behavior[180].current_type == -1.0
