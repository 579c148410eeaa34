"""What stands against the warehouse now, whatever the last run did.

The closing summary of every run, a no-change rerun included, lists these standing warnings
(as :class:`pipeline.lib.report.summary.Notice` records):

- tables with quarantined rows: count, the first reason (file, line, column) and the query
  that lists them (``strict``: ``pipeline run --strict`` fails on them);
- loaded files whose sha256 differs from the registry's (``strict``);
- files in a source folder that no parser reads, and folders no source reads;
- a source whose files come from different releases (``states2024.csv`` beside
  ``majors2016.csv``);
- warning checks whose last evaluation did not pass (from Dagster's check records, so a rerun
  that runs no check still shows them).

It reads the warehouse (DuckDB) and the registry; it never imports dagster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb

from pipeline.lib.ingest.registry import RawTable, Source
from pipeline.lib.report.summary import CheckResult, Notice, TableRow
from pipeline.lib.store import warehouse

DOC_SUFFIXES = {".md", ".pdf", ".doc", ".docx", ".html", ".htm", ".rtf"}
_EXAMPLES = 4

FIRST_QUARANTINED = """
SELECT table_name, count(*) OVER (PARTITION BY table_name), source_file, line, "column", reason
FROM raw.quarantine
QUALIFY row_number() OVER (PARTITION BY table_name
                           ORDER BY partition_year NULLS FIRST, source_file, line) = 1
