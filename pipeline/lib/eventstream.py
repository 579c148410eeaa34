"""Streaming ingestion of ICEWS ``.tab`` and GDELT 1.0 event files in bounded memory.

The file is read in blocks of whole lines (``BLOCK`` bytes); each block becomes one batch of
unified ``raw.events`` rows with exactly the semantics of the eager parsers (same columns,
dtypes, quarantine reasons and physical line numbers, ICEWS header = line 1):

1. **Lines.** A block is parsed by Polars' native CSV reader (``quote_char=None``, all text).
   The reader raises on invalid UTF-8 and on lines with too many fields; the block's tab
   count must equal ``(fields - 1) x lines``. Both together prove every line has exactly the
   expected field count, so clean blocks never touch Python per line. In a block that fails,
   an error-resuming UTF-8 scan (in 256 KiB segments) and per-line tab counts (numpy) find
   the failing lines; only they are split the exact eager way
   (:func:`pipeline.lib.ingest._split_plain_lines`), the other lines take the Polars read
   with their physical line numbers (whole-block eager split if Polars still refuses).
   The next block is read and line-parsed on a worker thread while the current one is
   processed (:meth:`EventStream._prefetched`).
2. **Values.** Low-cardinality columns (dates, CAMEO codes, weights, classes, countries) are
   validated and mapped once per DISTINCT value, then joined back; only IDs and actor texts
   are checked per row.
3. **Duplicates** in bounded memory: a bitset over numeric event IDs flags rows whose ID was
   seen before; only those are held back. If any ID repeats, the rows of the repeated IDs
   are re-read and :func:`pipeline.lib.sources.events.dedupe_events` decides exactly as the
   eager parser would; earlier-emitted rows it rejects are returned as ``retract`` lines.

:func:`collect` turns a stream into a :class:`~pipeline.lib.ingest.ParseResult`, so the eager
API and the streaming writer share one implementation.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.lib import crosswalk
from pipeline.lib.eventread import Layout, RawBlock, blocks, is_plain, layout_for, line_texts
from pipeline.lib.ingest import (
    LINE,
    QUARANTINE_SCHEMA,
    Col,
    ParseResult,
    _cast,
    _split_plain_lines,
    empty_quarantine,
)
from pipeline.lib.sources.cameo import quad_class, root_code
from pipeline.lib.sources.events import EVENT_COLUMNS, dedupe_events, file_partition_year

_MAX_BITS = 1 << 31
_SEG = 1 << 18  # UTF-8 scan segment


@dataclass
class StreamEnd:
    """What a stream reports after its last batch."""

    rows_read: int
    deduplicated: int
    retract: list[int]          # source_line of already-emitted rows to remove
    add: pl.DataFrame           # held-back rows that survive deduplication
    quarantine: pl.DataFrame    # quarantine rows not yet drained
    partition_year: int | None
    notes: dict = field(default_factory=dict)
    sha256: str | None = None   # of the file, when it was read to the end as plain bytes


# --------------------------------------------------------------------------- lines


def _bad_utf8(block: bytes, line0: int, starts: np.ndarray) -> list[tuple[int, int]]:
    """(line, byte column) of every undecodable line; resumes after each error (linear).

    ``starts``: the byte offset of every line (:func:`_line_bounds`). The block is decoded in
    segments of whole lines (``_SEG`` bytes) so that an error, whose exception carries a copy
    of the bytes decoded, costs one segment and not the block."""
    bad: list[tuple[int, int]] = []
    mv = memoryview(block)
    seg0 = 0
    while seg0 < len(block):
        seg1 = block.find(b"\n", min(seg0 + _SEG, len(block)) - 1)
        seg1 = len(block) if seg1 < 0 else seg1 + 1
        pos = seg0
        while pos < seg1:
            try:
                codecs.utf_8_decode(mv[pos:seg1], "strict", True)
                break
            except UnicodeDecodeError as exc:
                at = pos + exc.start
                i = int(np.searchsorted(starts, at, side="right")) - 1
                bad.append((line0 + i, at - int(starts[i]) + 1))
                pos = int(starts[i + 1]) if i + 1 < len(starts) else seg1
        seg0 = seg1
    return bad


def _read_all(data: bytes, lay: Layout, *, forgiving: bool = False) -> pl.DataFrame | None:
    """Polars read of every field as text; None if Polars refuses.

    Strict (default): bad UTF-8 or a line with too many fields makes Polars refuse (only a
    full read, no projection, raises on the latter). ``forgiving``: every line becomes one
    row whatever its field count or encoding (long lines truncated, short ones padded with
    "", invalid UTF-8 replaced)."""
    extra = {"encoding": "utf8-lossy", "truncate_ragged_lines": True} if forgiving else {}
    try:
        return pl.read_csv(data, has_header=False, separator=lay.sep, quote_char=None,
                           schema=dict.fromkeys(lay.names, pl.Utf8),
                           empty_string_is_null=False, raise_if_empty=False, **extra)
    except (pl.exceptions.ComputeError, pl.exceptions.SchemaError):
        return None


def _bytes_accounted(rows: pl.DataFrame, data: bytes) -> bool:
    """Whether the field bytes plus one separator or LF per field are exactly ``data``.

    Polars pads a line with too few fields with empty strings, so such a line adds a byte it
    does not have; with too-long lines already refused, equality proves every line has
    exactly the expected field count (the sum over the text lengths is cheap: no bytes are
    scanned again)."""
    field_bytes = rows.select(pl.sum_horizontal(pl.all().str.len_bytes().sum())).item()
    tail = 0 if data.endswith(b"\n") else 1
    return field_bytes + rows.width * rows.height - tail == len(data)


def _numbered(rows: pl.DataFrame, lines: np.ndarray | int) -> pl.DataFrame:
    if isinstance(lines, np.ndarray):
        return rows.with_columns(pl.Series(LINE, lines, pl.Int64))
    return rows.with_row_index(LINE, offset=lines).with_columns(pl.col(LINE).cast(pl.Int64))


def _line_bounds(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive, without the LF) byte offsets of every line of a block."""
    nl = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [len(data)]))
    if data.endswith(b"\n"):
        starts, ends = starts[:-1], ends[:-1]
    return starts, ends


