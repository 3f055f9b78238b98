"""The step loop: what it runs each iteration, and the flush_denormal option."""

import pytest
import torch

from conex import Behavior, Network, NeuronGroup


class Halve(Behavior):
    """Halves ``group.x`` (float32) each iteration and counts its calls."""

    priority = 10

    def initialize(self, group):
        group.x = torch.tensor([1e-37, 1.0], dtype=torch.float32)
        self.calls = 0

    def forward(self, group):
        group.x.mul_(0.5)
        self.calls += 1


class Idle(Behavior):
    """Sets state at initialize and does nothing per iteration (like SynapseInit)."""

    priority = 20

    def initialize(self, group):
        group.ready = True


def flushing() -> bool:
    return bool(torch.tensor(1e-39, dtype=torch.float32).mul(1.0) == 0)


@pytest.mark.parametrize("flush", [False, True])
def test_flush_denormal_zeroes_subnormals_while_simulating_and_restores_the_mode(flush):
    net = Network(flush_denormal=flush)
    group = NeuronGroup(2, net, behavior=[Halve()])
    net.initialize()
    net.simulate_iterations(10)  # 1e-37 / 1024 ~ 9.8e-41: subnormal in float32
    tiny, one = group.x.tolist()
    assert one == 2.0**-10
    if flush:
        assert tiny == 0.0
    else:
        assert 0.0 < tiny < 1.2e-38
        assert tiny == pytest.approx(1e-37 / 1024, rel=1e-3)
    assert not flushing()


def test_flush_denormal_must_be_a_bool():
    with pytest.raises(TypeError, match=r"^Network\.flush_denormal: expected a bool, got 'yes'$"):
        Network(flush_denormal="yes")


def test_behaviors_without_a_forward_are_left_out_of_the_step_loop_and_disabling_still_works():
    net = Network()
    halve, idle = Halve(), Idle()
    group = NeuronGroup(2, net, behavior=[halve, idle])
    net.initialize()
    assert [behavior for behavior, _, _ in net._steps] == [halve]
    assert group.ready
    assert [type(e.behavior).__name__ for e in net.scheduling_summary()] == ["Halve", "Idle"]
    net.simulate_iterations(3)
    halve.behavior_enabled = False
    net.simulate_iterations(2)
    assert halve.calls == 3
    assert net.iteration == 5
