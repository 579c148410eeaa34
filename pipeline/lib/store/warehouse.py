"""The embedded DuckDB warehouse: atomic table replacement, with the ingest log and quarantine
(:mod:`pipeline.lib.store.ingest_log`).

Every write replaces a whole table (or one partition of it) together with its rows in
``raw.ingest_log`` and ``raw.quarantine`` inside ONE transaction, so a failed or killed run
leaves the previous committed state, never a half-written table or a log that disagrees with
its table. The partitioned ``raw.events`` is a view over Parquet files with the same
guarantee (:mod:`pipeline.lib.events.store`). DuckDB allows one writer per file; a second
process gets :class:`WarehouseBusyError` at once, with a message saying what to do.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import polars as pl

from pipeline.lib.store.ingest_log import INGEST_LOG_DDL, QUARANTINE_DDL, FileIngest, replace_log
from pipeline.lib.store.paths import warehouse_path

SCHEMAS = ("raw", "ref", "derived", "models")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")

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


def write_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pl.DataFrame, *,
                files: list[FileIngest] | None = None, run_id: str | None = None,
                code_version: str = "") -> None:
    """Replace ``schema.table`` and its log rows atomically.

    With ``files`` (raw tables) the ingest-log and quarantine rows of the table are replaced in
    the same transaction, each log row carrying the Dagster run and the asset's code version.
    Nothing is visible to other readers until COMMIT.
    """
    target = qualified(schema, table)
    arrow = frame.to_arrow()
    con.execute("BEGIN TRANSACTION")
    try:
        ensure_schemas(con)
        con.register("_incoming", arrow)
        con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM _incoming")
        if files is not None:
            replace_log(con, f"{schema}.{table}", files, run_id, code_version)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        try:
            con.unregister("_incoming")
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
