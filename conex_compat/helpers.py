"""CoNeX's data transforms: spike encoders and small tensor transforms for a data set's ``transform``.

They run in the data loader, outside any network, so the encoders draw from torch's global random
generator as CoNeX's do (seed it with ``torch.manual_seed`` for repeatable spike trains).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 - torch's own convention

__all__ = [
    "AbsoluteTransform",
    "DeviceTransform",
    "DivideSignPolarity",
    "Conv2dFilter",
    "Intensity2Latency",
    "Poisson",
    "SimplePoisson",
    "SqueezeTransform",
    "SwapTransform",
    "UnsqueezeTransform",
]


class _Transform:
    """A callable transform; tuples of inputs are transformed element by element."""

    def __call__(self, data: Any) -> Any:
        if isinstance(data, tuple):
            return tuple(self(item) for item in data)
        return self.transform(data)

    def transform(self, data: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class SimplePoisson(_Transform):
    """Bernoulli spikes: in each of ``time_window`` steps a value ``p`` in [0, 1] spikes with probability ``p * ratio``.

    Output: ``(time_window, *shape)`` bools.
    """

    def __init__(self, time_window: int, ratio: float) -> None:
        self.time_window, self.ratio = time_window, ratio

    def transform(self, data: torch.Tensor) -> torch.Tensor:
        draw = torch.rand(size=(self.time_window, *data.shape))
        return data.unsqueeze(0).expand(self.time_window, *data.shape) * self.ratio >= draw


class Poisson(_Transform):
    """Poisson spike trains: intervals between spikes drawn from a Poisson law of mean ``1 / (p * ratio)``.

    A value ``p`` in [0, 1] spikes at the cumulative sums of its intervals (an interval of 0 counts as 1)
    that fall within ``time_window`` steps; a value of 0 never spikes. Output: ``(time_window, *shape)`` bools.
    """

    def __init__(self, time_window: int, ratio: float) -> None:
        self.time_window, self.ratio = time_window, ratio

    def transform(self, data: torch.Tensor) -> torch.Tensor:
        rate = data.reshape(-1) * self.ratio
        active = rate != 0
        rate[active] = 1 / rate[active]
        intervals = torch.distributions.Poisson(rate=rate, validate_args=False).sample(torch.Size([self.time_window]))
        intervals[:, active] += (intervals[:, active] == 0).to(intervals.dtype)
        times = torch.cumsum(intervals, dim=0).long()
        times[times > self.time_window] = 0  # row 0 collects what falls outside the window, and is dropped
        spikes = torch.zeros(self.time_window + 1, rate.numel(), dtype=torch.bool, device=data.device)
        spikes[times, torch.arange(rate.numel(), device=data.device)] = True
        return spikes[1:].view(self.time_window, *data.shape)


class Intensity2Latency(_Transform):
    """Latency coding: one spike per value, stronger values sooner, within ``time_window`` steps.

    Values below ``threshold`` (or below the ``1 - sparsity`` quantile) never spike. ``lower_trim`` moves
    the weakest spiking value to the last step, ``higher_trim`` the strongest to the first.
    """

    def __init__(
        self,
        time_window: int,
        threshold: float | None = None,
        sparsity: float | None = None,
        min_val: float = 0.0,
        max_val: float = 1.0,
        lower_trim: bool = True,
        higher_trim: bool = True,
    ) -> None:
        self.time_window, self.sparsity = time_window, sparsity
        self.threshold = min_val if threshold is None else threshold
        self.low, self.high = min_val, max_val
        self.lower_trim, self.higher_trim = lower_trim, higher_trim

    def transform(self, data: torch.Tensor) -> torch.Tensor:
        threshold = data.quantile(1 - self.sparsity) if self.sparsity is not None else self.threshold
        silent = data < threshold
        data = data - self.low
        factor = 1 / (self.high - self.low)
        if self.lower_trim and not silent.all():
            weakest = data[~silent].min()
            data = data - weakest
            factor = 1 / (self.high - self.low - weakest)
        if self.higher_trim and data.max() != 0:
            factor = 1 / data.max()
        step = (data * factor * (self.time_window - 1)).ceil().long() + 1
        step[silent] = 0
        spikes = torch.zeros(self.time_window + 1, *data.shape, dtype=torch.bool, device=data.device)
        spikes.scatter_(0, step.clamp(0).unsqueeze(0), True)
        return spikes[1:].flip(0)


class UnsqueezeTransform(_Transform):
    """``data.unsqueeze(dim)``."""

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def transform(self, data: torch.Tensor) -> torch.Tensor:
        return data.unsqueeze(self.dim)


class SqueezeTransform(_Transform):
    """``data.squeeze(dim)`` (every singleton axis when ``dim`` is None)."""

    def __init__(self, dim: int | None = None) -> None:
        self.dim = dim

    def transform(self, data: torch.Tensor) -> torch.Tensor:
        return data.squeeze() if self.dim is None else data.squeeze(self.dim)


class SwapTransform(_Transform):
    """``data.swapaxes(axis1, axis2)``."""

    def __init__(self, axis1: int, axis2: int) -> None:
        self.axes = (axis1, axis2)

    def transform(self, data: torch.Tensor) -> torch.Tensor:
        return data.swapaxes(*self.axes)


class DeviceTransform(_Transform):
    """``data.to(device)``."""

    def __init__(self, device: str | torch.device) -> None:
        self.device = device

    def transform(self, data: torch.Tensor) -> torch.Tensor:
        return data.to(device=self.device)


class Conv2dFilter(_Transform):
    """``conv2d(data, filters, stride, padding)``: e.g. difference-of-Gaussian filtering of images."""

    def __init__(self, filters: torch.Tensor, stride: int = 1, padding: int = 0) -> None:
        self.filters, self.stride, self.padding = filters, stride, padding

    def transform(self, data: torch.Tensor) -> torch.Tensor:
        return F.conv2d(data, self.filters, stride=self.stride, padding=self.padding)


class AbsoluteTransform(_Transform):
    """``abs(data)``."""

    def transform(self, data: torch.Tensor) -> torch.Tensor:
        return torch.abs(data)


class DivideSignPolarity(_Transform):
    """Positive and negative parts as separate channels: ``cat([max(x, 0), max(-x, 0)], dim=0)``."""

    def transform(self, data: torch.Tensor) -> torch.Tensor:
        return torch.cat([data.clamp(min=0), (-data).clamp(min=0)], dim=0)
