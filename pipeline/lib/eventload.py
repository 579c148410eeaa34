"""Load one year of event files into ``raw.events`` batch by batch (bounded memory).

ICEWS and GDELT 1.0 files stream through :class:`pipeline.lib.eventstream.EventStream`;
Phoenix files (daily and Cline Center historical) still use the eager parser, one file at a
time. Everything for the year goes through one :class:`pipeline.lib.warehouse.PartitionWriter`:
rows into a staging table, which one transaction swaps in for the partition at the end, so a
failed or killed run leaves the previous partition intact. Batches are gathered to
``FLUSH_ROWS`` rows, validated against ``EventsSchema`` and written together; key uniqueness
across flushes and files is checked afterwards in SQL.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipeline.lib import warehouse as wh
from pipeline.lib.eventstream import EventStream
from pipeline.lib.registry import Source
from pipeline.lib.sources.events import (
    EVENT_COLUMNS,
    EVENT_KEY,
    EventsSchema,
    detect_event_format,
    parse_event_file,
)
from pipeline.lib.validation import validate_frame

STREAMED = ("icews", "gdelt1")
DUPLICATE_KEYS = """
SELECT count(*) FROM (
    SELECT dataset, event_id, event_date FROM raw.events
    WHERE partition_year BETWEEN ? AND ? GROUP BY ALL HAVING count(*) > 1)"""


@dataclass
class FileLoad:
    """Counts of one file, as logged in ``raw.ingest_log``."""

    path: Path
    rows_read: int = 0
    loaded: int = 0
    quarantined: int = 0
    deduplicated: int = 0
    schema_failures: list[dict] = field(default_factory=list)
    sha256: str = ""  # set when the reader hashed the file as it read it, else hashed at log

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.loaded + self.quarantined + self.deduplicated


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# DuckDB writes an INSERT of several row groups (122,880 rows each) on all threads, one of a
# single row group on one: batches are gathered to four row groups before they are written.
FLUSH_ROWS = 4 * 122_880


class _Pending:
    """Rows of one file waiting to be validated (pandera, once per flush) and inserted."""

    def __init__(self, w: wh.PartitionWriter, load: FileLoad, year: int):
        self.w, self.load, self.year = w, load, year
        self.frames: list[pl.DataFrame] = []
        self.rows = 0

    def add(self, frame: pl.DataFrame) -> None:
        if not frame.height:
            return
        self.frames.append(frame)
        self.rows += frame.height
        self.load.loaded += frame.height
        if self.rows >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.frames:
            return
        frame = pl.concat(self.frames, rechunk=False).with_columns(
            pl.lit(self.year, pl.Int16).alias("partition_year"))
        self.frames, self.rows = [], 0
        check = validate_frame(frame, EventsSchema)
        if not check["passed"]:
            self.load.schema_failures.append(check["metadata"])
        self.w.append(frame)


def load_memory_limit() -> str:
    """DuckDB's memory limit while event files stream in (``PIPELINE_DUCKDB_LOAD_MEMORY``)."""
    return os.environ.get("PIPELINE_DUCKDB_LOAD_MEMORY", "512MB")


@contextmanager
def _memory_limit(con: duckdb.DuckDBPyConnection, limit: str):
    """DuckDB keeps the blocks it writes cached (BASE_TABLE, about 40 MB per million event
    rows) up to its default limit of 80 % of RAM; a load never reads them back, so the
    limit is lowered while it runs and restored after (peak RSS then stays flat)."""
    con.execute("SET memory_limit = ?", [limit])
    try:
        yield
    finally:
        con.execute("RESET memory_limit")  # the default; nothing else sets one


def load_partition(con: duckdb.DuckDBPyConnection, year: int, files: list[tuple[Source, Path]],
                   cameo: pl.DataFrame, run_id: str | None = None,
                   log: Callable[[str], None] | None = None, *,
                   code_version: str = "") -> list[FileLoad]:
    """Replace partition ``year`` of ``raw.events`` with the events of ``files``; the ingest
    log records the Dagster run and the asset's ``code_version``."""
    with _memory_limit(con, load_memory_limit()):
        return _load_partition(con, year, files, cameo, run_id, log, code_version)


def _load_partition(con: duckdb.DuckDBPyConnection, year: int,
                    files: list[tuple[Source, Path]], cameo: pl.DataFrame, run_id: str | None,
                    log: Callable[[str], None] | None, code_version: str) -> list[FileLoad]:
    loads = []
    template = pl.DataFrame(schema=EVENT_COLUMNS)
    with wh.PartitionWriter(con, "raw", "events", year, template, run_id,
                            code_version) as w:
        for src, path in files:
            started, load = _now(), FileLoad(path)
            pending = _Pending(w, load, year)
            if detect_event_format(path) in STREAMED:
                stream = EventStream(path, cameo)
                for batch in stream.batches():
                    pending.add(batch)
                    q = stream.drain_quarantine()
                    w.quarantine(q)
                    load.quarantined += q.height
                end = stream.finish()
                pending.flush()  # retract deletes written rows
                w.retract(path.name, end.retract)
                load.loaded -= len(end.retract)
                pending.add(end.add)
                w.quarantine(end.quarantine)
                load.quarantined += end.quarantine.height
                load.rows_read, load.deduplicated = end.rows_read, end.deduplicated
                load.sha256 = end.sha256 or ""
            else:
                result = parse_event_file(path, cameo)
                pending.add(result.frame)
                w.quarantine(result.quarantine)
                load.quarantined, load.rows_read = result.quarantine.height, result.rows_read
                load.deduplicated = result.deduplicated
            pending.flush()
            w.log(src.name, path, rows_read=load.rows_read, loaded=load.loaded,
                  quarantined=load.quarantined, deduplicated=load.deduplicated,
                  started_at=started, finished_at=_now(), sha256=load.sha256)
            if log:
                log(f"{year}: {path.name}: {load.loaded:,} events, {load.quarantined:,} "
                    f"quarantined")
            loads.append(load)
    return loads


def duplicate_keys(con: duckdb.DuckDBPyConnection, first: int, last: int) -> int:
    """Number of ``EVENT_KEY`` values held by more than one row in the given years."""
    assert EVENT_KEY == ("dataset", "event_id", "event_date")
    return int(con.execute(DUPLICATE_KEYS, [first, last]).fetchone()[0])


def preview(con: duckdb.DuckDBPyConnection, first: int, last: int) -> tuple[int, pl.DataFrame]:
    """Row count of the given years and their first rows (for metadata)."""
    n = con.execute("SELECT count(*) FROM raw.events WHERE partition_year BETWEEN ? AND ?",
                    [first, last]).fetchone()[0]
    head = con.execute("SELECT * FROM raw.events WHERE partition_year BETWEEN ? AND ? "
                       "ORDER BY partition_year, source_file, source_line LIMIT 10",
                       [first, last]).pl()
    return int(n), head
