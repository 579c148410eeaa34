"""Materialize what is stale, in process, in dependency stages, and summarise it.

Two levels decide what to do (see :mod:`pipeline.lib.freshness`):

0. *Nothing changed?* The hash of the package's code, the (size, mtime) of every raw file and
   the warehouse's tables and run count are compared with ``meta.state['fresh']``, written by
   the last complete run. If all match, the run ends here, without loading Dagster (< 1 s).
1. *What is stale?* The asset graph is loaded and every asset's data version is computed from
   code versions and file sha256s; assets whose last record in ``meta.runs`` differs (or whose
   table is missing) are materialized, and event years only where their files changed.

Stage 1: unpartitioned assets upstream of the partitioned event assets; stage 2: the event
assets, one run per range of consecutive stale years; stage 3: everything else. Runs are
recorded in ``$DAGSTER_HOME`` so the UI shows them. ``force`` redoes everything selected.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.lib import freshness, runs, warehouse
from pipeline.lib.paths import raw_dirs, warehouse_path

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
LOG_LEVEL = os.environ.get("PIPELINE_LOG_LEVEL", "INFO")


class UnknownAssetError(ValueError):
    """``--select`` named an asset key the graph does not have."""
FRESH = "fresh"


@dataclass
class RunOutcome:
    """What a ``pipeline run`` did; truthy when every step and blocking check passed."""

    ok: bool = True
    up_to_date: bool = False
    materialized: list[tuple[str, str | None]] = field(default_factory=list)
    checks: list[tuple[str, str, bool, str]] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.ok


CHECKS: list[tuple[str, str, bool, str]] = []  # (asset, check, passed, severity) of the last run


def _instance():
    import dagster as dg

    if os.environ.get("DAGSTER_HOME"):
        os.makedirs(os.environ["DAGSTER_HOME"], exist_ok=True)
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def stages(graph, keys: set) -> list[tuple[set, bool]]:
    """(keys, partitioned) in run order: before the partitioned assets, them, after them."""
    partitioned = {k for k in keys if graph.get(k).partitions_def is not None}
    after: set = set()
    frontier = {k for k in graph.materializable_asset_keys
                if graph.get(k).partitions_def is not None}
    while frontier:
        nxt = {c for k in frontier for c in graph.get(k).child_keys} - after
        after |= nxt
        frontier = nxt
    after -= partitioned
    before = keys - partitioned - after
    return [(before, False), (partitioned, True), (after & keys, False)]


def _snapshot(con) -> dict:
    """What the unchanged-rerun fast path compares (cheap: stat, code hash, two queries)."""
    return {"code": freshness.project_code_hash(), "raw_dirs": [str(d) for d in raw_dirs()],
            "files": freshness.digest(freshness.stat_state()),
            "tables": warehouse.visible_tables(con),
            "runs": runs.run_count(con)}


def up_to_date() -> bool:
    """Level 0: nothing changed since the last complete run (no Dagster import)."""
    path = warehouse_path()
    if not path.is_file():
        return False
    con = warehouse.connect(path, read_only=True)
    try:
        stamp = runs.get_state(con, FRESH)
        return stamp is not None and stamp == _snapshot(con)
    finally:
        con.close()


def _stamp() -> None:
    con = warehouse.connect(warehouse_path())
    try:
        runs.ensure(con)
        runs.set_state(con, FRESH, _snapshot(con))
    finally:
        con.close()


def plan(graph, *, force: bool = False, only: set | None = None) -> freshness.Plan:
    """Level 1: stale assets and event years, from the warehouse's run records."""
    from pipeline.defs.meta import event_year_files, freshness_nodes

    latest, tables = {}, set()
    path = warehouse_path()
    if path.is_file():
        con = warehouse.connect(path, read_only=True)
        try:
            latest = runs.latest(con)
            tables = set(warehouse.visible_tables(con))
        finally:
            con.close()
    cache = freshness.Sha256Cache()
    result = freshness.plan(freshness_nodes(graph), latest, tables, cache, event_year_files(),
                            force=force, only={k.to_user_string() for k in only} if only else None)
    cache.save()
    return result


