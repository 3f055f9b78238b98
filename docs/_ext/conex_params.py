"""Sphinx extension: document a behavior's declared parameters from their declarations.

Parameters are declared once with ``conex.param`` (type, default, unit, doc, constraint); this
appends them to the class docstring as a field list, so the API pages show what
``conex describe`` shows and cannot drift from the code.
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
    return {"parallel_read_safe": True}
