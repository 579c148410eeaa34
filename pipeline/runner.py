"""Materialize what is stale, in process, in dependency stages, and summarise it.

Two levels decide what to do (see :mod:`pipeline.lib.freshness`):

0. *Nothing changed?* The hash of the package's code, the (size, mtime) of every raw file and
   the warehouse's tables and run count are compared with ``meta.state['fresh']``, written by
   the last complete run. If all match, the run ends here, without loading Dagster (< 1 s).
1. *What is stale?* The asset graph is loaded and every asset's data version is computed from
   code versions and file sha256s; assets whose last record in ``meta.runs`` differs (or whose
   table is missing) are materialized, and event years only where their files changed.

Stage 1: the ingestion assets (the graph's roots and whatever the partitioned event assets
need); stage 2: the event assets, one run per range of consecutive stale years; stage 3:
everything else. A failure is contained: an asset downstream of a failed one (a failed step,
a blocking check that did not pass, and with ``strict`` a table with quarantined rows or a
file whose sha256 differs from the registry) is not run in a later stage, and Dagster skips it
within a stage; its previous table stays and the summary names it stale. Runs are recorded in
``$DAGSTER_HOME`` so the UI shows them; every event, with tracebacks, goes to
``<derived>/logs/``. ``force`` redoes everything selected.

The summary is built by :mod:`pipeline.lib.summary` from records (assets, checks, warnings)
this module collects from Dagster's events and :mod:`pipeline.lib.health` reads from the
warehouse, so another orchestrator can produce the same summary.
"""

from __future__ import annotations

import logging
import os
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline.lib import freshness, health, runs, selection, summary, warehouse
from pipeline.lib.paths import derived_dir, raw_dirs, warehouse_path
from pipeline.lib.selection import UnknownAssetError  # noqa: F401 - re-exported for the CLI
from pipeline.runlog import (
    STANDING,
    RunLog,
    registry_records,
    strict_notices,
    summary_text,  # noqa: F401 - re-exported for the CLI
)

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
LOG_LEVEL = os.environ.get("PIPELINE_LOG_LEVEL", "INFO")
STRICT_ENV = "PIPELINE_STRICT"
FRESH = "fresh"
EVENTS = "raw/events"
KEEP_LOGS = 50
# Dagster marks these two functions as preview on every definitions load; they work as
# documented and the message says nothing a user can act on.
warnings.filterwarnings("ignore", message=r"Function `Definitions\.map_(resolved_)?asset_specs`")


def strict_from_env() -> bool:
    """``PIPELINE_STRICT=1`` (or true/yes): quarantined rows and checksum drift fail the run."""
    return os.environ.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes"}


@dataclass
class RunOutcome:
    """What a ``pipeline run`` did; truthy when it succeeded (see :func:`summary.verdict`)."""

    ok: bool = True
    up_to_date: bool = False
    materialized: list[tuple[str, str | None]] = field(default_factory=list)
    assets: list[summary.AssetResult] = field(default_factory=list)
    checks: list[summary.CheckResult] = field(default_factory=list)
    notices: list[summary.Notice] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    strict: bool = False
    log: str | None = None

    def __bool__(self) -> bool:
        return self.ok


def _instance():
    import dagster as dg

    if os.environ.get("DAGSTER_HOME"):
        os.makedirs(os.environ["DAGSTER_HOME"], exist_ok=True)
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def stages(graph, keys: set) -> list[tuple[set, bool]]:
    """(keys, partitioned) in run order: ingestion (the roots and what the partitioned assets
    need), the partitioned assets, everything else."""
    mat = graph.materializable_asset_keys
    part = {k for k in mat if graph.get(k).partitions_def is not None}
    first = {k for k in mat if not (set(graph.get(k).parent_keys) & mat)}
    frontier = {p for k in part for p in graph.get(k).parent_keys} & mat
    while frontier:
        first |= frontier
        frontier = {p for k in frontier for p in graph.get(k).parent_keys} & mat - first
    first -= part
    return [(keys & first, False), (keys & part, True), (keys - first - part, False)]


def asset_graph(graph) -> selection.AssetGraph:
    """The Dagster asset graph as :mod:`pipeline.lib.selection` sees it."""
    keys = [k for k in graph.toposorted_asset_keys if k in graph.materializable_asset_keys]
    name = {k: k.to_user_string() for k in keys}
    parts = {name[k]: tuple(graph.get(k).partitions_def.get_partition_keys())
             for k in keys if graph.get(k).partitions_def is not None}
    return selection.AssetGraph(
        tuple(name.values()),
        {name[k]: tuple(sorted(c.to_user_string() for c in graph.get(k).child_keys)) for k in keys},
        parts)


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


def _log_path(keep: int = KEEP_LOGS) -> Path:
    """A new log file under ``<derived>/logs``; only the newest ``keep`` logs are kept."""
    logs = derived_dir() / "logs"
    old = sorted(logs.glob("run-*.log"))
    for f in old[: max(0, len(old) - keep + 1)]:
        f.unlink(missing_ok=True)
    return logs / f"run-{datetime.now(UTC):%Y%m%dT%H%M%S%f}.log"


