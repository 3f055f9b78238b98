"""Plain text for the terminal: tables for the CLI and :meth:`Network.scheduling_summary`, docstrings as text.

Docstrings are reStructuredText; :func:`plain_inline` and :func:`plain_text` render their markup as
a reader expects it in a terminal (````code```` as ``code``, ``:class:`~conex.Network``` as
``Network``) and wrap it to a width.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from typing import Any

__all__ = ["MIN_WRAP", "format_table", "plain_inline", "plain_text"]

MIN_WRAP = 24
"""The narrowest a wrapped column or paragraph gets, in characters, however narrow the terminal."""

_INLINE = re.compile(
    r"``(?P<literal>.+?)``"
    r"|:(?:[\w-]+:)?[\w-]+:`(?P<tilde>~?)(?P<role>[^`<]*?)\s*(?:<(?P<target>[^`>]*)>)?`"
    r"|`(?P<link>[^`<]+?)\s*(?:<(?P<url>[^`>]+)>)?`__?"
    r"|`(?P<default>[^`]+)`"
    r"|\*\*(?P<strong>\S(?:[^*]*?\S)?)\*\*"
    r"|(?<![\w*\\])\*(?P<emphasis>\S(?:[^*]*?\S)?)\*(?![\w*])"
)
_LITERAL_MARK = re.compile(r"(\S?)(\s*)::$", re.M)
_BULLET = re.compile(r"^([*+-]|\d+[.)]|#\.)\s+")
_DIRECTIVE = re.compile(r"^\.\. ([\w-]+)::\s*(.*)$")


def _inline(match: re.Match[str]) -> str:
    if match["literal"] is not None:
        return match["literal"]
    if match["role"] is not None:
        # :class:`~conex.Network` shows Network; :ref:`the guide <target>` shows its title
        text = match["role"] or match["target"] or ""
        return text.rsplit(".", 1)[-1] if match["tilde"] else text
    if match["link"] is not None:
        return f"{match['link']} ({match['url']})" if match["url"] else match["link"]
    return match["default"] or match["strong"] or match["emphasis"]


def plain_inline(text: str) -> str:
    """``text`` with reStructuredText's inline markup rendered as plain text; a closing ``::`` reads ``:``."""
    # "Each step::" reads "Each step:"; a "::" apart from its text ("text ::", "::" alone) disappears
    return _LITERAL_MARK.sub(lambda m: m[1] + ("" if m[2] or not m[1] else ":"), _INLINE.sub(_inline, text))


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    return textwrap.wrap(text, max(width, MIN_WRAP), subsequent_indent=indent, break_on_hyphens=False) or [""]


def _list_items(lines: list[str]) -> list[str] | None:
    """The items of a bullet or enumerated list (continuation lines joined), or None if ``lines`` is not one."""
    if not _BULLET.match(lines[0]):
        return None
    items: list[str] = []
    for line in lines:
        if _BULLET.match(line):
            items.append(line.strip())
        elif line[:1].isspace():
            items[-1] += " " + line.strip()
        else:
            return None
    return items


def plain_text(rst: str, width: int) -> str:
    """A docstring (reStructuredText) as terminal text: markup rendered, paragraphs and lists wrapped to ``width``.

    Indented blocks (literal blocks after ``::``, a directive's content such as ``.. math::``) are
    kept as they are, line for line: they hold equations and code whose layout means something.
    """
    blocks = re.split(r"\n\s*\n", rst.strip("\n"))
    out: list[str] = []
    for block in blocks:
        lines = block.splitlines()
        directive = _DIRECTIVE.match(lines[0])
        if directive:
            # ``.. math::`` / ``.. code-block:: python`` introduce their content; ``.. note::`` reads "Note: ..."
            name, argument = directive.groups()
            head = [] if name in ("math", "code", "code-block", "highlight") else [f"{name.capitalize()}: {argument}"]
            lines = head + lines[1:]
            if not lines:
                continue
        if lines[0][:1].isspace():
            out.append("\n".join(line.rstrip() for line in lines))
            continue
        items = _list_items(lines)
        if items is not None:
            wrapped = []
            for item in items:
                bullet = _BULLET.match(item)[0]
                wrapped += _wrap(plain_inline(item), width, " " * len(bullet))
            out.append("\n".join(wrapped))
        else:
            out.append("\n".join(_wrap(plain_inline(" ".join(line.strip() for line in lines)), width)))
    return "\n\n".join(out)


def format_table(header: Sequence[str], rows: Sequence[Sequence[Any]], width: int | None = None) -> str:
    """Left-aligned columns separated by two spaces, with a rule under the header.

    With ``width`` (characters, e.g. the terminal's), a last column that would make lines longer
    wraps onto continuation lines that start under it; it keeps at least :data:`MIN_WRAP` characters.
    """
    cells = [[str(c) for c in header]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lead = sum(widths[:-1]) + 2 * (len(widths) - 1)
    if width is not None and lead + widths[-1] > width:
        widths[-1] = max(width - lead, MIN_WRAP)

    def layout(row: list[str]) -> list[str]:
        last = _wrap(row[-1], widths[-1]) if width is not None else [row[-1]]
        first = "  ".join(c.ljust(w) for c, w in zip([*row[:-1], last[0]], widths, strict=True)).rstrip()
        return [first] + [" " * lead + more for more in last[1:]]

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([*layout(cells[0]), rule, *(line for row in cells[1:] for line in layout(row))])
