"""The reading contract every source parser follows.

A parser turns one raw file into a :class:`ParseResult`: the typed rows that load, the rows
that were rejected (quarantined, with file, line, column and reason) and the count of exact
duplicates removed, such that ``rows_read == loaded + quarantined + deduplicated``.  A file
that cannot be read at all (empty, wrong header, truncated archive, unsafe zip member) raises
:class:`InputError`, whose message names the file, line and column.

Reading is two-step: :func:`read_table_text` produces an all-text frame with a ``_line``
column (the 1-based physical line in the file), then :func:`coerce` casts each column to its
declared dtype and domain, moving failing rows to quarantine instead of guessing. Opening
and decoding the file's bytes is :mod:`pipeline.lib.rawio` (also where :class:`InputError`
lives).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline.lib.rawio import InputError, decode, read_bytes

LINE = "_line"
QUARANTINE_SCHEMA = {
    "source_file": pl.Utf8,
    "line": pl.Int64,
    "column": pl.Utf8,
    "reason": pl.Utf8,
    "raw": pl.Utf8,
}
DEFAULT_NA = ("", "NA", "-9", "-8")


@dataclass
class ParseResult:
    """What a parser returns for one file."""

    frame: pl.DataFrame
    quarantine: pl.DataFrame
    rows_read: int
    deduplicated: int = 0
    source_file: str = ""
    notes: dict = field(default_factory=dict)

    @property
    def loaded(self) -> int:
        return self.frame.height

    def reconcile(self) -> None:
        """Raise if read != loaded + quarantined + deduplicated (nothing may be lost)."""
        total = self.loaded + self.quarantine.height + self.deduplicated
        if total != self.rows_read:
            raise AssertionError(
                f"{self.source_file}: rows do not reconcile: read {self.rows_read} != loaded "
                f"{self.loaded} + quarantined {self.quarantine.height} + deduplicated "
                f"{self.deduplicated}"
            )


def empty_quarantine() -> pl.DataFrame:
    return pl.DataFrame(schema=QUARANTINE_SCHEMA)


def quarantine_rows(frame: pl.DataFrame, source_file: str, column: str, reason: str | pl.Expr,
                    raw: pl.Expr | None = None) -> pl.DataFrame:
    """Shape rejected rows of an all-text frame into the quarantine layout."""
    cols = [c for c in frame.columns if c != LINE]
    raw_expr = raw if raw is not None else pl.concat_str(
        [pl.col(c).fill_null("") for c in cols], separator="\t")
    return frame.select(
        pl.lit(source_file).alias("source_file"),
        pl.col(LINE).cast(pl.Int64).alias("line"),
        pl.lit(column).cast(pl.Utf8).alias("column"),
        (reason if isinstance(reason, pl.Expr) else pl.lit(reason)).cast(pl.Utf8).alias("reason"),
        raw_expr.cast(pl.Utf8).alias("raw"),
    )


# --------------------------------------------------------------------------- text tables


def _check_header_bytes(label: str, data: bytes, bad: list[tuple[int, int]],
                        encoding: str) -> None:
    """A header that does not decode is an unreadable file, not a delimiter problem."""
    if bad and bad[0][0] == 1:
        hint = " (the file starts with a UTF-16 byte-order mark)" if data[:2] in (
            b"\xff\xfe", b"\xfe\xff") else ""
        raise InputError(label, f"header is not valid {encoding}{hint}", line=1,
                         column=f"byte {bad[0][1]}")


def check_header(label: str, header: list[str], expected: list[str]) -> None:
    dup = next((n for i, n in enumerate(header) if n in header[:i]), None)
    if dup is not None:
        raise InputError(label, f"column {dup!r} appears twice in the header", line=1,
                         column=dup)
    missing = [c for c in expected if c not in header]
    if missing:
        col = missing[0]
        raise InputError(
            label, f"header lacks column {col!r} (expected {expected}, found {header})",
            line=1, column=col)


def read_table_text(path: Path, *, sep: str, expected: list[str], header: bool = True,
                    quoted: bool = True, encoding: str = "utf-8",
                    member: str | None = None) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Read a delimited file as all-text columns plus ``_line``.

    Parameters
    ----------
    path : raw file (plain, ``.gz`` or ``.zip``).
    sep : field delimiter.
    expected : column names. With ``header`` they must all be in the header line (extra columns
        are kept); without, they name the fields by position and the field count must match.
    quoted : whether fields may be quoted (CSV); unquoted files (ICEWS/GDELT TSV) are split on
        every delimiter, which is exact and fast.

    Returns
    -------
    (rows, quarantine, rows_read): ``rows`` has the text columns and ``_line``; ``quarantine``
    holds lines with the wrong number of fields or undecodable bytes. ``rows_read`` counts data
    lines (blank lines excluded), so ``rows_read == rows.height + quarantine.height``.
    """
    data, label = read_bytes(path, member)
    text, bad = decode(data, label, encoding)
    if header:
        first, _, body = text.partition("\n")
        _check_header_bytes(label, data, bad, encoding)
        names = next(csv.reader([first], delimiter=sep)) if quoted else first.split(sep)
        names = [n.strip().lstrip("\ufeff") for n in names]
        if len(names) <= 1 and len(expected) > 1:
            raise InputError(label, f"wrong delimiter or header: expected {sep!r}-separated "
                             f"columns {expected}, found {first[:80]!r}", line=1)
        check_header(label, names, expected)
        if not body.strip() and not bad:
            raise InputError(label, "no data rows after the header (truncated file?)", line=2)
        offset = 2
    else:
        names, body, offset = list(expected), text, 1
    bad_lines = {line for line, _ in bad}
    q_bad = pl.DataFrame(
        {"source_file": [label] * len(bad), "line": [b[0] for b in bad],
         "column": [f"byte {b[1]}" for b in bad],
         "reason": [f"invalid {encoding} bytes"] * len(bad), "raw": [""] * len(bad)},
        schema=QUARANTINE_SCHEMA)
    if quoted:
        rows, q_fields = _split_quoted(body, names, sep, label, offset)
    else:
        rows, q_fields = _split_plain(body, names, sep, label, offset)
    if bad_lines:
        rows = rows.filter(~pl.col(LINE).is_in(list(bad_lines)))
        q_fields = q_fields.filter(~pl.col("line").is_in(list(bad_lines)))
    quarantine = pl.concat([q_bad, q_fields]).sort("line")
    return rows, quarantine, rows.height + quarantine.height


