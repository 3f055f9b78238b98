"""Network-level behaviors: time resolution, payoff and dopamine, against values computed here."""

import pytest
import torch

from conex import ConexError, Network, NeuronGroup, ParameterError, ParameterTypeError
from conex.behaviors import LIF, Dopamine, Payoff, TimeResolution


def test_time_resolution_sets_dt_used_by_the_dynamics():
    net = Network(dt=1.0, dtype=torch.float64, behavior=[TimeResolution(dt=0.25)])
    group = NeuronGroup(2, net, behavior=[LIF(tau=5.0, R=2.0, v_rest=-65.0, threshold=0.0)], tag="exc")
    net.initialize()
    assert net.dt == 0.25
    group.I = torch.tensor([1.0, 3.0], dtype=torch.float64)
    net.simulate_iteration()
    expected = [-65.0 + (2.0 * 1.0) * 0.25 / 5.0, -65.0 + (2.0 * 3.0) * 0.25 / 5.0]
    torch.testing.assert_close(group.v, torch.tensor(expected, dtype=torch.float64))


def reward_at(iteration):
    return 1.0 if iteration % 4 == 0 else -0.25


def reward_schedule(network):
    return reward_at(network.iteration)


def test_dopamine_integrates_the_payoff_of_a_function():
    tau = 3.0
    net = Network(behavior=[Payoff(initial_payoff=0.5, function=reward_schedule), Dopamine(tau_dopamine=tau)])
    net.initialize()
    concentration = 0.5  # starts at the initial payoff
    assert net.payoff == 0.5
    assert net.dopamine_concentration == concentration
    for iteration in range(1, 30):
        net.simulate_iteration()
        concentration = concentration - concentration / tau + reward_at(iteration)
        assert net.payoff == reward_at(iteration)
        assert net.dopamine_concentration == pytest.approx(concentration, abs=1e-12)


def test_payoff_set_from_outside_and_an_explicit_initial_concentration():
    net = Network(behavior=[Payoff(), Dopamine(tau_dopamine=10.0, initial_dopamine_concentration=2.0)])
    net.initialize()
    assert net.payoff == 0.0
    concentration = 2.0
    for reward in [0.0, 1.0, 1.0, -2.0, 0.0]:
        net.payoff = reward
        net.simulate_iteration()
        concentration = concentration - concentration / 10.0 + reward
        assert net.dopamine_concentration == pytest.approx(concentration, abs=1e-12)
        assert net.payoff == reward  # without a function, the payoff stays as set


def test_payoff_subclass_as_in_conex():
    class Punish(Payoff):
        def forward(self, network):
            network.payoff = -float(network.iteration)

    net = Network(behavior={100: Punish(), 120: Dopamine(tau_dopamine=1.0)})
    net.initialize()
    net.simulate_iterations(3)
    # tau = 1 forgets everything each step: the concentration is the latest payoff
    assert net.dopamine_concentration == -3.0


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: Dopamine(tau_dopamine=0.0), ParameterError, ["Dopamine.tau_dopamine", "> 0", "0.0"]),
        (lambda: Dopamine(), TypeError, ["tau_dopamine"]),
        (lambda: TimeResolution(dt=0), ParameterError, ["TimeResolution.dt", "> 0"]),
        (lambda: TimeResolution(dt=-1.0), ParameterError, ["TimeResolution.dt", "-1.0"]),
        (lambda: Payoff(function=3), ParameterTypeError, ["Payoff.function", "callable", "3"]),
        (lambda: Payoff(initial_payoff="big"), ParameterTypeError, ["Payoff.initial_payoff", "big"]),
    ],
)
def test_bad_parameters(make, error, words):
    with pytest.raises(error) as info:
        make()
    for word in words:
        assert word in str(info.value)


def test_dopamine_without_payoff_names_the_provider():
    net = Network(behavior=[Dopamine(tau_dopamine=5.0)])
    with pytest.raises(ConexError, match=r"Dopamine on network: needs network\.payoff, which Payoff provides"):
        net.initialize()


@pytest.mark.parametrize("behavior", [TimeResolution(dt=0.5), Payoff(), Dopamine(tau_dopamine=2.0)])
def test_network_behaviors_refuse_a_group_host(behavior):
    net = Network()
    NeuronGroup(2, net, behavior={1: behavior}, tag="exc")
    with pytest.raises(ConexError, match=rf"{type(behavior).__name__} on neuron group exc: attach it to the Network"):
        net.initialize()
