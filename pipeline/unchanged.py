"""The no-change rerun: a stamp of what the last complete run saw.

Asking Dagster what is stale means loading the definitions (Dagster, pandera, statsmodels,
every asset module: 6-10 s on the 2-core machine of the README's timings) and observing every
raw file. Nothing can be stale while nothing it depends on changed: not the code (a hash of
every code file of the package and of ``models/``), not the raw files (size and mtime), not
the warehouse's tables and not Dagster's record (the size and mtime of every file of its
event log: a run from the UI writes there). So a complete run that ends with everything fresh
writes that state to ``<derived>/unchanged.json``, with the registry's warnings and the check
outcomes Dagster recorded, for the closing summary, and a rerun that finds the same state
stops there without importing Dagster.

The stamp is a cache, not a record: runs, versions and check outcomes are Dagster's, and
deleting the file only costs the next rerun the full check. Nothing here imports dagster.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from pipeline.lib.store import warehouse
from pipeline.lib.store.paths import dagster_home_path, derived_dir, raw_dirs, warehouse_path
from pipeline.lib.store.provenance import project_code_hash

CACHED = ("registry", "standing")   # what the stamp carries for the summary, not compared


def stamp_path() -> Path:
    return derived_dir() / "unchanged.json"


def _stats(paths) -> dict[str, list[int]]:
    out = {}
    for p in paths:
        if p.is_file():
            st = p.stat()
            out[str(p)] = [st.st_size, st.st_mtime_ns]
    return out


def raw_file_stats() -> dict[str, list[int]]:
    """(size, mtime in ns) of every file in a source folder of every raw directory."""
    return _stats(p for d in raw_dirs() for p in (sorted(d.glob("*/**/*")) if d.is_dir() else []))


def record_stats() -> dict[str, list[int]]:
    """(size, mtime in ns) of every file of Dagster's event log (``history/runs/`` of the
    default SQLite storage): any run, materialization, observation or check recorded since,
    from ``pipeline run``, the UI or the automation, changes one of them, while the UI's
    daemon heartbeats and sensor ticks (``runs.db``, ``schedules/``) do not. Without a local
    event log (another storage configured) the stamp never matches: the full check runs."""
    log = dagster_home_path() / "history" / "runs"
    if not log.is_dir():
        return {"no local event log": [time.time_ns()]}
    return _stats(sorted(log.iterdir()))


def inputs() -> dict:
    """What a run reads: the code and the raw files (their size and mtime)."""
    return {"code": project_code_hash(), "raw_dirs": [str(d) for d in raw_dirs()],
            "files": raw_file_stats()}


def snapshot() -> dict | None:
    """What an unchanged rerun compares; None without a warehouse."""
    path = warehouse_path()
    if not path.is_file():
        return None
    con = warehouse.connect(path, read_only=True)
    try:
        tables = warehouse.visible_tables(con)
    finally:
        con.close()
    return {**inputs(), "warehouse": str(path), "tables": tables, "record": record_stats()}


def load() -> dict | None:
    try:
        return json.loads(stamp_path().read_text())
    except (OSError, ValueError):
        return None


def matches(stamp: dict | None, now: dict | None) -> bool:
    """Whether ``now`` is the state ``stamp`` recorded (its cached records aside)."""
    return (stamp is not None and now is not None
            and {k: v for k, v in stamp.items() if k not in CACHED} == now)


def write(now: dict, registry: dict, standing: list[dict]) -> None:
    """Record ``now`` with the registry's records and Dagster's standing check outcomes."""
    path = stamp_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**now, "registry": registry, "standing": standing}))
    os.replace(tmp, path)


def forget() -> None:
    stamp_path().unlink(missing_ok=True)
