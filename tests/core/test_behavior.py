"""Declared parameters: construction-time validation, introspection, repr, plain subclasses."""

import pytest
import torch

from conex import (
    Behavior,
    ConexError,
    Network,
    NeuronGroup,
    ParameterError,
    ParameterTypeError,
    Phase,
    between,
    ge,
    gt,
    one_of,
    param,
)
from conex.errors import bad_parameter


class Trace(Behavior):
    """A trace with a time constant."""

    priority = Phase.PRE_TRACE
    tau_s: float = param(positional=True, check=gt(0), unit="ms", doc="time constant")
    spike_scale: float = param(1.0, doc="increment per spike")
    mode: str = param("add", check=one_of("add", "set"), doc="how spikes enter")
    count: int = param(3, check=ge(1))
    frac: float | None = param(None, check=between(0, 1, low_open=True))

    def validate(self):
        if self.mode == "set" and self.spike_scale != 1.0:
            raise self.bad_parameter("spike_scale", self.spike_scale, "1.0 when mode='set'")


def test_positional_and_keyword_only():
    t = Trace(20, spike_scale=2)
    assert (t.tau_s, t.spike_scale) == (20.0, 2.0)
    with pytest.raises(TypeError):
        Trace(20, 2.0)  # spike_scale is keyword-only, as in CoNeX


def test_ints_become_floats_where_a_float_is_declared():
    t = Trace(5)
    assert isinstance(t.tau_s, float)
    assert isinstance(t.count, int)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tau_s": 0}, "Trace.tau_s: expected a float > 0, got 0.0"),
        ({"tau_s": -1.5}, "Trace.tau_s: expected a float > 0, got -1.5"),
        ({"tau_s": float("nan")}, "Trace.tau_s: expected a number, not NaN, got nan"),
        ({"tau_s": 1, "mode": "mul"}, "Trace.mode: expected a string one of 'add', 'set', got 'mul'"),
        ({"tau_s": 1, "count": 0}, "Trace.count: expected an int >= 1, got 0"),
        ({"tau_s": 1, "frac": 0.0}, "Trace.frac: expected a float in (0, 1], got 0.0"),
        ({"tau_s": 1, "mode": "set", "spike_scale": 2}, "Trace.spike_scale: expected 1.0 when mode='set', got 2.0"),
    ],
)
def test_bad_values_raise_parameter_error_naming_behavior_parameter_value(kwargs, message):
    with pytest.raises(ParameterError) as info:
        Trace(**kwargs)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tau_s": "abc"}, "Trace.tau_s: expected a float, got 'abc'"),
        ({"tau_s": True}, "Trace.tau_s: expected a float, got True"),
        ({"tau_s": 1, "count": 2.5}, "Trace.count: expected an int, got 2.5"),
        ({"tau_s": 1, "frac": "x"}, "Trace.frac: expected a float or None, got 'x'"),
    ],
)
def test_wrong_types_raise_type_error(kwargs, message):
    with pytest.raises(ParameterTypeError) as info:
        Trace(**kwargs)
    assert str(info.value) == message
    assert isinstance(info.value, TypeError)


def test_parameters_are_introspectable():
    specs = {p.name: p for p in Trace.describe_parameters()}
    assert list(specs) == ["tau_s", "spike_scale", "mode", "count", "frac"]
    assert specs["tau_s"].required
    assert (specs["tau_s"].unit, specs["tau_s"].doc, specs["tau_s"].expected) == ("ms", "time constant", "> 0")
    assert specs["spike_scale"].default == 1.0
    assert specs["frac"].type == "float | None"
    assert specs["tau_s"].as_dict()["default"] is None


def test_repr_shows_parameters():
    assert repr(Trace(2.0)) == "Trace(tau_s=2.0, spike_scale=1.0, mode='add', count=3, frac=None)"


def test_behavior_is_a_module_with_identity_equality():
    a, b = Trace(1.0), Trace(1.0)
    assert isinstance(a, torch.nn.Module)
    assert a != b
    assert len({a, b}) == 2
    assert a.behavior_enabled


def test_a_plain_subclass_needs_no_decorator():
    class Counter(Behavior):
        def initialize(self, host):
            host.n = 0

        def forward(self, host):
            host.n += 1

    counter = Counter()
    assert counter.describe_parameters() == ()
    assert repr(counter) == "Counter()"


def test_a_subclass_with_its_own_init_keeps_it():
    class Legacy(Behavior):
        def __init__(self, rate):
            super().__init__()
            self.rate = rate

    assert Legacy(3).rate == 3
    assert Legacy(3).behavior_enabled


