"""Checkpoints capture the whole state, are written atomically, and resume bit for bit."""

import os

import pytest
import torch

from conex import Behavior, ConexError, Network, NeuronGroup, SynapseGroup
from conex.checkpoint import capture_state, load_checkpoint, restore_state, save_checkpoint


class Walk(Behavior):
    """Random walk with a ring buffer kept in the behavior, and a shared tensor on the host."""

    def initialize(self, g):
        g.x = g.vector("normal")
        self.history = torch.zeros(3, g.size)
        self.position = 0

    def forward(self, g):
        g.x += g.vector("normal(0, 0.1)")
        self.history[self.position] = g.x
        self.position = (self.position + 1) % 3


class Hebb(Behavior):
    def initialize(self, s):
        s.weights = s.matrix("uniform")

    def forward(self, s):
        s.weights += 0.01 * torch.outer(s.src.x, s.dst.x)


def build(seed=5):
    net = Network(seed=seed)
    a = NeuronGroup(6, net, behavior={1: Walk()}, tag="a")
    b = NeuronGroup(4, net, behavior={1: Walk()}, tag="b")
    SynapseGroup(net, a, b, behavior={2: Hebb()})
    net.initialize()
    return net


def test_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path):
    straight = build()
    straight.simulate_iterations(40)

    first = build()
    first.simulate_iterations(17)
    save_checkpoint(tmp_path / "ck.pt", first)
    del first
    second = build(seed=999)  # a different seed: everything random must come from the checkpoint
    restore_state(second, load_checkpoint(tmp_path / "ck.pt")["state"])
    assert second.iteration == 17
    second.simulate_iterations(23)

    assert torch.equal(second.synapse_groups[0].weights, straight.synapse_groups[0].weights)
    assert torch.equal(second.neuron_groups[1].x, straight.neuron_groups[1].x)
    assert torch.equal(second.neuron_groups[0].behavior[1].history, straight.neuron_groups[0].behavior[1].history)
    assert second.neuron_groups[0].behavior[1].position == straight.neuron_groups[0].behavior[1].position


def test_restoring_copies_in_place_so_shared_tensors_stay_shared(tmp_path):
    net = build()
    weights = net.synapse_groups[0].weights
    state = capture_state(net)
    net.simulate_iterations(3)
    restore_state(net, state)
    assert net.synapse_groups[0].weights is weights
    assert torch.equal(weights, state["objects"][3]["weights"])


def test_extra_data_travels_with_the_checkpoint(tmp_path):
    net = build()
    save_checkpoint(tmp_path / "ck.pt", net, config="[network]\n", plugins={"std": "0.1.0"})
    payload = load_checkpoint(tmp_path / "ck.pt")
    assert payload["config"] == "[network]\n"
    assert payload["plugins"] == {"std": "0.1.0"}


def test_a_failed_write_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    net = build()
    path = save_checkpoint(tmp_path / "ck.pt", net)
    before = path.read_bytes()
    net.simulate_iterations(2)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, net)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ck.pt"]


def test_mismatched_networks_are_refused():
    net = build()
    state = capture_state(net)
    other = Network(seed=1)
    NeuronGroup(3, other, behavior={1: Walk()})
    other.initialize()
    with pytest.raises(ConexError, match="checkpoint has 4 objects, the network 2"):
        restore_state(other, state)
    with pytest.raises(ConexError, match="not initialized"):
        capture_state(Network())


class Pending(Behavior):
    """Input pending in a dict of tensors, as a dendrite's delay buffers are, and a registered buffer."""

    def initialize(self, g):
        self.pending = {"soon": g.vector(), "later": g.vector()}
        self.register_buffer("count", torch.zeros(()))

    def forward(self, g):
        self.pending["soon"].copy_(self.pending["later"])
        self.pending["later"].normal_(generator=g.network.generator)
        self.count += 1


def test_dicts_of_tensors_and_registered_buffers_are_restored_in_place():
    net = Network(seed=3)
    NeuronGroup(4, net, behavior={1: Pending()})
    net.initialize()
    pending = net.neuron_groups[0].behavior[1]
    soon, count = pending.pending["soon"], pending.count
    net.simulate_iterations(2)
    state = capture_state(net)
    net.simulate_iterations(3)
    expected = pending.pending["soon"].clone(), pending.count.clone()
    restore_state(net, state)
    assert pending.pending["soon"] is soon
    assert pending.count is count
    assert int(count) == 2
    net.simulate_iterations(3)
    assert torch.equal(pending.pending["soon"], expected[0])
    assert torch.equal(pending.count, expected[1])
