"""SpikeEventInput against SpikeTrainInput replaying the dense train of the same events."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conex import Network, NeuronGroup, ParameterError
from conex.behaviors import LIF, Fire, NeuronAxon, SpikeEventInput, SpikeTrainInput

SIZE, STEPS = 7, 40


def events(seed: int, count: int = 60, replicas: int = 0):
    """Random sorted events (steps, neurons[, replicas]) and their dense (STEPS, [R,] SIZE) train."""
    rng = np.random.default_rng(seed)
    steps = np.sort(rng.integers(0, STEPS - 5, count))
    neurons = rng.integers(0, SIZE, count)
    train = np.zeros((STEPS, replicas, SIZE) if replicas else (STEPS, SIZE), bool)
    if replicas:
        which = rng.integers(0, replicas, count)
        train[steps, which, neurons] = True
        return steps, neurons, which, train
    train[steps, neurons] = True
    return steps, neurons, None, train


def replay(behavior, replicas: int = 1, steps: int = STEPS, dt: float = 1.0) -> np.ndarray:
    """The group's spikes after every iteration, (steps, R, SIZE)."""
    net = Network(dt=dt, replicas=replicas)
    group = NeuronGroup(SIZE, net, behavior=[behavior, NeuronAxon()])
    net.initialize()
    out = []
    for _ in range(steps):
        net.simulate_iteration()
        out.append(group.spikes.reshape(replicas, SIZE).numpy().copy())
    return np.stack(out)


@pytest.mark.parametrize("unit", ["steps", "ms"])
def test_same_spikes_as_the_dense_train(unit):
    steps, neurons, _, train = events(0)
    dt = 0.5
    times = steps if unit == "steps" else steps * dt + 0.1  # ms times round to the nearest step
    got = replay(SpikeEventInput(times.tolist(), torch.as_tensor(neurons), unit=unit), dt=dt)
    want = replay(SpikeTrainInput(torch.as_tensor(train), loop=False), dt=dt)
    np.testing.assert_array_equal(got, want)
    assert got.sum() == len(set(zip(steps.tolist(), neurons.tolist(), strict=True)))


def test_shared_by_every_replica():
    steps, neurons, _, train = events(1)
    got = replay(SpikeEventInput(steps, neurons, unit="steps"), replicas=3)
    want = replay(SpikeTrainInput(torch.as_tensor(train), loop=False), replicas=3)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got[:, 0], got[:, 2])


def test_a_replica_column_gives_each_replica_its_events():
    steps, neurons, which, train = events(2, replicas=3)
    got = replay(SpikeEventInput(steps, neurons, replicas=which, unit="steps"), replicas=3)
    want = replay(SpikeTrainInput(torch.as_tensor(train), loop=False), replicas=3)
    np.testing.assert_array_equal(got, want)
    assert not np.array_equal(got[:, 0], got[:, 1])
    for r in range(3):  # replica r alone: the events of replica r in a one-replica network
        mine = which == r
        alone = replay(SpikeEventInput(steps[mine], neurons[mine], unit="steps"))
        np.testing.assert_array_equal(got[:, r], alone[:, 0])


def test_drives_a_network_like_the_dense_train():
    """Downstream: LIF neurons fed through the axon see the same spikes (the axon history matches)."""
    steps, neurons, _, train = events(3, count=150)

    def group_spikes(source) -> np.ndarray:
        net = Network(dt=1.0)
        inp = NeuronGroup(SIZE, net, behavior=[source, NeuronAxon(max_delay=3)])
        net.initialize()
        history = []
        for _ in range(STEPS):
            net.simulate_iteration()
            history.append(inp.axon.get_spike(inp, torch.full((SIZE,), 2)).numpy().copy())
        return np.stack(history)

    np.testing.assert_array_equal(
        group_spikes(SpikeEventInput(steps, neurons, unit="steps")),
        group_spikes(SpikeTrainInput(torch.as_tensor(train), loop=False)),
    )


def test_reset_replays_from_the_first_event():
    steps, neurons, _, _ = events(4)
    net = Network(dt=1.0)
    group = NeuronGroup(SIZE, net, behavior=[SpikeEventInput(steps, neurons, unit="steps"), LIF(), Fire()])
    net.initialize()
    first = []
    for _ in range(STEPS):
        net.simulate_iteration()
        first.append(group.spikes.numpy().copy())
    net.reset()
    second = []
    for _ in range(STEPS):
        net.simulate_iteration()
        second.append(group.spikes.numpy().copy())
    np.testing.assert_array_equal(np.stack(first), np.stack(second))


def test_empty_event_list_is_silent():
    assert replay(SpikeEventInput([], [])).sum() == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"times": [0.0, 2.0, 1.0], "indices": [0, 1, 2]}, r"SpikeEventInput\.times.*sorted.*times\[2\] = 1.0"),
        ({"times": [-1.0, 2.0], "indices": [0, 1]}, r"SpikeEventInput\.times.*>= 0"),
        ({"times": [0.0, 2.0], "indices": [0, -1]}, r"SpikeEventInput\.indices.*>= 0"),
        ({"times": [0.0, 2.0], "indices": [0]}, r"SpikeEventInput\.indices.*one per time \(2\)"),
        ({"times": [0.5], "indices": [0], "unit": "steps"}, r"SpikeEventInput\.times.*whole numbers"),
        ({"times": [0.0], "indices": [1.5]}, r"SpikeEventInput\.indices.*whole numbers"),
        ({"times": [[0.0]], "indices": [1]}, r"SpikeEventInput\.times.*1-D"),
        ({"times": [0.0], "indices": [0], "unit": "s"}, r"SpikeEventInput\.unit"),
    ],
)
def test_bad_events_are_refused_at_construction(kwargs, match):
    with pytest.raises((ParameterError, TypeError), match=match):
        SpikeEventInput(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"times": [0.0, 1.0], "indices": [0, SIZE]}, rf"SpikeEventInput\.indices on neuron group.*< {SIZE}"),
        ({"times": [0.0], "indices": [0], "replicas": [2]}, r"SpikeEventInput\.replicas on neuron group.*< 2"),
    ],
)
def test_out_of_range_events_are_refused_at_initialize(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        replay(SpikeEventInput(**kwargs), replicas=2, steps=1)
