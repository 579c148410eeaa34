"""Materialize the whole asset graph in process, in dependency stages, and summarise it.

Stage 1: unpartitioned assets upstream of the partitioned event assets; stage 2: the event
assets, one single run over the range of years that have files; stage 3: everything else.
Runs are recorded in ``$DAGSTER_HOME`` so the UI shows them.
"""

from __future__ import annotations

import os

import dagster as dg

from pipeline.lib import warehouse
from pipeline.lib.paths import warehouse_path

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
LOG_LEVEL = os.environ.get("PIPELINE_LOG_LEVEL", "INFO")


def _instance() -> dg.DagsterInstance:
    if os.environ.get("DAGSTER_HOME"):
        os.makedirs(os.environ["DAGSTER_HOME"], exist_ok=True)
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def _stages(graph, keys: set[dg.AssetKey]) -> list[tuple[set[dg.AssetKey], bool]]:
    partitioned = {k for k in keys if graph.get(k).partitions_def is not None}
    after: set[dg.AssetKey] = set()
    frontier = set(partitioned)
    while frontier:
        nxt = {c for k in frontier for c in graph.get(k).child_keys} - after - partitioned
        after |= nxt
        frontier = nxt
    before = keys - partitioned - after
    return [(before, False), (partitioned & keys, True), (after & keys, False)]


CHECKS: list[tuple[str, str, bool, str]] = []  # (asset, check, passed, severity) of the last run


def materialize_all(select: list[str] | None = None) -> bool:
    """Materialize everything (or ``select``); returns False if any step or check failed."""
    from pipeline.definitions import defs as load_defs
    from pipeline.defs.events.assets import partition_range_to_run

    defs = load_defs()
    graph = defs.resolve_asset_graph()
    keys = set(graph.materializable_asset_keys)
    if select:
        wanted = {dg.AssetKey.from_user_string(s) for s in select}
        unknown = wanted - keys
        if unknown:
            raise SystemExit(f"unknown asset keys: {sorted(k.to_user_string() for k in unknown)}")
        keys = wanted
    job = defs.resolve_implicit_global_asset_job_def()
    instance = _instance()
    ok = True
    CHECKS.clear()
    for stage, is_partitioned in _stages(graph, keys):
        if not stage:
            continue
        tags = {}
        if is_partitioned:
            rng = partition_range_to_run()
            if rng is None:
                print("no event files found: event assets skipped")
                continue
            tags = {RANGE_START: rng[0], RANGE_END: rng[1]}
        result = job.execute_in_process(
            run_config={"loggers": {"console": {"config": {"log_level": LOG_LEVEL}}}},
            instance=instance, asset_selection=sorted(stage), tags=tags, raise_on_error=False)
        ok &= result.success
        for ev in result.get_asset_check_evaluations():
            CHECKS.append((ev.asset_key.to_user_string(), ev.check_name, ev.passed,
                           ev.severity.value))
    return ok


def summary(seconds: float) -> str:
    """Closing summary: tables, row counts, files and quarantine, from the warehouse."""
    con = warehouse.connect(warehouse_path(), read_only=True)
    try:
        tables = con.execute(
            "SELECT schema_name, table_name, estimated_size FROM duckdb_tables() "
            "ORDER BY schema_name, table_name").fetchall()
        log = dict(
            ((r[0]), r[1:]) for r in con.execute(
                "SELECT table_name, count(*), sum(rows_read), sum(loaded), sum(quarantined), "
                "sum(deduplicated) FROM raw.ingest_log GROUP BY ALL").fetchall())
        lines = [f"warehouse: {warehouse_path()}", f"{'table':40s} {'rows':>10s}  files  read"
                 "  quarantined  deduplicated"]
        for schema, name, _ in tables:
            full = f"{schema}.{name}"
            n = con.execute(f"SELECT count(*) FROM {warehouse.qualified(schema, name)}").fetchone()[0]
            extra = ""
            if full in log:
                files, read, _, q, d = log[full]
                extra = f"  {files:5d}  {read:>10,d}  {q:>11,d}  {d:>12,d}"
            lines.append(f"{full:40s} {n:>10,d}{extra}")
        failed = [c for c in CHECKS if not c[2]]
        lines.append(f"checks: {len(CHECKS) - len(failed)} passed, {len(failed)} did not pass")
        lines.extend(f"  {sev:5s} {asset}: {name}" for asset, name, _, sev in failed)
        lines.append(f"done in {seconds:.1f} s")
        return "\n".join(lines)
    finally:
        con.close()
