"""The schedule, initialization order, seeding, tags and requirement checks."""

import subprocess
import sys

import pytest
import torch

from conex import Behavior, ConexError, Network, NeuronGroup, Phase, SynapseGroup, param
from conex import network as network_module


class Say(Behavior):
    """Appends its word to a shared log at initialize and at each step."""

    word: str = param(positional=True)

    def initialize(self, host):
        host.network.log.append("init:" + self.word)

    def forward(self, host):
        host.network.log.append(self.word)


class Late(Say):
    initialize_last = True


def logged_network(**kwargs):
    net = Network(**kwargs)
    net.log = []
    return net


def test_order_is_by_priority_across_objects_with_ties_in_insertion_order():
    net = logged_network(behavior={5: Say("n")})
    a = NeuronGroup(2, net, behavior={10: Say("a"), 1: Say("A")}, tag="a")
    b = NeuronGroup(2, net, behavior={10: Say("b")}, tag="b")
    SynapseGroup(net, a, b, behavior={5: Say("s")})
    net.initialize()
    net.log.clear()
    net.simulate_iterations(2)
    assert "".join(net.log) == "AnsabAnsab"


def test_initialize_last_runs_after_all_others_in_schedule_order():
    net = logged_network()
    NeuronGroup(1, net, behavior={1: Late("x"), 2: Say("y"), 3: Late("z"), 4: Say("w")})
    net.initialize()
    assert net.log == ["init:y", "init:w", "init:x", "init:z"]
    net.log.clear()
    net.simulate_iteration()
    assert net.log == ["x", "y", "z", "w"]


def test_a_list_places_behaviors_at_their_class_priority():
    class First(Say):
        priority = Phase.SYNAPSE_INIT

    class Then(Say):
        priority = Phase.LEARNING

    net = logged_network()
    NeuronGroup(1, net, behavior=[Then("t"), First("f")])
    net.initialize()
    net.log.clear()
    net.simulate_iteration()
    assert net.log == ["f", "t"]


def test_disabled_behaviors_are_skipped():
    net = logged_network()
    g = NeuronGroup(1, net, behavior={1: Say("a"), 2: Say("b")})
    net.initialize()
    g.behavior[1].behavior_enabled = False
    net.log.clear()
    net.simulate_iterations(2)
    assert net.log == ["b", "b"]
    assert "no" in str(net.scheduling_summary()).splitlines()[2]


def test_scheduling_summary_lists_priority_object_behavior():
    net = logged_network()
    g = NeuronGroup(1, net, behavior={7: Say("a")}, tag="exc")
    SynapseGroup(net, g, g, behavior={3: Late("b")}, tag="Proximal")
    rows = net.scheduling_summary().rows()
    assert rows == [("3", "synapse exc=>exc", "Late", "yes, init last"), ("7", "neuron group exc", "Say", "yes")]
    text = str(net.scheduling_summary())
    assert text.splitlines()[0].split() == ["priority", "object", "behavior", "enabled"]


def test_iteration_counts_from_one_inside_the_first_step():
    seen = []

    class Clock(Behavior):
        def forward(self, host):
            seen.append(host.network.iteration)

    net = Network()
    NeuronGroup(1, net, behavior={1: Clock()})
    net.initialize()
    net.simulate_iterations(3)
    net.simulate(2, progress=False)
    assert seen == [1, 2, 3, 4, 5]
    assert net.iteration == 5


def test_list_without_default_priority_is_an_error():
    net = Network()
    with pytest.raises(
        ConexError, match=r"^neuron group g: Say has no default priority; pass behaviors as a \{priority"
    ):
        NeuronGroup(1, net, behavior=[Say("a")], tag="g")


def test_two_behaviors_at_one_priority_in_a_list_is_an_error():
    class Twice(Say):
        priority = 5

    with pytest.raises(ConexError, match=r"neuron group g: priority 5 of Twice is already taken by Twice"):
        NeuronGroup(1, Network(), behavior=[Twice("a"), Twice("b")], tag="g")


def test_non_behaviors_are_refused():
    with pytest.raises(TypeError, match=r"behavior at priority 1 must be a conex Behavior, got 'x'"):
        NeuronGroup(1, Network(), behavior={1: "x"})


