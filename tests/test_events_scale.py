"""The streaming event path: block-size invariance, exact quarantine, atomic partition writes."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from bench.generate import generate
from pipeline.lib import eventload, eventread
from pipeline.lib import warehouse as wh
from pipeline.lib.eventfiles import EVENT_SOURCES
from pipeline.lib.eventstream import EventStream, collect
from pipeline.lib.provenance import sha256_file
from pipeline.lib.sources.cameo import parse_cameo_codes
from pipeline.lib.sources.events import EVENT_COLUMNS

QUIRKS = Path(__file__).parent / "data" / "events" / "20181004-icews-events.tab"


@pytest.fixture(scope="module")
def cameo(raw) -> pl.DataFrame:
    """The CAMEO code table from the shared sample."""
    return parse_cameo_codes(raw / "icews_sample" / "cameo-codes.csv").frame


def _same(a, b) -> None:
    assert_frame_equal(a.frame, b.frame)
    assert_frame_equal(a.quarantine, b.quarantine)
    assert (a.rows_read, a.deduplicated, a.notes) == (b.rows_read, b.deduplicated, b.notes)


def test_tiny_blocks_give_the_same_result_as_one_block_on_the_quirky_file(cameo):
    """Duplicates and conflicts split across 200-byte blocks resolve exactly as in one block."""
    _same(collect(QUIRKS, cameo, block_bytes=200), collect(QUIRKS, cameo))


@pytest.mark.parametrize("fmt", ["icews", "gdelt"])
def test_corrupted_lines_are_quarantined_exactly_across_blocks(cameo, tmp_path, fmt):
    """Every generated corruption is quarantined at its physical line, and nothing else is."""
    path = tmp_path / ("events.2018.x.tab" if fmt == "icews" else "gdelt1_events_x.tsv")
    generate(path, 20_000, seed=7, fmt=fmt, corrupt_share=0.01)
    side = pl.read_csv(path.with_name(path.name + ".corrupt.csv"))
    r = collect(path, cameo, block_bytes=1 << 16)
    assert sorted(r.quarantine["line"].to_list()) == sorted(side["line"].to_list())
    assert r.rows_read == 20_000 and r.loaded == 20_000 - side.height
    _same(r, collect(path, cameo))


def test_a_failed_partition_write_leaves_the_previous_partition(cameo, tmp_path):
    """An error half-way through a PartitionWriter rolls back to the committed partition."""
    con = wh.connect(tmp_path / "w.duckdb")
    template = pl.DataFrame(schema=EVENT_COLUMNS)
    batches = list(EventStream(QUIRKS, cameo).batches())
    with wh.PartitionWriter(con, "raw", "events", 2018, template) as w:
        w.append(batches[0].with_columns(pl.lit(2018, pl.Int16).alias("partition_year")))
    before = con.execute("SELECT count(*) FROM raw.events").fetchone()[0]
    with pytest.raises(RuntimeError), wh.PartitionWriter(
            con, "raw", "events", 2018, template) as w:
        w.append(batches[0].with_columns(pl.lit(2018, pl.Int16).alias("partition_year")))
        raise RuntimeError("killed")
    assert before > 0
    assert con.execute("SELECT count(*) FROM raw.events").fetchone()[0] == before


@pytest.mark.parametrize(("flush_rows", "block"), [(7, 1 << 12), (10**9, None)])
def test_the_partition_holds_exactly_the_parsed_rows_however_often_it_flushes(
        cameo, raw, tmp_path, monkeypatch, flush_rows, block):
    """Rows are written in gathered flushes; with retractions (duplicate IDs across flushes)
    the table still equals the parser's rows, and the log reconciles with the file's sha256
    (hashed while reading for a plain file, by a second read for a .gz)."""
    monkeypatch.setattr(eventload, "FLUSH_ROWS", flush_rows)
    if block:  # small blocks: duplicates span blocks and flushes, so rows are retracted
        monkeypatch.setattr(eventread, "BLOCK", block)
    gen = tmp_path / "events.2018.gen.tab"
    generate(gen, 1_000, seed=5, fmt="icews", corrupt_share=0.02)
    sample = raw / "icews_sample" / "events.2018.sample.tab.gz"
    files = [QUIRKS, gen] + ([] if block else [sample])
    src = next(s for s in EVENT_SOURCES if s.name == "icews")
    con = wh.connect(tmp_path / "w.duckdb")
    loads = eventload.load_partition(con, 2018, [(src, f) for f in files], cameo)
    order = ["source_file", "source_line"]
    got = con.execute("SELECT * FROM raw.events").pl().sort(order)
    want = pl.concat([collect(f, cameo).frame for f in files]).with_columns(
        pl.lit(2018, pl.Int16).alias("partition_year")).sort(order)
    assert_frame_equal(got, want)
    log = con.execute("SELECT source_file, sha256, rows_read, loaded, quarantined, deduplicated "
                      "FROM raw.ingest_log ORDER BY source_file").pl()
    assert log.height == len(files)
    for row in log.iter_rows(named=True):
        assert row["sha256"] == sha256_file(Path(row["source_file"]))
        assert row["rows_read"] == row["loaded"] + row["quarantined"] + row["deduplicated"]
    assert sum(ld.loaded for ld in loads) == got.height
    assert any(ld.deduplicated for ld in loads)  # the quirky file's duplicates were retracted


def test_an_abandoned_partition_write_changes_nothing_and_its_staging_table_is_dropped(
        cameo, tmp_path):
    """A writer that never exits (a killed process) leaves the committed partition and the
    view as they were, and its leftover staging table is invisible; the next writer of the
    table drops it."""
    path = tmp_path / "w.duckdb"
    template = pl.DataFrame(schema=EVENT_COLUMNS)
    batch = next(EventStream(QUIRKS, cameo).batches())

    def rows(year):
        return batch.with_columns(pl.lit(year, pl.Int16).alias("partition_year"))

    con = wh.connect(path)
    with wh.PartitionWriter(con, "raw", "events", 2018, template) as w:
        w.append(rows(2018))
    abandoned = wh.PartitionWriter(con, "raw", "events", 2018, template).__enter__()
    abandoned.append(rows(2018))
    abandoned.append(rows(2018))
    con.close()  # the process dies here: no __exit__

    def tables(con):
        return {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}

    con = wh.connect(path)
    assert con.execute("SELECT count(*) FROM raw.events").fetchone()[0] == batch.height
    assert "events__p2018__staging" in tables(con)
    assert "raw.events" in wh.visible_tables(con)
    assert not any("__" in t for t in wh.visible_tables(con))
    with wh.PartitionWriter(con, "raw", "events", 2019, template) as w:
        w.append(rows(2019))
    assert not any(t.endswith("__staging") for t in tables(con))
    got = con.execute("SELECT partition_year, count(*) FROM raw.events GROUP BY ALL "
                      "ORDER BY ALL").fetchall()
    assert got == [(2018, batch.height), (2019, batch.height)]


def test_the_load_runs_under_its_own_duckdb_memory_limit_and_restores_the_default(
        cameo, tmp_path, monkeypatch):
    """PIPELINE_DUCKDB_LOAD_MEMORY applies while rows are written, and only then."""
    monkeypatch.setenv("PIPELINE_DUCKDB_LOAD_MEMORY", "300MB")
    con = wh.connect(tmp_path / "w.duckdb")
    setting = "SELECT current_setting('memory_limit')"
    default = con.execute(setting).fetchone()[0]
    seen = []
    append = wh.PartitionWriter.append

    def spy(self, frame):
        seen.append(self.con.execute(setting).fetchone()[0])
        append(self, frame)

    monkeypatch.setattr(wh.PartitionWriter, "append", spy)
    src = next(s for s in EVENT_SOURCES if s.name == "icews")
    eventload.load_partition(con, 2018, [(src, QUIRKS)], cameo)
    assert seen and all(v.startswith("286") for v in seen)  # 300 MB = 286.1 MiB
    assert con.execute(setting).fetchone()[0] == default


def test_a_warehouse_with_the_old_single_events_table_is_split_into_partitions(
        cameo, tmp_path):
    """raw.events written before partitions were tables (one table, every year) keeps its
    rows: the first partition write splits it per year and puts the view in its place."""
    template = pl.DataFrame(schema=EVENT_COLUMNS)
    batch = next(EventStream(QUIRKS, cameo).batches())
    con = wh.connect(tmp_path / "w.duckdb")
    old = pl.concat([batch.with_columns(pl.lit(y, pl.Int16).alias("partition_year"))
                     for y in (2016, 2017)])
    con.execute("CREATE SCHEMA raw")
    con.register("_old", old.to_arrow())
    con.execute("CREATE TABLE raw.events AS SELECT * FROM _old")
    with wh.PartitionWriter(con, "raw", "events", 2018, template) as w:
        w.append(batch.with_columns(pl.lit(2018, pl.Int16).alias("partition_year")))
    kind = con.execute("SELECT table_type FROM information_schema.tables WHERE "
                       "table_schema = 'raw' AND table_name = 'events'").fetchone()[0]
    assert kind == "VIEW"
    assert wh.partition_tables(con, "raw", "events") == [
        "events__p2016", "events__p2017", "events__p2018"]
    got = con.execute("SELECT partition_year, count(*) FROM raw.events GROUP BY ALL "
                      "ORDER BY ALL").fetchall()
    assert got == [(2016, batch.height), (2017, batch.height), (2018, batch.height)]
