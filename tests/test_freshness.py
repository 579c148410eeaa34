"""Freshness: an unchanged rerun does nothing; a changed file redoes its table and downstream;
the raw-file sensor and the schedule request exactly that."""

from __future__ import annotations

import importlib
import os
import shutil
import time
from pathlib import Path

import dagster as dg
import pytest

from pipeline.lib import freshness, runs
from pipeline.lib import warehouse as wh

MAJORS = Path("cow_state_system/majors2016.csv")
GDELT = Path("gdelt1_sample/gdelt1_events_20160312.sample.tsv")


def copy_raw(src: Path, dst: Path) -> Path:
    """A writable copy of the real raw directory (the mirror is read-only)."""
    shutil.copytree(src, dst, copy_function=shutil.copyfile)
    for d, _, _ in os.walk(dst):
        os.chmod(d, 0o755)
    return dst


def append_last_line(path: Path) -> None:
    """Append a copy of the file's last line: a real change that parses (an exact duplicate)."""
    lines = path.read_text().rstrip("\n").split("\n")
    path.write_text("\n".join([*lines, lines[-1]]) + "\n")


@pytest.fixture(scope="module")
def built(raw, tmp_path_factory):
    """A cold run into a fresh warehouse, from a writable copy of the real raw files."""
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("fresh")
    mp.setenv("PIPELINE_RAW_DIRS", str(copy_raw(raw, root / "raw")))
    mp.setenv("PIPELINE_DERIVED", str(root / "derived"))
    mp.setenv("PIPELINE_WAREHOUSE", str(root / "derived" / "warehouse.duckdb"))
    mp.delenv("DAGSTER_HOME", raising=False)
    from pipeline.runner import materialize_all

    cold = materialize_all()
    yield root, cold
    mp.undo()


def graph():
    from pipeline.definitions import defs

    return defs().resolve_asset_graph()


def downstream(keys: set[str]) -> set[str]:
    g = graph()
    out, frontier = set(keys), {dg.AssetKey.from_user_string(k) for k in keys}
    while frontier:
        frontier = {c for k in frontier for c in g.get(k).child_keys}
        out |= {k.to_user_string() for k in frontier}
    return out


def test_cold_run_materializes_everything_and_records_it(built):
    """The cold run succeeds and meta.runs holds a record with versions per materialization."""
    root, cold = built
    assert cold.ok and not cold.up_to_date
    con = wh.connect(root / "derived" / "warehouse.duckdb", read_only=True)
    latest = runs.latest(con)
    con.close()
    keys = {k.to_user_string() for k in graph().materializable_asset_keys}
    assert {k for k, _ in cold.materialized} == keys
    assert {k for k, _ in latest} == keys
    nmc = latest[("raw/cow_nmc", None)]
    assert len(next(iter(nmc["input_versions"].values()))) == 64  # a sha256
    assert latest[("raw/events", "2018")]["input_versions"]


def test_unchanged_rerun_materializes_nothing_in_under_5_seconds(built):
    """With nothing changed, a rerun returns 'up to date' at once and materializes nothing."""
    from pipeline.runner import materialize_all

    t0 = time.perf_counter()
    again = materialize_all()
    assert time.perf_counter() - t0 < 5
    assert again.ok and again.up_to_date and again.materialized == []


def test_touched_file_is_checked_by_sha256_and_redoes_nothing(built):
    """A file whose mtime changed but whose bytes did not leaves every asset fresh."""
    from pipeline.runner import materialize_all

    root, _ = built
    os.utime(root / "raw" / MAJORS, None)
    again = materialize_all()
    assert again.ok and not again.up_to_date and again.materialized == []
    assert materialize_all().up_to_date


def test_changed_event_file_plans_only_its_year(built):
    """Appending to the 2017 GDELT file makes event year 2017 stale, not 2018."""
    from pipeline.runner import plan

    root, _ = built
    target = root / "raw" / GDELT
    original = target.read_bytes()
    append_last_line(target)
    try:
        todo = plan(graph())
        assert todo.years == [2017]
        assert "raw/cow_nmc" not in todo.stale
        assert {"derived/event_dyad_year", "derived/dyad_year"} <= set(todo.stale)
    finally:
        target.write_bytes(original)


