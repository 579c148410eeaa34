"""Delimited text files as all-text columns plus each row's physical line (``_line``).

:func:`read_table_text` checks the header, splits every line into fields (directly for lines
without quotes, with the csv module for quoted ones) and sends lines with the wrong number of
fields or undecodable bytes to quarantine, naming file, line and column.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl

from pipeline.lib.ingest.rawio import InputError, decode, read_bytes
from pipeline.lib.store.results import LINE, QUARANTINE_SCHEMA


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
