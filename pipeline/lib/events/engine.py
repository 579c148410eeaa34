"""The one engine: any event layout, streamed block by block in bounded memory.

:class:`EventStream` opens a file, recognises its format from the first line (or takes the
one named), resolves the layout against the header or width, and yields batches of
``raw.events`` rows: blocks of lines (:mod:`.blocks`) become checked text rows (:mod:`.lines`),
then typed, rule-checked, crosswalked rows (:mod:`.values`); repeated event IDs are held back
and resolved at the end (:mod:`.dedupe`). A reader thread reads and line-parses the next
block while a worker types the current one and the caller consumes the one before, so the
stages overlap on two cores with one processed block in flight. Every rejected line goes to
the quarantine with its physical line number, and read = loaded + quarantined +
deduplicated. :func:`collect` runs a stream to the end and returns a
:class:`~pipeline.lib.store.results.ParseResult`: the small eager API is the same engine.
"""

from __future__ import annotations

import ctypes
import hashlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.lib.ingest.rawio import InputError, is_plain
from pipeline.lib.store.results import LINE, QUARANTINE_SCHEMA, ParseResult, empty_quarantine

from .blocks import Block, blocks, first_line
from .dedupe import IdBits, dedupe_events, numeric_id
from .layout import FileLayout, resolve
from .lines import LineReader
from .partition import partition_year
from .registry import detect, layout
from .rules import ENGINE
from .schema import EVENT_COLUMNS
from .values import Typer

IN_FLIGHT = 1  # typed blocks waiting for the caller beyond the one it consumes


@dataclass
class StreamEnd:
    """What a stream reports after its last batch."""

    rows_read: int
    deduplicated: int
    retract: list[int]          # source_line of rows already yielded that must go
    add: pl.DataFrame           # held-back rows that survive deduplication
    quarantine: pl.DataFrame    # quarantine rows not yet drained
    partition_year: int | None
    notes: dict = field(default_factory=dict)
    sha256: str | None = None   # of the file, when it was read to its end as plain bytes


@dataclass
class _Done:
    """One block after the line and value stages."""

    rows_read: int
    ok: pl.DataFrame
    q: pl.DataFrame
    disagree: int
    unmatched: pl.DataFrame


def open_layout(path: Path, dataset: str | None = None, cameo_names: bool = True) -> FileLayout:
    """The layout of ``path``: named by ``dataset`` or recognised from its first line
    (``cameo_names``: whether a CAMEO code may be mapped from an event text)."""
    raw, label = first_line(path)
    if not raw.strip():
        raise InputError(label, "file is empty", line=1)
    lay = layout(dataset) if dataset else detect(raw.decode("utf-8", errors="replace"), label)
    try:
        first = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not lay.header:
            first = raw.decode("utf-8", errors="replace")
        else:
            hint = " (the file starts with a UTF-16 byte-order mark)" if raw[:2] in (
                b"\xff\xfe", b"\xfe\xff") else ""
            raise InputError(label, f"header is not valid utf-8{hint}", line=1,
                             column=f"byte {exc.start + 1}") from exc
    return resolve(lay, first, label, cameo_names)


