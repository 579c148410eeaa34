"""Dagster's record of runs, versions and check outcomes, as ``pipeline`` reads it.

The instance lives in ``$DAGSTER_HOME`` (``make`` sets ``data/derived/dagster_home``), else in
``<derived>/dagster_home``: the one record of every run, of each materialization's code and
data versions (and its inputs' versions), of every observation of a raw file and of every
check evaluation. The UI shows it; ``pipeline run`` plans from it; ``raw.ingest_log`` and
``PROVENANCE.json`` carry the versions it holds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg

from pipeline.lib.report import summary
from pipeline.lib.store.paths import REPO_ROOT, dagster_home_path

CODE_VERSION_TAG = "dagster/code_version"
DATA_VERSION_TAG = "dagster/data_version"


def dagster_home() -> Path:
    """``$DAGSTER_HOME``, else ``<derived>/dagster_home`` (with the instance config)."""
    home = dagster_home_path()
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copyfile(REPO_ROOT / "pipeline" / "dagster.yaml", home / "dagster.yaml")
    return home


def instance() -> dg.DagsterInstance:
    """The Dagster instance that holds the record (use it as a context manager)."""
    return dg.DagsterInstance.from_config(str(dagster_home()))


def last_run_id(inst: dg.DagsterInstance) -> str | None:
    runs = inst.get_runs(limit=1)
    return runs[0].run_id if runs else None


def standing_checks(inst: dg.DagsterInstance, checks) -> list[summary.CheckResult]:
    """The latest outcome Dagster recorded for each check (asset key, name)."""
    keys = [dg.AssetCheckKey(dg.AssetKey.from_user_string(a), n) for a, n in checks]
    records = inst.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    out = []
    for key, record in sorted(records.items(), key=lambda kv: kv[0].to_user_string()):
        data = getattr(getattr(record.event, "dagster_event", None), "event_specific_data", None)
        if isinstance(data, dg.AssetCheckEvaluation):
            meta = {k: getattr(v, "value", v) for k, v in (data.metadata or {}).items()}
            out.append(summary.CheckResult(key.asset_key.to_user_string(), key.name,
                                           bool(data.passed), data.severity.value,
                                           bool(data.blocking), summary.check_detail(meta)))
    return out


def asset_versions(inst: dg.DagsterInstance,
                   keys: list[dg.AssetKey] | None = None) -> dict[str, dict]:
    """Per asset (an event year as ``raw/events[2018]``): the code and data versions and the
    run of its latest materialization, as the UI shows them. Default: every asset Dagster has
    a materialization of."""
    keys = keys if keys is not None else [k for k in inst.get_asset_keys()
                                          if k.path[0] != "files"]
    out = {}
    for key, entry in inst.get_latest_materialization_events(keys).items():
        if entry is None:
            continue
        name = key.to_user_string()
        for part in sorted(inst.get_materialized_partitions(key)) or [None]:
            if part is not None:
                entry = inst.fetch_materializations(dg.AssetRecordsFilter(
                    asset_key=key, asset_partitions=[part]), limit=1).records[0].event_log_entry
            out[name if part is None else f"{name}[{part}]"] = {
                "code_version": entry.tags.get(CODE_VERSION_TAG),
                "data_version": entry.tags.get(DATA_VERSION_TAG), "run_id": entry.run_id}
    return dict(sorted(out.items()))
