"""Run records in the warehouse: ``meta.runs`` (one row per materialization) and ``meta.state``.

``meta.runs`` answers "which run wrote this table (or event year), from which code and which
input files?": run id, asset key, partition, status, start and finish, code version, data
version, the table written (when it is named after the asset key) and the input versions (sha256 of each input file for raw tables; the data versions
of the parent tables for derived ones). It is written after a run's steps, in its own
transaction, so it never makes an asset's write non-atomic: a run killed before it is recorded
simply leaves its assets looking stale, and the next run redoes them.

The ``meta`` schema holds bookkeeping only, no research data; asset keys never start with it.
This module never imports dagster.
"""

from __future__ import annotations

import json

import duckdb

RUNS_DDL = """
CREATE TABLE IF NOT EXISTS meta.runs (
    run_id VARCHAR NOT NULL,
    asset_key VARCHAR NOT NULL,
    partition VARCHAR,
    status VARCHAR NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    code_version VARCHAR,
    data_version VARCHAR,
    input_versions JSON,
    table_name VARCHAR,
    recorded_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp()
)"""
STATE_DDL = "CREATE TABLE IF NOT EXISTS meta.state (key VARCHAR PRIMARY KEY, value JSON)"
INSERT_RUN = """
INSERT INTO meta.runs (run_id, asset_key, partition, status, started_at, finished_at,
                       code_version, data_version, input_versions, table_name)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
LATEST = """
SELECT asset_key, partition, data_version, code_version, input_versions, run_id, finished_at,
       table_name
FROM meta.runs WHERE status = 'materialized'
QUALIFY row_number() OVER (PARTITION BY asset_key, partition
                           ORDER BY finished_at DESC, recorded_at DESC) = 1"""
UPSERT_STATE = "INSERT OR REPLACE INTO meta.state VALUES (?, ?)"
GET_STATE = "SELECT value FROM meta.state WHERE key = ?"
HAS_META = ("SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'meta' AND table_name IN ('runs', 'state')")
COLUMNS = ("run_id", "asset_key", "partition", "status", "started_at", "finished_at",
           "code_version", "data_version", "input_versions", "table_name")


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute(RUNS_DDL)
    con.execute(STATE_DDL)


def _has_meta(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute(HAS_META).fetchone()[0] == 2


def record(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """Append run records (dicts with :data:`COLUMNS`) in one transaction."""
    if not rows:
        return
    con.execute("BEGIN TRANSACTION")
    try:
        ensure(con)
        for r in rows:
            values = [r.get(c) for c in COLUMNS]
            values[-2] = json.dumps(r.get("input_versions") or {}, sort_keys=True)
            con.execute(INSERT_RUN, values)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def latest(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str | None], dict]:
    """The last successful record per (asset key, partition)."""
    if not _has_meta(con):
        return {}
    out = {}
    for key, part, dv, cv, inputs, run_id, finished, table in con.execute(LATEST).fetchall():
        out[(key, part)] = {"data_version": dv, "code_version": cv, "run_id": run_id,
                            "input_versions": json.loads(inputs or "{}"),
                            "finished_at": finished, "table_name": table}
    return out


def get_state(con: duckdb.DuckDBPyConnection, key: str):
    if not _has_meta(con):
        return None
    # The key inlined, not bound: a bound parameter makes DuckDB import pandas (~1.7 s), which
    # is most of an unchanged rerun's time.
    row = con.execute(GET_STATE.replace("?", "'" + key.replace("'", "''") + "'")).fetchone()
    return json.loads(row[0]) if row else None


def set_state(con: duckdb.DuckDBPyConnection, key: str, value) -> None:
    ensure(con)
    con.execute(UPSERT_STATE, [key, json.dumps(value, sort_keys=True, default=str)])


def run_count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM meta.runs").fetchone()[0] if _has_meta(con) else 0
