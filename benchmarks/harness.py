"""What every benchmark side shares: its command line, the warm-up/timed loop and the JSON record.

Standard library only (each peer runs in its own environment). A side is a script that builds one
workload at one size, runs it and prints exactly ONE JSON line on stdout; anything a library prints
while building goes to stderr (:func:`quiet`), so ``run.py`` can read that line.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import platform
import resource
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from workloads import Workload, build

__all__ = [
    "add_counts",
    "arguments",
    "cpu_model",
    "emit",
    "measure",
    "peak_rss_mb",
    "quiet",
    "rates_hz",
    "torch_device",
]


def arguments(
    description: str, extra: Callable[[argparse.ArgumentParser], None] | None = None
) -> tuple[argparse.Namespace, Workload]:
    """Parse ``--workload --size [--replicas --steps --warmup]`` (plus ``extra`` options); return
    (args, workload)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--workload", required=True, help="w1/ei_stdp, w2/conv_stdp, w3/sparse_stdp or w4/w1_replicas")
    parser.add_argument("--size", type=int, default=None, help="the workload's size (W1, W4: N_E)")
    parser.add_argument("--replicas", type=int, default=None, help="W4: copies of the network (default 1)")
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default: the workload's)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps before (default: the workload's)")
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    workload = build(args.workload, args.size, args.replicas)
    changes = {k: v for k, v in (("steps", args.steps), ("warmup", args.warmup)) if v is not None}
    return args, dataclasses.replace(workload, **changes)


def torch_device(device: str) -> tuple[Callable[[], None], Callable[[], dict[str, Any]]]:
    """For the torch sides: ``(synchronize, fields)``, a function that waits for the work queued on
    ``device`` (timings must include it) and one giving the record's device fields (GPU and its peak memory)."""
    import torch  # here, not at the top: the Brian2 side has no torch

    if not device.startswith("cuda"):
        return (lambda: None), (lambda: {"device": device})

    def fields() -> dict[str, Any]:
        peak = round(torch.cuda.max_memory_allocated() / 2**20, 1)
        return {"device": device, "gpu": torch.cuda.get_device_name(), "gpu_peak_mb": peak}

    return torch.cuda.synchronize, fields


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MiB; Linux reports ``ru_maxrss`` in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux)."""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Send what chatty libraries print to stdout to stderr instead, keeping stdout for the record."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def rates_hz(counts: dict[str, int | Sequence[int]], workload: Workload, steps: int, dt_ms: float) -> dict[str, Any]:
    """Firing rates (Hz) from spike counts over ``steps`` steps of ``dt_ms``: ``{group: mean rate}``
    over every neuron of every replica; where ``counts`` holds one count per replica (W4) also
    ``{"copies": {group: [lowest, highest]}}``, the spread of the replicas' own rates."""
    seconds = steps * dt_ms / 1000
    rates: dict[str, Any] = {}
    copies = {}
    for tag, n in counts.items():
        per_copy = [n] if isinstance(n, int) else list(n)
        size = workload.group(tag).size * seconds
        rates[tag] = round(sum(per_copy) / (len(per_copy) * size), 3)
        if len(per_copy) > 1:
            copies[tag] = [round(min(per_copy) / size, 3), round(max(per_copy) / size, 3)]
    if copies:
        rates["copies"] = copies
    return rates


def add_counts(total: dict[str, Any], counts: dict[str, int | Sequence[int]]) -> None:
    """Add one step's spike counts (a number, or one per replica) to ``total`` in place."""
    for tag, n in counts.items():
        if isinstance(n, int):
            total[tag] = total.get(tag, 0) + n
        else:
            total[tag] = [a + b for a, b in zip(total.get(tag, [0] * len(n)), n, strict=True)]


def measure(
    workload: Workload,
    step: Callable[[], None],
    spike_counts: Callable[[], dict[str, int | Sequence[int]]],
    simulate: Callable[[int], None],
    dt_ms: float,
) -> dict[str, Any]:
    """Warm up one step at a time, counting spikes (the rates are a cross-check that the sides
    simulate the same network; ``spike_counts`` gives a count per group, or one per replica), then
    time ``simulate(workload.steps)`` by wall clock."""
    counts: dict[str, Any] = {}
    for _ in range(workload.warmup):
        step()
        add_counts(counts, spike_counts())
    start = time.perf_counter()
    simulate(workload.steps)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "steps_per_s": workload.steps / seconds,
        "warmup_rates_hz": rates_hz(counts, workload, workload.warmup, dt_ms),
    }


def emit(side: str, workload: Workload, result: dict[str, Any], versions: dict[str, str], **extra: Any) -> None:
    """Print the run's one JSON line: what ran, how fast (steps/s, and network-steps/s: steps/s x
    replicas), how much memory, with which versions."""
    replicas = extra.pop("replicas", workload.replicas)  # a side without replicas runs one network
    speed = {"network_steps_per_s": result["steps_per_s"] * replicas} if "steps_per_s" in result else {}
    record = {
        "side": side,
        "workload": workload.key,
        "name": workload.name,
        "size": workload.size,
        "replicas": replicas,
        "steps": workload.steps,
        "warmup": workload.warmup,
        **result,
        **speed,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        **extra,
        "versions": {"python": platform.python_version(), **versions},
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "load_1m": round(os.getloadavg()[0], 2)},
        "env": {k: v for k, v in os.environ.items() if k.startswith("MALLOC_") or k.endswith("_NUM_THREADS")},
    }
    print(json.dumps(record), flush=True)
