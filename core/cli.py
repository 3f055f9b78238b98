"""The ``conex`` command line."""

from __future__ import annotations

import contextlib
import difflib
import inspect
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

import conex
from conex.errors import AmbiguousBehaviorError, ConexError, ParameterTypeError, UnknownBehaviorError
from conex.registry import BehaviorEntry, Registry, get_registry
from conex.table import format_table, plain_inline, plain_text

__all__ = ["main"]


def _warn_broken(registry: Registry) -> None:
    """One warning line on stderr for each plugin that failed to load or had contributions refused."""
    for plugin in registry.plugins:
        if plugin.status in ("error", "partial"):
            click.echo(f"warning: plugin {plugin.name!r}: {plugin.error}", err=True)


@contextlib.contextmanager
def _user_errors() -> Iterator[None]:
    """A command's boundary: a user's mistake becomes click's one-line ``Error: ...`` (exit 1), never a traceback.

    Only conex's errors for bad input (:class:`ConexError` with its ParameterError, ConfigError and
    CheckpointError; ParameterTypeError) and file errors (OSError) are caught: anything else is a
    bug in conex or a plugin and keeps its traceback. Click's usage errors pass through (exit 2).
    """
    try:
        yield
    except (ConexError, ParameterTypeError) as exc:
        raise click.ClickException(_one_line(str(exc))) from None
    except OSError as exc:
        place = f"{exc.filename}: " if exc.filename else ""
        raise click.ClickException(_one_line(f"{place}{exc.strerror or exc}")) from None


def _one_line(message: str) -> str:
    return " ".join(line.strip() for line in message.splitlines() if line.strip())


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(conex.__version__, prog_name="conex")
def main() -> None:
    """conex: spiking networks with synaptic plasticity, built on PyTorch and plugins."""


def _width() -> int:
    """The terminal's width in characters (``COLUMNS`` when set; 80 when the output is not a terminal)."""
    return shutil.get_terminal_size().columns


