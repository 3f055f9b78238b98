"""A sweep's folder: the record of finished trials, ``results.csv`` / ``results.parquet`` and plots.

Each finished trial is one JSON file in ``trials/``, written atomically (a temporary file renamed
into place), so a sweep killed at any moment leaves only whole records: what ``--resume`` skips.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from conex.sweep.spec import Sweep, SweepError, load_sweep, parse_sweep

__all__ = ["TrialStore", "plot_results", "reopen_folder", "result_rows", "start_folder", "write_results"]

SWEEP_FILE = "sweep.toml"
NETWORK_FILE = "network.toml"
META_FILE = "sweep.json"


def start_folder(path: Path, out: Path, pack: int) -> Sweep:
    """Check the sweep file ``path``, then make the sweep folder ``out`` with copies of the sweep and network files.

    The copies are what ``--resume`` runs, whatever happens to the originals.
    """
    sweep = load_sweep(path)
    if out.exists() and any(out.iterdir()):
        raise SweepError(f"{out} exists and is not empty: choose another --out, or continue it with --resume")
    out.mkdir(parents=True, exist_ok=True)
    (out / SWEEP_FILE).write_text(sweep.text, encoding="utf-8")
    (out / NETWORK_FILE).write_text(sweep.network_text, encoding="utf-8")
    meta = {"source": sweep.source, "network_source": sweep.network_source, "pack": pack}
    (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return sweep


def reopen_folder(out: Path, path: Path | None = None) -> tuple[Sweep, int]:
    """The sweep kept in the folder ``out`` and its ``--pack``; with ``path``, that file must be the one kept."""
    try:
        meta = json.loads((out / META_FILE).read_text(encoding="utf-8"))
        text = (out / SWEEP_FILE).read_text(encoding="utf-8")
        network_text = (out / NETWORK_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SweepError(f"{out}: not a sweep folder (no {META_FILE}, {SWEEP_FILE} or {NETWORK_FILE})") from None
    sweep = parse_sweep(text, network_text, source=meta["source"], network_source=meta["network_source"])
    if path is not None:
        given = load_sweep(path)
        if (given.text, given.network_text) != (text, network_text):
            raise SweepError(
                f"{out}: holds a sweep of other files than {path} and its network; continue it with: "
                f"conex sweep --resume {out}"
            )
    return sweep, meta["pack"]


class TrialStore:
    """The records of finished trials in ``out/trials/``, one ``NNNNNN.json`` per trial."""

    def __init__(self, out: Path) -> None:
        self.folder = out / "trials"

    def write(self, record: Mapping[str, Any]) -> None:
        """Keep one trial's record; it appears whole or not at all."""
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / f"{record['trial']:06d}.json"
        temporary = final.with_suffix(".tmp")
        temporary.write_text(json.dumps(record, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(temporary, final)

    def records(self) -> dict[int, dict[str, Any]]:
        """Every record kept so far, by trial index."""
        found = {}
        for path in sorted(self.folder.glob("*.json")) if self.folder.is_dir() else ():
            record = json.loads(path.read_text(encoding="utf-8"))
            found[record["trial"]] = record
        return found


def result_rows(sweep: Sweep, records: Mapping[int, Mapping[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows of the results table: one row per finished trial, in trial order."""
    given = list(dict.fromkeys(c for r in records.values() for c in r["metrics"]))
    metric_columns = [c for name in sweep.metrics for c in given if c == name or c.startswith(name + ".")]
    columns = ["trial", *sweep.paths, "seed", "status", *metric_columns, "wall_s", "replicas"]
    rows = []
    for trial in sweep.trials:
        record = records.get(trial.index)
        if record is None:
            continue
        row = {"trial": trial.index, **dict(trial.values), "seed": trial.seed, "status": record["status"]}
        row.update({c: record["metrics"].get(c) for c in metric_columns})
        row.update(wall_s=record["wall_s"], replicas=record["replicas"])
        rows.append(row)
    return columns, rows


def _cell(value: Any) -> Any:
    """A value for a table cell: lists (e.g. a swept size) as JSON, missing as empty."""
    if value is None:
        return ""
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _write_parquet(columns: Sequence[str], rows: Sequence[Mapping[str, Any]], path: Path) -> bool:
    """``results.parquet`` with a type per column (numbers, bools, else text); False without pyarrow."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return False
    arrays = {}
    for column in columns:
        values = [row.get(column) for row in rows]
        given = [v for v in values if v is not None]
        if given and all(isinstance(v, bool) for v in given):
            arrays[column] = pa.array(values, pa.bool_())
        elif given and all(isinstance(v, int) and not isinstance(v, bool) for v in given):
            arrays[column] = pa.array(values, pa.int64())
        elif all(_is_number(v) for v in given):
            arrays[column] = pa.array([None if v is None else float(v) for v in values], pa.float64())
        else:
            arrays[column] = pa.array([None if v is None else str(_cell(v)) for v in values], pa.string())
    pq.write_table(pa.table(arrays), path)
    return True


def write_results(sweep: Sweep, records: Mapping[int, Mapping[str, Any]], out: Path, plots: bool = True) -> list[Path]:
    """Write ``results.csv`` (and ``results.parquet`` with pyarrow, plots with matplotlib) into ``out``."""
    columns, rows = result_rows(sweep, records)
    path = out / "results.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows({c: _cell(row.get(c)) for c in columns} for row in rows)
    written = [path]
    if _write_parquet(columns, rows, out / "results.parquet"):
        written.append(out / "results.parquet")
    if plots:
        metrics = columns[columns.index("status") + 1 : -2]
        written += plot_results(rows, list(sweep.paths), metrics, out / "plots")
    return written


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "_", text).strip("_")


def _short(path: str) -> str:
    """A swept path for a legend: its last two parts (``SimpleSTDP.a_plus``)."""
    return ".".join(path.split(".")[-2:])


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def plot_results(
    rows: Iterable[Mapping[str, Any]], paths: Sequence[str], metrics: Sequence[str], folder: Path
) -> list[Path]:
    """One PNG per metric and swept path: the mean over seeds against the path's values, with +-1 sd bars.

    Each combination of the other swept paths' values is a line of its own (up to 8; beyond that
    all trials with the same value of the path are pooled). Only ``ok`` trials count. Without
    matplotlib nothing is drawn.
    """
    try:
        import matplotlib
    except ImportError:
        return []
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in rows if r["status"] == "ok"]
    written: list[Path] = []
    if not ok or not paths:
        return written
    folder.mkdir(parents=True, exist_ok=True)
    for metric in metrics:
        for path in paths:
            others = [p for p in paths if p != path]
            lines: dict[str, dict[str, list[float]]] = {}
            for row in ok:
                value = row.get(metric)
                if not _is_number(value) or math.isnan(value):
                    continue
                label = ", ".join(f"{_short(p)}={_label(row[p])}" for p in others)
                lines.setdefault(label, {}).setdefault(_key(row[path]), []).append(float(value))
            if len(lines) > 8:
                pooled: dict[str, list[float]] = {}
                for line in lines.values():
                    for x, ys in line.items():
                        pooled.setdefault(x, []).extend(ys)
                lines = {"all trials": pooled}
            xs = sorted({x for line in lines.values() for x in line}, key=lambda x: (_sortable(x), x))
            numeric = all(_is_number(json.loads(x)) for x in xs)
            fig, ax = plt.subplots(figsize=(5, 3.5))
            for label, line in lines.items():
                points = [x for x in xs if x in line]
                where = [json.loads(x) if numeric else xs.index(x) for x in points]
                means = [statistics.fmean(line[x]) for x in points]
                spread = [statistics.stdev(line[x]) if len(line[x]) > 1 else 0.0 for x in points]
                ax.errorbar(where, means, yerr=spread, marker="o", capsize=3, label=label or None)
            if not numeric:
                ax.set_xticks(range(len(xs)), [_label(json.loads(x)) for x in xs])
            ax.set_xlabel(path)
            ax.set_ylabel(metric)
            ax.set_title("mean ± sd over seeds", fontsize=9)
            if any(lines) and len(lines) > 1:
                ax.legend(fontsize=7)
            fig.tight_layout()
            target = folder / f"{_slug(metric)}--{_slug(path)}.png"
            fig.savefig(target, dpi=100)
            plt.close(fig)
            written.append(target)
    return written


def _label(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(_cell(value))


def _sortable(key: str) -> float:
    """Numbers in value order, everything else after them."""
    value = json.loads(key)
    return float(value) if _is_number(value) else math.inf
