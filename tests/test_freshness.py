"""Freshness from Dagster's records: an unchanged rerun does nothing; a changed file redoes its
table and downstream, an event file its year; the automation (off by default) asks the same."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import pytest

from pipeline import records, runner, stale
from pipeline.defs import automation, keys, versions
from pipeline.lib.store import warehouse as wh

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
def built(raw, cold_run, tmp_path_factory):
    """The suite's cold run, copied with a writable copy of the real raw files, its warehouse
    and Dagster's record, so these tests can change files without touching it. One rerun
    anchors the copy on the copied files: their bytes are the same, so Dagster finds nothing
    stale and nothing is materialized."""
    cold, source = cold_run
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("fresh")
    mp.setenv("PIPELINE_RAW_DIRS", str(copy_raw(raw, root / "raw")))
    shutil.copytree(source, root / "derived")
    mp.setenv("PIPELINE_DERIVED", str(root / "derived"))
    mp.setenv("PIPELINE_WAREHOUSE", str(root / "derived" / "warehouse.duckdb"))
    mp.delenv("DAGSTER_HOME", raising=False)
    from pipeline.runner import materialize_all

    anchored = materialize_all()
    assert anchored.ok and anchored.materialized == [], anchored.materialized
    yield root, cold
    mp.undo()


def definitions():
    from pipeline.definitions import defs

    return defs()


def graph():
    return definitions().resolve_asset_graph()


def downstream(keys: set[str]) -> set[str]:
    g = graph()
    out, frontier = set(keys), {dg.AssetKey.from_user_string(k) for k in keys}
    while frontier:
        frontier = {c for k in frontier for c in g.get(k).child_keys}
        out |= {k.to_user_string() for k in frontier}
    return out


def observe_and_plan() -> stale.Plan:
    """Observe the raw files as `pipeline run` does, then ask Dagster's records what is stale."""
    defs = definitions()
    g = defs.resolve_asset_graph()
    con = wh.connect(read_only=True)
    tables = set(wh.visible_tables(con))
    con.close()
    with records.instance() as inst:
        runner._observe(defs, g, inst, lambda event: None, None)
        return stale.plan(g, inst, tables)


def test_cold_run_materializes_everything_and_dagster_records_its_versions(built):
    """The cold run succeeds; Dagster holds each asset's code version and, for raw tables, the
    file's sha256 as input data version (the one raw.ingest_log records); no meta schema and
    no sha256 cache are left in the warehouse or beside it."""
    root, cold = built
    assert cold.ok and not cold.up_to_date
    g = graph()
    keys_ = {k.to_user_string() for k in g.materializable_asset_keys}
    assert {k for k, _ in cold.materialized} == keys_
    con = wh.connect(root / "derived" / "warehouse.duckdb", read_only=True)
    sha, code = con.execute("SELECT sha256, code_version FROM raw.ingest_log "
                            "WHERE table_name = 'raw.cow_nmc'").fetchone()
    assert con.execute("SELECT count(*) FROM duckdb_schemas() WHERE schema_name = 'meta'"
                       ).fetchone()[0] == 0
    con.close()
    with records.instance() as inst:
        for key in g.materializable_asset_keys:
            if g.get(key).partitions_def is None:
                tags = inst.get_latest_materialization_event(key).tags
                assert tags[records.CODE_VERSION_TAG] == g.get(key).code_version, key
        nmc = inst.get_latest_materialization_event(keys.raw("cow_nmc")).tags
        assert dg.DataProvenance.from_tags(nmc).input_data_versions[
            keys.files("cow_nmc")].value == sha
        assert nmc[records.CODE_VERSION_TAG] == code
        assert "2018" in inst.get_materialized_partitions(keys.EVENTS)
    assert len(sha) == 64 and not (root / "derived" / "sha256_cache.json").exists()


