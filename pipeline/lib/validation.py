"""Table checks, as plain functions returning ``{"passed": bool, "metadata": {...}}``.

The Dagster layer wraps them as blocking asset checks; tests call them directly.
"""

from __future__ import annotations

import duckdb
import pandera.errors as pa_errors
import polars as pl

from pipeline.lib.warehouse import qualified, read_table, table_exists

_SAMPLE = 20


def validate_frame(frame: pl.DataFrame, schema: type) -> dict:
    """Validate eagerly (``lazy=True`` collects every failure, on the data, not a plan)."""
    try:
        schema.validate(frame, lazy=True)
    except pa_errors.SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases if isinstance(cases, pl.DataFrame) else pl.from_pandas(cases)
        first = cases.row(0, named=True) if cases.height else {}
        return {"passed": False, "metadata": {
            "rows": frame.height, "failure_cases": cases.height,
            "first_failure": (f"column {first.get('column')!r} fails {first.get('check')} "
                              f"(e.g. {first.get('failure_case')})"),
            "failure_sample": str(cases.head(_SAMPLE))}}
    except pa_errors.SchemaError as exc:
        return {"passed": False, "metadata": {"rows": frame.height, "error": str(exc)[:2000],
                                              "first_failure": str(exc).splitlines()[0][:300]}}
    return {"passed": True, "metadata": {"rows": frame.height, "schema": getattr(schema, "__name__", None) or schema.name}}


def check_schema(con: duckdb.DuckDBPyConnection, schema: str, table: str, model: type) -> dict:
    return validate_frame(read_table(con, schema, table), model)


def check_key_unique(con: duckdb.DuckDBPyConnection, schema: str, table: str,
                     key: tuple[str, ...] | list[str]) -> dict:
    cols = ", ".join(f'"{c}"' for c in key)
    dups = con.execute(
        f"SELECT {cols}, count(*) AS n FROM {qualified(schema, table)} GROUP BY ALL "
        f"HAVING count(*) > 1 ORDER BY n DESC LIMIT {_SAMPLE}").pl()
    n = con.execute(
        f"SELECT count(*) FROM (SELECT {cols} FROM {qualified(schema, table)} GROUP BY ALL "
        f"HAVING count(*) > 1)").fetchone()[0]
    meta = {"key": list(key), "duplicate_keys": int(n)}
    if n:
        meta["duplicate_sample"] = str(dups)
    return {"passed": n == 0, "metadata": meta}


def check_reconciles(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict:
    """Every logged file reconciles, the table holds the loaded rows (at least one), and the
    quarantine holds the quarantined ones."""
    name = f"{schema}.{table}"
    log = con.execute(
        "SELECT source_file, partition_year, rows_read, loaded, quarantined, deduplicated "
        "FROM raw.ingest_log WHERE table_name = ?", [name]).pl()
    rows = con.execute(f"SELECT count(*) FROM {qualified(schema, table)}").fetchone()[0]
    quarantined = con.execute(
        "SELECT count(*) FROM raw.quarantine WHERE table_name = ?", [name]).fetchone()[0]
    bad = log.filter(pl.col("rows_read") != pl.col("loaded") + pl.col("quarantined")
                     + pl.col("deduplicated"))
    loaded = int(log["loaded"].sum()) if log.height else 0
    logged_q = int(log["quarantined"].sum()) if log.height else 0
    passed = (bad.height == 0 and loaded == rows and logged_q == quarantined
              and log.height > 0 and rows > 0)
    meta = {"files": log.height, "rows_read": int(log["rows_read"].sum()) if log.height else 0,
            "loaded": loaded, "table_rows": int(rows), "quarantined": logged_q,
            "quarantine_rows": int(quarantined),
            "deduplicated": int(log["deduplicated"].sum()) if log.height else 0}
    if bad.height:
        meta["unreconciled_files"] = str(bad)
    return {"passed": passed, "metadata": meta}


def ccode_columns(columns: list[str]) -> list[str]:
    """The COW-code columns of a table that also has a ``year`` (what membership can check)."""
    if "year" not in columns:
        return []
    return [c for c in ("ccode", "ccode1", "ccode2", "source_ccode", "target_ccode")
            if c in columns]


def check_ccodes_in_system(con: duckdb.DuckDBPyConnection, schema: str, table: str,
                           columns: list[str]) -> dict:
    """Count rows whose ccode is not a COW system member in that year (drift, not an error:
    e.g. Belarus and Ukraine vote in the UN before they are COW states). Years after the
    system file's last year cannot be checked and are not counted."""
    if not table_exists(con, "raw", "cow_system"):
        return {"passed": False, "metadata": {"error": "raw.cow_system is not loaded"}}
    last = con.execute("SELECT max(year) FROM raw.cow_system").fetchone()[0]
    meta: dict = {"system_last_year": int(last)}
    total = 0
    for col in columns:
        c = f'"{col}"'
        n, sample = con.execute(
            f"SELECT count(*), list(DISTINCT {c} || '/' || year)[:10] "
            f"FROM {qualified(schema, table)} x WHERE {c} IS NOT NULL AND year <= ? AND NOT "
            f"EXISTS (SELECT 1 FROM raw.cow_system s WHERE s.ccode = x.{c} AND s.year = x.year)",
            [last]).fetchone()
        meta[f"{col}_outside_system"] = int(n)
        if n:
            meta[f"{col}_sample"] = ", ".join(sample or [])
        total += n
    return {"passed": total == 0, "metadata": meta}
