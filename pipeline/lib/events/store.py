"""The Parquet partition store behind ``raw.events``: one file per dataset and year.

Files live next to the warehouse, in ``<warehouse>.parts/raw/events/``. A new file is
written under a temporary name, synced and renamed to a name of its own
(``<dataset>-<year>-<id>.parquet``), so no rename ever replaces a file the committed view
reads. The commit is ONE DuckDB transaction: the manifest ``raw.events__files`` swaps the
year's files, the year's ``raw.ingest_log`` and ``raw.quarantine`` rows are replaced, and the
view ``raw.events`` (the schema table ``raw.events__schema`` UNION ALL ``read_parquet`` of the
manifest's files) is redefined. A run killed before COMMIT leaves the previous files, log and
view; its new files are not in the manifest and are deleted by the next writer, which also
deletes the files a commit replaced. DuckDB allows one writer per warehouse, so no other
process is writing the store meanwhile.

A warehouse written before the store (``raw.events`` one table, or a view over one table per
year) is moved into the store, year by year, by the first writer (:func:`migrate`).
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.lib.store import warehouse as wh
from pipeline.lib.store.ingest_log import DELETE_LOG, DELETE_QUARANTINE

from .schema import EVENT_COLUMNS

SCHEMA, TABLE = "raw", "events"
FULL = f"{SCHEMA}.{TABLE}"
MANIFEST = f"{TABLE}__files"
SCHEMA_TABLE = f"{TABLE}__schema"
MANIFEST_DDL = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.{MANIFEST} (
    dataset VARCHAR NOT NULL, partition_year SMALLINT NOT NULL, file VARCHAR NOT NULL,
    rows BIGINT NOT NULL, bytes BIGINT NOT NULL)"""
_LEGACY = re.compile(rf"^{TABLE}__p(\d+)(__staging)?$")
# Polars' own string layout (Arrow string views): handing a frame to pyarrow copies nothing.
ARROW_SCHEMA: pa.Schema = pl.DataFrame(schema=EVENT_COLUMNS).to_arrow(
    compat_level=pl.CompatLevel.newest()).schema
# Min/max statistics (what a reader's filters can skip row groups by) for the columns a
# query filters on; text statistics cost more to write than they save here.
STATISTICS = ["event_date", "year", "source_ccode", "target_ccode", "dataset", "source_line",
              "partition_year"]
# Dictionary pages for every column but the two that are unique per row (building their
# dictionary is wasted: it overflows and is dropped); measured 12 % less CPU, 11 % smaller.
DICTIONARY = [c for c in EVENT_COLUMNS if c not in ("event_id", "source_line")]


def store_dir(con: duckdb.DuckDBPyConnection) -> Path:
    """``<warehouse file>.parts/raw/events`` of the warehouse ``con`` is connected to."""
    (path,) = con.execute("SELECT path FROM duckdb_databases() "
                          "WHERE database_name = current_database()").fetchone()
    if not path:
        raise ValueError("the event store needs a warehouse file (not an in-memory database)")
    return Path(str(path) + ".parts") / SCHEMA / TABLE


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class PartFile:
    """One dataset x year file being written: row groups appended, then :meth:`close`."""

    def __init__(self, folder: Path, dataset: str, year: int):
        folder.mkdir(parents=True, exist_ok=True)
        self.final = folder / f"{dataset}-{year}-{uuid.uuid4().hex[:12]}.parquet"
        self.tmp = folder / f".{self.final.name}.tmp"
        self.dataset, self.year, self.rows = dataset, year, 0
        self._writer: pq.ParquetWriter | None = None

    def write(self, frame: pl.DataFrame) -> None:
        if frame.height:
            if self._writer is None:
                self._writer = _writer(self.tmp)
            self._writer.write_table(
                frame.to_arrow(compat_level=pl.CompatLevel.newest()).cast(ARROW_SCHEMA))
            self.rows += frame.height

    def close(self, retract: dict[str, list[int]] | None = None) -> Path | None:
        """Finish the file (without the ``retract`` rows: source file -> lines), sync it and
        give it its final name; None when no row was written."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if not self.tmp.exists():
            return None
        if retract and any(retract.values()):
            self._drop(retract)
        _sync(self.tmp)
        os.replace(self.tmp, self.final)
        _sync(self.final.parent)
        return self.final

    def _drop(self, retract: dict[str, list[int]]) -> None:
        gone = pl.DataFrame([(f, n) for f, lines in retract.items() for n in lines],
                            schema={"source_file": pl.Utf8, "source_line": pl.Int64},
                            orient="row")
        kept = (pl.scan_parquet(self.tmp).join(gone.lazy(), on=["source_file", "source_line"],
                                               how="anti", maintain_order="left"))
        again = self.tmp.with_suffix(".tmp2")
        with _writer(again) as w:
            for batch in kept.collect_batches():
                w.write_table(batch.to_arrow(compat_level=pl.CompatLevel.newest())
                              .cast(ARROW_SCHEMA))
        self.rows -= gone.height
        os.replace(again, self.tmp)

    def abandon(self) -> None:
        try:
            if self._writer is not None:
                self._writer.close()
        finally:
            self.tmp.unlink(missing_ok=True)


def _writer(path: Path) -> pq.ParquetWriter:
    """zstd level 1, dictionary pages for :data:`DICTIONARY`, statistics for
    :data:`STATISTICS` (measured: the cheapest of pyarrow's and Polars' writers in CPU)."""
    return pq.ParquetWriter(path, ARROW_SCHEMA, compression="zstd", compression_level=1,
                            use_dictionary=DICTIONARY, write_statistics=STATISTICS)


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def define_view(con: duckdb.DuckDBPyConnection) -> None:
    """``raw.events`` = the schema table UNION ALL the manifest's files (in the caller's
    transaction). A view cannot take parameters; the file names are quoted literals."""
    files = [r[0] for r in con.execute(
        f"SELECT file FROM {SCHEMA}.{MANIFEST} ORDER BY partition_year, dataset").fetchall()]
    body = f"SELECT * FROM {SCHEMA}.{SCHEMA_TABLE}"
    if files:
        body += f"\nUNION ALL SELECT * FROM read_parquet([{', '.join(map(_q, files))}])"
    con.execute(f"CREATE OR REPLACE VIEW {FULL} AS {body}")


def prepare(con: duckdb.DuckDBPyConnection) -> Path:
    """Schemas, manifest and schema table in place, legacy tables moved in, strays deleted;
    returns the store's folder (called by every writer before it writes)."""
    wh.ensure_schemas(con)
    con.execute(MANIFEST_DDL)
    con.register("_template", pl.DataFrame(schema=EVENT_COLUMNS).to_arrow())
    try:
        con.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{SCHEMA_TABLE} AS "
                    "SELECT * FROM _template LIMIT 0")
    finally:
        con.unregister("_template")
    folder = store_dir(con)
    migrate(con, folder)
    collect_garbage(con, folder)
    return folder


