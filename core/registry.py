"""The plugin registry: finds plugins through entry points and maps behavior names to classes.

A :class:`Registry` keeps the :class:`pluggy.PluginManager` it was built with
(:attr:`Registry.plugin_manager`). Plugins go through pluggy for registration, blocking, hook
validation and hook calls; conex adds fault isolation on top, so a plugin that fails to import,
fails :meth:`~pluggy.PluginManager.check_pending` or raises in its hook is reported
(``conex plugins``), unregistered and skipped while the rest keep working:

* every call into a plugin (import, registration, hooks, the checks of what it contributes) runs in
  :class:`_Isolated`, which catches whatever the plugin raises, ``SystemExit`` and other
  ``BaseException`` s included; a ``KeyboardInterrupt`` is caught only when the plugin raised it
  itself: a real Ctrl-C (a SIGINT that arrives meanwhile, or any interrupt outside the main thread)
  still stops conex;
* each contributed class is checked (a Behavior subclass, an int priority, a known category,
  ``requires``/``provides`` sequences of strings, a parameter table and docstring that can be read):
  a bad one is refused with its reason and the plugin's other classes stay (status ``partial``);

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

Names: a plain name resolves to the one plugin that provides it; a name that ``std`` provides stays
``std``'s whatever else is installed (the others are reachable as ``plugin:Name``, and their status says
which std name they shadow); a plain name that two other plugins claim is refused, listing both. A name
that is not found is reported together with the plugins that failed to load or refused it.
"""

from __future__ import annotations

