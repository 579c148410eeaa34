"""Panels out: any derived table, filtered, to Parquet, CSV, Stata ``.dta`` and R ``.rds``.

A peacesciencer user builds ``create_dyadyears() |> add_...()`` and ends with a file for Stata or
R; here the derived tables are that file. Variable labels (Stata) come from the codebook, the
same text as the DuckDB comments and ``docs/codebook.md``. Stata names are limited to 32
characters: a longer column is shortened deterministically and the codebook line beside it
(``<stem>.columns.csv``, written with every export) names the original.

References
----------
Miller, S. V. 2022. "peacesciencer: An R Package for Quantitative Peace Science Research."
*Conflict Management and Peace Science* 39(6): 755-779.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import polars as pl

from pipeline.lib.measures.codebook import TABLES

FORMATS = ("parquet", "csv", "dta", "rds")
STATA_NAME = 32
STATA_LABEL = 80
_KEYS = {"ccode": "ccode", "ccode1": "ccode1", "ccode2": "ccode2", "junior": "junior",
         "senior": "senior", "source_ccode": "source_ccode", "ccode_a": "ccode_a"}


def read_panel(con: duckdb.DuckDBPyConnection, table: str, *, years: tuple[int, int] | None = None,
               ccodes: list[int] | None = None, columns: list[str] | None = None
               ) -> pl.DataFrame:
    """Rows of ``table`` (``derived.<name>`` or ``ref.countries``) in the year range and with
    any of ``ccodes`` in one of its country-code columns, with the chosen columns (keys first).

    Raises ValueError for an unknown table or column (naming the known ones)."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; exportable: {', '.join(TABLES)}")
    doc = TABLES[table]
    known = list(doc.columns())
    cols = known if not columns else [*[k for k in doc.key if k not in columns], *columns]
    bad = [c for c in cols if c not in known]
    if bad:
        raise ValueError(f"{table} has no column {bad[0]!r}; see docs/codebook.md")
    where, params = [], []
    if years and "year" in known:
        where.append("year BETWEEN ? AND ?")
        params += list(years)
    codes = [c for c in known if c in _KEYS]
    if ccodes and codes:
        where.append("(" + " OR ".join(f"{c} IN (SELECT unnest(?))" for c in codes) + ")")
        params += [list(ccodes)] * len(codes)
    select = ", ".join(f'"{c}"' for c in dict.fromkeys(cols))
    schema, name = table.split(".")
    sql = f'SELECT {select} FROM "{schema}"."{name}"'
    if where:
        sql += " WHERE " + " AND ".join(where)
    return con.execute(sql + " ORDER BY " + ", ".join(f'"{k}"' for k in doc.key), params).pl()


def stata_names(columns: list[str]) -> dict[str, str]:
    """Column -> a valid, unique Stata name (letters, digits, _; at most 32 characters)."""
    out: dict[str, str] = {}
    for c in columns:
        base = re.sub(r"[^A-Za-z0-9_]", "_", c)
        name = base[:STATA_NAME]
        i = 1
        while name in out.values():
            suffix = f"_{i}"
            name = base[:STATA_NAME - len(suffix)] + suffix
            i += 1
        out[c] = name
    return out


def _labels(table: str, columns: list[str]) -> dict[str, str]:
    docs = TABLES[table].columns()
    return {c: docs[c]["description"] if c in docs else c for c in columns}


def write_panel(frame: pl.DataFrame, table: str, out: Path,
                formats: tuple[str, ...] = FORMATS) -> dict[str, Path]:
    """Write ``frame`` as ``<out>.<format>`` for each format, plus ``<out>.columns.csv``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    labels = _labels(table, frame.columns)
    names = stata_names(frame.columns)
    docs = TABLES[table].columns()
    pl.DataFrame({
        "column": frame.columns, "stata_name": [names[c] for c in frame.columns],
        **{k: [docs.get(c, {}).get(k, "") for c in frame.columns]
           for k in ("description", "unit", "sign", "source", "coverage")},
    }).write_csv(out.with_suffix(".columns.csv"))
    written["columns"] = out.with_suffix(".columns.csv")
    plain = frame.with_columns(pl.col(c).cast(pl.Int8) for c, t in frame.schema.items()
                               if t == pl.Boolean)
    plain = plain.with_columns(pl.col(c).cast(pl.Utf8) for c, t in plain.schema.items()
                               if isinstance(t, pl.Enum | pl.Categorical))
    for fmt in formats:
        path = out.with_suffix(f".{fmt}")
        if fmt == "parquet":
            frame.write_parquet(path)
        elif fmt == "csv":
            plain.write_csv(path)
        elif fmt == "dta":
            pdf = plain.rename(names).to_pandas()
            pdf.to_stata(path, write_index=False, version=118,
                         variable_labels={names[c]: labels[c][:STATA_LABEL]
                                          for c in frame.columns},
                         data_label=TABLES[table].description[:STATA_LABEL])
        elif fmt == "rds":
            import pyreadr  # R's format, read back by R's readRDS

            pyreadr.write_rds(str(path), plain.to_pandas())
        else:
            raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
        written[fmt] = path
    return written
