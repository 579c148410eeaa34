"""The streaming event path and its store: block-size invariance, exact quarantine, atomic
partition swaps in the Parquet store behind the raw.events view."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from bench.generate import generate
from pipeline.lib.events import EVENT_COLUMNS, EVENT_SOURCES, EventStream, collect, store
from pipeline.lib.events import blocks as event_blocks
from pipeline.lib.events import load as eventload
from pipeline.lib.ingest.sources.cameo import parse_cameo_codes
from pipeline.lib.store import warehouse as wh
from pipeline.lib.store.provenance import sha256_file

QUIRKS = Path(__file__).parent / "data" / "events" / "20181004-icews-events.tab"
ICEWS = next(s for s in EVENT_SOURCES if s.name == "icews")


@pytest.fixture(scope="module")
def cameo(raw) -> pl.DataFrame:
    """The CAMEO code table from the shared sample."""
    return parse_cameo_codes(raw / "icews_sample" / "cameo-codes.csv").frame


def _same(a, b) -> None:
    assert_frame_equal(a.frame, b.frame)
    assert_frame_equal(a.quarantine, b.quarantine)
    assert (a.rows_read, a.deduplicated, a.notes) == (b.rows_read, b.deduplicated, b.notes)


def _state(con) -> tuple:
    """What a reader sees: the view's rows, the log and the quarantine."""
    rows = con.execute("SELECT * FROM raw.events ORDER BY source_file, source_line").fetchall()
    log = con.execute("SELECT source_file, partition_year, loaded FROM raw.ingest_log "
                      "ORDER BY ALL").fetchall()
    q = con.execute("SELECT source_file, line FROM raw.quarantine ORDER BY ALL").fetchall()
    return rows, log, q


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


@pytest.mark.parametrize(("flush_rows", "block"), [(7, 1 << 12), (10**9, None)])
def test_the_partition_holds_exactly_the_parsed_rows_however_often_it_flushes(
        cameo, raw, tmp_path, monkeypatch, flush_rows, block):
    """Rows are written in gathered flushes; with retractions (duplicate IDs across flushes)
    the year's file still holds exactly the parser's rows, and the log reconciles with the
    file's sha256 (hashed while reading for a plain file, by a second read for a .gz)."""
    monkeypatch.setattr(eventload, "FLUSH_ROWS", flush_rows)
    if block:  # small blocks: duplicates span blocks and flushes, so rows are retracted
        monkeypatch.setattr(event_blocks, "BLOCK", block)
    gen = tmp_path / "events.2018.gen.tab"
    generate(gen, 1_000, seed=5, fmt="icews", corrupt_share=0.02)
    sample = raw / "icews_sample" / "events.2018.sample.tab.gz"
    files = [QUIRKS, gen] + ([] if block else [sample])
    con = wh.connect(tmp_path / "w.duckdb")
    loads = eventload.load_partition(con, 2018, [(ICEWS, f) for f in files], cameo)
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


def test_raw_events_is_a_view_over_one_zstd_parquet_file_per_dataset_and_year(cameo, raw,
                                                                               tmp_path):
    """ICEWS 2018 and GDELT (2017 by its dates) are one file each in the warehouse's store,
    zstd-compressed, named by the manifest; no table holds events."""
    con = wh.connect(tmp_path / "w.duckdb")
    gdelt = raw / "gdelt1_sample" / "gdelt1_events_20160312.sample.tsv"
    eventload.load_partition(con, 2018, [(ICEWS, QUIRKS)], cameo)
    eventload.load_partition(con, 2017, [(EVENT_SOURCES[1], gdelt)], cameo)
    parts = store.partitions(con)
    assert sorted(parts) == [2017, 2018] and all(len(f) == 1 for f in parts.values())
    files = [Path(f[0]) for f in parts.values()]
    assert {f.parent for f in files} == {store.store_dir(con)}
    assert [f.name.split("-")[0] for f in files] == ["gdelt1", "icews"]
    meta = pq.ParquetFile(files[1]).metadata
    assert meta.num_rows == 4 and meta.row_group(0).column(0).compression == "ZSTD"
    assert wh.visible_tables(con) == ["raw.events", "raw.ingest_log", "raw.quarantine"]
    kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables "
                             "WHERE table_schema = 'raw'").fetchall())
    assert kinds["events"] == "VIEW"
    assert con.execute("SELECT partition_year, count(*) FROM raw.events GROUP BY ALL "
                       "ORDER BY ALL").fetchall() == [(2017, 50), (2018, 4)]