import difflib
import numbers
import os
import signal
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import TracebackType
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
STD_PLUGIN = "std"  # the entry-point name whose plain names win over other plugins'
CATEGORIES = ("synapse", "neuron", "network", "any")


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
    """What became of one plugin: ``ok``, ``partial`` (some contributions refused), ``error`` (nothing
    loaded) or ``disabled``; ``error`` holds the reasons (for ``ok``: notes such as a shadowed std name)."""

    name: str
    version: str | None
    status: str
    error: str | None = None
    behaviors: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def _close(name: str, names: Iterable[str]) -> list[str]:
    """Up to 3 of ``names`` that look like ``name``, ignoring case (``simplestdp`` suggests ``SimpleSTDP``)."""
    folded: dict[str, list[str]] = {}
    for candidate in names:
        folded.setdefault(candidate.casefold(), []).append(candidate)
    matches = difflib.get_close_matches(name.casefold(), list(folded), n=3, cutoff=0.6)
    return [candidate for match in matches for candidate in folded[match]]


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
        refused: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    ) -> None:
        self.plugin_manager = plugin_manager if plugin_manager is not None else _new_plugin_manager()
        # behavior name -> (plugin, reason) for each class a plugin contributed under that name and was refused
        self.refused = {name: list(found) for name, found in (refused or {}).items()}
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

    @property
    def shadowed(self) -> dict[str, list[str]]:
        """Names std provides that other plugins provide too -> those other plugins (the plain name stays std's)."""
        return {
            name: [p for p in plugins if p != STD_PLUGIN]
            for name, plugins in self.duplicates.items()
            if STD_PLUGIN in plugins
        }

    def plain(self, name: str) -> BehaviorEntry | None:
        """The entry the plain ``name`` resolves to: its one provider, or std's; None if absent or ambiguous."""
        found = self._by_name.get(name, [])
        if len(found) == 1:
            return found[0]
        return next((e for e in found if e.plugin == STD_PLUGIN), None)

    def entry(self, name: str) -> BehaviorEntry:
        """The entry for ``Name`` or ``plugin:Name``.

        A plain name that std provides is std's even when other plugins provide it too (they are
        reached as ``plugin:Name``); one that several other plugins provide is ambiguous.
        """
        if name in self._by_qualified:
            return self._by_qualified[name]
        if ":" in name:
            raise UnknownBehaviorError(self._qualified_miss(*name.split(":", 1)))
        found = self._by_name.get(name)
        if not found:
            raise UnknownBehaviorError(self._plain_miss(name))
        resolved = self.plain(name)
        if resolved is None:
            options = ", ".join(e.qualified_name for e in found)
            raise AmbiguousBehaviorError(f"{name!r} is provided by several plugins; use one of {options}")
        return resolved

    def _refusals(self, name: str, plugin: str | None = None) -> list[str]:
        return [
            f"plugin {owner!r} provides {name!r} but it was refused: {reason}"
            for owner, reason in self.refused.get(name, [])
            if plugin is None or owner == plugin
        ]

    def _unloaded(self, only: str | None = None) -> list[str]:
        """Why each plugin that could have provided a missing name did not (failed to load or disabled)."""
        notes = []
        for status in self.plugins:
            if only is not None and status.name != only:
                continue
            if status.status == "error":
                notes.append(f"plugin {status.name!r} failed to load ({status.error})")
            elif status.status == "disabled":
                notes.append(f"plugin {status.name!r} is disabled ({status.error})")
        return notes

    def _plain_miss(self, name: str) -> str:
        hint = self.close_matches(name)
        message = f"no behavior named {name!r}" + (f"; did you mean {', '.join(hint)}?" if hint else "")
        notes = self._refusals(name) or self._unloaded()
        return message + "".join(f"; {note}" for note in notes)

    def _qualified_miss(self, plugin: str, name: str) -> str:
        notes = self._refusals(name, plugin) or self._unloaded(plugin)
        if notes:
            return f"no behavior named {plugin + ':' + name!r}: " + "; ".join(notes)
        if plugin not in {p.name for p in self.plugins} | {e.plugin for e in self._entries}:
            known = ", ".join(sorted({p.name for p in self.plugins})) or "none"
            return f"no behavior named {plugin + ':' + name!r}: no plugin named {plugin!r} (plugins: {known})"
        own = [e.name for e in self._entries if e.plugin == plugin]
        hint = _close(name, own)
        suggestion = f"; did you mean {', '.join(plugin + ':' + h for h in hint)}?" if hint else ""
        return f"no behavior named {plugin + ':' + name!r}: plugin {plugin!r} has no behavior {name!r}{suggestion}"

    def get(self, name: str) -> type[Behavior]:
        """The class registered as ``Name`` or ``plugin:Name``."""
        return self.entry(name).cls

    def close_matches(self, name: str) -> list[str]:
        return _close(name, self._by_name)

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
    """One line: the exception's type and the first line of its message (cut at 300 characters)."""
    if isinstance(exc, SystemExit):
        return f"SystemExit({exc.code!r}): the plugin called sys.exit"
    if isinstance(exc, KeyboardInterrupt):
        return "KeyboardInterrupt raised by the plugin itself (not a Ctrl-C)"
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001 - an exception whose message cannot be read is still described
        text = "(its message cannot be read)"
    lines = text.strip().splitlines()
    line = lines[0] if lines else ""
    line = line if len(line) <= 300 else line[:297] + "..."
    return f"{type(exc).__name__}: {line}" if line else type(exc).__name__


class _Isolated:
    """A context that runs a plugin's code and catches whatever it raises into :attr:`failure`.

    ``Exception`` s, ``SystemExit`` (a plugin calling ``sys.exit``) and other ``BaseException`` s are
    caught and described. ``KeyboardInterrupt`` is caught only when the plugin raised it itself: while
    the context is open (in the main thread) SIGINT goes through a handler that notes the signal and
    then does what the previous handler does, so a user's Ctrl-C still stops conex. Outside the main
    thread a signal cannot be told apart, and every ``KeyboardInterrupt`` propagates.
    """

    def __init__(self) -> None:
        self.failure: str | None = None
        self._signalled = False
        self._tracking = False
        self._previous: Any = None

    def __enter__(self) -> _Isolated:
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGINT)
            if previous is not None:  # None: a handler not installed from Python, which cannot be restored
                self._previous, self._tracking = previous, True
                signal.signal(signal.SIGINT, self._on_interrupt)
        return self

    def _on_interrupt(self, signum: int, frame: Any) -> None:
        self._signalled = True
        if callable(self._previous):
            self._previous(signum, frame)
        elif self._previous != signal.SIG_IGN:
            raise KeyboardInterrupt

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> bool:
        if self._tracking:
            signal.signal(signal.SIGINT, self._previous)
        if exc is None:
            return False
        if isinstance(exc, KeyboardInterrupt) and (self._signalled or not self._tracking):
            return False  # the user's Ctrl-C: stop conex
        self.failure = _describe_exception(exc)
        return True