class EventStream:
    """Batches of ``raw.events`` rows from one event file (see the module docstring)."""

    def __init__(self, path: Path | str, cameo: pl.DataFrame, *, dataset: str | None = None,
                 block_bytes: int | None = None):
        self.path, self.cameo, self.block_bytes = Path(path), cameo, block_bytes
        self.fl = open_layout(self.path, dataset, "name" in cameo.columns)
        self.lay = self.fl.layout
        self.dataset = self.lay.dataset
        self.year = partition_year(self.path, self.fl)
        self.typer = Typer(self.fl, cameo)
        self.label = self.line_label = str(self.path)
        self.rows_read = self._disagree = 0
        self._q: list[pl.DataFrame] = []
        self._unmatched: list[pl.DataFrame] = []
        self._ids = IdBits(self.dataset)
        self.sha256: str | None = None
        self._select = [pl.col(f).alias(c) for c, f in self.fl.take.items()]
        if self.fl.code_from_text:
            self._select.append(pl.col(self.lay.code_from_text))

    def _blocks(self, digest=None) -> Iterator[Block]:
        return blocks(self.path, header=self.lay.header, quoted=self.lay.quoted,
                      size=self.block_bytes, digest=digest)

    def _lines(self, reader: LineReader, blk: Block) -> tuple[pl.DataFrame, pl.DataFrame]:
        """A block's checked text rows, only the columns the layout reads (the others are
        freed at once), and its line-level quarantine (on the reader thread)."""
        rows, q = reader.read(blk)
        return rows.lazy().select(*self._select, LINE).collect(engine=ENGINE), q

    def _process(self, blk: Block, rows: pl.DataFrame, q_lines: pl.DataFrame) -> _Done:
        """Everything about one block that needs no other block (on the worker thread)."""
        typed = self.typer(rows)
        ok = typed.ok.with_columns(
            pl.lit(self.dataset).alias("dataset"), pl.lit(self.path.name).alias("source_file"),
            pl.col(LINE).alias("source_line"), pl.lit(self.year, pl.Int16).alias("partition_year"),
        ).select([pl.col(c).cast(t) for c, t in EVENT_COLUMNS.items()])
        q = q_lines
        if typed.problems.height:
            lines = typed.problems[LINE].to_list()
            q = pl.concat([q, typed.problems.select(
                pl.lit(self.label).alias("source_file"), pl.col(LINE).alias("line"),
                pl.col("problem").struct.field("column"), pl.col("problem").struct.field("reason"),
                pl.Series("raw", blk.texts(lines), pl.Utf8)).cast(QUARANTINE_SCHEMA)])
        return _Done(rows.height + q_lines.height, ok, q, typed.disagree, _unmatched_counts(ok))

    def batches(self) -> Iterator[pl.DataFrame]:
        """Kept rows, block by block (rows whose ID repeats are held back until :meth:`finish`)."""
        for label, done in self._pipelined():
            self.line_label = label
            self.rows_read += done.rows_read
            self._disagree += done.disagree
            if done.q.height:
                self._q.append(done.q)
            if done.ok.height:
                self._unmatched.append(done.unmatched)
                ok = self._ids.split(done.ok)
                if ok.height:
                    yield ok
            _trim()
        if self.lay.header and self.rows_read == 0:
            raise InputError(self.line_label, "no data rows after the header (truncated file?)",
                             line=2)

    def _pipelined(self) -> Iterator[tuple[str, _Done]]:
        """(file label, processed block) in file order: a reader thread reads and line-parses
        blocks, a worker types them, the caller consumes; one processed block waits."""
        digest = hashlib.sha256() if is_plain(self.path) else None
        it = self._blocks(digest)
        reader = LineReader(self.fl.names, self.lay.sep, self.label, self.lay.quoted)

        def read():
            blk = next(it, None)
            if blk is None:
                if digest is not None:
                    self.sha256 = digest.hexdigest()
                return None
            return blk, *self._lines(reader, blk)

        def work(blk: Block, rows, q) -> tuple[str, _Done]:
            return blk.label, self._process(blk, rows, q)

        pending: deque = deque()
        try:
            with ThreadPoolExecutor(1) as rd, ThreadPoolExecutor(1) as wk:
                nxt = rd.submit(read)
                while (got := nxt.result()) is not None:
                    nxt = rd.submit(read)
                    pending.append(wk.submit(work, *got))
                    if len(pending) > IN_FLIGHT:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
        finally:
            for fut in pending:
                fut.cancel()
            it.close()

    def drain_quarantine(self) -> pl.DataFrame:
        """Quarantine rows gathered so far (then forgotten), sorted by line."""
        q = pl.concat([empty_quarantine(), *self._q]).sort("line")
        self._q = []
        return q

    def finish(self) -> StreamEnd:
        """Resolve held-back repeats; report counts, retractions and the partition year."""
        add, retract, n_dup = pl.DataFrame(schema=EVENT_COLUMNS), [], 0
        if self._ids.held:
            add, retract, n_dup = self._resolve()
        notes = {"dataset": self.dataset, "partition_year": self.year,
                 "unmatched_countries": _unmatched_dict(self._unmatched), **self.fl.notes}
        if self.lay.quad_class:
            notes["quad_class_disagreements"] = self._disagree
        return StreamEnd(self.rows_read, n_dup, retract, add, self.drain_quarantine(),
                         self.year, notes, self.sha256)

    def _resolve(self) -> tuple[pl.DataFrame, list[int], int]:
        """Re-read every row whose ID repeats and decide as :func:`dedupe_events` does."""
        held = pl.concat(self._ids.held)
        rows, texts = self._rows_with_ids(self._ids.ids())
        kept, n_dup, conflicts = dedupe_events(rows.sort("source_line"))
        held_lines = set(held["source_line"].to_list())
        kept_lines = set(kept["source_line"].to_list())
        retract = sorted(set(rows["source_line"].to_list()) - held_lines - kept_lines)
        add = kept.filter(pl.col("source_line").is_in(pl.Series(sorted(held_lines)).implode()))

        def lines(values) -> pl.Expr:
            return pl.col("source_line").is_in(pl.Series(sorted(values), dtype=pl.Int64)
                                               .implode())

        for gone in (rows.filter(lines(retract)), held.filter(~lines(kept_lines))):
            self._unmatched.append(_unmatched_counts(gone).with_columns(-pl.col("n")))
        self._q.append(conflicts.select(
            pl.lit(self.label).alias("source_file"), pl.col("source_line").alias("line"),
            pl.lit("event_id").alias("column"),
            pl.format("rows with the same event_id {} and date {} differ in {}",
                      pl.col("event_id"), pl.col("event_date"), pl.col("_differs"))
            .alias("reason"),
            pl.col("source_line").replace_strict(texts, default="", return_dtype=pl.Utf8)
            .alias("raw")).cast(QUARANTINE_SCHEMA))
        return add, retract, n_dup

    def _rows_with_ids(self, ids: np.ndarray) -> tuple[pl.DataFrame, dict[int, str]]:
        """Every row whose numeric ID is in ``ids``, with its line text (a second read)."""
        out, texts = [], {}
        want = pl.Series(ids.astype(np.uint64)).implode()
        reader = LineReader(self.fl.names, self.lay.sep, self.label, self.lay.quoted)
        for blk in self._blocks():
            ok = self._process(blk, *self._lines(reader, blk)).ok
            hit = ok.filter(numeric_id(self.dataset).is_in(want))
            if hit.height:
                lines = hit["source_line"].to_list()
                texts.update(zip(lines, blk.texts(lines)))
                out.append(hit)
        return pl.concat(out) if out else pl.DataFrame(schema=EVENT_COLUMNS), texts