ORDER BY table_name"""
INGEST_TOTALS = ("SELECT table_name, count(*), sum(rows_read), sum(quarantined), "
                 "sum(deduplicated) FROM raw.ingest_log GROUP BY ALL")


def asset_of(table: str) -> str:
    """Asset key of a warehouse table: ``raw.cow_nmc`` -> ``raw/cow_nmc``."""
    return table.replace(".", "/", 1)


def _has_log(con: duckdb.DuckDBPyConnection) -> bool:
    # literals, not bound parameters: those make DuckDB import pandas (~1.7 s)
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw' AND "
                       "table_name IN ('ingest_log', 'quarantine')").fetchone()[0] == 2


def table_rows(con: duckdb.DuckDBPyConnection, collapse: Mapping[str, str]) -> list[TableRow]:
    """Every visible table with its rows; raw tables with their ingest counts. ``collapse``
    names the tables whose parser merges rows by design: their "deduplicated" rows are
    labelled as a collapse, not as lost data."""
    log = ({r[0]: r[1:] for r in con.execute(INGEST_TOTALS).fetchall()}
           if _has_log(con) else {})
    out = []
    for full in warehouse.visible_tables(con):
        schema, name = full.split(".", 1)
        n = con.execute(f"SELECT count(*) FROM {warehouse.qualified(schema, name)}").fetchone()[0]
        if full not in log:
            out.append(TableRow(full, n))
            continue
        files, read, quarantined, dedup = (int(v) for v in log[full])
        note = (f"{collapse[full]} ({read:,} -> {n:,}): the {dedup:,} are merged repeats, not "
                "lost rows" if dedup and full in collapse else "")
        out.append(TableRow(full, n, files, read, quarantined, dedup, note))
    return out


def quarantine_notices(con: duckdb.DuckDBPyConnection) -> list[Notice]:
    """One notice per table with quarantined rows: count, first reason, the query."""
    if not _has_log(con):
        return []
    out = []
    for table, n, source_file, line, column, reason in con.execute(FIRST_QUARANTINED).fetchall():
        where = ", ".join([Path(str(source_file).split("!")[0]).name]
                          + ([f"line {line}"] if line is not None else [])
                          + ([f"column {column}"] if column else []))
        rows = "row" if n == 1 else "rows"
        out.append(Notice(
            table, "quarantine",
            f"{n:,} quarantined {rows}; first: {where}: {reason}; see them: "
            f"SELECT * FROM raw.quarantine WHERE table_name = '{table}'",
            count=int(n), strict=True, asset=asset_of(table)))
    return out


def drift_notices(con: duckdb.DuckDBPyConnection, sources: Iterable[Source]) -> list[Notice]:
    """Loaded files whose sha256 is not the one the registry holds for that file name."""
    if not _has_log(con):
        return []
    by_name = {s.name: s for s in sources}
    out = []
    for table, source, path, sha in con.execute(
            "SELECT DISTINCT table_name, source, source_file, sha256 FROM raw.ingest_log "
            "ORDER BY ALL").fetchall():
        src = by_name.get(source)
        name = Path(str(path)).name
        known = src.sha256.get(name) if src is not None else None
        if known is not None and known != sha:
            out.append(Notice(
                source, "sha256",
                f"{name} (loaded into {table}) has sha256 {sha[:12]}..., the registry has "
                f"{known[:12]}... for this file name: a changed or re-released file "
                "(`pipeline sources` shows it)", strict=True, asset=asset_of(table)))
    return out


def strict_notices(con: duckdb.DuckDBPyConnection, sources: Iterable[Source]) -> list[Notice]:
    """Quarantined rows and checksum drift: the warnings ``--strict`` turns into failures."""
    return quarantine_notices(con) + drift_notices(con, sources)


def _readable_by(folder: str, sources: Iterable[Source]) -> list[Source]:
    return [s for s in sources if folder in (s.name, *s.folders)]


def unread_files(sources: list[Source], dirs: Iterable[Path]) -> dict[str, list[str]]:
    """Per source folder (``folder`` or ``folder/`` for one no source reads), the files in it
    that no pattern of any source reading that folder matches. Documentation files
    (SOURCE.md, codebooks), hidden files and partial downloads are not listed."""
    out: dict[str, list[str]] = {}
    for d in dirs:
        if not d.is_dir():
            continue
        for base in sorted(p for p in d.iterdir() if p.is_dir() and not p.name.startswith(".")):
            files = {p for p in base.rglob("*") if p.is_file() and p.suffix.lower()
                     not in DOC_SUFFIXES and not p.name.startswith(".")
                     and not p.name.endswith(".part")}
            readers = _readable_by(base.name, sources)
            matched = {p for s in readers for pat in s.patterns for p in base.glob(pat)}
            left = sorted(str(p.relative_to(base)) for p in files - matched)
            if left:
                label = base.name if readers else f"{base.name}/"
                out.setdefault(label, []).extend(x for x in left if x not in out.get(label, []))
    return out


def unread_notices(sources: list[Source], dirs: Iterable[Path]) -> list[Notice]:
    """One notice per folder with files no parser reads."""
    out = []
    for label, names in unread_files(sources, dirs).items():
        shown = ", ".join(names[:_EXAMPLES]) + (", ..." if len(names) > _EXAMPLES else "")
        what = ("a folder no source reads" if label.endswith("/")
                else "no parser reads them")
        out.append(Notice(label, "unread", f"{len(names)} file(s), {what}: {shown}",
                          count=len(names)))
    return out


def release_notices(tables: Iterable[RawTable]) -> list[Notice]:
    """A source whose tables would load files of different releases (by what the files say)."""
    by_source: dict[str, dict[str, list[str]]] = {}
    sources: dict[str, Source] = {}
    for t in tables:
        src = t.source
        if src.release is None:
            continue
        sources[src.name] = src
        for path in src.find(t.patterns):
            found = src.release(path)
            if found:
                by_source.setdefault(src.name, {}).setdefault(found, []).append(path.name)
    return [Notice(name, "release", "files of different releases are loaded together: "
                   + "; ".join(f"{v}: {', '.join(sorted(set(f)))}" for v, f in sorted(rel.items())))
            for name, rel in by_source.items() if len(rel) > 1]


# -- check outcomes (the last evaluation of each, as Dagster recorded it) -------------------

def check_notices(checks: Iterable[CheckResult]) -> list[Notice]:
    """Warn-level checks that did not pass, with their counts."""
    return [Notice(c.asset, "check", f"check {c.name} did not pass"
                   + (f": {c.detail}" if c.detail else ""))
            for c in checks if not c.passed and c.severity != "ERROR"]
