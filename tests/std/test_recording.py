"""Recorders: contents against values read by hand each step, and the bound on their memory."""

import numpy as np
import pytest
import torch

from conex import ConexError, Network, NeuronGroup, ParameterError, ParameterTypeError
from conex.behaviors import LIF, Dopamine, EventRecorder, Fire, Payoff, Recorder, SpikeTrainInput


def driven_lif(recorder, size=4, seed=0):
    """A LIF group with ``recorder`` attached and a function that advances it on random input."""
    net = Network(seed=seed)
    group = NeuronGroup(size, net, behavior=[LIF(tau=4.0), Fire(), recorder], tag="exc")
    net.initialize()
    rng = np.random.default_rng(seed)

    def step():
        group.I = torch.tensor(rng.uniform(0.0, 30.0, size), dtype=torch.float32)
        net.simulate_iteration()
        return group.v.clone(), group.spikes.clone()

    return group, step


def test_recorder_keeps_every_sample_in_order():
    recorder = Recorder(("v", "spikes"), max_steps=100)
    _, step = driven_lif(recorder)
    seen = [step() for _ in range(30)]
    assert recorder.n_recorded == 30
    assert torch.equal(recorder.iterations, torch.arange(1, 31))
    assert torch.equal(recorder.data("v"), torch.stack([v for v, _ in seen]))
    assert torch.equal(recorder.data("spikes"), torch.stack([s for _, s in seen]))
    assert recorder.data("spikes").dtype == torch.bool
    assert recorder.data("spikes").any()


def test_recorder_every_k_iterations():
    recorder = Recorder("v", every=3, max_steps=50)
    _, step = driven_lif(recorder)
    seen = [step()[0] for _ in range(20)]
    assert torch.equal(recorder.iterations, torch.tensor([3, 6, 9, 12, 15, 18]))
    assert torch.equal(recorder.data("v"), torch.stack(seen[2::3]))


def test_recorder_memory_is_bounded_and_keeps_the_latest():
    recorder = Recorder(("v", "spikes"), max_steps=7)
    _, step = driven_lif(recorder)
    storage = {name: ring.storage for name, ring in recorder._rings.items()}
    pointers = {name: t.data_ptr() for name, t in storage.items()}
    seen = [step() for _ in range(70)]  # ten times what the buffer holds
    for name, tensor in storage.items():
        assert recorder._rings[name].storage is tensor
        assert tensor.data_ptr() == pointers[name]
        assert tensor.shape == (7, 4)
    assert recorder.n_recorded == 7
    assert torch.equal(recorder.iterations, torch.arange(64, 71))
    assert torch.equal(recorder.data("v"), torch.stack([v for v, _ in seen[-7:]]))
    assert torch.equal(recorder.data("spikes"), torch.stack([s for _, s in seen[-7:]]))


def test_recorder_on_the_network_and_dotted_paths():
    recorder = Recorder(("dopamine_concentration", "payoff", "iteration"), max_steps=10)
    payoff = Payoff(function=lambda n: float(n.iteration % 3))
    net = Network(behavior={100: payoff, 120: Dopamine(tau_dopamine=2.0), 1000: recorder})
    group = NeuronGroup(3, net, behavior={1000: Recorder("network.iteration", max_steps=4)}, tag="exc")
    net.initialize()
    expected, concentration = [], 0.0
    for iteration in range(1, 9):
        net.simulate_iteration()
        concentration = concentration - concentration / 2.0 + iteration % 3
        expected.append(concentration)
    assert recorder.data("dopamine_concentration").dtype == torch.float32
    torch.testing.assert_close(recorder.data("dopamine_concentration"), torch.tensor(expected))
    assert torch.equal(recorder.data("payoff"), torch.tensor([1.0, 2, 0, 1, 2, 0, 1, 2]))
    assert torch.equal(recorder.data("iteration"), torch.arange(1, 9))
    assert torch.equal(group.behavior[1000].data("network.iteration"), torch.arange(5, 9))


