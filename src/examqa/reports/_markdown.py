"""The Markdown parts every Markdown report shares: one escaping helper for text that came from outside,
and tables.

Markdown is often rendered to HTML (a repository's viewer, a wiki, a chat), and raw HTML passes through
most renderers: a model named ``<img src=x onerror=alert(1)>`` would run in the reader's browser. So every
string a report did not write itself — model names, labels, student names, subjects, ids, paths, notes,
reasons — goes through :func:`md`: HTML and Markdown punctuation is backslash-escaped (CommonMark shows the
character itself, never a tag, a link, emphasis or a table separator) and line breaks become spaces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# HTML (<, >, &), table cells (|), emphasis (*, _, ~), code (`), links and images ([, ]) and the escape
# character itself, anywhere; a heading, list or rule marker only where it would start a block (so a margin
# of "-10.00pp" or an amount of "0.29 USD" stays as written).
_INLINE = re.compile(r"([\\`*_\[\]<>|~&])")
_BLOCK = re.compile(r"^(\s*)(?:(#{1,6}|[+-])(?=[ \t]|$)|(\d{1,9})(?=[.)](?:[ \t]|$))|([-= \t]+$))")
_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029\x85]+")


def md(value: object) -> str:
    """``value`` as Markdown text that renders as exactly that text: escaped, on one line."""
    text = _INLINE.sub(r"\\\1", _BREAKS.sub(" ", str(value)))
    block = _BLOCK.match(text)
    if block is None or not text.strip():
        return text
    if block.group(3):  # "1. x" would start an ordered list: escape the "." or ")"
        end = block.end(3)
        return text[:end] + "\\" + text[end:]
    return block.group(1) + "\\" + text[block.end(1):]


def table(head: Sequence[str], align: str, rows: Iterable[Sequence[str]]) -> list[str]:
    """A pipe table: ``align`` holds one of ``l``, ``r``, ``c`` per column. Cells are written as given
    (escape outside text with :func:`md` first)."""
    marks = {"l": "---", "r": "---:", "c": ":-:"}
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(marks[a] for a in align) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def bold(text: str) -> str:
    """``**text**`` (text already Markdown)."""
    return f"**{text}**" if text else text
