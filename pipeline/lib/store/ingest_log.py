"""``raw.ingest_log`` and ``raw.quarantine``: one row per loaded file, one per rejected row.

A raw table's log rows say, per file: its sha256 (the data version Dagster observed for the
file), size, rows read / loaded / quarantined / deduplicated, start and finish, and the code
version and Dagster run of the asset that loaded it. :func:`replace_log` replaces a table's
rows inside the caller's transaction, so table, log and quarantine always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from pipeline.lib.store.provenance import sha256_file
from pipeline.lib.store.results import ParseResult

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


def log_frame(table: str, files: list[FileIngest], run_id: str | None,
              code_version: str) -> pl.DataFrame:
    """The ingest-log rows of ``files`` loaded into ``table`` (``schema.name``)."""
    return pl.DataFrame(
        {
            "table_name": [table] * len(files),
            "source": [f.source for f in files],
            "source_file": [str(f.path) for f in files],
            "partition_year": [None] * len(files),
            "sha256": [f.sha256 for f in files],
            "bytes": [f.path.stat().st_size for f in files],
            "rows_read": [f.result.rows_read for f in files],
            "loaded": [f.result.loaded for f in files],
            "quarantined": [f.result.quarantine.height for f in files],
            "deduplicated": [f.result.deduplicated for f in files],
            "started_at": [f.started_at for f in files],
            "finished_at": [f.finished_at for f in files],
            "code_version": [code_version] * len(files),
            "run_id": [run_id] * len(files),
        },
        schema_overrides={"partition_year": pl.Int16, "run_id": pl.Utf8},
    )


def replace_log(con: duckdb.DuckDBPyConnection, table: str, files: list[FileIngest],
                run_id: str | None, code_version: str) -> None:
    """Replace the log and quarantine rows of ``table`` (inside the caller's transaction)."""
    con.execute(DELETE_LOG, [table, None])
    con.execute(DELETE_QUARANTINE, [table, None])
    con.register("_log", log_frame(table, files, run_id, code_version).to_arrow())
    try:
        con.execute("INSERT INTO raw.ingest_log BY NAME SELECT * FROM _log")
    finally:
        con.unregister("_log")
    quarantine = pl.concat([f.result.quarantine for f in files]) if files else None
    if quarantine is not None and quarantine.height:
        q = quarantine.with_columns(pl.lit(table).alias("table_name"),
                                    pl.lit(None, pl.Int16).alias("partition_year"))
        con.register("_q", q.to_arrow())
        try:
            con.execute("INSERT INTO raw.quarantine BY NAME SELECT * FROM _q")
        finally:
            con.unregister("_q")
