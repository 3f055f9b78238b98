"""The plugin registry: finds plugins through entry points and maps behavior names to classes.

A :class:`Registry` keeps the :class:`pluggy.PluginManager` it was built with
(:attr:`Registry.plugin_manager`). Plugins go through pluggy for registration, blocking, hook
validation and hook calls; conex adds fault isolation on top, so a plugin that fails to import,
fails :meth:`~pluggy.PluginManager.check_pending` or raises in its hook is reported
(``conex plugins``), unregistered and skipped while the rest keep working:

* entry points are loaded one by one here rather than by
  :meth:`~pluggy.PluginManager.load_setuptools_entrypoints`, which stops at the first plugin that
  fails to import and reads only the installed distributions (tests pass entry points directly);
* each plugin's hook is called on its own through
  :meth:`~pluggy.PluginManager.subset_hook_caller` (every other plugin removed), so pluggy's call
  machinery applies (the plugin's own hookwrappers included) and each result is known to come from
  that plugin. What is lost: a hookwrapper of one plugin does not wrap another plugin's
  implementations of a conex hook, and ``tryfirst``/``trylast`` do not order plugins (the registry
  sorts its entries by name anyway).

Set ``CONEX_DISABLE_PLUGINS=name1,name2`` to skip plugins by entry-point name: those names are
blocked in the plugin manager (:meth:`~pluggy.PluginManager.set_blocked`) and never imported.
"""

from __future__ import annotations

import difflib
import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar

import attrs
import click
import importlib_metadata
import pluggy

from conex import hookspecs
from conex.behavior import Behavior, ParamSpec
from conex.errors import AmbiguousBehaviorError, UnknownBehaviorError

__all__ = ["BehaviorEntry", "PluginStatus", "Registry", "get_registry", "load_registry", "reset_registry"]

ENTRY_POINT_GROUP = "conex"
DISABLE_ENV = "CONEX_DISABLE_PLUGINS"


@attrs.frozen
class BehaviorEntry:
    """One registered behavior."""

    name: str
    cls: type[Behavior]
    plugin: str
    version: str | None

    @property
    def qualified_name(self) -> str:
        return f"{self.plugin}:{self.name}"

    @property
    def category(self) -> str:
        return self.cls.category

    @property
    def priority(self) -> int | None:
        return None if self.cls.priority is None else int(self.cls.priority)

    @property
    def doc(self) -> str:
        """First line of the class docstring."""
        lines = (self.cls.__doc__ or "").strip().splitlines()
        return lines[0].strip() if lines else ""

    @property
    def parameters(self) -> tuple[ParamSpec, ...]:
        return self.cls.describe_parameters()

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "qualified_name": self.qualified_name,
            "class": f"{self.cls.__module__}.{self.cls.__qualname__}",
            "plugin": self.plugin,
            "version": self.version,
            "category": self.category,
            "priority": self.priority,
            "doc": self.doc,
            "parameters": [p.as_dict() for p in self.parameters],
        }


@attrs.frozen
class PluginStatus:
    """What became of one plugin: ``ok``, ``error`` (with the reason) or ``disabled``."""

    name: str
    version: str | None
    status: str
    error: str | None = None
    behaviors: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