def _check_behavior(obj: Any) -> tuple[str, str | None]:
    """``(name, reason)`` for one contributed object: reason None when it is a usable behavior class."""
    if not isinstance(obj, type):
        return repr(obj)[:80], f"{obj!r:.80} is not a class (expected a subclass of conex.Behavior)"
    name = obj.__name__
    if not issubclass(obj, Behavior):
        return name, f"{name} is a non-Behavior class (expected a subclass of conex.Behavior)"
    if ":" in name:
        return name, f"{name}: ':' in a behavior name clashes with plugin:Name"
    priority = obj.priority
    if priority is not None and (isinstance(priority, bool) or not isinstance(priority, numbers.Integral)):
        return name, f"{name}.priority: expected an int or None, got {priority!r}"
    if obj.category not in CATEGORIES:
        return name, f"{name}.category: expected one of {', '.join(CATEGORIES)}, got {obj.category!r}"
    for attribute in ("requires", "provides"):
        value = getattr(obj, attribute)
        if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
            return name, f"{name}.{attribute}: expected a tuple of attribute names (strings), got {value!r}"
    for attribute in ("initialize_last", "supports_replicas"):
        if not isinstance(getattr(obj, attribute), bool):
            return name, f"{name}.{attribute}: expected True or False, got {getattr(obj, attribute)!r}"
    return name, None


def _accept_behaviors(
    plugin: str, version: str | None, result: list[Any]
) -> tuple[list[BehaviorEntry], list[tuple[str, str]]]:
    """The usable entries of one plugin's ``conex_behaviors`` result and ``(name, reason)`` for each refused one.

    Each class must pass :func:`_check_behavior` and give its docstring and parameter table (what
    ``conex list-behaviors`` and ``describe`` show) without raising; a second class under a name the
    plugin already contributed is refused.
    """
    accepted: dict[str, BehaviorEntry] = {}
    refused: list[tuple[str, str]] = []
    for obj in dict.fromkeys(result):
        with _Isolated() as guard:
            name, reason = _check_behavior(obj)
        if guard.failure is not None:
            refused.append((repr(obj)[:80], f"checking it raised {guard.failure}"))
            continue
        if reason is None and name in accepted:
            reason = f"{name}: a second class of that name from the same plugin"
        if reason is None:
            entry = BehaviorEntry(name, obj, plugin, version)
            with _Isolated() as guard:
                entry.as_dict()
            if guard.failure is not None:
                reason = f"{name}: reading its description or parameters raised {guard.failure}"
        if reason is None:
            accepted[name] = entry
        else:
            refused.append((name, reason))
    return list(accepted.values()), refused


def _accept_demos(result: list[Any]) -> tuple[list[click.Command], list[str]]:
    """The click commands of a ``conex_demos`` result (each with a name) and the reasons for the others."""
    commands, refused = [], []
    for obj in result:
        if isinstance(obj, click.Command) and isinstance(obj.name, str) and obj.name:
            commands.append(obj)
        else:
            refused.append(f"demo {obj!r:.80} is not a named click.Command")
    return commands, refused


def _merge(status: PluginStatus, state: str, note: str) -> PluginStatus:
    """``status`` with ``note`` added to its reasons and its state worsened to ``state`` (ok < partial < error)."""
    order = ("ok", "partial", "error")
    worse = max(status.status, state, key=order.index) if status.status in order else status.status
    return attrs.evolve(status, status=worse, error="; ".join(filter(None, [status.error, note])))