def test_changed_file_redoes_its_table_and_downstream_only(built):
    """Appending a line to majors2016.csv re-materializes raw/cow_majors and its downstream."""
    from pipeline.runner import materialize_all

    root, _ = built
    append_last_line(root / "raw" / MAJORS)
    again = materialize_all()
    assert again.ok
    assert {k for k, _ in again.materialized} == downstream({"raw/cow_majors"})
    assert materialize_all().up_to_date


def test_schedule_skips_when_everything_is_fresh(built):
    """The weekly schedule plans against the warehouse and skips when nothing is stale."""
    from pipeline.defs.automation import refresh_schedule

    result = refresh_schedule(dg.build_schedule_context())
    assert isinstance(result, dg.SkipReason) and "up to date" in result.skip_message


def test_schedule_cron_honours_the_environment(monkeypatch):
    """PIPELINE_SCHEDULE_CRON sets the schedule's cron; weekly by default."""
    from pipeline.defs import automation

    monkeypatch.setenv("PIPELINE_SCHEDULE_CRON", "15 4 * * 0")
    assert importlib.reload(automation).refresh_schedule.cron_schedule == "15 4 * * 0"
    monkeypatch.delenv("PIPELINE_SCHEDULE_CRON")
    assert importlib.reload(automation).refresh_schedule.cron_schedule == automation.DEFAULT_CRON


def test_sensor_requests_changed_tables_and_event_years(raw, tmp_path, monkeypatch):
    """A changed file yields RunRequests for its table (or event year) and downstream; then
    an unchanged tick yields a SkipReason."""
    from pipeline.defs.automation import raw_files_sensor

    root = copy_raw(raw, tmp_path / "raw")
    monkeypatch.setenv("PIPELINE_RAW_DIRS", str(root))
    monkeypatch.setenv("PIPELINE_DERIVED", str(tmp_path / "derived"))
    first = dg.build_sensor_context(cursor=None)
    assert isinstance(raw_files_sensor(first), dg.SkipReason)
    cursor = first.cursor
    assert str(root / MAJORS) in cursor

    append_last_line(root / MAJORS)
    append_last_line(root / GDELT)
    ctx = dg.build_sensor_context(cursor=cursor)
    requests = raw_files_sensor(ctx)
    assert all(isinstance(r, dg.RunRequest) for r in requests)
    by_partition = {r.partition_key: r for r in requests if r.partition_key}
    assert set(by_partition) == {"2017"}
    assert by_partition["2017"].asset_selection == [dg.AssetKey(["raw", "events"])]
    selected = {k.to_user_string() for r in requests if not r.partition_key
                for k in r.asset_selection}
    assert "raw/cow_majors" in selected and "raw/cow_nmc" not in selected
    assert (downstream({"raw/cow_majors", "raw/events"}) - {"raw/events"}) == selected

    unchanged = raw_files_sensor(dg.build_sensor_context(cursor=ctx.cursor))
    assert isinstance(unchanged, dg.SkipReason)


def test_code_version_follows_imports():
    """A raw table's code version covers its parser module and what it imports, no more."""
    closure = freshness.module_closure("pipeline.lib.sources.cow_nmc")
    assert "pipeline.lib.ingest" in closure
    assert "pipeline.lib.sources.unvotes" not in closure
    assert "pipeline.lib.paths" not in closure  # infrastructure cannot change a table
    assert freshness.code_version("pipeline.lib.sources.cow_nmc") != freshness.code_version(
        "pipeline.lib.sources.unvotes")


def test_contiguous_groups_consecutive_years():
    """Stale event years run as ranges of consecutive years."""
    assert freshness.contiguous([2018, 2005, 2017, 2006, 1990]) == [
        (1990, 1990), (2005, 2006), (2017, 2018)]
