"""What a format module declares (:class:`Layout`), and how one file's first line resolves it.

A layout names the file's columns and their types (:class:`~pipeline.lib.ingest.contract.Col`), which
column holds the event ID, the date (and its styles), the CAMEO code, the file's own weight,
each side's actor, country and sector fields, and how to recognise the format from its first
line. Nothing else is format-specific: the engine (:mod:`.engine`) reads every layout the same
way. :func:`resolve` matches a layout to one file: the header's names (or, without a header,
the width of the first line) decide which field holds which column.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from pipeline.lib.ingest.contract import Col
from pipeline.lib.ingest.rawio import InputError
from pipeline.lib.ingest.registry import Source
from pipeline.lib.ingest.text import check_header


@dataclass(frozen=True)
class Side:
    """One side (source or target) of an event: its actor text, country and sector fields."""

    actor: str
    country: str
    sectors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layout:
    """A text event format, declared (see the module docstring and the README)."""

    dataset: str                     # value of raw.events.dataset, prefix of event_id
    source: Source                   # citation, folders and file-name patterns
    detect: Callable[[str], bool]    # whether a file's first line is this format
    cols: tuple[Col, ...]            # typed columns; problems are reported in this order
    event_id: str
    date: str
    date_formats: tuple[str, ...]
    code: str                        # the CAMEO code column (kept as text)
    source_side: Side
    target_side: Side
    weight: str | None = None        # the file's own Goldstein weight (raw_goldstein)
    weight_must_match: bool = False  # quarantine rows whose weight differs from the table's
    root_event: str | None = None    # Boolean root-event flag (GDELT IsRootEvent)
    quad_class: str | None = None    # the file's own quad class: disagreements are counted
    country_kind: str = "name"       # crosswalk kind of the country fields
    sep: str = "\t"
    header: bool = False
    quoted: bool = False             # CSV quoting: a field may hold the separator or a LF
    fields: tuple[str, ...] = ()     # headerless: the field names by position (widest)
    widths: tuple[int, ...] = ()     # headerless: accepted field counts, read from line 1
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # header names (any case)
    code_from_text: str | None = None  # header without the code: exact CAMEO name of this
    sector_sep: str | None = None    # separator inside a sector field, normalised to ","
    low_card: frozenset[str] = frozenset()  # columns checked once per distinct value
    name_years: tuple[str, ...] = ()  # file-name regexes whose group 1 is the year

    def __post_init__(self) -> None:
        looked_up = {self.date, self.code, self.source_side.country, self.target_side.country}
        if not looked_up <= self.low_card:
            raise ValueError(f"{self.dataset}: the date, code and country columns must be in "
                             "low_card (they are parsed, looked up and crosswalked once per "
                             "distinct value)")


@dataclass(frozen=True)
class FileLayout:
    """A layout resolved against one file."""

    layout: Layout
    names: tuple[str, ...]           # every field of the file, in order
    take: dict[str, str]             # column of the layout -> field name in the file
    code_from_text: bool = False     # the code column is mapped from ``code_from_text``
    notes: dict = field(default_factory=dict)

    @property
    def width(self) -> int:
        return len(self.names)

    def file_name(self, col: str) -> str:
        """The name the file gives column ``col`` (what quarantine rows report)."""
        return self.take.get(col, col)


def split_header(line: str, lay: Layout) -> tuple[list[str], str]:
    """Header names (stripped, BOM removed) and the separator they use."""
    sep = lay.sep
    if lay.quoted and lay.aliases:  # Cline-style CSV: comma or tab, whichever the header uses
        sep = "\t" if line.count("\t") > line.count(",") else ","
    names = next(csv.reader([line], delimiter=sep)) if lay.quoted else line.split(sep)
    return [n.strip().lstrip("\ufeff") for n in names], sep


def resolve(lay: Layout, first: str, label: str, cameo_names: bool = True) -> FileLayout:
    """Match ``lay`` to a file whose first line (decoded, without its LF) is ``first``."""
    if not lay.header:
        width = len(first.lstrip("\ufeff").split(lay.sep))
        width = width if width in lay.widths else max(lay.widths)
        names = lay.fields[:width]
        notes = {"columns": width} if len(lay.widths) > 1 else {}
        return FileLayout(lay, tuple(names), {c.name: c.name for c in lay.cols}, notes=notes)
    names, sep = split_header(first, lay)
    if sep != lay.sep:
        lay = replace(lay, sep=sep)
    wanted = [c.name for c in lay.cols if not c.optional]
    if len(names) <= 1 and len(wanted) > 1:
        raise InputError(label, f"wrong delimiter or header: expected {lay.sep!r}-separated "
                         f"columns {wanted}, found {first[:80]!r}", line=1)
    if lay.aliases:
        return FileLayout(lay, tuple(names), _by_alias(lay, names, label))
    from_text = lay.code_from_text is not None and lay.code not in names
    if from_text:
        if not cameo_names:
            raise InputError(label, f"no {lay.code} column and no CAMEO names to map "
                             f"{lay.code_from_text}", line=1, column=lay.code)
        wanted = [lay.code_from_text if n == lay.code else n for n in wanted]
    check_header(label, names, wanted)
    take = {c.name: c.name for c in lay.cols if c.name in names}
    return FileLayout(lay, tuple(names), take, code_from_text=from_text)


def _by_alias(lay: Layout, names: list[str], label: str) -> dict[str, str]:
    lower = {n.lower(): n for n in names}
    take = {}
    for c in lay.cols:
        accepted = lay.aliases.get(c.name, (c.name,))
        hit = next((lower[a] for a in accepted if a in lower), None)
        if hit is None and not c.optional:
            raise InputError(label, f"header lacks a {c.name!r} column (one of {accepted})",
                             line=1, column=c.name)
        if hit is not None:
            take[c.name] = hit
    return take
