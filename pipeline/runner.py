"""``pipeline run``: observe, then materialize what Dagster reports missing or stale.

0. *Nothing changed?* When the code, the raw files, the warehouse's tables and Dagster's
   record are those the last complete run stamped (:mod:`pipeline.unchanged`), the run ends
   there, without importing Dagster.
1. *Observe.* One in-process Dagster run observes the raw files (the ``files/...`` assets):
   each observation records a file's sha256 (an event year: its files') as data version.
2. *Plan.* :mod:`pipeline.stale` reads Dagster's records: assets never materialized, whose
   code version changed, or whose inputs have new data versions, and everything downstream.
3. *Materialize*, in stages: the ingestion assets (the graph's roots and whatever the
   partitioned event assets need); the event years, one run per range of consecutive years;
   everything else. A failure is contained: an asset downstream of a failed one (a failed
   step, a blocking check that did not pass, and with ``strict`` a table with quarantined rows
   or a file whose sha256 differs from the registry) is not run in a later stage, and Dagster
   skips it within a stage; its previous table stays and the summary names it stale.

Runs are recorded in the Dagster instance (``$DAGSTER_HOME``, default
``<derived>/dagster_home``) so the UI shows them; every event, with tracebacks, goes to
``<derived>/logs/``. ``force`` redoes everything selected. The closing summary is built by
:mod:`pipeline.lib.report.summary` from what :class:`pipeline.runlog.RunLog` collects.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline import unchanged
from pipeline.lib.report import selection, summary
from pipeline.lib.store import warehouse
from pipeline.lib.store.paths import derived_dir, warehouse_path
from pipeline.runlog import (
    RunLog,
    registry_records,
    strict_notices,
    summary_text,  # noqa: F401 - re-exported for the CLI
)

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
LOG_LEVEL = os.environ.get("PIPELINE_LOG_LEVEL", "INFO")
STRICT_ENV = "PIPELINE_STRICT"
KEEP_LOGS = 50
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


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
    standing: list[summary.CheckResult] = field(default_factory=list)  # Dagster's last outcomes
    notices: list[summary.Notice] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    registry: dict | None = None  # the stamp's registry records (unchanged rerun)
    strict: bool = False
    log: str | None = None

    def __bool__(self) -> bool:
        return self.ok


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


def contiguous(years: list[int]) -> list[tuple[int, int]]:
    """Runs of consecutive years as (first, last) pairs: one Dagster run per range."""
    ranges: list[tuple[int, int]] = []
    for y in sorted(set(years)):
        if ranges and y == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], y)
        else:
            ranges.append((y, y))
    return ranges


def asset_graph(graph) -> selection.AssetGraph:
    """The Dagster asset graph as :mod:`pipeline.lib.report.selection` sees it."""
    keys = [k for k in graph.toposorted_asset_keys if k in graph.materializable_asset_keys]
    name = {k: k.to_user_string() for k in keys}
    parts = {name[k]: tuple(graph.get(k).partitions_def.get_partition_keys())
             for k in keys if graph.get(k).partitions_def is not None}
    checks = tuple(sorted((c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys))
    return selection.AssetGraph(
        tuple(name.values()),
        {name[k]: tuple(sorted(c.to_user_string() for c in graph.get(k).child_keys)) for k in keys},
        parts, checks)


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
    """Materialize what is missing or stale (everything with ``force``), or only within
    ``select``.

    ``select`` terms are keys as :mod:`pipeline.lib.report.selection` reads them (``raw.cow_nmc``,
    ``raw/cow_nmc+``, ``raw/events[2018]``); an unknown one raises :class:`UnknownAssetError`
    (``pipeline run`` checks them against the cached graph before this module, and Dagster,
    are even imported). ``progress`` shows a bar;
    ``log_level`` is the console's (every event goes to the log file regardless).
    """
    strict = strict_from_env() if strict is None else strict
    _fail_fast_if_busy()
    cached = selection.cached_graph()
    if cached is not None and select:
        selection.resolve(select, cached)
    if not select and not force and cached is not None:
        stamp = unchanged.load()
        if unchanged.matches(stamp, unchanged.snapshot()):
            return RunOutcome(up_to_date=True, strict=strict, registry=stamp["registry"],
                              standing=[summary.CheckResult(**c) for c in stamp["standing"]])
    # Dagster (and with it the record) is imported only when something may have changed
    from pipeline.records import instance

    with instance() as inst:
        level = logging.getLevelName((log_level or LOG_LEVEL).upper())
        log = RunLog(_log_path(), bar=progress, echo_level=level if isinstance(level, int) else 20)
        try:
            return _materialize(inst, select, force, strict, log)
        finally:
            log.close()


def _observe(defs, graph, inst, log, wanted) -> None:
    """One in-process run observing the raw files (those the selection reads)."""
    import dagster as dg

    sources = [k for k in graph.get_all_asset_keys() if graph.get(k).is_observable]
    if wanted is not None:
        keys = {dg.AssetKey.from_user_string(k) for k in wanted.keys}
        sources = [s for s in sources if set(graph.get(s).child_keys) & keys]
    if sources:
        run_id = str(uuid.uuid4())
        inst.add_event_listener(run_id, log)
        defs.resolve_implicit_global_asset_job_def().execute_in_process(
            run_config=QUIET, instance=inst, asset_selection=sources, run_id=run_id,
            raise_on_error=False)


def _materialize(inst, select, force: bool, strict: bool, log) -> RunOutcome:
    from pipeline import records, stale
    from pipeline.definitions import defs as load_defs

    defs = load_defs()
    graph = defs.resolve_asset_graph()
    shape = asset_graph(graph)
    selection.save_graph(shape)
    wanted = selection.resolve(select, shape) if select else None
    _observe(defs, graph, inst, log, wanted)
    con = warehouse.connect(warehouse_path(), read_only=True) if warehouse_path().is_file() else None
    tables = set(warehouse.visible_tables(con)) if con is not None else set()
    if con is not None:
        con.close()
    todo = stale.plan(graph, inst, tables, force=force,
                      only=wanted.keys if wanted else None,
                      years=wanted.partitions.get("raw/events") if wanted else None)
    out = RunOutcome(reasons=todo.reasons, strict=strict, log=str(log.path))
    before = unchanged.inputs()
    todo_keys = set(todo.keys) | ({k for k in graph.materializable_asset_keys
                                  if graph.get(k).partitions_def is not None} if todo.years
                                 else set())
    job = defs.resolve_implicit_global_asset_job_def()
    skipped: dict[str, tuple[str, ...]] = {}
    for stage, is_partitioned in stages(graph, todo_keys):
        blocked = summary.blocked(_failed(log, strict), shape.children)
        names = {k.to_user_string(): k for k in stage}
        skipped |= {k: blocked[k] for k in names if k in blocked}
        runnable = sorted(v for k, v in names.items() if k not in blocked)
        for rng in (contiguous(todo.years) if is_partitioned else [None]) if runnable else []:
            tags = {RANGE_START: str(rng[0]), RANGE_END: str(rng[1])} if rng else {}
            run_id = str(uuid.uuid4())
            inst.add_event_listener(run_id, log)
            result = job.execute_in_process(run_config=QUIET, instance=inst,
                                            asset_selection=runnable, tags=tags, run_id=run_id,
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
    out.standing = records.standing_checks(inst, shape.checks)
    out.ok = out.ok and not skipped and not log.failed
    if out.ok and not select:
        _stamp(before, out.standing)
    else:
        unchanged.forget()
    return out


def _failed(log, strict: bool) -> set[str]:
    """Assets failed so far, and under ``strict`` the raw tables with strict warnings."""
    failed = set(summary.failures(log.assets(), log.checks))
    if strict:
        failed |= {n.asset for n in strict_notices() if n.asset}
    return failed


def _fail_fast_if_busy() -> None:
    """Raise WarehouseBusyError before loading Dagster when another process holds the file."""
    path = warehouse_path()
    if path.exists():
        warehouse.connect(path, read_only=True).close()


def _stamp(before: dict, standing: list[summary.CheckResult]) -> None:
    """Stamp the state an unchanged rerun compares (with the standing check outcomes for its
    summary), unless the code or a raw file changed while the run read them."""
    con = warehouse.connect(warehouse_path(), read_only=True)
    try:
        registry = registry_records(con)
    finally:
        con.close()
    now = unchanged.snapshot()
    if now is not None and all(now[k] == v for k, v in before.items()):
        unchanged.write(now, registry, [dataclasses.asdict(c) for c in standing])