def test_unchanged_rerun_materializes_nothing_and_never_imports_dagster(built):
    """With nothing changed, a rerun in a fresh process returns 'up to date', materializes
    nothing, lists the standing warn-level check outcomes and never imports Dagster (its
    import and instance are most of a rerun's time; the timing is in the note, not here)."""
    code = textwrap.dedent("""
        import sys
        from pipeline.runner import materialize_all
        out = materialize_all()
        print(out.ok, out.up_to_date, len(out.materialized), "dagster" in sys.modules,
              sorted({c.name for c in out.standing if not c.passed}))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=300, check=False)
    assert proc.stdout.split(" ", 4) == ["True", "True", "0", "False",
                                         "['ccodes_in_system']\n"], proc.stderr


def test_a_run_recorded_outside_pipeline_run_makes_the_next_rerun_check_dagster(built):
    """A materialization from the UI (here: Dagster in process, on the same instance) changes
    Dagster's record, so the next `pipeline run` asks Dagster instead of trusting the stamp,
    and stamps again when it ends with everything fresh."""
    from pipeline.runner import materialize_all

    assert materialize_all().up_to_date
    defs = definitions()
    with records.instance() as inst:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=inst, asset_selection=[keys.raw("cow_majors")], raise_on_error=False)
    assert result.success
    again = materialize_all()
    assert again.ok and not again.up_to_date
    assert materialize_all().up_to_date


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
    root, _ = built
    target = root / "raw" / GDELT
    original = target.read_bytes()
    append_last_line(target)
    try:
        todo = observe_and_plan()
        assert todo.years == [2017]
        assert todo.reasons["raw/events[2017]"] == "files/events[2017] has a new data version"
        planned = {k.to_user_string() for k in todo.keys}
        assert "raw/cow_nmc" not in planned
        assert {"derived/event_dyad_year", "derived/dyad_year"} <= planned
    finally:
        target.write_bytes(original)
    assert observe_and_plan().empty


def test_changed_file_redoes_its_table_and_downstream_only(built):
    """Appending a line to majors2016.csv re-materializes raw/cow_majors and its downstream."""
    from pipeline.runner import materialize_all

    root, _ = built
    append_last_line(root / "raw" / MAJORS)
    again = materialize_all()
    assert again.ok
    assert {k for k, _ in again.materialized} == downstream({"raw/cow_majors"})
    assert again.reasons["raw/cow_majors"] == "files/cow_majors has a new data version"
    assert materialize_all().up_to_date


def test_the_automation_requests_a_changed_table_and_its_downstream(built):
    """Dagster's own evaluation of the automation conditions (what the sensor does once
    switched on): after a changed majors2016.csv is observed, it requests raw/cow_majors and
    everything downstream, nothing else."""
    root, _ = built
    target = root / "raw" / MAJORS
    original = target.read_bytes()
    defs = definitions()
    g = defs.resolve_asset_graph()
    with records.instance() as inst:
        first = dg.evaluate_automation_conditions(defs=defs, instance=inst)
        append_last_line(target)
        try:
            runner._observe(defs, g, inst, lambda event: None, None)
            second = dg.evaluate_automation_conditions(defs=defs, instance=inst,
                                                       cursor=first.cursor)
        finally:
            target.write_bytes(original)
    requested = {k.to_user_string() for k in g.materializable_asset_keys
                 if second.get_num_requested(k)}
    assert requested == downstream({"raw/cow_majors"})


def test_automation_ships_switched_off_with_a_condition_on_every_asset():
    """Dagster's default automation sensor is the only one and starts stopped; observed inputs
    are observed on the cron, every table refreshes on new data, new code or when missing."""
    defs = definitions()
    sensors = defs.get_repository_def().sensor_defs
    assert [(s.name, s.default_status) for s in sensors] == [
        ("default_automation_condition_sensor", dg.DefaultSensorStatus.STOPPED)]
    assert not defs.get_repository_def().schedule_defs
    g = defs.resolve_asset_graph()
    for key in g.get_all_asset_keys():
        label = g.get(key).automation_condition.get_label()
        assert label == ("refresh" if key in g.materializable_asset_keys
                         else f"observe on cron ({automation.DEFAULT_CRON})"), key


def test_schedule_cron_honours_the_environment(monkeypatch):
    """PIPELINE_SCHEDULE_CRON sets the cron the raw files are observed on; weekly by default."""
    monkeypatch.setenv("PIPELINE_SCHEDULE_CRON", "15 4 * * 0")
    assert automation.observe_condition().get_label() == "observe on cron (15 4 * * 0)"
    monkeypatch.delenv("PIPELINE_SCHEDULE_CRON")
    assert automation.schedule_cron() == automation.DEFAULT_CRON == "0 3 * * 1"


def test_code_version_follows_imports():
    """A raw table's code version covers its parser module and what it imports, no more."""
    closure = versions.module_closure("pipeline.lib.ingest.sources.cow_nmc")
    assert "pipeline.lib.ingest.contract" in closure
    assert "pipeline.lib.ingest.sources.unvotes" not in closure
    assert "pipeline.lib.store.paths" not in closure  # infrastructure cannot change a table
    assert versions.code_version("pipeline.lib.ingest.sources.cow_nmc") != versions.code_version(
        "pipeline.lib.ingest.sources.unvotes")


def test_a_model_file_is_part_of_its_assets_code_version():
    """Editing models/primary.toml changes the code version of models/primary alone."""
    g = graph()
    primary = g.get(keys.models("primary")).code_version
    assert primary == versions.code_version(
        "pipeline.defs.regressions.assets",
        files=(versions.REPO_ROOT / "models" / "primary.toml",))
    assert primary != g.get(keys.models("robustness_measures")).code_version


def test_contiguous_groups_consecutive_years():
    """Stale event years run as ranges of consecutive years."""
    assert runner.contiguous([2018, 2005, 2017, 2006, 1990]) == [
        (1990, 1990), (2005, 2006), (2017, 2018)]
