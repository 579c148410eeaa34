"""The warehouse replaces tables atomically, keeps log and table in step, and refuses a second writer."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from pipeline.lib.store import warehouse as wh
from pipeline.lib.store.results import ParseResult, empty_quarantine


def _reconciles(con, table: str) -> bool:
    """The table holds the logged loaded rows and the quarantine the logged quarantined ones."""
    loaded, quarantined = con.execute(
        "SELECT sum(loaded), sum(quarantined) FROM raw.ingest_log WHERE table_name = ?",
        [table]).fetchone()
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    kept = con.execute("SELECT count(*) FROM raw.quarantine WHERE table_name = ?",
                       [table]).fetchone()[0]
    return (loaded, quarantined) == (rows, kept)


def _ingest(tmp_path: Path, frame: pl.DataFrame, quarantined: int = 0) -> wh.FileIngest:
    f = tmp_path / "src.csv"
    f.write_text("x\n")
    q = pl.DataFrame({"source_file": ["src.csv"] * quarantined, "line": list(range(quarantined)),
                      "column": ["a"] * quarantined, "reason": ["bad"] * quarantined,
                      "raw": [""] * quarantined}, schema=empty_quarantine().schema)
    r = ParseResult(frame, q, rows_read=frame.height + quarantined, source_file=str(f))
    now = datetime(2026, 1, 1)
    return wh.FileIngest("test", f, r, now, now)


def test_write_table_replaces_table_and_log_together(warehouse, tmp_path):
    """A second write replaces rows, log and quarantine of the table; counts reconcile."""
    con = wh.connect()
    wh.write_table(con, "raw", "t", pl.DataFrame({"a": [1, 2, 3]}),
                   files=[_ingest(tmp_path, pl.DataFrame({"a": [1, 2, 3]}), quarantined=2)])
    wh.write_table(con, "raw", "t", pl.DataFrame({"a": [7]}),
                   files=[_ingest(tmp_path, pl.DataFrame({"a": [7]}), quarantined=1)])
    assert wh.read_table(con, "raw", "t")["a"].to_list() == [7]
    assert con.execute("SELECT count(*) FROM raw.ingest_log").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM raw.quarantine").fetchone()[0] == 1
    assert _reconciles(con, "raw.t")


def test_failed_write_leaves_previous_table_intact(warehouse, tmp_path):
    """An exception inside the transaction rolls back: the old table and log survive whole."""
    con = wh.connect()
    good = pl.DataFrame({"a": [1, 2]})
    wh.write_table(con, "raw", "t", good, files=[_ingest(tmp_path, good)])
    broken = _ingest(tmp_path, pl.DataFrame({"a": [9]}))
    broken.path = tmp_path / "vanished.csv"  # stat() fails while the log is built
    with pytest.raises(FileNotFoundError):
        wh.write_table(con, "raw", "t", pl.DataFrame({"a": [9]}), files=[broken])
    assert wh.read_table(con, "raw", "t")["a"].to_list() == [1, 2]
    assert _reconciles(con, "raw.t")


def test_second_writer_gets_a_clear_busy_error(warehouse):
    """While another process holds the warehouse, connect() raises WarehouseBusyError at once."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(warehouse)!r})
            print("ready", flush=True)
            sys.stdin.readline()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(wh.WarehouseBusyError, match="in use by another process"):
            wh.connect(warehouse)
    finally:
        holder.communicate("\n", timeout=30)
    wh.connect(warehouse).close()