def materialize_all(select: list[str] | None = None, force: bool = False,
                    progress=None, log_level: str | None = None) -> RunOutcome:
    """Materialize what is stale (everything with ``force``), or only within ``select``.

    ``progress(event)`` is called with every Dagster event of the runs (a progress bar).
    """
    CHECKS.clear()
    _fail_fast_if_busy()
    if not select and not force and up_to_date():
        return RunOutcome(up_to_date=True)
    import dagster as dg

    from pipeline.definitions import defs as load_defs

    defs = load_defs()
    graph = defs.resolve_asset_graph()
    keys = set(graph.materializable_asset_keys)
    if select:
        wanted = {dg.AssetKey.from_user_string(s) for s in select}
        unknown = wanted - keys
        if unknown:
            raise UnknownAssetError(
                f"unknown asset keys: {sorted(k.to_user_string() for k in unknown)}; known: "
                f"{sorted(k.to_user_string() for k in keys)}")
        keys = wanted
    before = _snapshot_or_none()
    todo = plan(graph, force=force, only=keys)
    out = RunOutcome(reasons=todo.reasons)
    stale = {dg.AssetKey.from_user_string(k) for k in todo.stale}
    if todo.years:
        stale.add(dg.AssetKey(["raw", "events"]))
    job = defs.resolve_implicit_global_asset_job_def()
    instance = _instance()
    for stage, is_partitioned in stages(graph, stale):
        ranges = freshness.contiguous(todo.years) if is_partitioned else [None]
        for rng in ranges if stage else []:
            tags = {RANGE_START: str(rng[0]), RANGE_END: str(rng[1])} if rng else {}
            run_id = str(uuid.uuid4())
            if progress is not None:
                instance.add_event_listener(run_id, progress)
            result = job.execute_in_process(
                run_config={"loggers": {"console": {"config": {"log_level": log_level or LOG_LEVEL}}}},
                instance=instance, asset_selection=sorted(stage), tags=tags, run_id=run_id,
                raise_on_error=False)
            out.ok &= result.success
            out.materialized.extend(
                (m.asset_key.to_user_string(), m.partition) for m in (
                    e.event_specific_data.materialization
                    for e in result.get_asset_materialization_events()))
            for ev in result.get_asset_check_evaluations():
                out.checks.append((ev.asset_key.to_user_string(), ev.check_name, ev.passed,
                                   ev.severity.value))
    CHECKS.extend(out.checks)
    if out.ok and not select and before is not None:
        _stamp_if_unchanged(before)
    return out


def _fail_fast_if_busy() -> None:
    """Raise WarehouseBusyError before loading Dagster when another process holds the file."""
    path = warehouse_path()
    if path.exists():
        warehouse.connect(path, read_only=True).close()


def _snapshot_or_none() -> dict | None:
    """The raw files' state before planning: a file changed during the run must not be
    stamped as ingested."""
    return {"code": freshness.project_code_hash(),
            "files": freshness.digest(freshness.stat_state())}


def _stamp_if_unchanged(before: dict) -> None:
    now = _snapshot_or_none()
    if now == before:
        _stamp()


def summary(seconds: float, outcome: RunOutcome | None = None) -> str:
    """Closing summary: tables, row counts, files and quarantine, from the warehouse."""
    path = warehouse_path()
    if not Path(path).is_file():
        return f"warehouse: {path} (not created)\ndone in {seconds:.1f} s"
    con = warehouse.connect(path, read_only=True)
    try:
        tables = [full.split(".", 1) for full in warehouse.visible_tables(con)]
        log = {
            (r[0]): r[1:] for r in con.execute(
                "SELECT table_name, count(*), sum(rows_read), sum(loaded), sum(quarantined), "
                "sum(deduplicated) FROM raw.ingest_log GROUP BY ALL").fetchall()}
        lines = [f"warehouse: {path}", (f"{'table':40s} {'rows':>10s}  files  read"
                 "  quarantined  deduplicated")]
        for schema, name in tables:
            full = f"{schema}.{name}"
            n = con.execute(f"SELECT count(*) FROM {warehouse.qualified(schema, name)}").fetchone()[0]
            extra = ""
            if full in log:
                files, read, _, q, d = log[full]
                extra = f"  {files:5d}  {read:>10,d}  {q:>11,d}  {d:>12,d}"
            lines.append(f"{full:40s} {n:>10,d}{extra}")
        checks = outcome.checks if outcome is not None else CHECKS
        if outcome is not None and outcome.up_to_date:
            lines.append("up to date: no raw file, code or table changed since the last run; "
                         "nothing materialized (pipeline run --force redoes everything)")
        elif outcome is not None:
            done = sorted({k if p is None else f"{k}[{p}]" for k, p in outcome.materialized})
            lines.append(f"materialized {len(done)}: {', '.join(done) or 'nothing'}")
        failed = [c for c in checks if not c[2]]
        lines.append(f"checks: {len(checks) - len(failed)} passed, {len(failed)} did not pass")
        lines.extend(f"  {sev:5s} {asset}: {name}" for asset, name, _, sev in failed)
        lines.append(f"done in {seconds:.1f} s")
        return "\n".join(lines)
    finally:
        con.close()