def test_one_instance_on_two_objects_is_an_error():
    net = Network()
    shared = Say("a")
    NeuronGroup(1, net, behavior={1: shared}, tag="a")
    NeuronGroup(1, net, behavior={1: shared}, tag="b")
    with pytest.raises(ConexError, match=r"attached to both neuron group a and neuron group b"):
        net.initialize()


def test_requirements_are_checked_at_initialize_with_the_provider_named(monkeypatch):
    class NeedsTrace(Behavior):
        requires = ("post_trace",)

    class MakesTrace(Behavior):
        provides = ("post_trace",)

    from conex import registry

    fake = registry.Registry([registry.BehaviorEntry("MakesTrace", MakesTrace, "test", None)], [])
    monkeypatch.setattr(registry, "get_registry", lambda: fake)
    net = Network()
    a = NeuronGroup(1, net, tag="input")
    b = NeuronGroup(1, net, tag="exc")
    SynapseGroup(net, a, b, behavior={500: NeedsTrace()})
    with pytest.raises(ConexError) as info:
        net.initialize()
    assert str(info.value) == "NeedsTrace on synapse input=>exc needs post_trace, which MakesTrace provides"


def test_dotted_requirements_name_the_object_they_are_looked_up_on(monkeypatch):
    class NeedsAxon(Behavior):
        requires = ("src.axon",)

    from conex import registry

    monkeypatch.setattr(registry, "get_registry", lambda: registry.Registry([], []))
    net = Network()
    a = NeuronGroup(1, net, tag="input")
    SynapseGroup(net, a, a, behavior={1: NeedsAxon()})
    with pytest.raises(ConexError) as info:
        net.initialize()
    assert str(info.value) == (
        "NeedsAxon on synapse input=>input needs src.axon (on neuron group input), "
        "which no registered behavior provides"
    )


def test_lifecycle_errors():
    net = Network()
    with pytest.raises(ConexError, match="not initialized"):
        net.simulate_iteration()
    net.initialize()
    with pytest.raises(ConexError, match="already initialized"):
        net.initialize()
    with pytest.raises(ConexError, match="cannot add neuron group late"):
        NeuronGroup(1, net, tag="late")
    with pytest.raises(ConexError, match=r"iterations: expected an int >= 0, got -1"):
        net.simulate_iterations(-1)


class Trial(Say):
    """Logs its word at reset too."""

    def reset(self, host):
        host.network.log.append("reset:" + self.word)


class LateTrial(Trial):
    initialize_last = True


def test_reset_resets_every_behavior_in_initialization_order_and_leaves_iteration_and_generator():
    net = logged_network(seed=3, behavior={1: LateTrial("late")})
    group = NeuronGroup(2, net, behavior={10: Trial("b"), 2: Trial("a"), 5: Say("silent")}, tag="g")
    with pytest.raises(ConexError, match=r"^network is not initialized: call net.initialize\(\) first$"):
        net.reset()
    net.initialize()
    group.behavior[10].behavior_enabled = False  # disabled behaviors are reset too
    net.simulate_iterations(2)
    iteration, generator = net.iteration, net.generator.get_state()
    net.log.clear()
    net.reset()
    assert net.log == ["reset:a", "reset:b", "reset:late"]
    assert net.iteration == iteration
    assert torch.equal(net.generator.get_state(), generator)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"dt": 0}, ConexError, "Network.dt: expected a float > 0 (ms), got 0"),
        ({"dt": "1"}, ConexError, "Network.dt: expected a float > 0 (ms), got '1'"),
        ({"dtype": torch.int32}, TypeError, "Network.dtype: expected a floating torch.dtype, got torch.int32"),
    ],
)
def test_bad_network_arguments(kwargs, error, message):
    with pytest.raises(error) as info:
        Network(**kwargs)
    assert str(info.value) == message
    assert (info.value.owner, info.value.parameter) == ("Network", next(iter(kwargs)))


