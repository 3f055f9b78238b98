"""The ``conex`` command line."""

from __future__ import annotations

import inspect
import json
from typing import Any

import click

import conex
from conex.errors import AmbiguousBehaviorError, UnknownBehaviorError
from conex.registry import Registry, get_registry
from conex.table import format_table

__all__ = ["main"]


def _warn_broken(registry: Registry) -> None:
    for plugin in registry.plugins:
        if plugin.status == "error":
            click.echo(f"warning: plugin {plugin.name!r}: {plugin.error}", err=True)


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(conex.__version__, prog_name="conex")
def main() -> None:
    """conex: spiking networks with synaptic plasticity, built on PyTorch and plugins."""


@main.command("list-behaviors")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output, sorted by name.")
@click.option("--plugin", help="Only behaviors of this plugin.")
@click.option("--category", type=click.Choice(["synapse", "neuron", "network", "any"]), help="Only this category.")
def list_behaviors(as_json: bool, plugin: str | None, category: str | None) -> None:
    """List every registered behavior with its plugin, category and default priority."""
    registry = get_registry()
    _warn_broken(registry)
    entries = [
        e for e in registry if (plugin is None or e.plugin == plugin) and (category is None or e.category == category)
    ]
    duplicates = registry.duplicates
    if as_json:
        _dump([e.as_dict() for e in entries])
        return
    rows = [
        (e.qualified_name if e.name in duplicates else e.name, e.plugin, e.category, e.priority, e.doc) for e in entries
    ]
    click.echo(format_table(("behavior", "plugin", "category", "priority", "description"), rows))


@main.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def describe(name: str, as_json: bool) -> None:
    """Show a behavior's parameters: name, type, default, unit and meaning."""
    registry = get_registry()
    try:
        entry = registry.entry(name)
    except (UnknownBehaviorError, AmbiguousBehaviorError) as exc:
        click.echo(f"Error: {exc.args[0]}", err=True)
        raise click.exceptions.Exit(2) from None
    if as_json:
        _dump(entry.as_dict())
        return
    priority = "none" if entry.priority is None else entry.priority
    click.echo(f"{entry.name}  ({entry.plugin} {entry.version or ''})".rstrip())
    click.echo(f"category: {entry.category}   default priority: {priority}")
    click.echo(f"class: {entry.cls.__module__}.{entry.cls.__qualname__}")
    doc = inspect.cleandoc(entry.cls.__doc__ or "")
    if doc:
        click.echo("\n" + doc)
    rows = [
        (
            p.name,
            p.type,
            "(required)" if p.required else repr(p.default),
            p.unit or "",
            "; ".join(filter(None, [p.doc, f"must be {p.expected}" if p.expected else ""])),
        )
        for p in entry.parameters
    ]
    click.echo("")
    click.echo(format_table(("parameter", "type", "default", "unit", "meaning"), rows) if rows else "no parameters")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins(as_json: bool) -> None:
    """List the installed plugins, their versions and whether they loaded."""
    registry = get_registry()
    if as_json:
        _dump([p.as_dict() for p in registry.plugins])
        return
    rows = [(p.name, p.version or "", p.status, len(p.behaviors), p.error or "") for p in registry.plugins]
    click.echo(format_table(("plugin", "version", "status", "behaviors", "problem"), rows))