def _unmatched_counts(frame: pl.DataFrame) -> pl.DataFrame:
    parts = [frame.filter(pl.col(f"{s}_country").is_not_null() & pl.col(f"{s}_ccode").is_null())
             .group_by(pl.col(f"{s}_country").alias("country")).len("n")
             for s in ("source", "target")]
    return pl.concat(parts).with_columns(pl.col("n").cast(pl.Int64))


def _unmatched_dict(parts: list[pl.DataFrame]) -> dict[str, int]:
    if not parts:
        return {}
    total = (pl.concat(parts).group_by("country").agg(pl.col("n").sum())
             .filter(pl.col("n") > 0).sort(["n", "country"], descending=[True, False]))
    return dict(zip(total["country"].to_list(), total["n"].to_list()))


def _libc_trim():
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _libc_trim()


def _trim() -> None:
    """Hand freed heap pages back to the OS between blocks (glibc keeps 32 MiB block buffers
    on its heaps once its mmap threshold has grown, so RSS would creep with the file size)."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def collect(path: Path | str, cameo: pl.DataFrame, *, dataset: str | None = None,
            block_bytes: int | None = None) -> ParseResult:
    """Run a stream to the end: the events of one file as a reconciled :class:`ParseResult`.

    ``dataset`` names the format (one of :data:`~.registry.DATASETS`); by default it is
    recognised from the file's first line."""
    stream = EventStream(path, cameo, dataset=dataset, block_bytes=block_bytes)
    frames = list(stream.batches())
    end = stream.finish()
    frame = pl.concat([pl.DataFrame(schema=EVENT_COLUMNS), *frames, end.add])
    if end.retract:
        frame = frame.filter(~pl.col("source_line").is_in(
            pl.Series(end.retract, dtype=pl.Int64).implode()))
    if end.add.height:
        frame = frame.sort("source_line")
    result = ParseResult(frame=frame, quarantine=end.quarantine, rows_read=end.rows_read,
                         deduplicated=end.deduplicated, source_file=stream.line_label,
                         notes=end.notes)
    result.reconcile()
    return result
