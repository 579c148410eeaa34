"""When Dagster's automation refreshes the warehouse: declarative automation conditions.

Nothing here runs by itself: Dagster adds its ``default_automation_condition_sensor`` for the
assets below, switched off; turn it on in the UI (Automation tab) for unattended runs.

* The observed inputs (``files/...``) are observed on a cron (``PIPELINE_SCHEDULE_CRON``,
  default Mondays 03:00): each observation records every raw file's sha256 as its data
  version.
* Every table is materialized when one of its inputs has a new data version (``eager``: a new
  or changed file, a re-materialized parent), when its code version changes (a parser, a
  measure or a model file edited), or when it is missing; event years are refreshed whichever
  year changed, not only the latest.

``pipeline run`` does the same in one go, from the same versions (:mod:`pipeline.stale`).
"""

from __future__ import annotations

import os

import dagster as dg

from pipeline.defs.keys import EVENTS, FILES

CRON_ENV = "PIPELINE_SCHEDULE_CRON"
DEFAULT_CRON = "0 3 * * 1"


def schedule_cron() -> str:
    return os.environ.get(CRON_ENV) or DEFAULT_CRON


def observe_condition() -> dg.AutomationCondition:
    """Observe the raw files once per cron tick."""
    return dg.AutomationCondition.on_cron(schedule_cron()).with_label(
        f"observe on cron ({schedule_cron()})")


def refresh_condition(all_partitions: bool = False) -> dg.AutomationCondition:
    """New input data version, new code version or missing (every partition if asked)."""
    eager = dg.AutomationCondition.eager()
    if all_partitions:
        eager = eager.without(dg.AutomationCondition.in_latest_time_window())
    code = (dg.AutomationCondition.code_version_changed()
            & ~dg.AutomationCondition.any_deps_missing()
            & ~dg.AutomationCondition.in_progress()).with_label("code_version_changed")
    return (eager | code).with_label("refresh")


def condition_for(key: dg.AssetKey) -> dg.AutomationCondition:
    """The automation condition of an asset, by what it is."""
    if key.path[0] == FILES:
        return observe_condition()
    return refresh_condition(all_partitions=key == EVENTS)
