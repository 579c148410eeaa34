"""Keeping the warehouse current: a weekly schedule and a raw-file sensor.

Both target asset selections only and request exactly what is stale, in run order: the
unpartitioned assets upstream of the events, one run per stale event year (partition key),
then everything downstream. With ``max_concurrent_runs: 1`` the queue runs them in that order.

* ``refresh_schedule`` (cron ``PIPELINE_SCHEDULE_CRON``, default Mondays 03:00) plans with
  :mod:`pipeline.lib.freshness` against the warehouse's run records: new or changed raw files,
  changed code, missing tables.
* ``raw_files_sensor`` fingerprints every file in the raw directories (size, mtime, sha256;
  the cursor) and, when one is new, changed or gone, requests the raw tables and event years
  that read it and everything downstream of them.
"""

from __future__ import annotations

import json
import os

import dagster as dg

from pipeline.lib import freshness, warehouse

CRON_ENV = "PIPELINE_SCHEDULE_CRON"
DEFAULT_CRON = "0 3 * * 1"
EVENTS = dg.AssetKey(["raw", "events"])
OWNERS = ["team:operations"]


def schedule_cron() -> str:
    return os.environ.get(CRON_ENV) or DEFAULT_CRON


def _graph(context):
    try:
        return context.repository_def.asset_graph
    except Exception:  # noqa: BLE001 - a bare test context has no repository
        from pipeline.definitions import defs

        return defs().resolve_asset_graph()


def run_requests(graph, keys: set[dg.AssetKey], years: list[int], tag: str) -> list:
    """RunRequests in dependency order: before the events, each event year, after."""
    from pipeline.runner import stages

    keys = set(keys) | ({EVENTS} if years else set())
    out = []
    for stage, partitioned in stages(graph, keys):
        if partitioned:
            out.extend(dg.RunRequest(asset_selection=[EVENTS], partition_key=str(y),
                                     tags={"pipeline/trigger": tag}) for y in sorted(years))
        elif stage:
            out.append(dg.RunRequest(asset_selection=sorted(stage), tags={"pipeline/trigger": tag}))
    return out


def stale_plan(graph) -> freshness.Plan:
    """What is stale now, from the warehouse (raises WarehouseBusyError during a run)."""
    from pipeline.runner import plan

    return plan(graph)


@dg.schedule(cron_schedule=schedule_cron(), target=dg.AssetSelection.all(),
             name="refresh_schedule", default_status=dg.DefaultScheduleStatus.STOPPED,
             description="Weekly: ingest new or changed raw files and re-materialize only what "
                         "became stale (cron from PIPELINE_SCHEDULE_CRON).")
def refresh_schedule(context: dg.ScheduleEvaluationContext):
    graph = _graph(context)
    try:
        todo = stale_plan(graph)
    except warehouse.WarehouseBusyError:
        return dg.SkipReason("the warehouse is in use by a run; the next tick will retry")
    if todo.empty:
        return dg.SkipReason("everything is up to date")
    keys = {dg.AssetKey.from_user_string(k) for k in todo.stale}
    return run_requests(graph, keys, todo.years, "schedule")


def fingerprints(previous: dict | None = None) -> dict[str, list]:
    """{path: [size, mtime_ns, sha256]} of every raw file; sha256 reused when size and mtime
    are those of ``previous``."""
    previous = previous or {}
    cache = freshness.Sha256Cache()
    out = {}
    for p in freshness.raw_files():
        st = p.stat()
        old = previous.get(str(p))
        same = old and old[0] == st.st_size and old[1] == st.st_mtime_ns
        out[str(p)] = [st.st_size, st.st_mtime_ns, old[2] if same else cache.sha256(p)]
    cache.save()
    return out


def affected(graph, changed: set[str]) -> tuple[set[dg.AssetKey], list[int]]:
    """Raw tables and event years that read a changed path, plus everything downstream."""
    from pipeline.defs.meta import event_year_files, freshness_nodes

    gone = {os.path.basename(os.path.dirname(p)) for p in changed if not os.path.exists(p)}
    keys: set[dg.AssetKey] = set()
    for n in freshness_nodes(graph):
        if n.files is None:
            continue
        if {str(f) for f in n.files} & changed or (gone and _folder_of(n.key) & gone):
            keys.add(dg.AssetKey.from_user_string(n.key))
    years = sorted(y for y, files in event_year_files().items()
                   if {str(f) for f in files} & changed)
    roots = keys | ({EVENTS} if years else set())
    down: set[dg.AssetKey] = set()
    frontier = set(roots)
    while frontier:
        frontier = {c for k in frontier for c in graph.get(k).child_keys} - down
        down |= frontier
    return (keys | down) - {EVENTS}, years


def _folder_of(key: str) -> set[str]:
    from pipeline.lib.catalog import raw_table

    src = raw_table(key.split("/")[-1]).source
    return {src.name, *src.folders}


@dg.sensor(target=dg.AssetSelection.all(), name="raw_files_sensor", minimum_interval_seconds=60,
           default_status=dg.DefaultSensorStatus.STOPPED,
           description="A new or changed file in the raw directories requests its raw tables (or "
                       "event years) and everything downstream; cursor = file fingerprints.")
def raw_files_sensor(context: dg.SensorEvaluationContext):
    previous = json.loads(context.cursor) if context.cursor else None
    current = fingerprints(previous)
    if previous is None:
        context.update_cursor(json.dumps(current))
        return dg.SkipReason(f"first tick: {len(current)} raw files fingerprinted; the schedule "
                             "or `pipeline run` ingests what is not yet in the warehouse")
    changed = {p for p, fp in current.items() if previous.get(p, [None] * 3)[2] != fp[2]}
    changed |= set(previous) - set(current)
    if not changed:
        if current != previous:  # touched but identical: remember the new mtimes
            context.update_cursor(json.dumps(current))
        return dg.SkipReason("no raw file is new or changed")
    graph = _graph(context)
    keys, years = affected(graph, changed)
    context.update_cursor(json.dumps(current))
    if not keys and not years:
        return dg.SkipReason(f"{len(changed)} file(s) changed, none is read by an asset")
    return run_requests(graph, keys, years, "sensor")


def _readable(spec: dg.AssetSpec) -> dg.AssetSpec:
    return spec.replace_attributes(owners=spec.owners or ["team:research"])


def with_operations(defs: dg.Definitions) -> dg.Definitions:
    """Code versions (pipeline.lib.freshness) and owners on every asset, for the UI.

    To apply in ``pipeline/definitions.py``: ``return with_operations(dg.Definitions.merge(...))``.
    """
    from pipeline.defs.meta import freshness_nodes

    codes = {n.key: n.code for n in freshness_nodes(defs.resolve_asset_graph())}
    return defs.map_asset_specs(func=lambda s: _readable(s).replace_attributes(
        code_version=codes.get(s.key.to_user_string(), s.code_version)))


@dg.definitions
def automation() -> dg.Definitions:
    return dg.Definitions(schedules=[refresh_schedule], sensors=[raw_files_sensor])