@pytest.mark.parametrize(
    ("size", "message"),
    [
        (0, "NeuronGroup.size: expected positive sizes, got 0"),
        ((2, 3), "NeuronGroup.size: expected an int or (depth, height, width), got (2, 3)"),
        (True, "NeuronGroup.size: expected an int or (depth, height, width), got True"),
        ((1, 0, 2), "NeuronGroup.size: expected positive sizes, got (1, 0, 2)"),
    ],
)
def test_bad_group_sizes(size, message):
    with pytest.raises((ConexError, TypeError)) as info:
        NeuronGroup(size, Network())
    assert str(info.value) == message


def test_group_geometry_and_tag_lookup():
    net = Network(tag="net")
    exc = NeuronGroup((4, 3, 2), net, tag="exc, L4")
    inp = NeuronGroup(5, net, tag="input")
    syn = SynapseGroup(net, inp, exc, tag="Proximal")
    assert (exc.size, exc.depth, exc.height, exc.width) == (24, 4, 3, 2)
    assert (inp.depth, inp.height, inp.width) == (1, 1, 5)
    assert (syn.src_shape, syn.dst_shape) == ((1, 1, 5), (4, 3, 2))
    assert net["L4"] == [exc]
    assert net.group("Proximal") is syn
    assert exc.afferent_synapses["Proximal"] == [syn]
    assert inp.efferent_synapses["All"] == [syn]
    assert net.NeuronGroups == [exc, inp]
    with pytest.raises(KeyError, match="found 0"):
        net.group("missing")


def test_tensors_follow_the_network_device_and_dtype():
    net = Network(dtype=torch.float64, seed=3)
    g = NeuronGroup(4, net)
    syn = SynapseGroup(net, g, g)
    assert g.vector().dtype == torch.float64
    assert syn.matrix("ones").shape == (4, 4)
    assert torch.equal(syn.matrix(0.5), torch.full((4, 4), 0.5, dtype=torch.float64))
    assert g.vector(dtype=torch.long).dtype == torch.long


def _run(seed):
    net = Network(seed=seed)
    g = NeuronGroup(100, net)
    net.initialize()
    return torch.stack([g.vector("uniform") for _ in range(3)])


def test_the_same_seed_gives_bit_identical_draws_and_another_seed_does_not():
    assert torch.equal(_run(7), _run(7))
    assert not torch.equal(_run(7), _run(8))


def test_seeded_networks_leave_the_global_rng_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    _run(1)
    assert torch.equal(torch.rand(3), expected)


def test_the_core_runs_custom_behaviors_without_importing_conex_std():
    code = (
        "import sys\n"
        "from conex import Behavior, Network, NeuronGroup\n"
        "class Count(Behavior):\n"
        "    def initialize(self, g): g.n = 0\n"
        "    def forward(self, g): g.n += 1\n"
        "net = Network(seed=1)\n"
        "g = NeuronGroup(3, net, behavior={1: Count()})\n"
        "net.initialize(); net.simulate_iterations(4)\n"
        "assert g.n == 4\n"
        "print(sorted(m for m in sys.modules if m.startswith('conex_std')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_constant_is_a_cached_0d_tensor_of_the_network_dtype_and_passes_tensors_through():
    net = Network(dtype=torch.float64)
    half = net.constant(0.5)
    assert half.shape == ()
    assert half.dtype == torch.float64
    assert half.item() == 0.5
    assert net.constant(0.5) is half  # cached: no new tensor per call
    assert net.constant(1) is not half
    assert net.constant(1).item() == 1.0
    per_neuron = torch.ones(3)
    assert net.constant(per_neuron) is per_neuron


def test_constant_results_equal_python_number_arithmetic_bit_for_bit():
    net = Network()
    v = torch.linspace(-70, -50, 101)
    for x in (0.95, -65.0 * 0.05, 1 / 3):
        assert torch.equal(v * net.constant(x), v * x)
        assert torch.equal(v + net.constant(x), v + x)


def test_constant_cache_starts_again_instead_of_growing_without_bound():
    net = Network()
    for i in range(network_module.MAX_CONSTANTS + 5):
        assert net.constant(float(i)).item() == float(i)
    assert len(net._constants) <= network_module.MAX_CONSTANTS
