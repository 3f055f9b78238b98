"""Input groups: neurons whose spikes come from data rather than dynamics."""

from __future__ import annotations

from typing import Any

import torch

from conex import Behavior, Phase, ge, one_of, param
from conex_std.neurons.vectors import neuron_vector

__all__ = ["PoissonInput", "SpikeEventInput", "SpikeTrainInput"]


class SpikeTrainInput(Behavior):
    """Replays a given spike train: in the ``n``-th iteration the group's ``spikes`` are row ``n - 1``.

    Iterations count from the initialize or from the last ``Network.reset``, so each trial replays the
    train from its first row, whatever ``network.iteration`` says.

    With ``R > 1`` replicas a ``(T, R, size)`` train gives each replica its own spikes, and a
    ``(T, size)`` train is replayed in every replica; ``spikes`` is then ``(R, size)``.

    Args:
        spikes: ``(T, size)`` tensor of spikes (bool or 0/1), one row per iteration, or ``(T, R, size)``.
        loop: start again from row 0 after the last row; otherwise stay silent.
    """

    priority = Phase.INPUT
    category = "neuron"
    provides = ("spikes",)
    supports_replicas = True

    spikes: Any = param(positional=True, doc="(T, size) spike train, one row per iteration; or (T, R, size)")
    loop: bool = param(True, doc="replay from the start after the last row")

    def initialize(self, neurons: Any) -> None:
        net = neurons.network
        row = (*net.replica_shape, neurons.size)
        try:
            train = torch.as_tensor(self.spikes)
        except (TypeError, ValueError, RuntimeError):
            expected = "a (T, size) tensor of spikes (bool or 0/1)"
            got = type(self.spikes).__name__
            raise self.bad_parameter("spikes", got, expected, host=neurons, wrong_type=True) from None
        self.check_tensor("spikes", train, host=neurons, spikes=True)
        shared = train.dim() == 2 and train.shape[1] == neurons.size
        if shared and net.replicas > 1:
            train = train.unsqueeze(1).expand(-1, *row)  # one train replayed in every replica
        elif not shared and not (net.replicas > 1 and tuple(train.shape[1:]) == row):
            expected = f"a (T, {neurons.size}) tensor"
            if net.replicas > 1:
                expected += f" or (T, {net.replicas}, {neurons.size}) (one train per replica)"
            raise self.bad_parameter("spikes", tuple(train.shape), expected, host=neurons)
        self._train = train.to(device=net.device, dtype=torch.bool).contiguous()
        self._silent = torch.zeros(row, dtype=torch.bool, device=net.device)
        neurons.spikes = self._silent.clone()
        self._start = neurons.network.iteration

    def reset(self, neurons: Any) -> None:
        neurons.spikes = self._silent.clone()
        self._start = neurons.network.iteration

    def forward(self, neurons: Any) -> None:
        row = neurons.network.iteration - self._start - 1
        if self.loop:
            row %= self._train.shape[0]
        neurons.spikes = self._train[row] if row < self._train.shape[0] else self._silent