def test_subclasses_inherit_and_extend_parameters():
    class Eligible(Trace):
        tau_c: float = param(positional=True, check=gt(0))

    e = Eligible(2.0, 100.0, count=4)
    assert (e.tau_s, e.tau_c, e.count) == (2.0, 100.0, 4)
    with pytest.raises(ParameterError, match=r"Eligible\.tau_c: expected a float > 0, got 0\.0"):
        Eligible(2.0, 0)


def test_bad_parameter_carries_the_parameter_and_says_it_in_one_line():
    exc = bad_parameter("PreTrace", "tau_s", 0.5, ">= dt = 1.0 ms")
    assert isinstance(exc, ParameterError)
    assert isinstance(exc, ConexError)
    assert isinstance(exc, ValueError)
    assert str(exc) == "PreTrace.tau_s: expected >= dt = 1.0 ms, got 0.5"
    assert (exc.owner, exc.parameter, exc.value, exc.expected, exc.where) == (
        "PreTrace",
        "tau_s",
        0.5,
        ">= dt = 1.0 ms",
        None,
    )


def test_bad_parameter_names_the_host_when_given_where():
    exc = bad_parameter("PreTrace", "tau_s", 0.5, ">= dt = 1.0 ms", where="synapse input=>exc")
    assert str(exc) == "PreTrace.tau_s on synapse input=>exc: expected >= dt = 1.0 ms, got 0.5"
    assert exc.where == "synapse input=>exc"


def test_bad_parameter_of_the_wrong_type_is_a_type_error():
    exc = bad_parameter("Payoff", "function", 3, "a callable", wrong_type=True)
    assert isinstance(exc, ParameterTypeError)
    assert isinstance(exc, TypeError)
    assert not isinstance(exc, ValueError)
    assert str(exc) == "Payoff.function: expected a callable, got 3"
    assert (exc.owner, exc.parameter, exc.value, exc.expected, exc.where) == (
        "Payoff",
        "function",
        3,
        "a callable",
        None,
    )


def test_declared_checks_raise_errors_that_carry_the_parameter():
    with pytest.raises(ParameterError) as info:
        Trace(1, count=0)
    assert (info.value.owner, info.value.parameter, info.value.value, info.value.expected, info.value.where) == (
        "Trace",
        "count",
        0,
        "an int >= 1",
        None,
    )
    with pytest.raises(ParameterTypeError) as info:
        Trace("abc")
    assert (info.value.owner, info.value.parameter, info.value.expected) == ("Trace", "tau_s", "a float")


class Window(Behavior):
    """Refuses, at initialize, a window longer than its group."""

    size: int = param(3, check=ge(1))

    def initialize(self, neurons):
        if self.size > neurons.size:
            raise self.bad_parameter("size", self.size, f"<= {neurons.size} (the group's size)", host=neurons)


def test_the_method_form_names_the_behavior_and_its_host():
    net = Network()
    NeuronGroup(2, net, behavior={1: Window(size=5)}, tag="exc")
    with pytest.raises(ParameterError) as info:
        net.initialize()
    assert str(info.value) == "Window.size on neuron group exc: expected <= 2 (the group's size), got 5"
    assert (info.value.owner, info.value.parameter, info.value.value, info.value.where) == (
        "Window",
        "size",
        5,
        "neuron group exc",
    )
    exc = Window().bad_parameter("size", "big", "an int", wrong_type=True)
    assert isinstance(exc, ParameterTypeError)
    assert str(exc) == "Window.size: expected an int, got 'big'"


def test_a_subclass_resolves_its_own_type_hints():
    class Base(Behavior):
        rate: float = param(1.0)

    assert Base(rate=2).rate == 2.0  # resolves and keeps Base's hints

    class Child(Base):
        count: int = param(2)

    with pytest.raises(ParameterTypeError, match=r"^Child\.count: expected an int, got 'x'$"):
        Child(count="x")
    with pytest.raises(ParameterTypeError, match=r"^Child\.rate: expected a float, got 'x'$"):
        Child(rate="x")
    assert [p.name for p in Base.describe_parameters()] == ["rate"]
    assert [p.type for p in Child.describe_parameters()] == ["float", "int"]


class Limits(Behavior):
    """Parameters declared with the robustness options."""

    tau: float = param(10.0, check=gt(0), time_constant=True, unit="ms", doc="a decay in ms")
    tau_steps: float = param(5.0, check=gt(0), time_constant=True, unit="iterations", doc="a decay per iteration")
    limit: float = param(1.0, finite=False, doc="inf means no limit")
    bound: object = param(None, signature=("w", "w_min", "w_max"), doc="f(w, w_min, w_max)")