def _lines(body: str, offset: int) -> pl.DataFrame:
    lines = pl.DataFrame({"raw": body.split("\n")}).with_row_index(LINE, offset=offset)
    return lines.filter(pl.col("raw").str.strip_chars() != "")


def _fields_to_rows(parts: pl.DataFrame, names: list[str], label: str):
    """Split ``parts`` (with list column ``_f``) into well-formed rows and field-count rejects."""
    nf = pl.col("_f").list.len()
    rows = parts.filter(nf == len(names)).select(
        *[pl.col("_f").list.get(i).alias(n) for i, n in enumerate(names)],
        pl.col(LINE).cast(pl.Int64),
    )
    q = parts.filter(nf != len(names)).select(
        pl.lit(label).alias("source_file"), pl.col(LINE).cast(pl.Int64).alias("line"),
        pl.lit(None, pl.Utf8).alias("column"),
        pl.format("expected {} fields, found {}", pl.lit(len(names)), nf).alias("reason"),
        pl.col("raw"),
    )
    return rows, q


def _split_plain(body: str, names: list[str], sep: str, label: str, offset: int):
    return _split_plain_lines(_lines(body, offset), names, sep, label)


def _split_plain_lines(lines: pl.DataFrame, names: list[str], sep: str, label: str):
    nf = pl.col("raw").str.count_matches(sep, literal=True) + 1
    lines = lines.with_columns(nf.alias("_nf"))
    rows = lines.filter(pl.col("_nf") == len(names)).select(
        pl.col("raw").str.split_exact(sep, len(names) - 1)
        .struct.rename_fields(names).struct.unnest(),
        pl.col(LINE).cast(pl.Int64),
    )
    q = lines.filter(pl.col("_nf") != len(names)).select(
        pl.lit(label).alias("source_file"), pl.col(LINE).cast(pl.Int64).alias("line"),
        pl.lit(None, pl.Utf8).alias("column"),
        pl.format("expected {} fields, found {}", pl.lit(len(names)), pl.col("_nf")).alias("reason"),
        pl.col("raw"),
    )
    return rows, q


