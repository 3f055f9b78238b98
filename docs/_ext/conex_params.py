"""Sphinx extension: document behaviors' declared parameters and the network-file keys from the code.

Parameters are declared once with ``conex.param`` (type, default, unit, doc, constraint); this
appends them to the class docstring as a field list, so the API pages show what
``conex describe`` shows and cannot drift from the code. Two directives build the network-file
reference (docs/network_files.rst): ``conex-behaviors`` renders every registered behavior's
parameter table, ``conex-file-keys`` a table of a table kind's structural keys, checked against
the keys :mod:`conex.config` reads.
"""

from __future__ import annotations

from typing import Any

from conex import Behavior


def _lines(cls: type[Behavior]) -> list[str]:
    params = cls.describe_parameters()
    if not params:
        return []
    lines = ["", "**Parameters** (declared; validated at construction):", ""]
    for p in params:
        default = "required" if p.required else f"default ``{p.default!r}``"
        extra = "; ".join(
            filter(None, [p.doc, f"unit: {p.unit}" if p.unit else "", f"must be {p.expected}" if p.expected else ""])
        )
        lines.append(f"* ``{p.name}`` (*{p.type}*, {default}) -- {extra}".rstrip(" -"))
    priority = "none" if cls.priority is None else int(cls.priority)
    lines += ["", f"Default priority: ``{priority}``; category: ``{cls.category}``.", ""]
    return lines


def _append(app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    if what == "class" and isinstance(obj, type) and issubclass(obj, Behavior) and obj is not Behavior:
        lines.extend(_lines(obj))


def setup(app: Any) -> dict[str, Any]:
    app.connect("autodoc-process-docstring", _append)
    _setup_reference(app)
    return {"parallel_read_safe": True}


# -- the network-file reference (docs/network_files.rst) ------------------------------------------


def _cell(text: str) -> str:
    """One list-table cell: a dash for nothing, the text otherwise on one line.

    A first docstring line that introduces an equation block (``...::``) ends with one colon here,
    since the block does not follow.
    """
    line = " ".join(str(text).split())
    return (line[:-1] if line.endswith("::") else line) or "--"


def _default(p: Any) -> str:
    return "required" if p.required else f"``{p.default!r}``"


def _behavior_rst(entry: Any) -> list[str]:
    """A section for one registered behavior: where it comes from, its doc line, its parameter table."""
    cls = entry.cls
    title = entry.name
    lines = [title, "^" * len(title), ""]
    priority = "none" if entry.priority is None else str(entry.priority)
    lines += [
        f"{_cell(entry.doc)}",
        "",
        f"Plugin ``{entry.plugin}``, class :py:class:`{cls.__module__}.{cls.__qualname__}`, "
        f"default priority ``{priority}``.",
        "",
    ]
    params = entry.parameters
    if not params:
        return [*lines, "No parameters: an empty table (``[groups.g." + entry.name + "]``) adds it.", ""]
    lines += [".. list-table::", "   :header-rows: 1", "   :widths: 14 12 12 8 18 36", ""]
    lines += ["   * - key", "     - type", "     - default", "     - unit", "     - must be", "     - meaning"]
    for p in params:
        meaning = p.doc + ("; one value per replica may be given (a list of R)" if p.per_replica else "")
        lines += [
            f"   * - ``{p.name}``",
            f"     - {_cell(p.type)}",
            f"     - {_default(p)}",
            f"     - {_cell(p.unit or '')}",
            f"     - {_cell(p.expected or '')}",
            f"     - {_cell(meaning)}",
        ]
    return [*lines, ""]


def _behaviors_rst(plugin: str) -> list[str]:
    """Every behavior ``plugin`` registers, grouped by category, each with its parameter table.

    Sections: ``~`` per category, ``^`` per behavior (the page puts them under a ``-`` section).
    """
    from conex.registry import CATEGORIES, get_registry

    entries = sorted((e for e in get_registry() if e.plugin == plugin), key=lambda e: e.name.lower())
    if not entries:
        raise ValueError(f"conex-behaviors: no behaviors registered by plugin {plugin!r}")
    titles = {"synapse": "Synapse behaviors", "neuron": "Neuron behaviors", "network": "Network behaviors"}
    lines: list[str] = []
    for category in CATEGORIES:
        chosen = [e for e in entries if e.category == category]
        if not chosen:
            continue
        title = titles.get(category, "Behaviors for any object")
        lines += [title, "~" * len(title), ""]
        for entry in chosen:
            lines += _behavior_rst(entry)
    return lines


def _file_keys() -> dict[str, set[str]]:
    """The structural keys of each kind of table in a network file, as conex.config reads them."""
    from conex import config

    return {
        "network": set(config._NETWORK_KEYS),
        "group": set(config._GROUP_KEYS),
        "synapse": set(config._SYNAPSE_KEYS),
        "behavior": set(config._BEHAVIOR_KEYS),
    }


def _directives() -> tuple[type, type]:
    from docutils.parsers.rst import Directive, directives
    from docutils.statemachine import StringList
    from sphinx.util.nodes import nested_parse_with_titles

    class _Rst(Directive):
        def render(self, lines: list[str]) -> list[Any]:
            from docutils import nodes

            holder = nodes.section()
            holder.document = self.state.document
            nested_parse_with_titles(self.state, StringList(lines, source="conex-reference"), holder)
            return holder.children

    class BehaviorsDirective(_Rst):
        """``.. conex-behaviors::`` (option ``:plugin:``, default ``std``): every behavior's parameter table."""

        option_spec = {"plugin": directives.unchanged}  # noqa: RUF012 - docutils reads a class attribute

        def run(self) -> list[Any]:
            return self.render(_behaviors_rst(self.options.get("plugin", "std")))

    class FileKeysDirective(_Rst):
        """``.. conex-file-keys:: KIND`` with one ``key: meaning`` line per key: a table checked against the code.

        A key conex.config reads that the content does not describe, or one described that it does
        not read, is an error, so the reference cannot drift from the parser.
        """

        required_arguments = 1
        has_content = True

        def run(self) -> list[Any]:
            kind = self.arguments[0]
            keys = _file_keys()
            if kind not in keys:
                raise self.error(f"conex-file-keys: unknown kind {kind!r}; expected one of {', '.join(keys)}")
            described = {}
            for line in self.content:
                if line.strip():
                    key, _, meaning = line.partition(":")
                    described[key.strip()] = meaning.strip()
            missing, extra = sorted(keys[kind] - set(described)), sorted(set(described) - keys[kind])
            if missing or extra:
                raise self.error(
                    f"conex-file-keys {kind}: not described: {', '.join(missing) or 'none'}; "
                    f"described but not read by conex.config: {', '.join(extra) or 'none'}"
                )
            lines = [".. list-table::", "   :header-rows: 1", "   :widths: 20 80", "", "   * - key", "     - meaning"]
            for key in sorted(described):
                lines += [f"   * - ``{key}``", f"     - {described[key]}"]
            return self.render(lines)

    return BehaviorsDirective, FileKeysDirective


def _setup_reference(app: Any) -> None:
    behaviors, file_keys = _directives()
    app.add_directive("conex-behaviors", behaviors)
    app.add_directive("conex-file-keys", file_keys)