def collect_garbage(con: duckdb.DuckDBPyConnection, folder: Path) -> list[Path]:
    """Delete the store's files the manifest does not name (replaced ones, killed runs')."""
    keep = {r[0] for r in con.execute(f"SELECT file FROM {SCHEMA}.{MANIFEST}").fetchall()}
    gone = [p for p in folder.glob("*") if p.is_file() and str(p) not in keep] \
        if folder.is_dir() else []
    for p in gone:
        p.unlink(missing_ok=True)
    return gone


def commit(con: duckdb.DuckDBPyConnection, year: int, parts: list[PartFile],
           log: pl.DataFrame, quarantine: pl.DataFrame) -> None:
    """Swap in the year's files with their ingest-log and quarantine rows: ONE transaction."""
    parts = [p for p in parts if p.final.exists()]
    manifest = pl.DataFrame(
        {"dataset": [p.dataset for p in parts], "partition_year": [year] * len(parts),
         "file": [str(p.final) for p in parts], "rows": [p.rows for p in parts],
         "bytes": [p.final.stat().st_size for p in parts]},
        schema={"dataset": pl.Utf8, "partition_year": pl.Int16, "file": pl.Utf8,
                "rows": pl.Int64, "bytes": pl.Int64})
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {SCHEMA}.{MANIFEST} WHERE partition_year = ?", [year])
        con.execute(DELETE_LOG, [FULL, year])
        con.execute(DELETE_QUARANTINE, [FULL, year])
        for table, frame in ((MANIFEST, manifest),
                             ("ingest_log", log), ("quarantine", quarantine)):
            if frame.height:
                con.register("_rows", frame.to_arrow())
                con.execute(f"INSERT INTO {SCHEMA}.{table} BY NAME SELECT * FROM _rows")
                con.unregister("_rows")
        define_view(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def partitions(con: duckdb.DuckDBPyConnection) -> dict[int, list[str]]:
    """Committed files of ``raw.events`` per partition year (empty before any store write)."""
    if not wh.table_exists(con, SCHEMA, MANIFEST):
        return {}
    out: dict[int, list[str]] = {}
    for year, file in con.execute(f"SELECT partition_year, file FROM {SCHEMA}.{MANIFEST} "
                                  "ORDER BY ALL").fetchall():
        out.setdefault(int(year), []).append(file)
    return out


def migrate(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Move ``raw.events`` of the earlier layouts (one table, or one table per year) into the
    store: every (dataset, year) copied to a file, then one transaction swaps them in."""
    tables = {r[0]: r[1] for r in con.execute(
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_schema = ?", [SCHEMA]).fetchall()}
    legacy = [t for t in tables if _LEGACY.match(t)]
    if tables.get(TABLE) == "BASE TABLE":
        legacy.append(TABLE)
    if not legacy:
        return
    sources = [t for t in legacy if not t.endswith("__staging")]
    parts = []
    for t in sources:
        for dataset, year, n in con.execute(
                f"SELECT dataset, partition_year, count(*) FROM {SCHEMA}.{t} GROUP BY ALL "
                "ORDER BY ALL").fetchall():
            part = PartFile(folder, dataset, int(year))
            con.execute(f"COPY (SELECT * FROM {SCHEMA}.{t} WHERE dataset = ? AND "
                        f"partition_year = ?) TO {_q(str(part.tmp))} (FORMAT parquet, "
                        "COMPRESSION zstd)", [dataset, year])
            part.rows = n
            part.close()
            parts.append(part)
    con.execute("BEGIN TRANSACTION")
    try:
        for p in parts:
            con.execute(f"INSERT INTO {SCHEMA}.{MANIFEST} VALUES (?, ?, ?, ?, ?)",
                        [p.dataset, p.year, str(p.final), p.rows, p.final.stat().st_size])
        if tables.get(TABLE) == "VIEW":
            con.execute(f"DROP VIEW {FULL}")
        for t in legacy:
            con.execute(f"DROP TABLE {SCHEMA}.{t}")
        define_view(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
