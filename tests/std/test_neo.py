"""Export of recorded spikes to Neo: times, indices and windows round-trip against the recorded events."""

import sys

import numpy as np
import pytest
import torch

from conex import ConexError, Network, NeuronGroup
from conex.behaviors import LIF, EventRecorder, Fire
from conex_std.recording import events_to_neo, to_neo, to_neo_segment

neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")


def driven(replicas=1, size=5, steps=60, dt=0.5, max_events=100_000, seed=3):
    """A LIF group with an EventRecorder, driven by random currents for ``steps`` steps."""
    net = Network(dt=dt, seed=seed, replicas=replicas)
    recorder = EventRecorder(max_events=max_events)
    group = NeuronGroup(size, net, behavior=[LIF(tau=4.0), Fire(), recorder], tag="exc")
    net.initialize()
    rng = np.random.default_rng(seed)
    shape = (size,) if replicas == 1 else (replicas, size)
    spikes = []
    for _ in range(steps):
        group.I = torch.tensor(rng.uniform(0.0, 40.0, shape), dtype=torch.float32)
        net.simulate_iteration()
        spikes.append(group.spikes.clone())
    return group, recorder, torch.stack(spikes)


def test_one_train_per_neuron_with_the_recorded_times_in_ms():
    group, recorder, spikes = driven()
    trains = to_neo(group)
    assert len(trains) == 5
    assert spikes.sum() > 20
    for index, train in enumerate(trains):
        assert isinstance(train, neo.SpikeTrain)
        assert train.annotations == {"index": index, "group": "exc", "variable": "spikes"}
        assert train.t_start == 0.0 * pq.ms
        assert train.t_stop == 60 * 0.5 * pq.ms
        assert float(train.sampling_period.rescale(pq.ms)) == pytest.approx(0.5)
        expected = (torch.nonzero(spikes[:, index]).flatten() + 1).double() * 0.5  # iteration k at k * dt
        np.testing.assert_array_equal(train.rescale(pq.ms).magnitude, expected.numpy())
    # and back: every train's spikes are exactly the recorded events
    rows = sorted((round(float(t) / 0.5), tr.annotations["index"]) for tr in trains for t in tr.magnitude)
    assert rows == sorted(map(tuple, recorder.data("spikes").tolist()))


def test_with_replicas_each_train_names_its_replica():
    group, recorder, spikes = driven(replicas=3, size=4)
    trains = to_neo(recorder)
    assert len(trains) == 12
    assert [(t.annotations["replica"], t.annotations["index"]) for t in trains] == [
        (r, i) for r in range(3) for i in range(4)
    ]
    for train in trains:
        r, i = train.annotations["replica"], train.annotations["index"]
        expected = (torch.nonzero(spikes[:, r, i]).flatten() + 1).double() * 0.5
        np.testing.assert_array_equal(train.magnitude, expected.numpy())
    only = to_neo(group, replica=2)
    assert [t.annotations["replica"] for t in only] == [2] * 4
    np.testing.assert_array_equal(only[1].magnitude, trains[9].magnitude)
    with pytest.raises(ConexError, match="replica: expected 0 to 2, got 3"):
        to_neo(group, replica=3)


def test_a_silent_last_replica_still_gets_its_trains():
    events = torch.tensor([[1, 0, 2], [4, 0, 0]])
    trains = events_to_neo(events, size=3, dt=1.0, first=1, last=10, replicas=2)
    assert len(trains) == 6
    assert [len(t) for t in trains] == [1, 0, 1, 0, 0, 0]
    assert trains[0].t_start == 0.0 * pq.ms
    assert trains[0].t_stop == 10.0 * pq.ms


def test_after_the_buffer_overflows_the_window_starts_after_the_oldest_kept_event():
    group, recorder, spikes = driven(max_events=15)
    kept = recorder.data("spikes")
    first, last = recorder.window()
    assert first == int(kept[0, 0]) + 1
    assert last == 60
    trains = to_neo(group)
    assert trains[0].t_start == (first - 1) * 0.5 * pq.ms
    exported = sum(len(t) for t in trains)
    assert exported == int((kept[:, 0] >= first).sum())
    # the exported window holds every spike fired in it
    assert exported == int(spikes[first - 1 :].sum())


def test_segment_and_errors():
    group, recorder, _ = driven(steps=10)
    segment = to_neo_segment(group)
    assert isinstance(segment, neo.Segment)
    assert segment.name == "exc"
    assert len(segment.spiketrains) == 5
    recorder.clear()
    with pytest.raises(ConexError, match="has recorded no step yet"):
        to_neo(recorder)
    with pytest.raises(ConexError, match="no EventRecorder recording 'v'"):
        to_neo(group, "v")
    with pytest.raises(ConexError, match=r"expected \(n, 2\) or \(n, 3\)"):
        events_to_neo(torch.zeros(4, dtype=torch.long), 2, 1.0, 1, 4)


def test_without_neo_the_error_names_the_extra(monkeypatch):
    group, _, _ = driven(steps=3)
    monkeypatch.setitem(sys.modules, "neo", None)
    with pytest.raises(ImportError, match=r"pip install 'conex-snn\[neo\]'"):
        to_neo(group)