def load_registry(entry_points: Iterable[Any] | None = None) -> Registry:
    """Load the plugins of ``entry_points`` (default: the installed ``conex`` group) into a new
    plugin manager and build a registry. Never raises for a broken plugin: its status records why.
    (A user's Ctrl-C while a plugin loads does propagate: see :class:`_Isolated`.)"""
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
    refused: dict[str, list[tuple[str, str]]] = {}
    for name, result in _call_each(manager, "conex_behaviors", statuses, versions):
        accepted, rejected = _accept_behaviors(name, versions[name], result)
        entries.extend(accepted)
        status = PluginStatus(name, versions[name], "ok", None, tuple(sorted(e.name for e in accepted)))
        for behavior, reason in rejected:
            refused.setdefault(behavior, []).append((name, reason))
            status = _merge(status, "partial" if accepted else "error", f"refused {reason}")
        statuses[name] = status
    demos: dict[str, click.Command] = {}
    for name, result in _call_each(manager, "conex_demos", statuses, versions):
        commands, rejected = _accept_demos(result)
        demos.update((c.name, c) for c in commands)
        for reason in rejected:
            statuses[name] = _merge(statuses[name], "partial", reason)

    registry = Registry(entries, statuses.values(), demos, manager, refused)
    for name, plugins in registry.duplicates.items():
        for plugin in plugins:
            if STD_PLUGIN in plugins:
                if plugin == STD_PLUGIN:
                    continue
                note = f"shadows std's {name}: the plain name {name} stays std's, this one is {plugin}:{name}"
            else:
                others = ", ".join(p for p in plugins if p != plugin)
                note = f"behavior {name!r} is also provided by {others}; plain name refused, use {plugin}:{name}"
            status = statuses[plugin]
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
    with _Isolated() as guard:
        plugin = ep.load()
    if guard.failure is not None:
        statuses[ep.name] = PluginStatus(ep.name, version, "error", "import failed: " + guard.failure)
        return
    with _Isolated() as guard:
        manager.register(plugin, name=ep.name)
    if guard.failure is not None:
        if manager.has_plugin(ep.name):  # registered, then failed (e.g. a hook with unknown arguments)
            manager.unregister(name=ep.name)
        statuses[ep.name] = PluginStatus(ep.name, version, "error", "register failed: " + guard.failure)
        return
    versions[ep.name] = version


def _call_each(
    manager: pluggy.PluginManager,
    hook_name: str,
    statuses: dict[str, PluginStatus],
    versions: dict[str, str | None],
) -> Iterator[tuple[str, list[Any]]]:
    """Call hook ``hook_name`` of each registered plugin on its own, in name order, and yield the
    plugin's name and its results (its implementations' returns, concatenated into a list).

    A plugin whose hook raises (anything, see :class:`_Isolated`), or returns something other than a
    sequence, is marked, unregistered and skipped.
    """
    for name in sorted(versions):
        plugin = manager.get_plugin(name)
        if plugin is None:  # unregistered after an earlier hook failed
            continue
        failure = None
        with _Isolated() as guard:
            caller = manager.subset_hook_caller(hook_name, remove_plugins=manager.get_plugins() - {plugin})
            returns = caller()
            bad = [r for r in returns if isinstance(r, (str, bytes)) or not isinstance(r, Iterable)]
            if bad:
                failure = f"returned {bad[0]!r:.80}, expected a list"
            else:
                result = [item for returned in returns for item in returned]
        failure = guard.failure or failure
        if failure is not None:
            with _Isolated():
                manager.unregister(name=name)
            state = statuses.get(name)
            behaviors = state.behaviors if state is not None else ()
            status = PluginStatus(name, versions[name], "error" if not behaviors else "partial", None, behaviors)
            statuses[name] = _merge(status, status.status, f"{hook_name} failed: {failure}")
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
