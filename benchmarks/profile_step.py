"""Where a conex step spends its time: per scheduled behavior, and per torch operator.

Builds one workload with ``conex_workloads.build_network``, warms it up, then runs the schedule by
hand for ``--steps`` iterations, timing every behavior's ``forward`` by wall clock. Reports the
median per call (robust on a shared machine) and the mean; ``--ops`` adds torch.profiler's operator
table over the same number of steps. Prints the tables on stdout.

    python benchmarks/profile_step.py --workload w1 --size 16 --steps 500 --ops
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict

import torch
from conex_workloads import build_network
from harness import arguments


def behavior_times(net, steps: int) -> dict[tuple[int, str, str], list[float]]:
    """Seconds of each call of each ``(priority, host, behavior)`` over ``steps`` iterations."""
    totals: dict[tuple[int, str, str], list[float]] = defaultdict(list)
    entries = [
        (e.priority, e.host.label(), type(e.behavior).__name__, e.behavior, e.host) for e in net.scheduling_summary()
    ]
    clock = time.perf_counter
    with torch.no_grad():
        for _ in range(steps):
            net.iteration += 1
            for priority, host_label, name, behavior, host in entries:
                if behavior.behavior_enabled:
                    start = clock()
                    behavior.forward(host)
                    totals[priority, host_label, name].append(clock() - start)
    return totals


def main() -> None:
    def options(parser) -> None:
        parser.add_argument("--ops", action="store_true", help="also print torch.profiler's operator table")
        parser.add_argument("--rows", type=int, default=25, help="rows of the operator table")

    args, workload = arguments(__doc__.splitlines()[0], options)
    net, _ = build_network(workload)
    net.simulate_iterations(workload.warmup)
    start = time.perf_counter()
    net.simulate_iterations(workload.steps)
    step_us = (time.perf_counter() - start) / workload.steps * 1e6
    totals = behavior_times(net, workload.steps)
    print(f"{workload.name} size {workload.size}: {step_us:.1f} us per step ({1e6 / step_us:.1f} steps/s)")
    print(f"{'median us':>9} {'mean us':>9}  priority  object / behavior")
    medians = {key: statistics.median(calls) * 1e6 for key, calls in totals.items()}
    for key, median in sorted(medians.items(), key=lambda item: -item[1]):
        priority, host, name = key
        print(f"{median:9.1f} {statistics.fmean(totals[key]) * 1e6:9.1f}  {priority:8d}  {host} / {name}")
    print(f"{sum(medians.values()):9.1f}                      sum of the medians")
    if args.ops:
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU]) as prof:
            net.simulate_iterations(workload.steps)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.rows))


if __name__ == "__main__":
    main()