def _text_rows(blk: RawBlock, lay: Layout, label: str):
    """All-text rows (needed columns + ``_line``), line-level quarantine, data lines read."""
    n = len(lay.names)
    data, line0 = blk.data, blk.line0
    rows = _read_all(data, lay)
    if rows is not None and _bytes_accounted(rows, data):
        # every byte is a field byte, a separator or the LF closing a row: one row per line
        blk.newlines = rows.height - (0 if data.endswith(b"\n") else 1)
        rows = _numbered(rows.select(lay.needed), line0)
        return _drop_blank(rows, blk, lay), empty_quarantine()
    # Some lines fail: find them line by line from one forgiving read (long lines truncated,
    # bad UTF-8 replaced), whose good rows are kept; only the failing lines take the exact
    # eager split.
    starts, ends = _line_bounds(data)
    bad = _bad_utf8(data, line0, starts)
    rows = _read_all(data, lay, forgiving=True)
    if rows is not None and rows.height == len(starts):
        # a line is whole iff its fields and n - 1 separators are exactly its bytes (a long
        # line lost fields to truncation, a short one was padded; bad UTF-8 is marked apart)
        field_bytes = rows.select(pl.sum_horizontal(pl.all().str.len_bytes())).to_series()
        wrong = field_bytes.to_numpy() + (n - 1) != ends - starts
        if bad:
            wrong[np.array([b[0] for b in bad], np.int64) - line0] = True
        good_idx = np.flatnonzero(~wrong)
        fast = _numbered(rows.select(lay.needed).filter(pl.Series(~wrong)),
                         good_idx.astype(np.int64) + line0)
        bad_idx = np.flatnonzero(wrong)
        texts = [data[starts[i]:ends[i]].decode("utf-8", errors="replace") for i in bad_idx]
        lines = (pl.DataFrame({"raw": pl.Series(texts, dtype=pl.Utf8)})
                 .with_columns(pl.Series(LINE, bad_idx.astype(np.int64) + line0, pl.Int64))
                 .select(LINE, "raw")
                 .filter(pl.col("raw").str.strip_chars() != ""))
        slow, q = _slow_split(lines, bad, lay, label)
        rows = pl.concat([_drop_blank(fast, blk, lay), slow.select(*lay.needed, LINE)])
        if rows.height and not rows[LINE].is_sorted():
            rows = rows.sort(LINE)
        return rows.select(*lay.needed, LINE), q
    text = data.decode("utf-8", errors="replace")
    lines = (pl.DataFrame({"raw": pl.Series([text]).str.split("\n").explode()})
             .with_row_index(LINE, offset=line0)
             .filter(pl.col("raw").str.strip_chars() != ""))
    rows, q = _slow_split(lines, bad, lay, label)
    return rows.select(*lay.needed, LINE), q


