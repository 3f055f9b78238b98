"""Wiring checks at initialize: input that a network computes and then never uses.

Two mistakes run without any error unless checked: a synapse whose current no behavior of its
destination reads (its tag names no dendrite the destination gathers, e.g. ``"proximal"`` for
``"Proximal"``), and a reward-modulated rule on a network where nothing sets the dopamine it
multiplies its eligibility with.

Synapse currents are read by tag. A neuron-group behavior that reads its afferent synapses' ``I``
declares which tags it reads, and one that discards some of what another gathers declares that too:

* ``reads_synapse_tags``: a collection of synapse tags (class attribute or property), e.g.
  ``("Proximal", "Distal", "Apical")`` for :class:`~conex_std.neurons.dendrite.SimpleDendriteStructure`,
  ``(self.dendrite,)`` for a behavior that reads one dendrite;
* ``ignores_synapse_tags``: a mapping tag -> why its input is dropped (e.g. ``{"Apical":
  "apical_provocativeness is None"}`` for :class:`~conex_std.neurons.dendrite.SimpleDendriteComputation`).

A dendritic input calls :func:`check_current_is_read` at initialize. Destinations where no
behavior declares ``reads_synapse_tags`` are not checked (their readers are unknown: a test
harness, or a plugin that has not declared them).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["check_current_is_read", "check_dopamine_source", "synapse_tags_read"]

READS = "reads_synapse_tags"
IGNORES = "ignores_synapse_tags"


def _behaviors(obj: Any) -> Iterable[Any]:
    return getattr(obj, "behavior", {}).values()


def synapse_tags_read(group: Any) -> tuple[dict[str, str], dict[str, str]] | None:
    """``(tag -> the behavior that reads it, tag -> why it is dropped)`` of ``group``'s declared readers.

    None when no behavior of the group declares ``reads_synapse_tags``.
    """
    read: dict[str, str] = {}
    ignored: dict[str, str] = {}
    declared = False
    for behavior in _behaviors(group):
        tags = getattr(behavior, READS, None)
        if tags is not None:
            declared = True
            for tag in tags:
                read.setdefault(tag, type(behavior).__name__)
        drops = getattr(behavior, IGNORES, None)
        if isinstance(drops, Mapping):
            for tag, why in drops.items():
                ignored.setdefault(tag, f"{type(behavior).__name__} ignores it ({why})")
    return (read, ignored) if declared else None


def check_current_is_read(behavior: Any, synapse: Any) -> None:
    """Raise a :class:`~conex.ConexError` when no behavior of ``synapse.dst`` reads the current ``behavior`` sets.

    The synapse's current reaches the destination when one of its tags is a tag a destination
    behavior reads and no other destination behavior drops. Tags are case-sensitive; the message
    suggests the read tag closest to each of the synapse's tags.
    """
    found = synapse_tags_read(synapse.dst)
    if found is None:
        return
    read, ignored = found
    if any(tag in read and tag not in ignored for tag in synapse.tags):
        return
    dst = synapse.dst.label()
    usable = [tag for tag in read if tag not in ignored]
    reads = (
        f"reads synapses tagged {', '.join(usable)} ({', '.join(sorted({read[t] for t in usable}))})"
        if usable
        else "reads no synapse current"
    )
    dropped = [tag for tag in synapse.tags if tag in read and tag in ignored]
    if dropped:
        raise behavior.error(
            synapse,
            f"its current is lost: tag {dropped[0]!r} is gathered but {ignored[dropped[0]]}; {dst} {reads}",
        )
    hints = sorted(
        {
            match
            for tag in synapse.tags
            for match in difflib.get_close_matches(tag.lower(), [t.lower() for t in usable], n=1, cutoff=0.6)
        }
    )
    suggestion = [t for t in usable if t.lower() in hints]
    tags = ", ".join(repr(t) for t in synapse.tags) if synapse.tags else "none"
    fix = f"did you mean {' or '.join(suggestion)}? (tags are case-sensitive)" if suggestion else ""
    fix = fix or (f"add {' or '.join(usable)} to the synapse's tag" if usable else "")
    raise behavior.error(
        synapse,
        f"its current is lost: its tags ({tags}) name no dendrite of {dst}, which {reads}"
        + (f"; {fix}" if fix else ""),
    )


def check_dopamine_source(behavior: Any, synapse: Any, provider: str = "Dopamine") -> None:
    """Raise a :class:`~conex.ConexError` when nothing in ``synapse``'s network sets ``dopamine_concentration``.

    A behavior anywhere in the network that declares it ``provides`` ``dopamine_concentration`` is a
    source. ``provider`` is the behavior the message suggests.
    """
    net = synapse.network
    objects = [net, *getattr(net, "neuron_groups", ()), *getattr(net, "synapse_groups", ())]
    if any("dopamine_concentration" in b.provides for obj in objects for b in _behaviors(obj)):
        return
    name = type(behavior).__name__
    raise behavior.error(
        synapse,
        f"reads network.dopamine_concentration, which no behavior of {net.label()} sets, so its weights "
        f"never change: add Payoff and {provider}(tau_dopamine=...) to the network's behaviors (in a network "
        f"file: [network.Payoff] and [network.{provider}]), or give {name}(..., external_dopamine=True) when "
        "you set net.dopamine_concentration yourself between steps",
    )
