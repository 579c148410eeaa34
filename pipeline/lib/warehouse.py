"""The embedded DuckDB warehouse: atomic table replacement, ingest log and quarantine.

Every write replaces a whole table (or one partition of it) together with its rows in
``raw.ingest_log`` and ``raw.quarantine`` inside ONE transaction, so a failed or killed run
leaves the previous committed state, never a half-written table or a log that disagrees with
its table. The partitioned ``raw.events`` is a view over Parquet files with the same
guarantee (:mod:`pipeline.lib.events.store`). DuckDB allows one writer per file; a second
process gets :class:`WarehouseBusyError` at once, with a message saying what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from pipeline.lib.ingest import ParseResult
from pipeline.lib.paths import warehouse_path
from pipeline.lib.provenance import code_version, sha256_file

SCHEMAS = ("raw", "ref", "derived", "models")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")

INGEST_LOG_DDL = """
CREATE TABLE IF NOT EXISTS raw.ingest_log (
    table_name VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    partition_year SMALLINT,
    sha256 VARCHAR NOT NULL,
    bytes BIGINT NOT NULL,
    rows_read BIGINT NOT NULL,
    loaded BIGINT NOT NULL,
    quarantined BIGINT NOT NULL,
    deduplicated BIGINT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    code_version VARCHAR NOT NULL,
    run_id VARCHAR
)"""

QUARANTINE_DDL = """
CREATE TABLE IF NOT EXISTS raw.quarantine (
    table_name VARCHAR NOT NULL,
    partition_year SMALLINT,
    source_file VARCHAR NOT NULL,
    line BIGINT,
    "column" VARCHAR,
    reason VARCHAR NOT NULL,
    raw VARCHAR
)"""

DELETE_LOG = "DELETE FROM raw.ingest_log WHERE table_name = ? AND partition_year IS NOT DISTINCT FROM ?"
DELETE_QUARANTINE = (
    "DELETE FROM raw.quarantine WHERE table_name = ? AND partition_year IS NOT DISTINCT FROM ?")


class WarehouseBusyError(RuntimeError):
    """Another process holds the warehouse (DuckDB: one writer per file)."""


def connect(path: Path | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, turning DuckDB's lock conflict into a message a user can act on."""
    path = Path(path) if path else warehouse_path()
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseBusyError(
                f"the warehouse {path} is in use by another process (DuckDB allows one writer "
                f"per file). Wait for the other run to finish, or point PIPELINE_WAREHOUSE at "
                f"another file. DuckDB said: {exc}") from exc
        raise


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"invalid SQL identifier {name!r}")
    return f'"{name}"'


def qualified(schema: str, table: str) -> str:
    return f"{_ident(schema)}.{_ident(table)}"


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    for s in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(s)}")
    con.execute(INGEST_LOG_DDL)
    con.execute(QUARANTINE_DDL)


@dataclass
class FileIngest:
    """One parsed file with its provenance, ready to be logged."""

    source: str
    path: Path
    result: ParseResult
    started_at: datetime
    finished_at: datetime
    sha256: str = ""

    def __post_init__(self) -> None:
        if not self.sha256:
            self.sha256 = sha256_file(self.path)


def _log_frame(table: str, files: list[FileIngest], partition_year: int | None,
               run_id: str | None) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "table_name": [table] * len(files),
            "source": [f.source for f in files],
            "source_file": [str(f.path) for f in files],
            "partition_year": [partition_year] * len(files),
            "sha256": [f.sha256 for f in files],
            "bytes": [f.path.stat().st_size for f in files],
            "rows_read": [f.result.rows_read for f in files],
            "loaded": [f.result.loaded for f in files],
            "quarantined": [f.result.quarantine.height for f in files],
            "deduplicated": [f.result.deduplicated for f in files],
            "started_at": [f.started_at for f in files],
            "finished_at": [f.finished_at for f in files],
            "code_version": [code_version()] * len(files),
            "run_id": [run_id] * len(files),
        },
        schema_overrides={"partition_year": pl.Int16, "run_id": pl.Utf8},
    )


def write_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pl.DataFrame, *,
                files: list[FileIngest] | None = None, partition_year: int | None = None,
                partition_column: str = "partition_year", run_id: str | None = None) -> None:
    """Replace ``schema.table`` (or its ``partition_year`` slice) and its log rows atomically.

    With ``files`` (raw tables) the ingest-log and quarantine rows of the table (or partition)
    are replaced in the same transaction. Nothing is visible to other readers until COMMIT.
    """
    target = qualified(schema, table)
    arrow = frame.to_arrow()
    con.execute("BEGIN TRANSACTION")
    try:
        ensure_schemas(con)
        con.register("_incoming", arrow)
        if partition_year is None:
            con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM _incoming")
        else:
            col = _ident(partition_column)
            con.execute(f"CREATE TABLE IF NOT EXISTS {target} AS SELECT * FROM _incoming LIMIT 0")
            con.execute(f"DELETE FROM {target} WHERE {col} = ?", [partition_year])
            con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM _incoming")
        if files is not None:
            full = f"{schema}.{table}"
            con.execute(DELETE_LOG, [full, partition_year])
            con.execute(DELETE_QUARANTINE, [full, partition_year])
            log = _log_frame(full, files, partition_year, run_id)
            con.register("_log", log.to_arrow())
            con.execute("INSERT INTO raw.ingest_log BY NAME SELECT * FROM _log")
            quarantine = pl.concat([f.result.quarantine for f in files]) if files else None
            if quarantine is not None and quarantine.height:
                q = quarantine.with_columns(
                    pl.lit(full).alias("table_name"),
                    pl.lit(partition_year, pl.Int16).alias("partition_year"))
                con.register("_q", q.to_arrow())
                con.execute("INSERT INTO raw.quarantine BY NAME SELECT * FROM _q")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for view in ("_incoming", "_log", "_q"):
            try:
                con.unregister(view)
            except duckdb.Error:
                pass


def read_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> pl.DataFrame:
    return con.execute(f"SELECT * FROM {qualified(schema, table)}").pl()


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, table]).fetchone()[0] > 0


def drop_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> None:
    """Drop a table and its ingest-log and quarantine rows (a source that is no longer there)."""
    con.execute("BEGIN TRANSACTION")
    try:
        ensure_schemas(con)
        con.execute(f"DROP TABLE IF EXISTS {qualified(schema, table)}")
        con.execute("DELETE FROM raw.ingest_log WHERE table_name = ?", [f"{schema}.{table}"])
        con.execute("DELETE FROM raw.quarantine WHERE table_name = ?", [f"{schema}.{table}"])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def is_internal(table_name: str) -> bool:
    """Tables behind a view a user sees (the schema and manifest tables of ``raw.events``,
    and an earlier layout's partition and staging tables): not listed to users."""
    return bool(re.search(r"__(p\d+|schema|files)(__staging)?$", table_name))


def visible_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """``schema.name`` of every table and view a user sees: partitioned tables (views) in,
    the tables behind them out (:func:`is_internal`). Sorted."""
    rows = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() UNION ALL "
        "SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    return sorted(f"{s}.{t}" for s, t in rows if not is_internal(t))