def _known_plugin(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--plugin``: an installed plugin's name (any case), else a usage error (exit 2) listing the installed ones."""
    if value is None:
        return None
    registry = get_registry()
    known = sorted({p.name for p in registry.plugins} | {e.plugin for e in registry})
    folded = {name.casefold(): name for name in known}
    if value.casefold() in folded:
        return folded[value.casefold()]
    hint = difflib.get_close_matches(value.casefold(), list(folded), n=1, cutoff=0.6)
    guess = f"; did you mean {folded[hint[0]]}?" if hint else ""
    raise click.BadParameter(f"no plugin named {value!r}{guess} (installed plugins: {', '.join(known)})", ctx, param)


@main.command("list-behaviors")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output, sorted by name.")
@click.option(
    "--plugin", metavar="PLUGIN", callback=_known_plugin, help="Only behaviors of this plugin (see conex plugins)."
)
@click.option(
    "--category",
    type=click.Choice(["synapse", "neuron", "network", "any"], case_sensitive=False),
    help="Only this category.",
)
def list_behaviors(as_json: bool, plugin: str | None, category: str | None) -> None:
    """List every registered behavior with its plugin, category and default priority.

    The table fits the terminal's width (set COLUMNS to change it); --json gives the full records.
    """
    registry = get_registry()
    _warn_broken(registry)
    entries = [
        e for e in registry if (plugin is None or e.plugin == plugin) and (category is None or e.category == category)
    ]
    if as_json:
        _dump([e.as_dict() for e in entries])
        return
    # an entry the plain name does not resolve to (another plugin's, or all of an ambiguous name's) shows qualified
    rows = [
        (
            e.name if registry.plain(e.name) is e else e.qualified_name,
            e.plugin,
            e.category,
            e.priority,
            plain_inline(e.doc),
        )
        for e in entries
    ]
    click.echo(format_table(("behavior", "plugin", "category", "priority", "description"), rows, _width()))


def _lookup(registry: Registry, name: str) -> BehaviorEntry:
    """The entry for ``name``; a name that matches one behavior's only up to case (``simplestdp``) is that behavior."""
    try:
        return registry.entry(name)
    except UnknownBehaviorError:
        names = {*registry.names(), *(e.qualified_name for e in registry)}
        same = [n for n in names if n.casefold() == name.casefold()]
        if len(same) != 1:
            raise
        return registry.entry(same[0])


@main.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def describe(name: str, as_json: bool) -> None:
    """Show a behavior's parameters: name, type, default, unit and meaning.

    NAME is a behavior's name (any case) or plugin:Name; a name not found gets close matches.
    """
    registry = get_registry()
    try:
        entry = _lookup(registry, name)
    except (UnknownBehaviorError, AmbiguousBehaviorError) as exc:
        click.echo(f"Error: {exc.args[0]}", err=True)
        raise click.exceptions.Exit(2) from None
    if as_json:
        _dump(entry.as_dict())
        return
    priority = "none" if entry.priority is None else entry.priority
    click.echo(f"{entry.name}  ({entry.plugin} {entry.version or ''})".rstrip())
    replicas = "yes" if entry.cls.supports_replicas else "no"
    click.echo(f"category: {entry.category}   default priority: {priority}   replicas: {replicas}")
    click.echo(f"class: {entry.cls.__module__}.{entry.cls.__qualname__}")
    width = _width()
    doc = inspect.cleandoc(entry.cls.__doc__ or "")
    if doc:
        click.echo("\n" + plain_text(doc, width))
    rows = [
        (
            p.name,
            p.type,
            "(required)" if p.required else repr(p.default),
            p.unit or "",
            plain_inline(
                "; ".join(
                    filter(
                        None,
                        [
                            p.doc,
                            f"must be {p.expected}" if p.expected else "",
                            "one value per replica allowed" if p.per_replica else "",
                        ],
                    )
                )
            ),
        )
        for p in entry.parameters
    ]
    click.echo("")
    header = ("parameter", "type", "default", "unit", "meaning")
    click.echo(format_table(header, rows, width) if rows else "no parameters")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins(as_json: bool) -> None:
    """List the installed plugins, their versions and whether they loaded.

    Status ``ok``, ``partial`` (some behaviors or demos refused), ``error`` (nothing loaded) or
    ``disabled``; the problem column says why, and which std names a plugin shadows.
    """
    registry = get_registry()
    if as_json:
        _dump([p.as_dict() for p in registry.plugins])
        return
    rows = [(p.name, p.version or "", p.status, len(p.behaviors), p.error or "") for p in registry.plugins]
    click.echo(format_table(("plugin", "version", "status", "behaviors", "problem"), rows))


class _DemoGroup(click.Group):
    """``conex demo``: the demos plugins contribute through the ``conex_demos`` hook."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(get_registry().demos)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return get_registry().demos.get(cmd_name)


@main.group(cls=_DemoGroup)
def demo() -> None:
    """Run a demo from an installed plugin.

    conex demo lists the demos (std's: digits); conex demo NAME --help shows a demo's options.
    """


def _print_summary(summary: dict[str, Any]) -> None:
    replicas = summary.get("replicas", 1)
    click.echo(
        f"\n{summary['iterations']} iterations of {summary['dt_ms']} ms on {summary['device']}, "
        f"{summary['ms_per_step']:.3f} ms per step"
    )
    if replicas > 1:
        click.echo(
            f"{replicas} replicas: rates are means ± sd across replicas; mean w is the mean ± sd of the "
            "replicas' mean weights, std, min and max are over all replicas' weights"
        )
    if summary["rates_hz"]:
        sd = summary.get("rates_hz_sd", {})
        rows = [(t, f"{r:.2f} ± {sd[t]:.2f}" if replicas > 1 else f"{r:.2f}") for t, r in summary["rates_hz"].items()]
        click.echo("\n" + format_table(("group", "rate (Hz)"), rows))
    if summary["weights"]:
        rows = [
            (
                name,
                f"{s['mean']:.4f} ± {s['mean_sd']:.4f}" if replicas > 1 else f"{s['mean']:.4f}",
                f"{s['std']:.4f}",
                f"{s['min']:.4f}",
                f"{s['max']:.4f}",
            )
            for name, s in summary["weights"].items()
        ]
        click.echo("\n" + format_table(("synapse", "mean w", "std", "min", "max"), rows))


@main.command()
@click.argument("network", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--steps",
    type=click.IntRange(min=0),
    help="Iterations to run (with --resume: further iterations [default: up to the number the run was started with]).",
)
@click.option("--device", help="Torch device, e.g. cpu or cuda (overrides the file).")
@click.option("--seed", type=int, help="Seed (overrides the file).")
@click.option(
    "--replicas", type=click.IntRange(min=1), help="Independent copies of the network run at once (overrides the file)."
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Results folder [default: runs/NAME].")
@click.option("--checkpoint-every", type=click.IntRange(min=1), help="Write a checkpoint every K iterations.")
@click.option(
    "--resume", type=click.Path(file_okay=False, exists=True, path_type=Path), help="Continue the run in DIR."
)
@click.option("--overwrite", is_flag=True, help="Allow writing into a non-empty --out folder.")
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    help="Torch CPU threads [default: torch's choice]; 1 is often fastest for small networks.",
)
@click.option("--plots/--no-plots", default=True, help="Write PNG plots (needs matplotlib).")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
def run(
    network: Path | None,
    steps: int | None,
    device: str | None,
    seed: int | None,
    replicas: int | None,
    out: Path | None,
    checkpoint_every: int | None,
    resume: Path | None,
    overwrite: bool,
    threads: int | None,
    plots: bool,
    progress: bool,
) -> None:
    """Run NETWORK (a TOML file) for --steps iterations, or continue a run with --resume DIR.

    Prints rates per group, weight statistics per synapse and the time per step, and writes the
    recorded data, a summary, plots and a checkpoint into the results folder.
    """
    from conex.runner import resume_run, start_run

    if (network is None) == (resume is None):
        raise click.UsageError("give either NETWORK or --resume DIR")
    if resume is not None:
        given = (("--seed", seed), ("--replicas", replicas), ("--out", out))
        fixed = [name for name, value in given if value is not None]
        if fixed or overwrite:
            raise click.UsageError(
                f"{(fixed or ['--overwrite'])[0]} does not apply to --resume: a resumed run keeps its seed, "
                "replicas and folder"
            )
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    with _user_errors():
        if resume is not None:
            job = resume_run(resume, steps=steps, device=device)
        else:
            if steps is None:
                raise click.UsageError("--steps is required with NETWORK")
            job = start_run(
                network,
                out or Path("runs") / network.stem,
                steps,
                device=device,
                seed=seed,
                replicas=replicas,
                overwrite=overwrite,
            )
        try:
            job.advance(checkpoint_every=checkpoint_every, progress=progress)
        except KeyboardInterrupt:
            job.checkpoint()
            click.echo(
                f"\ninterrupted at iteration {job.net.iteration}; continue with: conex run --resume {job.out}", err=True
            )
            raise click.exceptions.Exit(130) from None
        job.save_results(plots=plots)
    _print_summary(job.summary())
    click.echo(f"\nresults in {job.out}")


@main.command("new-plugin")
@click.argument("name")
@click.option(
    "--dir",
    "parent",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to write conex-NAME/ into.",
)
def new_plugin(name: str, parent: Path) -> None:
    """Write a plugin package conex-NAME/ (entry point, example behavior, tests) that installs and passes as is."""
    from conex.scaffold import write_plugin

    try:
        root = write_plugin(name, parent)
    except ConexError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {root}\nnext: pip install -e '{root}[test]' && pytest {root}")


@main.command()
@click.argument("sweep_file", metavar="SWEEP.toml", required=False, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Sweep folder [default: sweeps/NAME].")
@click.option("--address", help="A running Ray cluster, e.g. ray://head:10001 or auto [default: a local Ray].")
@click.option("--resume", is_flag=True, help="Continue the sweep in --out DIR (also: conex sweep --resume DIR).")
@click.option(
    "--pack",
    type=click.IntRange(min=1),
    help="Trials run at most as replicas of one network (1: one by one) [default: 8; with --resume: as started].",
)
@click.option("--cpus-per-trial", type=click.FloatRange(min=0), default=1.0, show_default=True)
@click.option("--gpus-per-trial", type=click.FloatRange(min=0), default=0.0, show_default=True)
@click.option("--device", help="Torch device of the trials, e.g. cuda [default: the file's; cuda with GPUs].")
@click.option("--plots/--no-plots", default=True, help="Write PNG plots (needs matplotlib).")
def sweep(
    sweep_file: Path | None,
    out: Path | None,
    address: str | None,
    resume: bool,
    pack: int | None,
    cpus_per_trial: float,
    gpus_per_trial: float,
    device: str | None,
    plots: bool,
) -> None:
    """Run the trials of SWEEP.toml (parameters x seeds of a network file) on Ray Tune, or continue a sweep.

    Writes one row per trial into DIR/results.csv (the swept values, seed, status, metrics, wall
    time) and a plot of each metric against each swept parameter. See the sweeps page of the docs.
    """
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        raise click.ClickException('conex sweep needs Ray Tune: pip install "conex-snn[sweep]"')
    from conex.sweep.results import reopen_folder, start_folder

    with _user_errors():
        if resume:
            if out is None and sweep_file is None:
                raise click.UsageError("give the sweep folder: conex sweep --resume DIR")
            folder = out if out is not None else sweep_file
            plan, started_pack = reopen_folder(folder, sweep_file if out is not None else None)
            pack = pack or started_pack
        else:
            if sweep_file is None:
                raise click.UsageError("give a sweep file, or --resume DIR")
            folder = out or Path("sweeps") / sweep_file.stem
            pack = pack or 8
            plan = start_folder(sweep_file, folder, pack)
        from conex.sweep.tune import run_sweep

        if device is None and gpus_per_trial > 0:
            device = "cuda"
        written = run_sweep(
            plan,
            folder,
            pack=pack,
            address=address,
            cpus_per_trial=cpus_per_trial,
            gpus_per_trial=gpus_per_trial,
            device=device,
            plots=plots,
            echo=click.echo,
        )
    click.echo(f"\nresults in {written[0]}")
