"""One check factory for every table: validate, then write, so a table that fails a blocking
check keeps its previous version, with the failed check recorded."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipeline.defs import checks, keys
from pipeline.defs.measures import assets as indicators
from pipeline.defs.resources import Warehouse
from pipeline.lib.measures import event_measures
from pipeline.lib.store import warehouse as wh
from pipeline.lib.store.results import ParseResult, empty_quarantine


@pytest.fixture
def coverage(built_warehouse, tmp_path, monkeypatch) -> Path:
    """A copy of the built warehouse, used through PIPELINE_WAREHOUSE."""
    ok, path = built_warehouse
    assert ok
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(path, copy)
    monkeypatch.setenv("PIPELINE_WAREHOUSE", str(copy))
    return copy


def _table(path: Path) -> tuple:
    con = wh.connect(path, read_only=True)
    try:
        return con.execute("SELECT count(*), sum(hash(x)) FROM derived.event_coverage x"
                           ).fetchone()
    finally:
        con.close()


def _materialize(frame: pl.DataFrame, monkeypatch) -> dg.ExecuteInProcessResult:
    """The real derived/event_coverage asset, its computation returning ``frame``."""
    monkeypatch.setattr(event_measures, "event_coverage", lambda con: frame)
    return dg.materialize([indicators.event_coverage], resources={"warehouse": Warehouse()},
                          raise_on_error=False)


def test_a_failing_blocking_check_leaves_the_previous_derived_table(coverage, monkeypatch):
    """derived.event_coverage rebuilt with a duplicated key row, then with a value outside
    its codebook domain: each run fails naming the check, records the failed check, and the
    table stays exactly as it was; a valid frame is then written."""
    before = _table(coverage)
    con = wh.connect(coverage, read_only=True)
    good = con.execute("SELECT * FROM derived.event_coverage").pl()
    con.close()

    duplicated = _materialize(pl.concat([good, good.head(1)]), monkeypatch)
    assert not duplicated.success
    failed = {c.check_name: c for c in duplicated.get_asset_check_evaluations() if not c.passed}
    assert set(failed) == {checks.SCHEMA, checks.UNIQUE_KEY}  # the schema declares the key too
    assert failed[checks.UNIQUE_KEY].metadata["duplicate_keys"].value == 1
    failure = next(e for e in duplicated.all_events if e.is_step_failure)
    message = str(failure.step_failure_data.error.message)
    assert "derived.event_coverage not written: check schema failed" in message
    assert "check unique_key failed (1 duplicate keys)" in message
    assert _table(coverage) == before

    bad = good.with_columns(pl.lit(None, pl.Boolean).alias("covered"))
    invalid = _materialize(bad, monkeypatch)
    assert not invalid.success
    assert [c.check_name for c in invalid.get_asset_check_evaluations() if not c.passed] == [
        checks.SCHEMA]
    assert _table(coverage) == before

    assert _materialize(good.head(3), monkeypatch).success
    assert _table(coverage)[0] == 3


def test_every_check_name_comes_from_the_factory():
    """The checks of every table asset are the factory's: schema and key, ingest counts on
    raw tables, membership warnings, models' every_term_present."""
    from pipeline.definitions import defs
    from pipeline.defs.regressions.assets import EVERY_TERM

    graph = defs().resolve_asset_graph()
    names = {c.name for c in graph.asset_check_keys}
    assert names == {checks.SCHEMA, checks.UNIQUE_KEY, checks.COUNTS, checks.MEMBERS, EVERY_TERM}
    for key in graph.materializable_asset_keys:
        if key.path[0] in ("raw", "derived", "ref") or key == keys.models("coefficients"):
            mine = {c.name for c in graph.asset_check_keys if c.asset_key == key}
            assert checks.UNIQUE_KEY in mine, key


def test_counts_check_needs_every_file_reconciled_and_a_non_empty_table(tmp_path):
    """counts_reconcile fails for an empty table or a file whose rows do not add up."""
    table = checks.table_checks(keys.raw("t"), None, ["a"], counts=True)
    frame = pl.DataFrame({"a": [1, 2]})
    f = tmp_path / "t.csv"
    f.write_text("a\n1\n2\n")

    def ingest(rows_read: int) -> wh.FileIngest:
        result = ParseResult(frame, empty_quarantine(), rows_read=rows_read)
        return wh.FileIngest("t", f, result, datetime(2026, 1, 1), datetime(2026, 1, 1))

    def passed(frame_, files) -> dict[str, bool]:
        return {r.check_name: r.passed for r in table.evaluate(frame_, files)}

    assert passed(frame, [ingest(2)]) == {checks.UNIQUE_KEY: True, checks.COUNTS: True}
    assert passed(frame, [ingest(3)])[checks.COUNTS] is False
    assert passed(frame.head(0), [ingest(0)])[checks.COUNTS] is False
    assert passed(pl.concat([frame, frame]), [ingest(2)])[checks.UNIQUE_KEY] is False
