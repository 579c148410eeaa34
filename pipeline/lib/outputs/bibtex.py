"""BibTeX for ``pipeline cite``: every entry once, and only entry types bibtex knows.

Several sources cite the same work (ICEWS is cited by the event source and by the netify
dyad-year counts), so :func:`merge` keeps the first entry of each key: bibtex and biber both
reject a key defined twice. Entry types are the standard BibTeX ones (``@data`` and other
biblatex-only types are written as ``@misc``), so ``pipeline cite > refs.bib`` works with
either tool.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

STANDARD_TYPES = frozenset({
    "article", "book", "booklet", "conference", "inbook", "incollection", "inproceedings",
    "manual", "mastersthesis", "misc", "phdthesis", "proceedings", "techreport",
    "unpublished"})
_START = re.compile(r"^@(\w+)\s*\{\s*([^,\s]+)\s*,", re.MULTILINE)


def entries(text: str) -> list[tuple[str, str, str]]:
    """``(type, key, entry text)`` of each entry in ``text``, in order."""
    starts = list(_START.finditer(text))
    out = []
    for m, nxt in zip(starts, [*starts[1:], None]):
        body = text[m.start(): nxt.start() if nxt else len(text)].strip()
        out.append((m[1].lower(), m[2], body))
    return out


def standard(entry_type: str, body: str) -> str:
    """The entry with a standard type (a biblatex-only type becomes ``misc``)."""
    if entry_type in STANDARD_TYPES:
        return body
    return re.sub(r"^@\w+", "@misc", body, count=1)


def merge(citations: Iterable[str], seen: set[str] | None = None) -> list[tuple[str, str]]:
    """``(key, entry)`` for each entry of ``citations`` whose key is not in ``seen`` (which is
    updated): one definition per key, standard types only."""
    seen = set() if seen is None else seen
    out = []
    for text in citations:
        for entry_type, key, body in entries(text):
            if key not in seen:
                seen.add(key)
                out.append((key, standard(entry_type, body)))
    return out
