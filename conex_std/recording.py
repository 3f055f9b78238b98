"""Recorders: keep a bounded history of chosen variables of a network object.

Both recorders preallocate a ring buffer at initialize and overwrite the oldest entries once it is
full, so memory stays fixed however long the simulation runs. Read the history back in
chronological order with ``recorder.data(name)``. ``Network.reset`` keeps what they recorded, so
one recorder spans all trials (``recorder.clear()`` forgets it).

With ``R > 1`` replicas the recorded variables carry their replica axis: a :class:`Recorder`
sample of ``v`` is ``(R, size)``, so ``data("v")`` is ``(n, R, size)``, and an
:class:`EventRecorder` event names its replica, ``[iteration, replica, index]``.

:func:`to_neo` turns an :class:`EventRecorder`'s spikes into ``neo.SpikeTrain`` objects (one per
neuron, times in ms) for Neo-based analysis tools such as Elephant (``pip install 'conex-snn[neo]'``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch

from conex import Behavior, Phase, ge, param
from conex.errors import ConexError, bad_parameter

if TYPE_CHECKING:
    import neo

__all__ = ["EventRecorder", "Recorder", "RingBuffer", "events_to_neo", "to_neo", "to_neo_segment"]

_SCALAR_DTYPES = {bool: torch.bool, int: torch.int64}  # other numbers: the network's float dtype


class RingBuffer:
    """A fixed-size buffer of rows of one shape; once full, new rows overwrite the oldest.

    Args:
        capacity: number of rows kept.
        row_shape: shape of one row.
        dtype, device: of the storage, allocated once here.
    """

    def __init__(self, capacity: int, row_shape: Sequence[int], dtype: torch.dtype, device: torch.device) -> None:
        self.storage = torch.zeros((capacity, *row_shape), dtype=dtype, device=device)
        self.capacity = capacity
        self.written = 0
        self._offsets = torch.arange(capacity, device=device)

    def __len__(self) -> int:
        """Rows kept (at most ``capacity``)."""
        return min(self.written, self.capacity)

    def append(self, row: torch.Tensor | float) -> None:
        """Write one row (a tensor of ``row_shape`` or a number for scalar rows)."""
        self.storage[self.written % self.capacity] = row
        self.written += 1

    def extend(self, rows: torch.Tensor) -> None:
        """Write ``rows`` (shape ``(n, *row_shape)``) in order; only the last ``capacity`` can stay."""
        count = rows.shape[0]
        kept = min(count, self.capacity)
        start = self.written + count - kept
        positions = self._offsets[:kept].add(start).remainder_(self.capacity)
        self.storage[positions] = rows[count - kept :]
        self.written += count

    def ordered(self) -> torch.Tensor:
        """A copy of the kept rows, oldest first: shape ``(len(self), *row_shape)``."""
        if self.written <= self.capacity:
            return self.storage[: self.written].clone()
        start = self.written % self.capacity
        return torch.cat((self.storage[start:], self.storage[:start]))

    def clear(self) -> None:
        """Forget every row (the storage is kept)."""
        self.written = 0


def _variable_names(owner: str, variables: Any) -> tuple[str, ...]:
    """``variables`` (a name or a sequence of names) as a tuple of distinct non-empty names."""
    names = (variables,) if isinstance(variables, str) else variables
    expected = "a variable name or a sequence of distinct names, e.g. ('v', 'spikes')"
    if not isinstance(names, Sequence) or not all(isinstance(n, str) for n in names):
        raise bad_parameter(owner, "variables", variables, expected, wrong_type=True)
    if not names or not all(n.strip() for n in names) or len(set(names)) != len(names):
        raise bad_parameter(owner, "variables", variables, expected)
    return tuple(names)


class _Recording(Behavior):
    """What both recorders share: the variable names, how to read them, the read API."""

    priority = Phase.RECORDER
    category = "any"
    initialize_last = True  # after spike catchers, so synapse variables such as pre_spike exist
    supports_replicas = True

    def validate(self) -> None:
        self._names = _variable_names(type(self).__name__, self.variables)

    def _read(self, host: Any, name: str) -> Any:
        try:
            return functools.reduce(getattr, name.split("."), host)
        except AttributeError:
            raise self.error(host, f"has no variable {name!r} to record") from None

    def data(self, name: str) -> torch.Tensor:
        """The kept history of variable ``name``, oldest first (a copy)."""
        if name not in self._rings:
            raise KeyError(f"{type(self).__name__} records {', '.join(self._names)}, not {name!r}")
        return self._rings[name].ordered()

    def recorded(self) -> dict[str, torch.Tensor]:
        """``{name: data(name)}`` of every recorded variable (``conex run`` saves it in recordings.pt)."""
        return {name: self.data(name) for name in self._names}

    def clear(self) -> None:
        """Forget everything recorded so far (memory stays allocated)."""
        for ring in self._rings.values():
            ring.clear()


class Recorder(_Recording):
    """Keeps the last ``max_steps`` samples of chosen variables of its host, one every ``every`` iterations.

    A sample is taken in iterations that are multiples of ``every``. Variables are attribute
    paths on the host (``"v"``, ``"spikes"``, ``"weights"``, ``"src.trace"``, or on the network
    ``"dopamine_concentration"``); a number is recorded as a 0-d tensor.

    Read API: ``data(name)`` is a ``(n_recorded, *variable_shape)`` tensor, oldest first (with
    ``R > 1`` replicas the variable's shape starts with its replica axis: ``(n_recorded, R, size)``
    for ``v``); ``iterations`` holds the matching iteration numbers; ``n_recorded`` counts them.
    """

    variables: Any = param(("v",), positional=True, doc="variable name(s) on the host to record")
    every: int = param(1, check=ge(1), unit="iterations", doc="record in iterations that are multiples of this")
    max_steps: int = param(1000, check=ge(1), doc="samples kept per variable; older ones are overwritten")

    def initialize(self, host: Any) -> None:
        net = host.network
        self._rings: dict[str, RingBuffer] = {}
        self._shapes: dict[str, tuple[int, ...]] = {}
        for name in self._names:
            value = self._read(host, name)
            if isinstance(value, torch.Tensor):
                shape, dtype = tuple(value.shape), value.dtype
            elif isinstance(value, (bool, int, float)):
                shape, dtype = (), _SCALAR_DTYPES.get(type(value), net.def_dtype)
            else:
                kind = type(value).__name__
                raise self.error(host, f"cannot record {name!r}: expected a tensor or a number, got {kind}")
            self._shapes[name] = shape
            self._rings[name] = RingBuffer(self.max_steps, shape, dtype, net.device)
        self._iterations = RingBuffer(self.max_steps, (), torch.int64, torch.device("cpu"))

    def forward(self, host: Any) -> None:
        iteration = host.network.iteration
        if iteration % self.every:
            return
        for name, ring in self._rings.items():
            value = self._read(host, name)
            if isinstance(value, torch.Tensor) and tuple(value.shape) != self._shapes[name]:
                raise self.error(
                    host, f"variable {name!r} changed shape from {self._shapes[name]} to {tuple(value.shape)}"
                )
            ring.append(value)
        self._iterations.append(iteration)

    @property
    def n_recorded(self) -> int:
        """Number of samples kept (at most ``max_steps``)."""
        return len(self._iterations)

    @property
    def iterations(self) -> torch.Tensor:
        """``(n_recorded,)`` iteration numbers of the kept samples, oldest first."""
        return self._iterations.ordered()

    def clear(self) -> None:
        super().clear()
        self._iterations.clear()


class EventRecorder(_Recording):
    """Records spike-like variables as events ``(iteration, neuron index)``, keeping the last ``max_events``.

    An event is a nonzero (``True``) entry; its index is the flat index into the variable
    (depth-major for neuron groups). ``data(name)`` is an ``(n_events, 2)`` int64 tensor of
    ``[iteration, index]`` rows, oldest first (within an iteration, by index).

    With ``R > 1`` replicas every recorded variable must have the leading replica axis, and rows are
    ``[iteration, replica, index]`` (``(n_events, 3)``; ``index`` within the replica), within an
    iteration by replica, then index; ``max_events`` counts the events of all replicas.
    """

    variables: Any = param(("spikes",), positional=True, doc="variable name(s) on the host to record")
    max_events: int = param(100_000, check=ge(1), doc="events kept per variable; older ones are overwritten")

    def initialize(self, host: Any) -> None:
        net = host.network
        self._rings = {}
        self._sizes: dict[str, int] = {}
        self._host, self._dt, self._replicas = host, float(net.dt), net.replicas
        self._first: int | None = None  # the first and last iteration recorded: the recording window
        self._last: int | None = None
        for name in self._names:
            value = self._read(host, name)
            if not isinstance(value, torch.Tensor):
                kind = type(value).__name__
                raise self.error(host, f"cannot record events of {name!r}: expected a tensor, got {kind}")
            if net.replicas > 1 and (value.dim() == 0 or value.shape[0] != net.replicas):
                shape = tuple(value.shape)
                raise self.error(
                    host,
                    f"cannot record events of {name!r} per replica: its shape {shape} has no leading "
                    f"axis of the {net.replicas} replicas",
                )
            self._rings[name] = RingBuffer(self.max_events, (2 if net.replicas == 1 else 3,), torch.int64, net.device)
            self._sizes[name] = value[0].numel() if net.replicas > 1 else value.numel()

    def forward(self, host: Any) -> None:
        net = host.network
        iteration = net.iteration
        if self._first is None:
            self._first = iteration
        self._last = iteration
        for name, ring in self._rings.items():
            value = self._read(host, name)
            if net.replicas == 1:
                index = torch.nonzero(value.reshape(-1)).squeeze(1)
                events = torch.stack((torch.full_like(index, iteration), index), dim=1)
            else:
                found = torch.nonzero(value.reshape(net.replicas, -1))  # [replica, index] rows
                events = torch.cat((torch.full_like(found[:, :1], iteration), found), dim=1)
            ring.extend(events)

    def clear(self) -> None:
        super().clear()
        self._first = self._last = None

    def window(self, name: str = "spikes") -> tuple[int, int] | None:
        """The iterations ``(first, last)`` whose events of ``name`` are all kept, or None before any step.

        That is every recorded iteration until the buffer overflows; after that, the iterations after
        the one of the oldest kept event (whose events may be cut), up to the last recorded one.
        """
        if name not in self._rings:
            raise KeyError(f"EventRecorder records {', '.join(self._names)}, not {name!r}")
        if self._first is None or self._last is None:
            return None
        ring = self._rings[name]
        if ring.written <= ring.capacity:
            return self._first, self._last
        oldest = int(ring.storage[ring.written % ring.capacity, 0])
        return min(oldest + 1, self._last), self._last


def _neo() -> Any:
    try:
        import neo
        import quantities
    except ImportError as exc:
        raise ImportError("exporting spikes to Neo needs neo: pip install 'conex-snn[neo]'") from exc
    return neo, quantities


def events_to_neo(
    events: torch.Tensor,
    size: int,
    dt: float,
    first: int,
    last: int,
    *,
    replicas: int | None = None,
    replica: int | None = None,
    **annotations: Any,
) -> list[neo.SpikeTrain]:
    """Spike events as one ``neo.SpikeTrain`` per neuron, times in ms.

    Args:
        events: ``(n, 2)`` ``[iteration, index]`` or ``(n, 3)`` ``[iteration, replica, index]`` rows,
            as an :class:`EventRecorder` or ``conex run``'s ``spikes.pt`` hold them.
        size: neurons per replica (a train for each, spiking or not).
        dt: the time step in ms; a spike of iteration ``k`` is at ``k * dt`` ms.
        first, last: the iterations the events cover. Iteration ``k`` spans ``((k - 1) * dt, k * dt]``,
            so every train has ``t_start = (first - 1) * dt`` and ``t_stop = last * dt``; events outside
            are left out.
        replicas: with ``(n, 3)`` rows, how many replicas there are (default: up to the last that spiked).
        replica: with ``(n, 3)`` rows, only this replica's trains (default: every replica's, replica by replica).
        annotations: added to every train (e.g. ``group="exc"``).

    Each train is annotated with ``index`` (the neuron's flat index), ``replica`` (with ``(n, 3)``
    rows) and ``annotations``; its ``sampling_rate`` is ``1 / dt``.
    """
    neo, pq = _neo()
    rows = events.detach().cpu().long()
    if rows.dim() != 2 or rows.shape[1] not in (2, 3):
        raise ConexError(f"events_to_neo: expected (n, 2) or (n, 3) event rows, got shape {tuple(rows.shape)}")
    rows = rows[(rows[:, 0] >= first) & (rows[:, 0] <= last)]
    if rows.shape[1] == 2:
        blocks: list[tuple[int | None, torch.Tensor]] = [(None, rows)]
    else:
        if replicas is None:
            replicas = int(rows[:, 1].max()) + 1 if rows.numel() else 1
        chosen = range(replicas) if replica is None else [replica]
        blocks = [(r, rows[rows[:, 1] == r][:, [0, 2]]) for r in chosen]
    t_start, t_stop = (first - 1) * dt * pq.ms, last * dt * pq.ms
    trains = []
    for r, block in blocks:
        order = torch.argsort(block[:, 1] * (last + 1) + block[:, 0])  # by neuron, then time
        block = block[order]
        counts = torch.bincount(block[:, 1], minlength=size).tolist()
        for index, times in enumerate(torch.split(block[:, 0].double() * dt, counts)):
            where = {"index": index} if r is None else {"index": index, "replica": r}
            train = neo.SpikeTrain(
                times.numpy(), units="ms", t_start=t_start, t_stop=t_stop, sampling_rate=1.0 / (dt * pq.ms)
            )
            train.annotate(**where, **annotations)
            trains.append(train)
    return trains


def _event_recorder(source: Any, variable: str) -> EventRecorder:
    """``source`` if it is an EventRecorder, else the one among its behaviors that records ``variable``."""
    if isinstance(source, EventRecorder):
        return source
    found = [
        b for b in getattr(source, "behavior", {}).values() if isinstance(b, EventRecorder) and variable in b._names
    ]
    if len(found) != 1:
        what = "no EventRecorder" if not found else f"{len(found)} EventRecorders"
        raise ConexError(f"to_neo: {source!r} has {what} recording {variable!r}; pass the recorder itself")
    return found[0]


def to_neo(source: Any, variable: str = "spikes", *, replica: int | None = None) -> list[neo.SpikeTrain]:
    """The spikes an :class:`EventRecorder` kept, as one ``neo.SpikeTrain`` per neuron (and replica).

    ``source`` is the recorder or the object it is attached to (a neuron group with one
    ``EventRecorder`` of ``variable``). Times are ``iteration * dt`` in ms, ``t_start``/``t_stop``
    the recording window (:meth:`EventRecorder.window`), and each train is annotated with ``group``
    (the host's tag), ``variable``, ``index`` and, with ``R > 1`` replicas, ``replica``
    (:func:`events_to_neo`). With replicas, ``replica`` picks one; by default every replica's trains
    come, replica by replica.
    """
    recorder = _event_recorder(source, variable)
    events = recorder.data(variable)
    window = recorder.window(variable)
    if window is None:
        raise ConexError(f"to_neo: the EventRecorder of {recorder._host.label()} has recorded no step yet")
    if recorder._replicas == 1 and replica not in (None, 0):
        raise ConexError(f"to_neo: replica: expected None or 0 in a network of one replica, got {replica!r}")
    if replica is not None and not 0 <= replica < recorder._replicas:
        raise ConexError(f"to_neo: replica: expected 0 to {recorder._replicas - 1}, got {replica!r}")
    return events_to_neo(
        events,
        recorder._sizes[variable],
        recorder._dt,
        *window,
        replicas=recorder._replicas if recorder._replicas > 1 else None,
        replica=replica if recorder._replicas > 1 else None,
        group=getattr(recorder._host, "tag", None) or recorder._host.label(),
        variable=variable,
    )


def to_neo_segment(source: Any, variable: str = "spikes", *, replica: int | None = None) -> neo.Segment:
    """:func:`to_neo`'s trains in one ``neo.Segment`` (named after the recorded group)."""
    neo, _ = _neo()
    trains = to_neo(source, variable, replica=replica)
    segment = neo.Segment(name=str(trains[0].annotations["group"]) if trains else None)
    segment.spiketrains.extend(trains)
    return segment