def materialize_all(select: list[str] | None = None, force: bool = False,
                    progress: bool = False, log_level: str | None = None,
                    strict: bool | None = None) -> RunOutcome:
    """Materialize what is stale (everything with ``force``), or only within ``select``.

    ``select`` terms are keys as :mod:`pipeline.lib.selection` reads them (``raw.cow_nmc``,
    ``raw/cow_nmc+``, ``raw/events[2018]``); an unknown one raises :class:`UnknownAssetError`,
    before Dagster is imported when the last run left the graph. ``progress`` shows a bar;
    ``log_level`` is the console's (every event goes to the log file regardless).
    """
    strict = strict_from_env() if strict is None else strict
    _fail_fast_if_busy()
    cached = selection.cached_graph() if select else None
    if cached is not None:
        selection.resolve(select, cached)
    if not select and not force and up_to_date():
        return RunOutcome(up_to_date=True, strict=strict)
    level = logging.getLevelName((log_level or LOG_LEVEL).upper())
    log = RunLog(_log_path(), bar=progress, echo_level=level if isinstance(level, int) else 20)
    try:
        return _materialize(select, force, strict, log)
    finally:
        log.close()


def _materialize(select, force: bool, strict: bool, log) -> RunOutcome:
    import dagster as dg

    from pipeline.definitions import defs as load_defs

    defs = load_defs()
    graph = defs.resolve_asset_graph()
    shape = asset_graph(graph)
    selection.save_graph(shape)
    wanted = selection.resolve(select, shape) if select else None
    before = _snapshot_or_none()
    todo = plan(graph, force=force,
                only={dg.AssetKey.from_user_string(k) for k in wanted.keys} if wanted else None)
    years = todo.years
    if wanted is not None and EVENTS in wanted.partitions:
        years = [y for y in years if str(y) in wanted.partitions[EVENTS]]
    out = RunOutcome(reasons=todo.reasons, strict=strict, log=str(log.path))
    stale = {dg.AssetKey.from_user_string(k) for k in todo.stale}
    if years:
        stale.add(dg.AssetKey.from_user_string(EVENTS))
    job = defs.resolve_implicit_global_asset_job_def()
    instance = _instance()
    skipped: dict[str, tuple[str, ...]] = {}
    for stage, is_partitioned in stages(graph, stale):
        failed = _failed(log, strict)
        blocked = summary.blocked(failed, shape.children)
        names = {k.to_user_string(): k for k in stage}
        skipped |= {k: blocked[k] for k in names if k in blocked}
        runnable = sorted(v for k, v in names.items() if k not in blocked)
        for rng in (freshness.contiguous(years) if is_partitioned else [None]) if runnable else []:
            tags = {RANGE_START: str(rng[0]), RANGE_END: str(rng[1])} if rng else {}
            run_id = str(uuid.uuid4())
            instance.add_event_listener(run_id, log)
            result = job.execute_in_process(
                run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
                instance=instance, asset_selection=runnable, tags=tags, run_id=run_id,
                raise_on_error=False)
            out.ok &= result.success
            planned_here = {a.to_user_string() for a in runnable}
            done = {k for k, _ in log.materialized} | set(log.failed)
            blocked = summary.blocked(_failed(log, strict), shape.children)
            skipped |= {k: blocked.get(k, ()) for k in planned_here - done}
    out.assets = log.assets() + [summary.AssetResult(k, summary.SKIPPED, blocked_by=v)
                                 for k, v in sorted(skipped.items())]
    out.materialized = list(log.materialized)
    out.checks = list(log.checks)
    out.notices = log.notices()
    _record_checks(out.checks)
    if out.ok and not skipped and not select and before is not None:
        _stamp_if_unchanged(before)
    out.ok = out.ok and not skipped
    return out


def _failed(log, strict: bool) -> set[str]:
    """Assets failed so far, and under ``strict`` the raw tables with strict warnings."""
    failed = set(summary.failures(log.assets(), log.checks))
    if strict:
        failed |= {n.asset for n in strict_notices() if n.asset}
    return failed


def _record_checks(checks: list[summary.CheckResult]) -> None:
    """Keep each check's last outcome in ``meta.state`` (for the summaries of later runs)."""
    if not checks:
        return
    con = warehouse.connect(warehouse_path())
    try:
        health.save_checks(con, health.merge_checks(health.load_checks(con), checks))
    finally:
        con.close()


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
    """Stamp the state an unchanged rerun compares, with the summary's registry records."""
    if _snapshot_or_none() == before:
        con = warehouse.connect(warehouse_path())
        try:
            runs.ensure(con)
            runs.set_state(con, STANDING, registry_records(con))
            runs.set_state(con, FRESH, _snapshot(con))
        finally:
            con.close()