def test_clear_forgets_and_recording_goes_on():
    recorder = Recorder("v", max_steps=5)
    _, step = driven_lif(recorder)
    for _ in range(8):
        step()
    recorder.clear()
    assert recorder.n_recorded == 0
    assert recorder.data("v").shape == (0, 4)
    v, _ = step()
    assert torch.equal(recorder.iterations, torch.tensor([9]))
    assert torch.equal(recorder.data("v"), v[None])


def spike_train_events(train):
    """The (iteration, index) events of a (T, N) boolean array, iteration-major then by index."""
    steps, index = np.nonzero(train)
    return torch.tensor(np.stack([steps + 1, index], axis=1), dtype=torch.int64)


def replay(train, recorder, shape=None):
    net = Network()
    NeuronGroup(shape or train.shape[1], net, behavior=[SpikeTrainInput(torch.tensor(train)), recorder], tag="in")
    net.initialize()
    net.simulate_iterations(train.shape[0])


def test_event_recorder_lists_spikes_as_iteration_index_pairs():
    train = np.random.default_rng(2).random((40, 13)) < 0.2
    recorder = EventRecorder(max_events=10_000)
    replay(train, recorder, shape=(1, 1, 13))
    assert torch.equal(recorder.data("spikes"), spike_train_events(train))


def test_event_recorder_is_bounded_and_keeps_the_latest_events():
    train = np.random.default_rng(3).random((50, 13)) < 0.4
    recorder = EventRecorder("spikes", max_events=11)
    replay(train, recorder)
    assert recorder._rings["spikes"].storage.shape == (11, 2)
    assert torch.equal(recorder.data("spikes"), spike_train_events(train)[-11:])


def test_event_recorder_step_with_more_events_than_room():
    train = np.zeros((3, 8), dtype=bool)
    train[0, [1, 2]] = True
    train[2, :] = True  # eight events into a buffer of five
    recorder = EventRecorder("spikes", max_events=5)
    replay(train, recorder)
    assert torch.equal(recorder.data("spikes"), spike_train_events(train)[-5:])


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: Recorder(()), ParameterError, ["Recorder.variables"]),
        (lambda: Recorder(("v", "v")), ParameterError, ["Recorder.variables", "distinct"]),
        (lambda: Recorder(("v", "")), ParameterError, ["Recorder.variables"]),
        (lambda: Recorder(3), ParameterTypeError, ["Recorder.variables", "3"]),
        (lambda: Recorder("v", every=0), ParameterError, ["Recorder.every", ">= 1", "0"]),
        (lambda: Recorder("v", max_steps=0), ParameterError, ["Recorder.max_steps", ">= 1"]),
        (lambda: EventRecorder(max_events=0), ParameterError, ["EventRecorder.max_events", ">= 1"]),
        (lambda: EventRecorder([1]), ParameterTypeError, ["EventRecorder.variables"]),
    ],
)
def test_bad_parameters(make, error, words):
    with pytest.raises(error) as info:
        make()
    for word in words:
        assert word in str(info.value)


def test_missing_or_unrecordable_variables_are_named_at_initialize():
    net = Network()
    NeuronGroup(3, net, behavior=[LIF(), Recorder(("v", "voltage"))], tag="exc")
    with pytest.raises(ConexError, match=r"Recorder on neuron group exc: has no variable 'voltage' to record"):
        net.initialize()
    net = Network()
    NeuronGroup(3, net, behavior=[EventRecorder("tags")], tag="inh")
    with pytest.raises(ConexError, match=r"EventRecorder on neuron group inh: cannot record events of 'tags'"):
        net.initialize()


def test_a_variable_that_changes_shape_is_an_error_not_a_broadcast():
    recorder = Recorder("I", max_steps=3)
    group, step = driven_lif(recorder)
    step()
    group.I = torch.ones(1)
    with pytest.raises(ConexError, match=r"variable 'I' changed shape from \(4,\) to \(1,\)"):
        group.network.simulate_iteration()


def test_unknown_name_in_data():
    recorder = Recorder("v")
    driven_lif(recorder)
    with pytest.raises(KeyError, match="records v, not 'spikes'"):
        recorder.data("spikes")