class SpikeEventInput(Behavior):
    """Replays a list of spike events ``(time, neuron)``, streamed: no dense ``(T, size)`` train is made.

    Event ``k`` is neuron ``indices[k]`` spiking at ``times[k]``: in ms (``unit="ms"``, the default),
    rounded to the nearest step, or in steps (``unit="steps"``). Time 0 is the first iteration after
    the initialize (or the last ``Network.reset``), so an event at step ``n`` (time ``n * dt``) makes
    the neuron spike in the ``(n + 1)``-th iteration, exactly as row ``n`` of a
    :class:`SpikeTrainInput` train. Times must be sorted (non-decreasing); a cursor walks the events,
    so each iteration touches only its own events. After the last event the group is silent.

    With ``R > 1`` replicas every replica receives all events, unless ``replicas`` gives each event's
    replica (``0 .. R - 1``). Memory: the events (two ``int64`` per event), never ``T * size``.

    Args:
        times: spike times, a 1-D tensor, array or list (ms or steps, see ``unit``), sorted.
        indices: the neuron of each event (``0 .. size - 1``, flat in the group's depth-major order).
        replicas: the replica of each event; None: every replica.
        unit: ``"ms"`` or ``"steps"``.
    """

    priority = Phase.INPUT
    category = "neuron"
    provides = ("spikes",)
    supports_replicas = True

    times: Any = param(positional=True, doc="1-D spike times, sorted (ms or steps, see unit)")
    indices: Any = param(positional=True, doc="1-D neuron index of each event, 0 .. size - 1")
    replicas: Any = param(None, doc="1-D replica of each event, 0 .. R - 1; None: every replica gets every event")
    unit: str = param("ms", check=one_of("ms", "steps"), doc="unit of times: 'ms' (rounded to steps) or 'steps'")

    def validate(self) -> None:
        self._times = self._column("times", self.times, torch.float64)
        self._indices = self._column("indices", self.indices, torch.int64)
        self._replicas = None if self.replicas is None else self._column("replicas", self.replicas, torch.int64)
        for name, column in (("indices", self._indices), ("replicas", self._replicas)):
            if column is not None and len(column) != len(self._times):
                raise self.bad_parameter(name, f"{len(column)} values", f"one per time ({len(self._times)})")
        if len(self._times):
            if float(self._times.min()) < 0:
                raise self.bad_parameter("times", float(self._times.min()), "times >= 0")
            backwards = torch.nonzero(self._times[1:] < self._times[:-1])
            if len(backwards):
                k = int(backwards[0])
                got = f"times[{k + 1}] = {float(self._times[k + 1])} after times[{k}] = {float(self._times[k])}"
                raise self.bad_parameter("times", got, "sorted times (non-decreasing): sort the events by time")
            if self.unit == "steps" and not bool(torch.all(self._times == torch.round(self._times))):
                raise self.bad_parameter("times", "fractional steps", "whole numbers with unit='steps'")

    def _column(self, name: str, value: Any, dtype: torch.dtype) -> torch.Tensor:
        """``value`` as a 1-D CPU tensor of ``dtype``; integers must be whole and >= 0."""
        try:
            column = torch.as_tensor(value)
        except (TypeError, ValueError, RuntimeError):
            raise self.bad_parameter(name, type(value).__name__, "a 1-D tensor, array or list of numbers") from None
        if column.dim() != 1 or column.dtype == torch.bool or column.is_complex():
            raise self.bad_parameter(name, f"shape {tuple(column.shape)}", "a 1-D tensor of numbers", wrong_type=True)
        column = column.detach().to("cpu")
        if column.is_floating_point() and not bool(torch.isfinite(column).all()):
            raise self.bad_parameter(name, "NaN or infinite values", "finite numbers")
        if dtype == torch.int64:
            if column.is_floating_point() and not bool(torch.all(column == torch.round(column))):
                raise self.bad_parameter(name, "fractional values", "whole numbers")
            if len(column) and int(column.min()) < 0:
                raise self.bad_parameter(name, int(column.min()), "values >= 0")
        return column.to(dtype)

    def initialize(self, neurons: Any) -> None:
        net = neurons.network
        for name, column, limit in (
            ("indices", self._indices, neurons.size),
            ("replicas", self._replicas, net.replicas),
        ):
            if column is not None and len(column) and int(column.max()) >= limit:
                what = "neurons" if name == "indices" else "replicas"
                raise self.bad_parameter(
                    name, int(column.max()), f"values < {limit} ({what} of the network)", host=neurons
                )
        steps = self._times if self.unit == "steps" else torch.round(self._times / net.dt)
        self._steps = steps.to(torch.int64)  # on the CPU: the cursor's search never waits for a device
        flat = self._indices if self._replicas is None else self._replicas * neurons.size + self._indices
        self._flat = flat.to(net.device)
        self._shape = (*net.replica_shape, neurons.size)
        self._every_replica = self._replicas is None and net.replicas > 1
        neurons.spikes = torch.zeros(self._shape, dtype=torch.bool, device=net.device)
        self._start, self._cursor = net.iteration, 0

    def reset(self, neurons: Any) -> None:
        neurons.spikes = torch.zeros(self._shape, dtype=torch.bool, device=neurons.network.device)
        self._start, self._cursor = neurons.network.iteration, 0

    def forward(self, neurons: Any) -> None:
        step = neurons.network.iteration - self._start - 1
        begin = self._cursor
        end = int(torch.searchsorted(self._steps, step, right=True)) if begin < len(self._steps) else begin
        spikes = torch.zeros(self._shape, dtype=torch.bool, device=self._flat.device)
        if end > begin:
            events = self._flat[begin:end]
            if self._every_replica:
                spikes[:, events] = True
            else:
                spikes.view(-1)[events] = True
        neurons.spikes, self._cursor = spikes, end


