"""Network files: building from TOML and errors that point at the place in the file."""

import pytest
import torch

from conex import Behavior, Phase, gt, param
from conex.config import ConfigError, build_network, parse_config
from conex.registry import BehaviorEntry, Registry


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


REGISTRY = Registry(
    [BehaviorEntry(c.__name__, c, "test", None) for c in (Leak, Learn, NoDefault)],
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
            "synapses.input_exc.Learn.a_plsu: Learn has no parameter 'a_plsu'; parameters: a_plus",
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
            "groups.exc.slow: priority 260 is already taken by Leak; set priority = <int>",
        ),
        (("priority = 261", 'priority = "late"'), 'groups.exc.slow.priority: expected an int, got "late"'),
        (("seed = 3", "seed = 3.5"), "network.seed: expected an int, got 3.5"),
        (("dt = 0.5", "dt = -1.0"), "network: Network dt: expected a float > 0 (ms), got -1.0"),
        (
            ("[groups.exc.Leak]", "[groups.exc.NoDefault]\n[groups.exc.x]\nbehavior='Leak'"),
            "groups.exc.NoDefault: NoDefault has no default priority; add priority = <int>",
        ),
        (("[network]", "[netwrk]"), "netwrk: unknown section; expected network, groups, synapses, run"),
        (
            ("flush_denormal = true", 'flush_denormal = "yes"'),
            "network: Network flush_denormal: expected a bool, got 'yes'",
        ),
    ],
)
def test_mistakes_are_reported_at_their_place(edit, message):
    old, new = edit
    assert old in GOOD
    with pytest.raises(ConfigError) as info:
        build(GOOD.replace(old, new, 1))
    assert str(info.value) == message


def test_toml_syntax_errors_name_the_file_and_line():
    with pytest.raises(ConfigError, match=r"^net.toml: .*line 2"):
        parse_config("[network]\ndt = = 1\n", source="net.toml")