def _slow_split(lines: pl.DataFrame, bad: list[tuple[int, int]], lay: Layout, label: str):
    """The eager split of ``lines`` (``_line``, ``raw``); undecodable lines quarantined."""
    rows, q = _split_plain_lines(lines, lay.names, lay.sep, label)
    q_bad = pl.DataFrame(
        {"source_file": [label] * len(bad), "line": [b[0] for b in bad],
         "column": [f"byte {b[1]}" for b in bad], "reason": ["invalid utf-8 bytes"] * len(bad),
         "raw": [""] * len(bad)}, schema=QUARANTINE_SCHEMA)
    if bad:
        drop = pl.Series([b[0] for b in bad], dtype=pl.Int64)
        rows = rows.filter(~pl.col(LINE).is_in(drop.implode()))
        q = q.filter(~pl.col("line").is_in(drop.implode()))
    return rows, pl.concat([q_bad, q]).cast(QUARANTINE_SCHEMA)


def _drop_blank(rows: pl.DataFrame, blk: RawBlock, lay: Layout) -> pl.DataFrame:
    """Lines of only whitespace and separators are blank (skipped, not read), as eagerly."""
    maybe = rows.filter(pl.col(lay.names[0]).str.strip_chars() == "")[LINE].to_list()
    if not maybe:
        return rows
    blank = [ln for ln, t in zip(maybe, line_texts(blk, maybe)) if not t.strip()]
    return rows.filter(~pl.col(LINE).is_in(pl.Series(blank, dtype=pl.Int64).implode()))


# --------------------------------------------------------------------------- values


def _na_regex(na: tuple[str, ...]) -> str:
    return r"^\s*(?:" + "|".join(re.escape(v) for v in na) + r")\s*$"


def _problems(c: Col, src: pl.Expr, t: pl.Expr) -> list[tuple[pl.Expr, pl.Expr]]:
    """(condition, reason) pairs in the order :func:`pipeline.lib.ingest.coerce` tests them."""
    out = [(src.is_not_null() & t.is_null(),
            pl.format("not a valid {}: '{}'", pl.lit(str(c.dtype)), src))]
    if c.check is not None:
        out.append((t.is_not_null() & ~c.check(t).fill_null(True),
                    pl.format("{}: '{}'", pl.lit(c.reason), src)))
    if c.required:
        out.append((src.is_null(), pl.lit("required value missing")))
    return out


def _reason(c: Col, src: pl.Expr, t: pl.Expr) -> pl.Expr:
    return pl.coalesce([pl.when(cond).then(msg) for cond, msg in _problems(c, src, t)])


def _lookup(rows: pl.DataFrame, c: Col, extra: dict[str, pl.Expr]) -> pl.LazyFrame:
    """One row per distinct raw value: typed value ``__v``, problem ``__p`` and ``extra``."""
    nulled = pl.when(pl.col(c.name).str.strip_chars().is_in(list(c.na))).then(None).otherwise(
        pl.col(c.name)) if c.na else pl.col(c.name)
    return (rows.lazy().select(pl.col(c.name).unique())
            .with_columns(nulled.alias("__src"))
            .with_columns(_cast("__src", c.dtype).alias("__v"))
            .with_columns(_reason(c, pl.col("__src"), pl.col("__v")).alias("__p"), **extra)
            .drop("__src"))