def _split_quoted(body: str, names: list[str], sep: str, label: str, offset: int):
    """Split a quoted CSV body so each row keeps its physical line number.

    Lines without a quote character are split directly (fast, exact); lines with quotes go
    through the csv module one by one. A quoted field spanning lines (odd quote count on a
    line) switches the whole file to the csv module's streaming reader.
    """
    lines = _lines(body, offset)
    has_q = pl.col("raw").str.contains('"', literal=True)
    quoted = lines.filter(has_q)
    if (quoted["raw"].str.count_matches('"', literal=True) % 2 == 1).any():
        return _split_csv_module(body, names, sep, label, offset)
    rows, q = _split_plain_lines(lines.filter(~has_q), names, sep, label)
    parsed = [next(csv.reader([r], delimiter=sep)) for r in quoted["raw"].to_list()]
    quoted = quoted.with_columns(pl.Series("_f", parsed, pl.List(pl.Utf8)))
    q_rows, q_q = _fields_to_rows(quoted, names, label)
    return pl.concat([rows, q_rows]).sort(LINE), pl.concat([q, q_q])


def _split_csv_module(body: str, names: list[str], sep: str, label: str, offset: int):
    reader = csv.reader(io.StringIO(body), delimiter=sep, strict=True)
    cols: list[list[str]] = [[] for _ in names]
    line_no: list[int] = []
    q: list[tuple] = []
    start = offset
    try:
        for fields in reader:
            line = start
            start = offset + reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            if len(fields) != len(names):
                q.append((label, line, None,
                          f"expected {len(names)} fields, found {len(fields)}", sep.join(fields)))
                continue
            for c, v in zip(cols, fields):
                c.append(v)
            line_no.append(line)
    except csv.Error as exc:
        raise InputError(label, f"malformed CSV ({exc})", line=start) from exc
    rows = pl.DataFrame({n: pl.Series(n, c, pl.Utf8) for n, c in zip(names, cols)}
                        | {LINE: pl.Series(LINE, line_no, pl.Int64)})
    return rows, pl.DataFrame(q, schema=QUARANTINE_SCHEMA, orient="row")


# --------------------------------------------------------------------------- typing


@dataclass(frozen=True)
class Col:
    """A column's target dtype and domain.

    ``na`` text values become NULL; a value that does not cast to ``dtype`` or fails ``check``
    (an expression on the cast column, NULLs pass) sends its row to quarantine with ``reason``.
    """

    name: str
    dtype: pl.DataType | type = pl.Utf8
    na: tuple[str, ...] = DEFAULT_NA
    check: Callable[[pl.Expr], pl.Expr] | None = None
    reason: str = "value out of domain"
    required: bool = False
    rename: str | None = None
    optional: bool = False  # the column may be absent from the file: then it is all NULL


def with_optional(rows: pl.DataFrame, cols: list[Col]) -> pl.DataFrame:
    """Add each optional column the file lacks, as NULL text (before :func:`coerce`)."""
    return rows.with_columns(pl.lit(None, pl.Utf8).alias(c.name) for c in cols
                             if c.optional and c.name not in rows.columns)


def cast_column(name: str, dtype) -> pl.Expr:
    """Text column ``name`` cast to ``dtype`` (stripped; failures NULL), as :func:`coerce` does."""
    c = pl.col(name).str.strip_chars()
    if dtype in (pl.Int8, pl.Int16, pl.Int32, pl.Int64):
        # Integers written as floats ("1.0") are accepted; "1.5" is not.
        f = c.cast(pl.Float64, strict=False)
        return pl.when(f == f.round(0)).then(f).otherwise(None).cast(dtype, strict=False)
    if dtype == pl.Boolean:
        return c.replace_strict({"1": True, "0": False, "TRUE": True, "FALSE": False,
                                 "true": True, "false": False}, default=None,
                                return_dtype=pl.Boolean)
    if dtype == pl.Utf8:
        return pl.col(name)
    if dtype in (pl.Float32, pl.Float64):
        # "nan"/"inf" cast without error but are not values: they would pass range checks
        # (NaN sorts above every number in Polars), so they are rejected like other text.
        f = c.cast(dtype, strict=False)
        return pl.when(f.is_finite()).then(f).otherwise(None)
    if dtype == pl.Date:
        # Polars 2 no longer casts strings to Date; parse ISO dates, failures become NULL.
        return c.str.to_date("%Y-%m-%d", strict=False)
    return c.cast(dtype, strict=False)


