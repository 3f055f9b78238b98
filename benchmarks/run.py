"""Run the benchmark workloads on conex and on the installed peers; print a markdown table.

Each run is a fresh subprocess (so peak RSS is that run's own), and the sides take turns within
every repeat (the order rotates between repeats), so slow drifts of a shared machine fall on all
of them alike. Reported: the median steps/s of the repeats, its range, the median peak RSS and
the ratio conex / side of the medians. Speed lives here, as ratios against peers measured in the
same run, never as timed assertions in the test suite.

    python benchmarks/run.py --workloads w1 --sizes 16 800 --repeats 3 \\
        --conex-peer-python /work/peers/conex-peer/bin/python \\
        --brian2-python /work/peers/brian2/bin/python --json results.json

W4 (``w1_replicas``, R copies of W1 in one simulation) runs its defined cases (N_E x R = 16 x 1,
16, 64, 256 and 800 x 8) with ``--workloads w4``; ``--replicas R ...`` runs instead every R at
every N_E of ``--sizes`` (default 16). It is reported in steps/s and network-steps/s (steps/s x R);
a side without replicas (CoNeX) runs one W1 network at each N_E, for context.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import cpu_model
from workloads import W4_CASES, WORKLOADS, build

HERE = Path(__file__).resolve().parent
BRIAN2_TARGETS = ("numpy", "cython", "cpp_standalone")
MALLOC_TUNED = {
    # above any tensor the workloads allocate: freed blocks stay in the heap for the next step
    # instead of being unmapped and faulted in again (glibc's default threshold adapts only up to 32 MiB)
    "MALLOC_MMAP_THRESHOLD_": str(32 * 2**30),
    "MALLOC_TRIM_THRESHOLD_": str(32 * 2**30),
}


THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@dataclass
class Side:
    """One thing to measure: a label, the command that prints one JSON line, extra environment."""

    label: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    workloads: tuple[str, ...] = tuple(WORKLOADS)
    replicas: bool = True
    """Whether the side simulates W4's replicas in one network; one that cannot runs W1 at W4's
    N_E once (one network per process), reported as its W4 reference."""


def sides_from(args: argparse.Namespace) -> list[Side]:
    conex_python = args.conex_python or sys.executable
    conex_cmd = [conex_python, str(HERE / "conex_workloads.py"), "--device", args.device]
    sides = [Side("conex", conex_cmd)]
    if args.conex_compiled:
        sides.append(Side("conex compiled", [*conex_cmd, "--compiled"], workloads=("w1",)))
    on_cpu = args.device == "cpu"
    if args.conex_peer_python:
        peer = [args.conex_peer_python, str(HERE / "peers" / "conex_peer.py"), "--device", args.device]
        # a CoNeX unpacked into a folder (benchmarks/device.sh carries one to GPU machines) goes first on the path
        path = {"PYTHONPATH": str(Path(args.conex_peer_path).resolve())} if args.conex_peer_path else {}
        plastic = ("w1", "w2", "w3", "w4")  # CoNeX has no conductances: no COBA (W5, W6)
        sides.append(Side("CoNeX", peer, dict(path), workloads=plastic, replicas=False))
        if args.malloc_tuned and on_cpu:
            sides.append(Side("CoNeX malloc-tuned", peer, {**path, **MALLOC_TUNED}, workloads=plastic, replicas=False))
    if args.brian2_python and on_cpu:  # Brian2's targets run on the CPU only
        for target in args.brian2_targets:
            command = [args.brian2_python, str(HERE / "peers" / "brian2_peer.py"), "--target", target]
            if target == "cpp_standalone":
                command += ["--threads", str(args.threads or os.cpu_count())]
            sides.append(Side(f"Brian2 {target}", command, workloads=("w1", "w4", "w5", "w6")))
    if args.threads:
        for side in sides:
            side.env.update({name: str(args.threads) for name in THREAD_VARIABLES})
    return sides


def run_once(side: Side, workload: str, size: int, replicas: int, args: argparse.Namespace) -> dict[str, Any]:
    """One subprocess run; its JSON record, or an ``error`` record when it fails or times out. W4 on
    a side without replicas runs W1 at the same N_E (one network)."""
    if workload == "w4" and not side.replicas:
        command = [*side.command, "--workload", "w1", "--size", str(size)]
    else:
        command = [*side.command, "--workload", workload, "--size", str(size)]
        if workload == "w4":
            command += ["--replicas", str(replicas)]
    for option in ("steps", "warmup"):
        if getattr(args, option) is not None:
            command += [f"--{option}", str(getattr(args, option))]
    base = {"side": side.label, "workload": workload, "size": size, "replicas": replicas}
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=args.timeout,
            env={**os.environ, **side.env},
            cwd=HERE.parent,
        )
    except subprocess.TimeoutExpired:
        return {**base, "error": f"timed out after {args.timeout} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-3:]
        return {**base, "error": f"exit {done.returncode}: " + " | ".join(tail)}
    return {**json.loads(lines[-1]), "side": side.label}


@dataclass
class Row:
    """The repeats of one side on one workload size, summarized."""

    workload: str
    size: int
    side: str
    records: list[dict[str, Any]]
    replicas: int = 1

    @property
    def ok(self) -> list[dict[str, Any]]:
        return [r for r in self.records if "error" not in r]

    @property
    def steps_per_s(self) -> float | None:
        ok = self.ok
        return statistics.median(r["steps_per_s"] for r in ok) if ok else None

    @property
    def network_steps_per_s(self) -> float | None:
        ok = self.ok
        return statistics.median(r["steps_per_s"] * r.get("replicas", 1) for r in ok) if ok else None

    def summary(self, conex: float | None, copy_gb_s: float | None) -> dict[str, Any]:
        ok = self.ok
        speeds = [r["steps_per_s"] for r in ok]
        median = self.steps_per_s
        sweep = None
        if median is not None and ok:
            weight_bytes = build(self.workload, self.size, self.replicas).dense_weight_bytes
            sweep = 2 * weight_bytes * median / 1e9 if weight_bytes else None
        return {
            "workload": self.workload,
            "size": self.size,
            "replicas": self.replicas,
            "side": self.side,
            "runs": len(ok),
            "failed": [r["error"] for r in self.records if "error" in r],
            "steps": ok[0]["steps"] if ok else None,
            "steps_per_s": median,
            "network_steps_per_s": self.network_steps_per_s,
            "min": min(speeds) if speeds else None,
            "max": max(speeds) if speeds else None,
            "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in ok) if ok else None,
            "conex_ratio": conex / median if conex and median else None,
            "full_sweep_gb_s": sweep,
            "of_copy_bandwidth": sweep / copy_gb_s if sweep and copy_gb_s else None,
        }


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}" if value >= 1 else f"{value:.3g}"


def table(summaries: list[dict[str, Any]]) -> str:
    lines = [
        "| workload | size | side | steps | steps/s (median) | min-max | peak RSS MiB | conex ÷ side "
        "| full-sweep GB/s | of copy bw |",
        "|---|---:|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for s in summaries:
        if s["workload"] == "w4":
            continue  # in w4_table
        name = f"{s['workload']} {build(s['workload'], s['size']).name}"
        if s["runs"] == 0:
            speed = "failed: " + "; ".join(s["failed"])[:80]
            lines.append(f"| {name} | {s['size']} | {s['side']} | - | {speed} | - | - | - | - | - |")
            continue
        share = f"{100 * s['of_copy_bandwidth']:.0f}%" if s["of_copy_bandwidth"] else "-"
        runs = f" ({s['runs']})" + (f", {len(s['failed'])} failed" if s["failed"] else "")
        lines.append(
            f"| {name} | {s['size']} | {s['side']} | {s['steps']} | {_num(s['steps_per_s'])}{runs} "
            f"| {_num(s['min'])}-{_num(s['max'])} | {_num(s['peak_rss_mb'], 0)} | {_num(s['conex_ratio'], 2)} "
            f"| {_num(s['full_sweep_gb_s'], 2)} | {share} |"
        )
    return "\n".join(lines)


def w4_table(summaries: list[dict[str, Any]], reference: dict[str, bool]) -> str:
    """W4's rows (steps/s and network-steps/s) and its ratios: conex's network-steps/s over conex's
    at R = 1 (same N_E), over each replicating side at the same N_E and R, and over each side
    without replicas (``reference[side]`` False: its one W1 network at that N_E, for context)."""
    rows = [s for s in summaries if s["workload"] == "w4"]
    if not rows:
        return ""
    lines = [
        "| W4 N_E | R | side | steps | steps/s (median) | network-steps/s | min-max steps/s | peak RSS MiB |",
        "|---:|---:|---|---:|---:|---:|---|---:|",
    ]
    for s in rows:
        r = f"{s['replicas']}" if reference.get(s["side"], True) else "1 (no replicas: one W1 network)"
        if s["runs"] == 0:
            failed = "failed: " + "; ".join(s["failed"])[:80]
            lines.append(f"| {s['size']} | {r} | {s['side']} | - | {failed} | - | - | - |")
            continue
        runs = f" ({s['runs']})" + (f", {len(s['failed'])} failed" if s["failed"] else "")
        lines.append(
            f"| {s['size']} | {r} | {s['side']} | {s['steps']} | {_num(s['steps_per_s'])}{runs} "
            f"| {_num(s['network_steps_per_s'])} | {_num(s['min'])}-{_num(s['max'])} | {_num(s['peak_rss_mb'], 0)} |"
        )
    speed = {(s["side"], s["size"], s["replicas"]): s["network_steps_per_s"] for s in rows}
    others = list(dict.fromkeys(s["side"] for s in rows if s["side"] != "conex"))
    header = " | ".join(f"÷ {o}" + ("" if reference.get(o, True) else " (W1, one network)") for o in others)
    lines += [
        "",
        f"| W4 N_E | R | conex network-steps/s | ÷ conex R=1 | {header} |",
        "|---:|---:|---:|---:|" + "---:|" * len(others),
    ]
    for s in rows:
        if s["side"] != "conex":
            continue
        mine, base = s["network_steps_per_s"], speed.get(("conex", s["size"], 1))
        cells = [_num(mine / base, 2) if mine and base else "-"]
        for other in others:
            theirs = speed.get((other, s["size"], s["replicas"] if reference.get(other, True) else 1))
            cells.append(_num(mine / theirs, 2) if mine and theirs else "-")
        lines.append(f"| {s['size']} | {s['replicas']} | {_num(mine)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cases(key: str, args: argparse.Namespace) -> list[tuple[int, int]]:
    """The (size, replicas) pairs to run of workload ``key``: W1's ``--sizes``; W4's defined cases
    (those at ``--sizes`` if given), or with ``--replicas`` every R at every N_E of ``--sizes``
    (default 16); W2 and W3 at their defined sizes."""
    if key == "w4":
        if args.replicas:
            return [(n_e, r) for n_e in args.sizes or (16,) for r in args.replicas]
        return [(n_e, r) for n_e, r in W4_CASES if not args.sizes or n_e in args.sizes]
    return [(size, 1) for size in (args.sizes if key == "w1" and args.sizes else WORKLOADS[key][1])]


def versions(records: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """The versions each side reported (first successful run of each)."""
    found: dict[str, dict[str, str]] = {}
    for r in records:
        if "versions" in r and r["side"] not in found:
            found[r["side"]] = r["versions"]
    return found


def bandwidth(args: argparse.Namespace) -> dict[str, Any] | None:
    command = [args.conex_python or sys.executable, str(HERE / "bandwidth.py"), "--device", args.device]
    env = {**os.environ, **({name: str(args.threads) for name in THREAD_VARIABLES} if args.threads else {})}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout, check=True, env=env)
    except (subprocess.SubprocessError, OSError) as error:
        print(f"bandwidth probe failed: {error}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workloads", nargs="+", default=["w1", "w2", "w3"], help="w1 ... w6 (or their names; default w1-w3)"
    )
    parser.add_argument(
        "--sizes", nargs="+", type=int, help="W1's N_E values (default: 16 800 3200 12800); W4's N_E values"
    )
    parser.add_argument(
        "--replicas", nargs="+", type=int, help="W4: every R here at every N_E of --sizes (default: W4's cases)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per side and size (median reported)")
    parser.add_argument("--steps", type=int, help="override every workload's timed steps")
    parser.add_argument("--warmup", type=int, help="override every workload's warm-up steps")
    parser.add_argument("--conex-python", help="Python of conex's environment (default: this one)")
    parser.add_argument(
        "--conex-compiled", action="store_true", help="also run conex with its rules' compiled=True (W1)"
    )
    parser.add_argument("--conex-peer-python", help="Python of the CoNeX environment (omit: no CoNeX runs)")
    parser.add_argument("--conex-peer-path", help="folder holding CoNeX and pymonntorch, put first on its PYTHONPATH")
    parser.add_argument("--brian2-python", help="Python of the Brian2 environment (omit: no Brian2 runs)")
    parser.add_argument("--brian2-targets", nargs="+", choices=BRIAN2_TARGETS, default=list(BRIAN2_TARGETS))
    parser.add_argument(
        "--malloc-tuned", action="store_true", help="also run CoNeX with glibc malloc thresholds raised"
    )
    parser.add_argument(
        "--device", default="cpu", help="torch device of conex, CoNeX and the bandwidth probe (Brian2: CPU only)"
    )
    parser.add_argument("--threads", type=int, help="threads of every side (OMP_NUM_THREADS...); default: all cores")
    parser.add_argument("--timeout", type=float, default=300, help="seconds before a run is killed")
    parser.add_argument("--json", type=Path, help="write every run and the summary here")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    sides = sides_from(args)
    probe = bandwidth(args)
    load_before = os.getloadavg()[0]
    records: list[dict[str, Any]] = []
    rows: list[Row] = []
    for key in dict.fromkeys(build(name).key for name in args.workloads):  # w1 and ei_stdp are one workload
        referenced: set[tuple[str, int]] = set()  # (side, N_E) of W4 references run (sides without replicas)
        for size, replicas in cases(key, args):
            active = [s for s in sides if key in s.workloads]
            if key == "w4":  # a side without replicas runs its one W1 network once per N_E
                active = [s for s in active if s.replicas or (s.label, size) not in referenced]
                referenced.update((s.label, size) for s in active if not s.replicas)
            by_side: dict[str, list[dict[str, Any]]] = {s.label: [] for s in active}
            for repeat in range(args.repeats):
                shift = repeat % len(active)
                for side in active[shift:] + active[:shift]:
                    started = time.perf_counter()
                    record = run_once(side, key, size, replicas, args)
                    wall = time.perf_counter() - started
                    by_side[side.label].append(record)
                    records.append(record)
                    speed = f"{record['steps_per_s']:.1f} steps/s" if "steps_per_s" in record else record["error"]
                    case = f"{size} x {replicas}" if key == "w4" else f"{size}"
                    print(f"[{key} {case} #{repeat + 1}] {side.label}: {speed} ({wall:.0f} s)", file=sys.stderr)
            for side in active:
                r = replicas if side.replicas or key != "w4" else 1
                rows.append(Row(key, size, side.label, by_side[side.label], replicas=r))

    conex_speed = {(r.workload, r.size, r.replicas): r.steps_per_s for r in rows if r.side == "conex"}
    copy_gb_s = probe["copy_gb_s"] if probe else None
    summaries = [r.summary(conex_speed.get((r.workload, r.size, r.replicas)), copy_gb_s) for r in rows]
    machine = {"cpu": cpu_model(), "cores": os.cpu_count(), "load_1m": [load_before, os.getloadavg()[0]]}
    print("## Benchmarks\n")
    print(
        f"- machine: {machine['cpu']}, {machine['cores']} cores; load average {load_before:.1f} before, "
        f"{machine['load_1m'][1]:.1f} after"
    )
    if probe:
        print(
            f"- memory bandwidth (torch {probe['torch']}, {probe['threads']} threads, {probe['mib']} MiB float32): "
            f"copy {probe['copy_gb_s']} GB/s, add {probe['add_gb_s']} GB/s"
        )
    for label, found in versions(records).items():
        print(f"- {label}: " + ", ".join(f"{k} {v}" for k, v in found.items()))
    if any(s["workload"] != "w4" for s in summaries):
        print()
        print(table(summaries))
        print(
            "\nconex ÷ side > 1: conex is faster. Full-sweep GB/s: steps/s x one read and one write of every dense "
            "weight, what a step that updates every weight moves; 'of copy bw' sets it against the probe: near 100% "
            "such a side is at the memory limit, above 100% it skips weights (event-driven updates)."
        )
    w4 = w4_table(summaries, {s.label: s.replicas for s in sides})
    if w4:
        print()
        print(w4)
        print(
            "\nW4: network-steps/s = steps/s x R (R copies of W1 advanced per step); ratios are conex's "
            "network-steps/s over the other's (a side without replicas: its one W1 network at that N_E)."
        )
    if args.json:
        args.json.write_text(
            json.dumps({"machine": machine, "bandwidth": probe, "runs": records, "summary": summaries}, indent=1)
        )


if __name__ == "__main__":
    main()