def _values(rows: pl.DataFrame, lay: Layout,
            cameo_lut: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Typed ``__t_*`` columns; (rows without a problem, rows with their first ``__problem``).

    Reasons are text built per row, so they are built only for the rows that fail: a cheap
    boolean per column finds those rows first. A low-cardinality column is looked up once per
    distinct value and joined back on that column alone; a text column with no bad value
    needs no join at all (only its NA values become NULL)."""
    add: list[pl.Series] = []
    typed: dict[str, pl.Expr] = {}
    fails: list[pl.Expr] = []
    reasons: list[tuple[str, pl.Expr]] = []   # in the order of ``lay.cols``
    per_row: dict[str, pl.Expr] = {}          # NA-nulled text of the per-row columns
    low = [c for c in lay.cols if c.name in lay.low_card]
    luts = dict(zip([c.name for c in low], pl.collect_all(
        [_lookup(rows, c, lay.lookup_extra.get(c.name, {})) for c in low])))
    for c in lay.cols:
        if c.name in lay.low_card:
            lut = luts[c.name]
            if c.name == lay.code_col:
                lut = lut.join(cameo_lut, left_on="__v", right_on="cameo_code", how="left")
            has_bad = lut["__p"].null_count() < lut.height
            if c.dtype == pl.Utf8 and not has_bad and lut.width == 3:
                na = lut.filter(pl.col("__v").is_null() & pl.col(c.name).is_not_null())[c.name]
                typed[c.name] = (pl.when(pl.col(c.name).is_in(na.implode())).then(None)
                                 .otherwise(pl.col(c.name)) if na.len() else pl.col(c.name))
                continue
            j = rows.select(c.name).join(lut, on=c.name, how="left", maintain_order="left")
            add.append(j["__v"].alias(f"__v_{c.name}"))
            add.extend(j[k] for k in lut.columns if k not in (c.name, "__v", "__p"))
            typed[c.name] = pl.col(f"__v_{c.name}")
            if has_bad:
                add.append(j["__p"].alias(f"__p_{c.name}"))
                fails.append(pl.col(f"__p_{c.name}").is_not_null())
                reasons.append((c.name, pl.col(f"__p_{c.name}")))
        else:
            src = pl.col(c.name)
            if c.na:
                src = pl.when(src.str.contains(_na_regex(c.na))).then(None).otherwise(src)
                per_row[f"__s_{c.name}"] = src
                src = pl.col(f"__s_{c.name}")
            t = _cast(c.name, c.dtype).alias("x") if c.dtype != pl.Utf8 else src
            typed[c.name] = t
            t = pl.col(f"__t_{c.name}")  # the checks read the typed column, computed once
            fails.extend(cond.fill_null(False) for cond, _ in _problems(c, src, t))
            reasons.append((c.name, _reason(c, src, t)))
    frame = rows.hstack(add) if add else rows
    bad_row = pl.any_horizontal(fails) if fails else pl.lit(False)
    frame = (frame.with_columns(**per_row)
             .with_columns(*[e.alias(f"__t_{n}") for n, e in typed.items()])
             .with_columns(bad_row.alias("__bad")))
    if not frame["__bad"].any():
        return frame.drop("__bad"), _first_problem(frame.clear(), [], "__problem")
    bad = _first_problem(frame.filter("__bad"), reasons, "__problem")
    return frame.filter(~pl.col("__bad")).drop("__bad"), bad.drop("__bad")


PROBLEM = pl.Struct({"column": pl.Utf8, "reason": pl.Utf8})


def _first_problem(frame: pl.DataFrame, reasons: list[tuple[str, pl.Expr]],
                   name: str) -> pl.DataFrame:
    """``frame`` with struct column ``name`` = (column, reason) of the first non-NULL reason."""
    if not reasons:
        return frame.with_columns(pl.lit(None, PROBLEM).alias(name))
    return frame.with_columns(pl.coalesce([
        pl.when(r.is_not_null()).then(pl.struct(pl.lit(n).alias("column"), r.alias("reason")))
        for n, r in reasons]).cast(PROBLEM).alias(name))


def cameo_lookup(cameo: pl.DataFrame) -> pl.DataFrame:
    """CAMEO code -> goldstein, root_code, quad_class (one row per code)."""
    return (cameo.select(pl.col("code").cast(pl.Utf8).alias("cameo_code"),
                         pl.col("goldstein").cast(pl.Float64))
            .unique("cameo_code")
            .with_columns(root_code(pl.col("cameo_code")).alias("root_code"))
            .with_columns(quad_class(pl.col("root_code")).alias("quad_class")))


def _flags(raw_must_match: bool) -> list[tuple[pl.Expr, str, pl.Expr]]:
    """The build-stage rules (CAMEO table, ranges, file weight) as (broken, column, reason)."""
    g, code, date = pl.col("goldstein"), pl.col("cameo_code"), pl.col("event_date")
    rules = [
        (g.is_null(), "cameo_code", pl.format("CAMEO code '{}' not in the CAMEO table", code)),
        (~g.is_between(-10, 10), "cameo_code",
         pl.format("Goldstein {} of code '{}' outside [-10, 10]", g, code)),
        (~date.dt.year().is_between(1900, 2100), "event_date",
         pl.format("event date {} outside 1900-2100", date)),
    ]
    if raw_must_match:
        rules.append(((pl.col("raw_goldstein") - g).abs() > 1e-9, "raw_goldstein",
                      pl.format("file weight {} != CAMEO Goldstein {} of code '{}'",
                                pl.col("raw_goldstein"), g, code)))
    return [(cond.fill_null(False), col, msg) for cond, col, msg in rules]


def _split_flagged(staged: pl.DataFrame, raw_must_match: bool):
    """(rows that keep every rule, broken rows with ``__flag`` = their first broken rule)."""
    rules = _flags(raw_must_match)
    marked = staged.with_columns(pl.any_horizontal([c for c, _, _ in rules]).alias("__bad"))
    reasons = [(col, pl.when(cond).then(msg)) for cond, col, msg in rules]
    if not marked["__bad"].any():
        return staged, _first_problem(staged.clear(), [], "__flag")
    flagged = _first_problem(marked.filter("__bad"), reasons, "__flag").drop("__bad")
    return marked.filter(~pl.col("__bad")).drop("__bad"), flagged


class _CcodeCache:
    """(country, year) -> ccode, crosswalked once per distinct pair over the whole stream."""

    def __init__(self, kind: str):
        self.kind = kind
        self.known = pl.DataFrame(schema={"country": pl.Utf8, "year": pl.Int16,
                                          "ccode": pl.Int32})

    def attach(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` with ``source_ccode`` and ``target_ccode``."""
        keys = pl.concat([frame.select(pl.col(f"{s}_country").alias("country"), "year")
                          for s in ("source", "target")])
        new = (keys.filter(pl.col("country").is_not_null()).unique()
               .join(self.known, on=["country", "year"], how="anti"))
        if new.height:
            mapped = crosswalk.attach_ccode(new, "country", self.kind, "ccode", year_col="year")
            self.known = pl.concat([self.known, mapped.select(self.known.columns)])
        for side in ("source", "target"):
            col = f"{side}_country"
            got = frame.select(pl.col(col).alias("country"), "year").join(
                self.known, on=["country", "year"], how="left", maintain_order="left")
            frame = frame.with_columns(got["ccode"].alias(f"{side}_ccode"))
        return frame


# --------------------------------------------------------------------------- stream

_IN_FLIGHT = 1  # processed blocks waiting for the caller (memory: ~70 MB each)


@dataclass
class _Processed:
    """One block after :meth:`EventStream._process`."""

    rows_read: int
    ok: pl.DataFrame | None = None
    q: pl.DataFrame | None = None
    disagree: int = 0
    years: pl.DataFrame | None = None
    unmatched: pl.DataFrame | None = None


class EventStream:
    """Batches of unified event rows from one ICEWS or GDELT 1.0 file (see module doc)."""

    def __init__(self, path: Path | str, cameo: pl.DataFrame, *, dataset: str | None = None,
                 block_bytes: int | None = None):
        self.path = Path(path)
        self.cameo = cameo
        self.block_bytes = block_bytes
        self.dataset = dataset
        self.lay: Layout = layout_for(self.path, cameo, dataset)
        self.cameo_lut = cameo_lookup(cameo)
        self._ccodes = _CcodeCache(self.lay.country_kind)
        self.year_from_name = file_partition_year(self.path)
        self.rows_read = 0
        self._q: list[pl.DataFrame] = []
        self._years: list[pl.DataFrame] = []
        self._unmatched: list[pl.DataFrame] = []
        self._disagree = 0
        self._bits = np.zeros(0, np.uint8)
        self._held: list[pl.DataFrame] = []
        self._held_ids: list[np.ndarray] = []
        self.label = str(self.path)
        self.line_label = str(self.path)
        self.sha256: str | None = None

    # -- per block
    def _process(self, blk: RawBlock, text=None) -> _Processed:
        """Everything about one block that needs no other block (runs on a worker thread;
        the only shared state it touches is the crosswalk cache, which tolerates races)."""
        lay, label = self.lay, str(self.path)
        rows, q_lines = _text_rows(blk, lay, blk.label) if text is None else text
        done = _Processed(rows_read=rows.height + q_lines.height)
        if lay.prepare is not None:
            rows = lay.prepare(rows)
        good, bad = _values(rows, lay, self.cameo_lut)
        if lay.disagree is not None:
            done.disagree = good.select(lay.disagree.sum()).item() or 0
        staged = good.select(*lay.stage, pl.col(LINE))
        ok, flagged = _split_flagged(staged, lay.raw_must_match)
        ok = ok.with_columns(pl.col("event_date").dt.year().cast(pl.Int16).alias("year"))
        if self.year_from_name is None:
            done.years = ok.group_by("year").len()
        ok = self._ccodes.attach(ok).with_columns(
            pl.concat_str([pl.lit(f"{lay.dataset}:"), pl.col("event_id").str.strip_chars()])
            .alias("event_id"),
            pl.lit(lay.dataset).alias("dataset"), pl.lit(self.path.name).alias("source_file"),
            pl.col(LINE).cast(pl.Int64).alias("source_line"),
            pl.lit(self.year_from_name, pl.Int16).alias("partition_year"),
        ).select([pl.col(c).cast(t) for c, t in EVENT_COLUMNS.items()])
        probs = pl.concat([
            bad.select(pl.col(LINE).alias("line"), pl.col("__problem").alias("p"),
                       pl.lit(label).alias("source_file"), pl.lit(True).alias("nulled")),
            flagged.select(pl.col(LINE).alias("line"), pl.col("__flag").alias("p"),
                           pl.lit(label).alias("source_file"), pl.lit(False).alias("nulled"))])
        done.ok = ok
        done.q = pl.concat([q_lines, self._with_raw(probs, blk, rows)]) if probs.height \
            else q_lines
        if ok.height:
            done.unmatched = _unmatched_counts(ok)
        return done

    def _block(self, blk: RawBlock, text=None) -> tuple[pl.DataFrame, pl.DataFrame]:
        """:meth:`_process` with its counts added to the stream's: (kept rows, quarantine)."""
        done = self._process(blk, text)
        self._count(done)
        return done.ok, done.q

    def _count(self, done: _Processed) -> None:
        self.rows_read += done.rows_read
        self._disagree += done.disagree
        if done.years is not None:
            self._years.append(done.years)

    def _with_raw(self, probs: pl.DataFrame, blk: RawBlock, rows: pl.DataFrame) -> pl.DataFrame:
        lines = probs["line"].to_list()
        raw = line_texts(blk, lines)
        # coerce's raw shows the row after NA -> NULL -> "" on the declared columns
        na = {self.lay.names.index(c.name): set(c.na) for c in self.lay.cols
              if c.na and c.name in self.lay.names}
        raw = [_null_na(t, na) if n else t for t, n in zip(raw, probs["nulled"].to_list())]
        if self.lay.from_text:  # the eager reader's raw also carries the code it mapped
            code = probs.select(pl.col("line").replace_strict(
                rows[LINE], rows["CAMEO Code"], default="", return_dtype=pl.Utf8))
            raw = [f"{t}\t{c}" for t, c in zip(raw, code.to_series().to_list())]
        return probs.select(
            "source_file", "line", pl.col("p").struct.field("column"),
            pl.col("p").struct.field("reason"), pl.Series("raw", raw, pl.Utf8),
        ).cast(QUARANTINE_SCHEMA)

    def _dedupe_split(self, ok: pl.DataFrame) -> pl.DataFrame:
        """Emit rows whose ID is new; hold back rows whose ID was seen (or repeats here)."""
        ids_s = ok.select(_numeric_id(self.lay.dataset)).to_series()
        ids = ids_s.to_numpy()
        need = int(ids.max() >> 3) + 1 if ids.size else 0
        if need > self._bits.size:
            self._bits = np.concatenate([self._bits, np.zeros(max(need - self._bits.size,
                                                                  self._bits.size), np.uint8)])
        byte, mask = (ids >> 3).astype(np.int64), (1 << (ids & 7)).astype(np.uint8)
        seen = (self._bits[byte] & mask) != 0
        again = (~ids_s.is_first_distinct()).to_numpy()
        np.bitwise_or.at(self._bits, byte, mask)
        hold = seen | again
        if hold.any():
            h = pl.Series(hold)
            self._held.append(ok.filter(h))
            self._held_ids.append(ids[hold])
            return ok.filter(~h)
        return ok

    def batches(self) -> Iterator[pl.DataFrame]:
        """Yield kept rows block by block (``partition_year`` NULL if the name has none)."""
        for label, done in self._pipelined():
            self.line_label = label
            self._count(done)
            if done.q.height:
                self._q.append(done.q)
            if done.ok.height:
                self._unmatched.append(done.unmatched)
                ok = self._dedupe_split(done.ok)
                if ok.height:
                    yield ok
            _trim()
        if self.lay.header and self.rows_read == 0:
            from pipeline.lib.ingest import InputError
            raise InputError(self.line_label, "no data rows after the header (truncated file?)",
                             line=2)

    def _pipelined(self) -> Iterator[tuple[str, _Processed]]:
        """(file label, processed block) in file order, from a three-stage pipeline.

        A reader thread reads the blocks in order and parses their lines (a block's first
        line number needs the line count of the block before it); a worker thread runs
        :meth:`_process` on the block before; the caller dedupes and consumes the one before
        that. Polars, DuckDB and file reads release the GIL, so the stages overlap on two
        cores. At most ``_IN_FLIGHT`` processed blocks wait, which bounds memory."""
        digest = hashlib.sha256() if is_plain(self.path) else None
        it = blocks(self.path, self.lay, self.block_bytes, digest)

        def read():
            blk = next(it, None)
            if blk is None:
                if digest is not None:  # the whole file went through the reader
                    self.sha256 = digest.hexdigest()
                return None
            return blk, _text_rows(blk, self.lay, blk.label)

        def work(blk: RawBlock, text) -> tuple[str, _Processed]:
            return blk.label, self._process(blk, text)  # the block's bytes are freed here

        pending: deque = deque()
        try:
            # exiting the pools waits for their threads
            with ThreadPoolExecutor(1) as reader, ThreadPoolExecutor(1) as worker:
                nxt = reader.submit(read)
                while (got := nxt.result()) is not None:
                    nxt = reader.submit(read)
                    pending.append(worker.submit(work, *got))
                    if len(pending) >= _IN_FLIGHT:
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
        """Resolve held-back duplicates; report counts, retractions and the partition year."""
        add = pl.DataFrame(schema=EVENT_COLUMNS)
        retract: list[int] = []
        n_dup = 0
        extra_q = empty_quarantine()
        if self._held:
            held = pl.concat(self._held)
            ids = np.unique(np.concatenate(self._held_ids))
            again = EventStream(self.path, self.cameo, dataset=self.lay.dataset,
                                block_bytes=self.block_bytes)
            rows, texts = again._rows_with_ids(ids)
            kept, n_dup, conflicts = dedupe_events(rows.sort("source_line"))
            held_lines = set(held["source_line"].to_list())
            kept_lines = set(kept["source_line"].to_list())
            retract = sorted(set(rows["source_line"].to_list()) - held_lines - kept_lines)
            add = kept.filter(pl.col("source_line").is_in(pl.Series(sorted(held_lines)).implode()))
            gone = rows.filter(pl.col("source_line").is_in(
                pl.Series(retract, dtype=pl.Int64).implode()))
            self._unmatched.append(_unmatched_counts(gone).with_columns(-pl.col("n")))
            held_dropped = held.filter(~pl.col("source_line").is_in(
                pl.Series(sorted(kept_lines), dtype=pl.Int64).implode()))
            self._unmatched.append(_unmatched_counts(held_dropped).with_columns(-pl.col("n")))
            extra_q = conflicts.select(
                pl.lit(str(self.path)).alias("source_file"),
                pl.col("source_line").alias("line"), pl.lit("event_id").alias("column"),
                pl.format("rows with the same event_id {} and date {} differ in {}",
                          pl.col("event_id"), pl.col("event_date"), pl.col("_differs"))
                .alias("reason"),
                pl.col("source_line").replace_strict(texts, default="", return_dtype=pl.Utf8)
                .alias("raw")).cast(QUARANTINE_SCHEMA)
        year = self.year_from_name
        if year is None and self._years:
            counts = pl.concat(self._years).group_by("year").agg(pl.col("len").sum())
            top = counts.filter(pl.col("len") == pl.col("len").max())
            year = int(top["year"].min())
        self._q.append(extra_q)
        notes = {"dataset": self.lay.dataset, "partition_year": year,
                 "unmatched_countries": _unmatched_dict(self._unmatched), **self.lay.notes}
        if self.lay.disagree is not None:
            notes["quad_class_disagreements"] = self._disagree
        return StreamEnd(self.rows_read, n_dup, retract, add, self.drain_quarantine(), year,
                         notes, self.sha256)

    def _rows_with_ids(self, ids: np.ndarray) -> tuple[pl.DataFrame, dict[int, str]]:
        """Every row (held or not) whose numeric ID is in ``ids``, with its line text."""
        out, texts = [], {}
        want = pl.Series(ids.astype(np.uint64)).implode()
        for blk in blocks(self.path, self.lay, self.block_bytes):
            self.line_label = blk.label
            ok, _ = self._block(blk)
            hit = ok.filter(_numeric_id(self.lay.dataset).is_in(want))
            if hit.height:
                lines = hit["source_line"].to_list()
                texts.update(zip(lines, line_texts(blk, lines)))
                out.append(hit)
        return pl.concat(out) if out else pl.DataFrame(schema=EVENT_COLUMNS), texts


def _numeric_id(dataset: str) -> pl.Expr:
    """The numeric part of ``event_id`` (``"<dataset>:<id>"``) modulo the bitset size; 0 if
    the ID is not a number."""
    return (pl.col("event_id").str.slice(len(dataset) + 1).cast(pl.UInt64, strict=False)
            .fill_null(0) % pl.lit(_MAX_BITS, pl.UInt64))


def _libc_trim():
    try:
        import ctypes
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _libc_trim()


def _trim() -> None:
    """Hand freed heap pages back to the OS between blocks (glibc keeps 32 MiB block buffers
    on its heaps once its mmap threshold has grown, so RSS would creep with the file size)."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _null_na(line: str, na: dict[int, set[str]]) -> str:
    f = line.split("\t")
    return "\t".join("" if i in na and v.strip() in na[i] else v for i, v in enumerate(f))


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


def collect(path: Path | str, cameo: pl.DataFrame, *, dataset: str | None = None,
            block_bytes: int | None = None) -> ParseResult:
    """Run a stream to the end and return the eager :class:`ParseResult` (same semantics)."""
    stream = EventStream(path, cameo, dataset=dataset, block_bytes=block_bytes)
    frames = list(stream.batches())
    end = stream.finish()
    frame = pl.concat([pl.DataFrame(schema=EVENT_COLUMNS), *frames, end.add])
    if end.retract:
        frame = frame.filter(~pl.col("source_line").is_in(
            pl.Series(end.retract, dtype=pl.Int64).implode()))
    if end.add.height:
        frame = frame.sort("source_line")
    frame = frame.with_columns(pl.lit(end.partition_year, pl.Int16).alias("partition_year"))
    result = ParseResult(frame=frame, quarantine=end.quarantine, rows_read=end.rows_read,
                         deduplicated=end.deduplicated, source_file=stream.line_label,
                         notes=end.notes)
    result.reconcile()
    return result