class Registry:
    """Behavior name -> class, with the plugin, version, category, priority and parameters.

    Iteration is sorted by ``(name, plugin)``, whatever order pluggy called the hooks in.
    :attr:`plugin_manager` is the pluggy manager the registry was built with: it holds the plugins
    that loaded and whose hooks worked, and blocks the disabled names (an empty manager that knows
    conex's hooks when none is given).
    """

    # the registry of the installed plugins, see installed(); lives until forget_installed() or process exit
    _installed: ClassVar[Registry | None] = None

    def __init__(
        self,
        entries: Iterable[BehaviorEntry],
        plugins: Iterable[PluginStatus],
        demos: Mapping[str, click.Command] | None = None,
        plugin_manager: pluggy.PluginManager | None = None,
    ) -> None:
        self.plugin_manager = plugin_manager if plugin_manager is not None else _new_plugin_manager()
        self._entries = sorted(entries, key=lambda e: (e.name, e.plugin))
        self.plugins = sorted(plugins, key=lambda p: p.name)
        self.demos = dict(sorted((demos or {}).items()))
        self._by_qualified = {e.qualified_name: e for e in self._entries}
        self._by_name: dict[str, list[BehaviorEntry]] = {}
        for entry in self._entries:
            self._by_name.setdefault(entry.name, []).append(entry)

    def __iter__(self) -> Iterator[BehaviorEntry]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name or name in self._by_qualified

    def names(self) -> list[str]:
        return sorted(self._by_name)

    @property
    def duplicates(self) -> dict[str, list[str]]:
        """Names claimed by more than one plugin -> those plugins."""
        return {name: [e.plugin for e in found] for name, found in self._by_name.items() if len(found) > 1}

    def entry(self, name: str) -> BehaviorEntry:
        """The entry for ``Name`` or ``plugin:Name``."""
        if name in self._by_qualified:
            return self._by_qualified[name]
        found = self._by_name.get(name)
        if not found:
            hint = self.close_matches(name)
            suggestion = f"; did you mean {', '.join(hint)}?" if hint else ""
            raise UnknownBehaviorError(f"no behavior named {name!r}{suggestion}")
        if len(found) > 1:
            options = ", ".join(e.qualified_name for e in found)
            raise AmbiguousBehaviorError(f"{name!r} is provided by several plugins; use one of {options}")
        return found[0]

    def get(self, name: str) -> type[Behavior]:
        """The class registered as ``Name`` or ``plugin:Name``."""
        return self.entry(name).cls

    def close_matches(self, name: str) -> list[str]:
        return difflib.get_close_matches(name, list(self._by_name), n=3, cutoff=0.6)

    def providers_of(self, attribute: str) -> list[str]:
        """Names of registered behaviors that declare they set ``attribute`` on their host."""
        return sorted({e.name for e in self._entries if attribute in e.cls.provides})

    @classmethod
    def installed(cls) -> Registry:
        """The registry of the installed plugins (the ``conex`` entry-point group).

        Built by the first call in a process and held on the class, so every later call returns the
        same object until :meth:`forget_installed`: plugins are imported and their hooks called once.
        """
        if Registry._installed is None:
            Registry._installed = load_registry()
        return Registry._installed

    @classmethod
    def forget_installed(cls) -> None:
        """Drop the registry :meth:`installed` holds; the next call rebuilds it (after installing or
        uninstalling a plugin in the same process, or in tests)."""
        Registry._installed = None