def test_a_failed_partition_write_leaves_the_previous_partition_log_and_quarantine(
        cameo, tmp_path, monkeypatch):
    """An error after rows were written rolls nothing in: the view, log and quarantine are the
    committed ones, and the abandoned file is gone."""
    con = wh.connect(tmp_path / "w.duckdb")
    eventload.load_partition(con, 2018, [(ICEWS, QUIRKS)], cameo)
    before, files = _state(con), set(store.store_dir(con).iterdir())

    def killed(self):
        raise RuntimeError("killed")

    monkeypatch.setattr(EventStream, "finish", killed)
    with pytest.raises(RuntimeError, match="killed"):
        eventload.load_partition(con, 2018, [(ICEWS, QUIRKS)], cameo)
    assert _state(con) == before and len(before[0]) == 4
    assert set(store.store_dir(con).iterdir()) == files


def test_a_killed_write_changes_nothing_and_the_next_writer_removes_its_files(cameo, tmp_path):
    """Files written but never committed (a process killed before COMMIT) are invisible; the
    next writer deletes them, and the file a commit replaced, and keeps the committed ones."""
    path = tmp_path / "w.duckdb"
    con = wh.connect(path)
    eventload.load_partition(con, 2018, [(ICEWS, QUIRKS)], cameo)
    before = _state(con)
    folder = store.store_dir(con)
    stray = store.PartFile(folder, "icews", 2018)
    stray.write(next(EventStream(QUIRKS, cameo).batches()))
    stray.close()  # renamed into the store, never committed
    half = store.PartFile(folder, "icews", 2019)
    half.write(next(EventStream(QUIRKS, cameo).batches()))  # temporary name, never closed
    con.close()

    con = wh.connect(path)
    assert _state(con) == before and len(list(folder.iterdir())) == 3
    eventload.load_partition(con, 2019, [(ICEWS, QUIRKS)], cameo)
    kept = sorted(f for files in store.partitions(con).values() for f in files)
    assert sorted(str(p) for p in folder.iterdir()) == kept and len(kept) == 2
    eventload.load_partition(con, 2019, [(ICEWS, QUIRKS)], cameo)
    assert len(list(folder.iterdir())) == 2 and kept != sorted(
        f for files in store.partitions(con).values() for f in files)


@pytest.mark.parametrize("layout", ["one table", "table per year"])
def test_raw_events_of_an_earlier_layout_moves_into_the_store(cameo, tmp_path, layout):
    """A warehouse whose raw.events is one table (or a view over one table per year, with a
    killed run's staging table) keeps its rows: the first writer moves each year into the
    store, drops the old tables and puts the view in their place."""
    batch = next(EventStream(QUIRKS, cameo).batches())
    con = wh.connect(tmp_path / "w.duckdb")
    con.execute("CREATE SCHEMA raw")
    frames = {y: batch.with_columns(pl.lit(y, pl.Int16).alias("partition_year"))
              for y in (2016, 2017)}
    if layout == "one table":
        con.register("_old", pl.concat(frames.values()).to_arrow())
        con.execute("CREATE TABLE raw.events AS SELECT * FROM _old")
    else:
        for y, frame in frames.items():
            con.register("_old", frame.to_arrow())
            con.execute(f"CREATE TABLE raw.events__p{y} AS SELECT * FROM _old")
        con.execute("CREATE TABLE raw.events__p2017__staging AS SELECT * FROM _old")
        con.execute("CREATE VIEW raw.events AS SELECT * FROM raw.events__p2016 "
                    "UNION ALL SELECT * FROM raw.events__p2017")
    con.unregister("_old")
    eventload.load_partition(con, 2018, [(ICEWS, QUIRKS)], cameo)
    assert sorted(store.partitions(con)) == [2016, 2017, 2018]
    got = con.execute("SELECT partition_year, count(*) FROM raw.events GROUP BY ALL "
                      "ORDER BY ALL").fetchall()
    assert got == [(2016, batch.height), (2017, batch.height), (2018, 4)]
    assert wh.visible_tables(con) == ["raw.events", "raw.ingest_log", "raw.quarantine"]
    left = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    assert sorted(left) == ["events__files", "events__schema", "ingest_log", "quarantine"]
    assert_frame_equal(con.execute("SELECT * FROM raw.events WHERE partition_year = 2016 "
                                   "ORDER BY source_line").pl(), frames[2016],
                       check_dtypes=True)
    assert list(EVENT_COLUMNS) == con.execute("SELECT * FROM raw.events LIMIT 0").pl().columns
