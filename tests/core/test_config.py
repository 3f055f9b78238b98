"""Network files: building from TOML and errors that point at the place in the file."""

import pytest
import torch

from conex import Behavior, ParameterError, Phase, ge, gt, param
from conex.config import ConfigError, build_network, parse_config
from conex.registry import BehaviorEntry, Registry, get_registry


class Leak(Behavior):
    """Test neuron behavior."""

    priority = Phase.NEURON_DYNAMICS
    tau: float = param(20.0, check=gt(0))
    scale: float = param(1.0)

    def initialize(self, g):
        g.v = g.vector(0.0)


class Learn(Behavior):
    """Test synapse behavior with a required positional parameter."""

    priority = Phase.LEARNING
    a_plus: float = param(positional=True, check=gt(0))


class NoDefault(Behavior):
    """No default priority."""


class Window(Behavior):
    """Refuses, at initialize, a window longer than its group."""

    priority = Phase.HOMEOSTASIS
    size: int = param(1, check=ge(1))

    def initialize(self, g):
        if self.size > g.size:
            raise self.bad_parameter("size", self.size, f"<= {g.size} (the group's size)", host=g)


REGISTRY = Registry(
    [BehaviorEntry(c.__name__, c, "test", None) for c in (Leak, Learn, NoDefault, Window)],
    [],
)

GOOD = """
[network]
dt = 0.5
seed = 3
flush_denormal = true

[groups.input]
size = [1, 2, 3]

[groups.exc]
size = 4
tag = "exc,L4"
[groups.exc.Leak]
tau = 10
[groups.exc.slow]
behavior = "Leak"
tau = 100.0
priority = 261

[synapses.input_exc]
src = "input"
dst = "exc"
tag = "Proximal"
[synapses.input_exc.Learn]
a_plus = 0.5
"""


def build(text):
    return build_network(parse_config(text), registry=REGISTRY)


def test_a_file_builds_the_network_it_describes():
    net = build(GOOD)
    assert net.dt == 0.5
    assert net.seed == 3
    assert net.flush_denormal is True
    inp, exc = net.neuron_groups
    assert (inp.shape, inp.tags) == ((1, 2, 3), ["input"])
    assert (exc.size, exc.tags) == (4, ["exc", "L4"])
    assert {p: (type(b).__name__, b.tau) for p, b in exc.behavior.items()} == {
        260: ("Leak", 10.0),
        261: ("Leak", 100.0),
    }
    (syn,) = net.synapse_groups
    assert (syn.src, syn.dst, syn.tags) == (inp, exc, ["Proximal"])
    assert syn.behavior[500].a_plus == 0.5


def test_cli_overrides_win_over_the_file():
    net = build_network(parse_config(GOOD), seed=9, device="cpu", registry=REGISTRY)
    assert net.seed == 9
    assert net.device == torch.device("cpu")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("a_plus = 0.5", 'a_plus = "abc"'), 'synapses.input_exc.Learn.a_plus: expected a float, got "abc"'),
        (("a_plus = 0.5", "a_plus = -1.0"), "synapses.input_exc.Learn.a_plus: expected a float > 0, got -1.0"),
        (
            ("a_plus = 0.5", "a_plsu = 0.5"),
            "synapses.input_exc.Learn.a_plsu: Learn has no parameter 'a_plsu' (did you mean a_plus?); "
            "parameters: a_plus",
        ),
        (("a_plus = 0.5", ""), "synapses.input_exc.Learn: missing required parameter a_plus of Learn"),
        (("[groups.exc.Leak]", "[groups.exc.Leek]"), "groups.exc.Leek: no behavior named 'Leek'; did you mean Leak?"),
        (
            ('src = "input"', 'src = "inpt"'),
            'synapses.input_exc.src: expected the key of a group (input, exc), got "inpt"',
        ),
        (("size = 4", "size = 0"), "groups.exc.size: expected a positive int or [depth, height, width], got 0"),
        (("size = 4", 'size = "4"'), 'groups.exc.size: expected a positive int or [depth, height, width], got "4"'),
        (
            ("priority = 261", "priority = 260"),
            "groups.exc.slow: priority 260 of Leak is already taken by Leak; set priority = <int>",
        ),
        (("priority = 261", 'priority = "late"'), 'groups.exc.slow.priority: expected an int, got "late"'),
        (("seed = 3", "seed = 3.5"), "network.seed: expected an int, got 3.5"),
        (("dt = 0.5", "dt = -1.0"), "network.dt: expected a float > 0 (ms), got -1.0"),
        (
            ("[groups.exc.Leak]", "[groups.exc.NoDefault]\n[groups.exc.x]\nbehavior='Leak'"),
            "groups.exc.NoDefault: NoDefault has no default priority; set priority = <int>",
        ),
        (
            ("[network]", "[netwrk]"),
            "netwrk: unknown section (did you mean network?); expected network, groups, synapses, run",
        ),
        (
            ("flush_denormal = true", 'flush_denormal = "yes"'),
            'network.flush_denormal: expected a bool, got "yes"',
        ),
        (
            ("dt = 0.5", "dtt = 0.5"),
            "network.dtt: unknown key (did you mean dt?), got 0.5; "
            "[network] takes check_finite, device, dt, dtype, flush_denormal, replicas, seed, tag, "
            "or a behavior's sub-table",
        ),
        (
            ('behavior = "Leak"', "behavior = 3"),
            "groups.exc.slow.behavior: expected a behavior's name (a string), got 3",
        ),
        (
            ('tag = "exc,L4"', "tag = 5"),
            'groups.exc.tag: expected a comma-separated string of tags (e.g. "exc,L4"), got 5',
        ),
    ],
)
def test_mistakes_are_reported_at_their_place(edit, message):
    old, new = edit
    assert old in GOOD
    with pytest.raises(ConfigError) as info:
        build(GOOD.replace(old, new, 1))
    assert str(info.value) == message