class PoissonInput(Behavior):
    """Poisson rate coding: each neuron spikes with probability ``rate * dt / 1000`` per iteration.

    ``rate = intensity * scale`` in Hz (``dt`` in ms), drawn independently per neuron and
    iteration from the network's generator, so the same seed gives the same spikes. Present a new
    stimulus by assigning ``group.intensity = x`` (a tensor, array or number with ``size``
    elements in any layout, e.g. a 28x28 image for a 784-neuron group); it is checked and
    converted to a ``(size,)`` tensor at the next iteration. In-place edits of ``group.intensity``
    take effect too, but are not checked. ``Network.reset`` clears the spikes and keeps the
    intensity: it is the stimulus the user sets, not state the network evolves.

    With ``R > 1`` replicas the draws are one ``(R, size)`` tensor per iteration and ``intensity``
    is ``(R, size)``: ``size`` values are shared by the replicas, a ``(R, size)`` tensor gives each
    replica its own stimulus and a ``(R, 1)`` one (e.g. ``[[1.0], [2.0]]``) one intensity per
    replica; ``scale`` may differ per replica too.

    Example: MNIST pixels in [0, 255] with ``scale=0.25`` give Diehl & Cook's rates up to 63.75 Hz.
    """

    priority = Phase.INPUT
    category = "neuron"
    provides = ("spikes", "intensity")
    supports_replicas = True

    intensity: Any = param(
        0.0, positional=True, doc="initial intensity: number, fill mode, size values, (R, size) or (R, 1); >= 0"
    )
    scale: float = param(1.0, check=ge(0), per_replica=True, unit="Hz", doc="firing rate per unit of intensity")

    def initialize(self, neurons: Any) -> None:
        neurons.intensity = self._accept(neurons, self.intensity)
        self._probability = neurons.vector(0)
        self._draw = neurons.vector(0)
        neurons.spikes = neurons.vector(0, dtype=torch.bool)

    def _accept(self, neurons: Any, value: Any) -> torch.Tensor:
        """``value`` as a checked ``(size,)`` (``(R, size)``) intensity tensor, remembered as the last one checked."""
        intensity = neuron_vector(self, neurons, "intensity", value)
        low = float(intensity.min()) if intensity.numel() else 0.0
        if not low >= 0:
            expected = "values >= 0 (a rate in Hz is intensity * scale)"
            raise self.bad_parameter("intensity", low, expected, host=neurons)
        if isinstance(self.scale, torch.Tensor):  # per replica
            top_rate = float((intensity * self.scale).max()) if intensity.numel() else 0.0
        else:
            top_rate = float(intensity.max()) * self.scale
        if top_rate * neurons.network.dt / 1000.0 > 1.0:
            limit = 1000.0 / neurons.network.dt
            raise self.bad_parameter(
                "intensity",
                f"max rate {top_rate} Hz",
                f"rates <= {limit} Hz (one spike per {neurons.network.dt} ms step)",
                host=neurons,
            )
        self._checked = intensity
        return intensity

    def reset(self, neurons: Any) -> None:
        neurons.spikes = neurons.vector(0, dtype=torch.bool)

    def forward(self, neurons: Any) -> None:
        if neurons.intensity is not self._checked:
            neurons.intensity = self._accept(neurons, neurons.intensity)
        net = neurons.network
        torch.mul(neurons.intensity, net.constant(self.scale * net.dt / 1000.0), out=self._probability)
        neurons.spikes = self._draw.uniform_(generator=net.generator) < self._probability
