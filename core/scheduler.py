"""The network-wide schedule: one total order over every behavior of every object.

Order within an iteration is ``(priority, insertion)``: behaviors sort by priority, and ties keep
the order in which they were attached (objects in creation order, each object's behaviors in the
order given). ``initialize`` uses the same order, except that behaviors with
``initialize_last = True`` run in a second pass after all others.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from conex.behavior import Behavior, describe
from conex.errors import ConexError
from conex.table import format_table

__all__ = [
    "BehaviorSpec",
    "ScheduleSummary",
    "ScheduledBehavior",
    "build_schedule",
    "normalize_behaviors",
    "place_behavior",
]

BehaviorSpec = Mapping[int, Behavior] | Sequence[Behavior] | None


@attrs.frozen
class ScheduledBehavior:
    """One entry of the schedule: when it runs, on what, and which behavior."""

    priority: int
    insertion: int
    host: Any
    behavior: Behavior


def place_behavior(
    placed: dict[Any, Behavior],
    behavior: Any,
    priority: Any = None,
    *,
    where: str,
    fix: str,
    error: type[ConexError] = ConexError,
) -> None:
    """Put ``behavior`` into ``placed`` at ``priority``, or at its class's default priority when that is None.

    Every message starts with ``where`` (a host's label, a place in a network file) and names the
    behavior; ``fix`` says what to do instead (``"set priority = <int>"``). A behavior class without a
    default priority, or a priority already taken, raises ``error``; a non-behavior or a priority that
    is not a number, TypeError.
    """
    if not isinstance(behavior, Behavior):
        raise TypeError(f"{where}: behavior at priority {priority!r} must be a conex Behavior, got {behavior!r}")
    name = type(behavior).__name__
    if priority is None:
        default = type(behavior).priority
        if default is None:
            raise error(f"{where}: {name} has no default priority; {fix}")
        priority = int(default)
    elif isinstance(priority, bool) or not isinstance(priority, (int, float)):
        raise TypeError(f"{where}: priority of {name} must be a number, got {priority!r}")
    if priority in placed:
        other = type(placed[priority]).__name__
        raise error(f"{where}: priority {priority} of {name} is already taken by {other}; {fix}")
    placed[priority] = behavior


def normalize_behaviors(host_label: str, spec: BehaviorSpec) -> dict[int, Behavior]:
    """Turn a ``{priority: behavior}`` dict or a list of behaviors into a priority dict.

    List entries go to their class's default priority; two entries with the same default, or a
    behavior class without one, are errors (give the priorities explicitly with a dict).
    """
    if spec is None:
        return {}
    if isinstance(spec, Mapping):
        items = list(spec.items())
    elif isinstance(spec, Iterable) and not isinstance(spec, (str, bytes)):
        items = [(None, behavior) for behavior in spec]
    else:
        raise TypeError(f"{host_label}: behavior must be a dict {{priority: Behavior}} or a list, got {spec!r}")
    result: dict[int, Behavior] = {}
    for priority, behavior in items:
        place_behavior(
            result, behavior, priority, where=host_label, fix="pass behaviors as a {priority: behavior} dict"
        )
    return result


def build_schedule(hosts: Iterable[Any]) -> list[ScheduledBehavior]:
    """Every behavior of ``hosts`` (in creation order), sorted by ``(priority, insertion)``."""
    entries: list[ScheduledBehavior] = []
    for host in hosts:
        for priority, behavior in host.behavior.items():
            entries.append(ScheduledBehavior(priority, len(entries), host, behavior))
    entries.sort(key=lambda e: (e.priority, e.insertion))
    return entries


def initialization_order(schedule: Sequence[ScheduledBehavior]) -> list[ScheduledBehavior]:
    """The schedule with ``initialize_last`` behaviors moved to the end (order otherwise kept)."""
    first = [e for e in schedule if not e.behavior.initialize_last]
    last = [e for e in schedule if e.behavior.initialize_last]
    return first + last


class ScheduleSummary(Sequence[ScheduledBehavior]):
    """The schedule as a table (printable), in the spirit of Brian2's ``scheduling_summary``."""

    def __init__(self, entries: Sequence[ScheduledBehavior]) -> None:
        self._entries = list(entries)

    def __getitem__(self, index: Any) -> Any:
        return self._entries[index]

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[ScheduledBehavior]:
        return iter(self._entries)

    def rows(self) -> list[tuple[str, str, str, str]]:
        return [
            (
                str(e.priority),
                describe(e.host),
                type(e.behavior).__name__,
                ("yes" if e.behavior.behavior_enabled else "no")
                + (", init last" if e.behavior.initialize_last else ""),
            )
            for e in self._entries
        ]

    def __str__(self) -> str:
        return format_table(("priority", "object", "behavior", "enabled"), self.rows())

    __repr__ = __str__