def coerce(rows: pl.DataFrame, cols: list[Col], source_file: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cast text columns to their declared dtypes; rows that fail go to quarantine.

    Returns ``(typed, quarantine)``; ``typed`` keeps ``_line`` and only the declared columns.
    """
    nulled = rows.with_columns(
        pl.when(pl.col(c.name).str.strip_chars().is_in(list(c.na))).then(None)
        .otherwise(pl.col(c.name)).alias(c.name)
        for c in cols if c.na
    )
    typed = nulled.with_columns(cast_column(c.name, c.dtype).alias(f"__{c.name}") for c in cols)
    problems = []
    for c in cols:
        t = pl.col(f"__{c.name}")
        src = pl.col(c.name)
        msgs = [
            (src.is_not_null() & t.is_null(),
             pl.format("not a valid {}: '{}'", pl.lit(str(c.dtype)), src)),
        ]
        if c.check is not None:
            msgs.append((t.is_not_null() & ~c.check(t).fill_null(True),
                         pl.format("{}: '{}'", pl.lit(c.reason), src)))
        if c.required:
            msgs.append((src.is_null(), pl.lit("required value missing")))
        for cond, msg in msgs:
            problems.append(pl.when(cond).then(pl.struct(
                pl.lit(c.name).alias("column"), msg.alias("reason"))))
    flagged = typed.with_columns(pl.coalesce(problems).alias("__problem") if problems
                                 else pl.lit(None).alias("__problem"))
    bad = flagged.filter(pl.col("__problem").is_not_null())
    good = flagged.filter(pl.col("__problem").is_null())
    text_cols = [c for c in rows.columns if c != LINE]
    quarantine = bad.select(
        pl.lit(source_file).alias("source_file"),
        pl.col(LINE).cast(pl.Int64).alias("line"),
        pl.col("__problem").struct.field("column").cast(pl.Utf8),
        pl.col("__problem").struct.field("reason").cast(pl.Utf8),
        pl.concat_str([pl.col(c).fill_null("") for c in text_cols], separator="\t").alias("raw"),
    )
    out = good.select(
        *[pl.col(f"__{c.name}").alias(c.rename or c.name) for c in cols], pl.col(LINE))
    return out, quarantine


def drop_exact_duplicates(frame: pl.DataFrame, subset: list[str] | None = None) -> tuple[pl.DataFrame, int]:
    """Remove rows identical on ``subset`` (default: all but ``_line``), keeping the first."""
    subset = subset or [c for c in frame.columns if c != LINE]
    out = frame.unique(subset=subset, keep="first", maintain_order=True)
    return out, frame.height - out.height


def finish(frame: pl.DataFrame, quarantines: list[pl.DataFrame], rows_read: int,
           source_file: str, dedupe: list[str] | None | bool = None,
           notes: dict | None = None) -> ParseResult:
    """Drop duplicates (unless ``dedupe is False``), drop ``_line`` and reconcile the counts."""
    n_dup = 0
    if dedupe is not False:
        frame, n_dup = drop_exact_duplicates(frame, dedupe or None)
    result = ParseResult(
        frame=frame.drop(LINE, strict=False),
        quarantine=pl.concat([empty_quarantine(), *quarantines]).sort("line"),
        rows_read=rows_read, deduplicated=n_dup, source_file=source_file, notes=notes or {})
    result.reconcile()
    return result


def read_csv_typed(path: Path, cols: list[Col], *, sep: str = ",", header: bool = True,
                   quoted: bool = True, encoding: str = "utf-8",
                   dedupe: list[str] | None | bool = None) -> ParseResult:
    """Read + coerce + dedupe in one call, for sources with one flat table per file."""
    rows, q_lines, n = read_table_text(path, sep=sep, header=header, quoted=quoted,
                                       expected=[c.name for c in cols if not c.optional],
                                       encoding=encoding)
    typed, q_values = coerce(with_optional(rows, cols), cols, str(path))
    return finish(typed, [q_lines, q_values], n, str(path), dedupe=dedupe)