def _new_plugin_manager() -> pluggy.PluginManager:
    """A plugin manager that knows conex's hook specifications and holds no plugin."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    return manager


def _disabled_names() -> set[str]:
    return {name.strip() for name in os.environ.get(DISABLE_ENV, "").split(",") if name.strip()}


def _version_of(entry_point: Any) -> str | None:
    dist = getattr(entry_point, "dist", None)
    return getattr(dist, "version", None)


def _describe_exception(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def load_registry(entry_points: Iterable[Any] | None = None) -> Registry:
    """Load the plugins of ``entry_points`` (default: the installed ``conex`` group) into a new
    plugin manager and build a registry. Never raises for a broken plugin: its status records why."""
    if entry_points is None:
        entry_points = importlib_metadata.entry_points(group=ENTRY_POINT_GROUP)
    manager = _new_plugin_manager()
    for name in _disabled_names():
        manager.set_blocked(name)
    statuses: dict[str, PluginStatus] = {}
    versions: dict[str, str | None] = {}
    for ep in sorted(entry_points, key=lambda e: e.name):
        _register(manager, ep, statuses, versions)
    _drop_invalid_plugins(manager, statuses, versions)

    entries: list[BehaviorEntry] = []
    for name, classes in _call_each(manager, "conex_behaviors", statuses, versions, _behavior_classes):
        entries.extend(BehaviorEntry(c.__name__, c, name, versions[name]) for c in classes)
        statuses[name] = PluginStatus(name, versions[name], "ok", None, tuple(sorted(c.__name__ for c in classes)))
    demos: dict[str, click.Command] = {}
    for _, commands in _call_each(manager, "conex_demos", statuses, versions, _demo_commands):
        demos.update((c.name, c) for c in commands)

    registry = Registry(entries, statuses.values(), demos, manager)
    for name, plugins in registry.duplicates.items():
        for plugin in plugins:
            status = statuses[plugin]
            others = ", ".join(p for p in plugins if p != plugin)
            note = f"behavior {name!r} is also provided by {others}; plain name refused, use {plugin}:{name}"
            statuses[plugin] = attrs.evolve(status, error="; ".join(filter(None, [status.error, note])))
    registry.plugins = sorted(statuses.values(), key=lambda p: p.name)
    return registry


def _register(
    manager: pluggy.PluginManager, ep: Any, statuses: dict[str, PluginStatus], versions: dict[str, str | None]
) -> None:
    """Import entry point ``ep`` and register it under its name, unless that name is blocked or taken."""
    version = _version_of(ep)
    if manager.is_blocked(ep.name):
        statuses[ep.name] = PluginStatus(ep.name, version, "disabled", f"listed in {DISABLE_ENV}")
        return
    if manager.has_plugin(ep.name):
        statuses[ep.name + f" ({ep.value})"] = PluginStatus(
            ep.name, version, "error", f"entry point name {ep.name!r} is already used by another distribution"
        )
        return
    try:
        plugin = ep.load()
    except Exception as exc:  # noqa: BLE001 - any failure of a plugin is reported, not raised
        statuses[ep.name] = PluginStatus(ep.name, version, "error", "import failed: " + _describe_exception(exc))
        return
    try:
        manager.register(plugin, name=ep.name)
    except (ValueError, pluggy.PluginValidationError) as exc:
        statuses[ep.name] = PluginStatus(ep.name, version, "error", "register failed: " + _describe_exception(exc))
        return
    versions[ep.name] = version


def _behavior_classes(result: Iterable[Any]) -> list[type[Behavior]]:
    classes = list(dict.fromkeys(result))
    bad = [c for c in classes if not (isinstance(c, type) and issubclass(c, Behavior))]
    if bad:
        raise TypeError(f"returned non-Behavior objects: {bad!r}")
    return classes


def _demo_commands(result: Iterable[Any]) -> list[click.Command]:
    commands = list(result)
    bad = [c for c in commands if not isinstance(c, click.Command)]
    if bad:
        raise TypeError(f"returned non-click.Command objects: {bad!r}")
    return commands


def _call_each(
    manager: pluggy.PluginManager,
    hook_name: str,
    statuses: dict[str, PluginStatus],
    versions: dict[str, str | None],
    check: Callable[[Iterable[Any]], list[Any]],
) -> Iterator[tuple[str, list[Any]]]:
    """Call hook ``hook_name`` of each registered plugin on its own, in name order, and yield the
    plugin's name and its checked results (its implementations' returns, concatenated).

    A plugin whose hook raises, or returns what ``check`` refuses, is marked, unregistered and skipped.
    """
    for name in sorted(versions):
        plugin = manager.get_plugin(name)
        if plugin is None:  # unregistered after an earlier hook failed
            continue
        caller = manager.subset_hook_caller(hook_name, remove_plugins=manager.get_plugins() - {plugin})
        try:
            result = check(itertools.chain.from_iterable(caller()))
        except Exception as exc:  # noqa: BLE001 - a failing plugin is reported, not raised
            manager.unregister(name=name)
            statuses[name] = PluginStatus(
                name, versions[name], "error", f"{hook_name} failed: {_describe_exception(exc)}"
            )
            continue
        yield name, result


def _drop_invalid_plugins(
    manager: pluggy.PluginManager, statuses: dict[str, PluginStatus], versions: dict[str, str | None]
) -> None:
    """``check_pending`` until it passes, unregistering each plugin that implements an unknown hook."""
    while True:
        try:
            manager.check_pending()
            return
        except pluggy.PluginValidationError as exc:
            name = manager.get_name(exc.plugin)
            manager.unregister(exc.plugin)
            statuses[name] = PluginStatus(name, versions.pop(name), "error", "invalid hook: " + str(exc))


def get_registry() -> Registry:
    """The registry of the installed plugins: :meth:`Registry.installed` (built once per process)."""
    return Registry.installed()


def reset_registry() -> None:
    """Forget the registry of the installed plugins: :meth:`Registry.forget_installed`."""
    Registry.forget_installed()
