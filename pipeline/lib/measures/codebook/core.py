"""The codebook: one description of every derived column, from which the schemas, the DuckDB
comments and ``docs/codebook.md`` are all generated.

A table's columns are declared as :class:`Entry` templates. ``"si_pct_{m}_{f}"`` with
``vars={"m": MEASURES, "f": FIELDS}`` expands to one concrete column per combination, each with
its description rendered from the template (``{m}`` the key, ``{m_label}`` its label). The
expansion is exact: the pandera schema built from it is strict, so a column that the codebook
does not describe fails the table's blocking check, and so does a documented column that is
missing.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import duckdb
import pandera.polars as pa
import polars as pl

Vocabulary = dict[str, str]


@dataclass(frozen=True)
class Entry:
    """A column, or a family of columns, of a derived table."""

    name: str                                   # template, e.g. "si_pct_{m}_{f}"
    description: str                            # template, may use {m} and {m_label}
    dtype: type | pl.DataType | None = None     # None: any dtype
    unit: str = ""
    source: str = ""
    coverage: str = ""
    sign: str = ""
    check: pa.Check | None = None
    nullable: bool | None = None                # None: key columns not nullable, others are
    vars: dict[str, Vocabulary] = field(default_factory=dict)

    def expand(self) -> list[tuple[str, dict[str, str]]]:
        """Concrete (column name, rendered fields) pairs, in vocabulary order."""
        keys = list(self.vars)
        out = []
        for combo in itertools.product(*(self.vars[k].items() for k in keys)):
            ctx = {}
            for k, (value, label) in zip(keys, combo, strict=True):
                ctx[k], ctx[f"{k}_label"] = value, label
            rendered = {a: getattr(self, a).format(**ctx) for a in
                        ("name", "description", "unit", "source", "coverage", "sign")}
            out.append((rendered.pop("name"), rendered))
        return out


@dataclass(frozen=True)
class Table:
    """A documented table: its description, key and column entries."""

    name: str                                   # schema.table
    description: str
    key: tuple[str, ...]
    entries: tuple[Entry, ...]
    checks: tuple[pa.Check, ...] = ()

    def columns(self) -> dict[str, dict[str, str]]:
        """Concrete column name -> rendered description, unit, source, coverage and sign."""
        out: dict[str, dict[str, str]] = {}
        for e in self.entries:
            for name, doc in e.expand():
                if name in out:
                    raise ValueError(f"codebook {self.name}: column {name!r} documented twice")
                out[name] = doc
        return out

    def schema(self) -> pa.DataFrameSchema:
        """The strict pandera schema: every documented column, no other, key unique."""
        cols = {}
        for e in self.entries:
            for name, _ in e.expand():
                checks = [e.check] if e.check is not None else []
                nullable = name not in self.key if e.nullable is None else e.nullable
                cols[name] = pa.Column(e.dtype, checks, nullable=nullable, required=True)
        return pa.DataFrameSchema(cols, checks=list(self.checks), strict=True,
                                  unique=list(self.key), name=self.name)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _one_line(doc: dict[str, str]) -> str:
    parts = [doc["description"]]
    parts += [f"{k}: {doc[k]}" for k in ("unit", "sign", "source", "coverage") if doc.get(k)]
    return ". ".join(p.rstrip(".") for p in parts) + "."


def comment(con: duckdb.DuckDBPyConnection, table: Table) -> int:
    """``COMMENT ON`` the table and each of its documented columns present; returns the count.

    DuckDB takes no parameters in COMMENT statements, so the text is quoted as a literal
    (single quotes doubled); names come from the codebook, never from data.
    """
    schema, name = table.name.split(".")
    present = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND "
        "table_name = ?", [schema, name]).fetchall()}
    con.execute(f'COMMENT ON TABLE "{schema}"."{name}" IS {_literal(table.description)}')
    n = 0
    for col, doc in table.columns().items():
        if col in present:
            con.execute(f'COMMENT ON COLUMN "{schema}"."{name}"."{col}" IS '
                        f"{_literal(_one_line(doc))}")
            n += 1
    return n


def markdown(tables: list[Table], intro: str = "") -> str:
    """``docs/codebook.md``: per table, its description and key, then one row per column."""
    lines = ["# Codebook", "", intro.strip(), ""] if intro else ["# Codebook", ""]
    lines += ["| table | key | columns |", "|---|---|---|"]
    lines += [f"| [`{t.name}`](#{t.name.replace('.', '')}) | {', '.join(t.key)} | "
              f"{len(t.columns())} |" for t in tables]
    for t in tables:
        lines += ["", f"## {t.name}", "", t.description, "", f"Key: {', '.join(t.key)}.", "",
                  "| column | description | unit | sign | source | coverage |",
                  "|---|---|---|---|---|---|"]
        for col, d in t.columns().items():
            cells = [d["description"], d["unit"], d["sign"], d["source"], d["coverage"]]
            lines.append(f"| `{col}` | " + " | ".join(c.replace("|", "\\|") for c in cells)
                         + " |")
    return "\n".join(lines) + "\n"