def test_with_a_source_every_error_starts_with_the_file():
    with pytest.raises(ConfigError, match=r"^net\.toml: groups\.exc\.size: expected a positive int"):
        build_network(parse_config(GOOD.replace("size = 4", "size = 0")), registry=REGISTRY, source="net.toml")
    with pytest.raises(ConfigError, match=r"^--device: expected a torch device"):  # not the file's: the override's
        build_network(parse_config(GOOD), registry=REGISTRY, device="nonsense", source="net.toml")


def test_toml_syntax_errors_name_the_file_and_line():
    with pytest.raises(ConfigError, match=r"^net.toml: .*line 2"):
        parse_config("[network]\ndt = = 1\n", source="net.toml")


WINDOWS = (
    GOOD
    + """
[groups.exc.short]
behavior = "Window"
size = 2
[groups.exc.long]
behavior = "Window"
size = 3
priority = 701
"""
)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("size = 3\npriority", "size = 9\npriority"), "groups.exc.long.size: expected <= 4 (the group's size), got 9"),
        (("size = 2", "size = 5"), "groups.exc.short.size: expected <= 4 (the group's size), got 5"),
    ],
)
def test_parameter_errors_at_initialize_point_at_the_field(edit, message):
    text = WINDOWS.replace(*edit, 1)
    with pytest.raises(ConfigError) as info:
        build_network(parse_config(text), registry=REGISTRY, initialize=True)
    assert str(info.value) == message
    net = build_network(parse_config(text), registry=REGISTRY)
    with pytest.raises(ParameterError, match=r"^Window\.size on neuron group exc: "):
        net.initialize()  # initialized by hand, the error is the behavior's own


def test_initialize_builds_and_initializes():
    net = build_network(parse_config(WINDOWS), registry=REGISTRY, initialize=True)
    assert net.initialized


# -- the standard behaviors -------------------------------------------------------------------------

STD = """
[network]
dt = 1.0

[groups.input]
size = 3
[groups.input.SpikeTrainInput]
spikes = [[true, false, true]]
[groups.input.NeuronAxon]

[groups.exc]
size = 4
[groups.exc.LIF]
threshold = -55.0
[groups.exc.KWTA]
k = 1
[groups.exc.Fire]
[groups.exc.SpikeTrace]
tau_s = 20.0
[groups.exc.InherentNoise]
mode = "normal(0, 1)"

[synapses.input_exc]
src = "input"
dst = "exc"
tag = "Proximal"
[synapses.input_exc.SynapseInit]
[synapses.input_exc.PreSpikeCatcher]
[synapses.input_exc.PreTrace]
tau_s = 10.0
"""

FILL_MODES = (
    "a number or a fill mode: zeros, ones, random/uniform[(low, high)], normal[(mean, std)], "
    "xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal, orthogonal"
)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("threshold = -55.0", 'threshold = "high"'), 'groups.exc.LIF.threshold: expected a float, got "high"'),
        (
            ("threshold = -55.0", "threshold = -80.0"),
            "groups.exc.LIF.threshold: expected a float > v_reset (-70.0), got -80.0",
        ),
        (("tau_s = 20.0", "tau_s = 0"), "groups.exc.SpikeTrace.tau_s: expected a float > 0, got 0"),
        (
            ('mode = "normal(0, 1)"', 'mode = "gauss"'),
            f'groups.exc.InherentNoise.mode: expected {FILL_MODES}, got "gauss"',
        ),
        (
            ('mode = "normal(0, 1)"', 'mode = "normal(1)"'),
            "groups.exc.InherentNoise.mode: expected 0 or 2 arguments for 'normal', got \"normal(1)\"",
        ),
        (("k = 1", "k = 10"), "groups.exc.KWTA.k: expected <= 4 (neurons in the group), got 10"),
        (
            ("tau_s = 10.0", "tau_s = 0.5"),
            "synapses.input_exc.PreTrace.tau_s: expected >= dt = 1.0 ms (a shorter one oscillates), got 0.5",
        ),
    ],
)
def test_standard_behaviors_errors_point_at_the_field(edit, message):
    old, new = edit
    assert STD.count(old) == 1
    text = STD.replace(old, new)
    with pytest.raises(ConfigError) as info:
        build_network(parse_config(text), registry=get_registry(), initialize=True)
    assert str(info.value) == message


def test_the_standard_network_initializes():
    assert build_network(parse_config(STD), registry=get_registry(), initialize=True).initialized
