"""Text rows of a block: every line checked for its field count and its encoding.

The fast path is one strict Polars read of every field as text: Polars refuses bad UTF-8 and
lines with too many fields, and the field bytes plus one separator or LF per field must then
add up to the block's length, which a line with too few fields breaks. A block that fails it
is read forgivingly: lines that are not UTF-8 are found (a whole-block validity check, then
the lines holding non-ASCII bytes are decoded) and cut out, the rest is read with long lines
truncated, and a line is whole if and only if its field bytes plus separators are exactly its
length. Only the failing lines are handled one by one. After a failing block the next starts
with the forgiving read (a corrupted file pays no failed strict read per block); a clean one
switches back. A quoted CSV block with a quote character goes through the ``csv`` module.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipeline.lib.store.results import LINE, QUARANTINE_SCHEMA

from .blocks import Block


def _frame(cols: dict[str, list], line: list[int]) -> pl.DataFrame:
    return pl.DataFrame({**{k: pl.Series(k, v, pl.Utf8) for k, v in cols.items()},
                         LINE: pl.Series(LINE, line, pl.Int64)})


def quarantine(label: str, lines, columns, reasons, raws) -> pl.DataFrame:
    """Quarantine rows (``QUARANTINE_SCHEMA``) from parallel lists."""
    lines = list(lines)
    return pl.DataFrame({"source_file": [label] * len(lines), "line": lines,
                         "column": list(columns), "reason": list(reasons), "raw": list(raws)},
                        schema=QUARANTINE_SCHEMA)


@dataclass
class LineReader:
    """Reads one file's blocks into all-text rows (``names`` + ``_line``) and line-level
    quarantine rows; ``strict`` says which read the next block tries first."""

    names: tuple[str, ...]
    sep: str
    label: str
    quoted: bool = False
    strict: bool = True

    def read(self, blk: Block) -> tuple[pl.DataFrame, pl.DataFrame]:
        if self.quoted and b'"' in blk.data:
            return self._csv(blk)
        if self.strict:
            rows = self._polars(blk.data)
            if rows is not None and self._accounted(rows, blk.data):
                blk.newlines = rows.height - (0 if blk.data.endswith(b"\n") else 1)
                rows = rows.with_row_index(LINE, offset=blk.line0).with_columns(
                    pl.col(LINE).cast(pl.Int64))
                return self._drop_blank(rows, blk), quarantine(self.label, [], [], [], [])
            self.strict = False
        return self._forgiving(blk)

    # -- the fast read
    def _polars(self, data: bytes, forgiving: bool = False) -> pl.DataFrame | None:
        try:
            return pl.read_csv(data, has_header=False, separator=self.sep, quote_char=None,
                               schema=dict.fromkeys(self.names, pl.Utf8),
                               empty_string_is_null=False, raise_if_empty=False,
                               truncate_ragged_lines=forgiving)
        except pl.exceptions.PolarsError:
            return None

    def _accounted(self, rows: pl.DataFrame, data: bytes) -> bool:
        """Whether the field bytes plus one separator or LF per field are exactly ``data``
        (with too-long lines refused, this proves every line has the expected field count)."""
        field_bytes = rows.select(pl.sum_horizontal(pl.all().str.len_bytes().sum())).item()
        tail = 0 if data.endswith(b"\n") else 1
        return (field_bytes or 0) + rows.width * rows.height - tail == len(data)

    def _drop_blank(self, rows: pl.DataFrame, blk: Block) -> pl.DataFrame:
        """Lines of only blanks (and tab separators) are skipped, not read."""
        maybe = rows.filter(pl.col(self.names[0]).str.strip_chars() == "")[LINE].to_list()
        if not maybe:
            return rows
        blank = [n for n, t in zip(maybe, blk.texts(maybe)) if not t.strip()]
        return rows.filter(~pl.col(LINE).is_in(pl.Series(blank, dtype=pl.Int64).implode()))

    # -- a block with failing lines
    def _forgiving(self, blk: Block) -> tuple[pl.DataFrame, pl.DataFrame]:
        starts, ends = blk.bounds()
        data, idx = blk.data, np.arange(len(starts))
        bad_utf8 = _undecodable(blk) if not _valid_utf8(data) else {}
        if bad_utf8:
            bad = np.sort(np.fromiter(bad_utf8, np.int64) - blk.line0)
            idx = np.setdiff1d(idx, bad)
            data = without_lines(blk.data, starts, ends, bad)
        rows = self._polars(data, forgiving=True)
        if rows is None or rows.height != len(idx):
            return self._one_by_one(blk)
        n = len(self.names)
        fields = rows.select(pl.sum_horizontal(pl.all().str.len_bytes())).to_series().to_numpy()
        wrong = fields + (n - 1) != ends[idx] - starts[idx]
        numbers = idx + blk.line0
        texts = blk.texts(numbers[wrong])
        q_lines, q_reasons, q_raw = [], [], []
        for line, text in zip(numbers[wrong].tolist(), texts):
            if text.strip():
                q_lines.append(line)
                q_reasons.append(f"expected {n} fields, found {text.count(self.sep) + 1}")
                q_raw.append(text)
        q = pl.concat([
            quarantine(self.label, bad_utf8, [f"byte {c}" for c in bad_utf8.values()],
                       ["invalid utf-8 bytes"] * len(bad_utf8),
                       blk.texts(list(bad_utf8))),
            quarantine(self.label, q_lines, [None] * len(q_lines), q_reasons, q_raw)])
        self.strict = not bad_utf8 and not wrong.any()
        rows = rows.with_columns(pl.Series(LINE, numbers, pl.Int64)).filter(pl.Series(~wrong))
        return self._drop_blank(rows, blk), q.sort("line")

    def _one_by_one(self, blk: Block) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Every line split on its own (only if Polars refuses the block)."""
        n = len(self.names)
        cols: dict[str, list] = {k: [] for k in self.names}
        line_no, q = [], []
        for i, raw in enumerate(blk.lines(range(blk.line0, blk.line0 + len(blk.bounds()[0])))):
            line = blk.line0 + i
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                q.append((line, f"byte {exc.start + 1}", "invalid utf-8 bytes",
                          raw.decode("utf-8", errors="replace")))
                continue
            if not text.strip():
                continue
            fields = text.split(self.sep)
            if len(fields) != n:
                q.append((line, None, f"expected {n} fields, found {len(fields)}", text))
                continue
            for k, v in zip(self.names, fields):
                cols[k].append(v)
            line_no.append(line)
        return _frame(cols, line_no), quarantine(self.label, *zip(*q)) if q else quarantine(
            self.label, [], [], [], [])

    # -- quoted CSV
    def _csv(self, blk: Block) -> tuple[pl.DataFrame, pl.DataFrame]:
        """A quoted block through the ``csv`` module; a record is numbered by its first line.

        One reader runs over the block; if it meets malformed CSV (text after a closing
        quote, a quote left open to the end of the block) the block is read again record by
        record, each record being the lines up to where the quotes balance, and a malformed
        record is quarantined instead of stopping the file."""
        texts, bad = [], []
        for i, raw in enumerate(blk.lines(range(blk.line0, blk.line0 + len(blk.bounds()[0])))):
            try:
                texts.append(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                bad.append((blk.line0 + i, f"byte {exc.start + 1}", "invalid utf-8 bytes",
                            raw.decode("utf-8", errors="replace")))
                texts.append("")
        try:
            records = self._records_at_once(texts, blk.line0)
        except csv.Error:
            records = self._records_one_by_one(texts, blk.line0)
        n = len(self.names)
        cols: dict[str, list] = {k: [] for k in self.names}
        line_no, q = [], list(bad)
        for line, fields, raw in records:
            if isinstance(fields, str):  # malformed: the reason
                q.append((line, None, fields, raw))
            elif len(fields) != n:
                q.append((line, None, f"expected {n} fields, found {len(fields)}", raw))
            else:
                for k, v in zip(self.names, fields):
                    cols[k].append(v)
                line_no.append(line)
        q = quarantine(self.label, *zip(*q)) if q else quarantine(self.label, [], [], [], [])
        return _frame(cols, line_no), q.sort("line")

    def _records_at_once(self, texts: list[str], line0: int) -> list[tuple]:
        """(first line, fields, text) of every non-blank record; raises on malformed CSV."""
        reader = csv.reader((t + "\n" for t in texts), delimiter=self.sep, strict=True)
        out, start = [], line0
        for fields in reader:
            line, start = start, line0 + reader.line_num
            if fields and (len(fields) > 1 or fields[0].strip()):
                out.append((line, fields, "\n".join(texts[line - line0:start - line0])))
        return out

    def _records_one_by_one(self, texts: list[str], line0: int) -> list[tuple]:
        """As :meth:`_records_at_once`, with each malformed record kept as (line, reason,
        text): a record runs from a line to where its quotes balance (RFC 4180), or is that
        line alone when they never do in the block."""
        out, i = [], 0
        while i < len(texts):
            if not texts[i].strip():
                i += 1
                continue
            j, odd = i, texts[i].count('"') % 2
            while odd and j + 1 < len(texts):
                j += 1
                odd ^= texts[j].count('"') % 2
            if odd:
                out.append((line0 + i, "malformed CSV (a quote is never closed)", texts[i]))
                i += 1
                continue
            text = "\n".join(texts[i:j + 1])
            try:
                out.append((line0 + i, next(csv.reader([text], delimiter=self.sep,
                                                       strict=True)), text))
            except csv.Error as exc:
                out.append((line0 + i, f"malformed CSV ({exc})", text))
            i = j + 1
        return out


def without_lines(data: bytes, starts: np.ndarray, ends: np.ndarray, drop: np.ndarray) -> bytes:
    """``data`` without the lines ``drop`` (sorted indices), each with its LF: the spans
    between them joined, a few slices per block instead of one per kept line."""
    spans, pos = [], 0
    for i in drop.tolist():
        spans.append(data[pos:starts[i]])
        pos = ends[i] + 1
    spans.append(data[pos:])
    return b"".join(spans)


def _valid_utf8(data: bytes) -> bool:
    """Whether ``data`` is UTF-8 (Polars' vectorised validation)."""
    try:
        pl.Series([data], dtype=pl.Binary).cast(pl.Utf8)
        return True
    except pl.exceptions.PolarsError:
        return False


def _undecodable(blk: Block) -> dict[int, int]:
    """Line number -> 1-based byte column of the first undecodable byte, for every line that
    is not UTF-8 (only lines holding a non-ASCII byte can fail, so only they are decoded)."""
    starts, ends = blk.bounds()
    high = np.flatnonzero(np.frombuffer(blk.data, np.uint8) >= 0x80)
    lines = np.searchsorted(starts, high, side="right") - 1   # sorted: unique in one pass
    lines = lines[np.concatenate(([True], lines[1:] != lines[:-1]))] if lines.size else lines
    bad = {}
    for i in lines.tolist():
        try:
            blk.data[starts[i]:ends[i]].decode("utf-8")
        except UnicodeDecodeError as exc:
            bad[blk.line0 + i] = exc.start + 1
    return bad