def limits_network(dt=1.0, dtype=torch.float32, **kwargs):
    net = Network(dt=dt, dtype=dtype)
    NeuronGroup(2, net, tag="g", behavior={1: Limits(**kwargs)})
    return net


def test_infinity_is_refused_unless_the_parameter_opts_in():
    with pytest.raises(ParameterError, match=r"^Limits.tau: expected a finite number, got inf$"):
        Limits(tau=float("inf"))
    with pytest.raises(ParameterError, match=r"^Limits.tau: expected a finite number, got -inf$"):
        Limits(tau=-float("inf"))
    assert Limits(limit=float("inf")).limit == float("inf")
    with pytest.raises(ParameterError, match="not NaN"):
        Limits(limit=float("nan"))


@pytest.mark.parametrize(
    ("dt", "kwargs", "message"),
    [
        (
            1.0,
            {"tau": 0.5},
            "Limits.tau on neuron group g: expected >= dt = 1.0 ms (a shorter one oscillates), got 0.5",
        ),
        (
            0.1,
            {"tau": 0.05},
            "Limits.tau on neuron group g: expected >= dt = 0.1 ms (a shorter one oscillates), got 0.05",
        ),
        (
            0.1,
            {"tau_steps": 0.5},
            "Limits.tau_steps on neuron group g: expected >= 1 iteration (a shorter one oscillates: its decay per "
            "step 1 - 1/tau must not be negative), got 0.5",
        ),
    ],
)
def test_time_constants_are_checked_against_the_step_at_initialize(dt, kwargs, message):
    net = limits_network(dt=dt, **kwargs)
    with pytest.raises(ParameterError) as info:
        net.initialize()
    assert str(info.value) == message
    assert net.iteration == 0


def test_a_time_constant_equal_to_the_step_is_accepted():
    limits_network(dt=2.0, tau=2.0, tau_steps=1.0).initialize()


def test_values_beyond_the_network_dtype_are_refused_at_initialize():
    net = limits_network(tau=3.5e38)
    with pytest.raises(ParameterError) as info:
        net.initialize()
    assert str(info.value) == (
        "Limits.tau on neuron group g: expected a value the network's dtype holds (|value| <= 3.40282e+38 in "
        "float32), got 3.5e+38"
    )
    limits_network(tau=3.5e38, dtype=torch.float64).initialize()  # float64 holds it
    limits_network(limit=float("inf")).initialize()  # an opted-in infinity is no overflow


def test_a_callable_must_take_the_declared_arguments():
    def two(w, w_min):
        return w

    with pytest.raises(ParameterTypeError) as info:
        Limits(bound=two)
    assert str(info.value).startswith("Limits.bound: expected a function f(w, w_min, w_max) (too many positional")
    assert "got 'test_a_callable_must_take_the_declared_arguments.<locals>.two(w, w_min)'" in str(info.value)
    assert Limits(bound=lambda w, *limits: w).bound is not None
    assert Limits(bound=max).bound is max  # a builtin without a signature is taken as it is


def test_describe_says_what_the_declarations_ask():
    expected = {p.name: p.expected for p in Limits.describe_parameters()}
    assert expected == {
        "tau": "> 0, >= dt (a time constant)",
        "tau_steps": "> 0, >= 1 iteration (a time constant)",
        "limit": None,
        "bound": "callable as f(w, w_min, w_max)",
    }


@pytest.mark.parametrize(
    ("tensor", "spikes", "error", "message"),
    [
        (torch.tensor([1.0, float("nan")]), False, ParameterError, "a float32 tensor with 1 NaN or infinite value"),
        (torch.tensor([1, 0], dtype=torch.bool), False, ParameterTypeError, "a bool tensor"),
        (torch.ones(2, dtype=torch.complex64), False, ParameterTypeError, "a complex64 tensor"),
        (torch.tensor([0.0, 0.5]), True, ParameterError, "a float32 tensor with values other than 0 and 1"),
        (
            torch.sparse_coo_tensor([[0], [1]], [float("inf")], (2, 2), check_invariants=False),
            False,
            ParameterError,
            "1 NaN or infinite",
        ),
    ],
)
def test_check_tensor_refuses_what_the_parameter_cannot_mean(tensor, spikes, error, message):
    with pytest.raises(error) as info:
        Limits().check_tensor("weights", tensor, spikes=spikes)
    assert str(info.value).startswith("Limits.weights: expected ")
    assert message in str(info.value)


def test_check_tensor_passes_what_it_accepts():
    for tensor, spikes in [(torch.ones(3), False), (torch.arange(3), False), (torch.tensor([0, 1]), True)]:
        assert Limits().check_tensor("x", tensor, spikes=spikes) is tensor
