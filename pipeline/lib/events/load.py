"""One partition year of event files into the store behind ``raw.events`` (bounded memory).

Every file streams through the engine (:class:`~.engine.EventStream`); its kept rows are
gathered to ``FLUSH_ROWS``, validated against the row rules of ``EventsSchema``
(``EventRowsSchema``) and appended as a row group to
the year's file for its dataset (:class:`~.store.PartFile`); rows a later duplicate decision
retracts are dropped when that file is closed. The files, their ingest-log rows and their
quarantine rows are committed together (:func:`~.store.commit`), so a failed or killed run
leaves the previous partition, log and quarantine. The key, unique over the partition, is
checked over the partition in SQL (:func:`duplicate_keys`): per flush it was 40 % of
pandera's time and proved nothing across flushes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipeline.lib.ingest.registry import Source
from pipeline.lib.store.provenance import sha256_file
from pipeline.lib.store.validation import validate_frame

from . import store
from .engine import EventStream
from .schema import EVENT_KEY, EventRowsSchema

# Gathered before pandera runs (about 30 ms per call whatever the rows) and before a row
# group is written. Measured at 3 M rows: 245,760 rows (two DuckDB row groups) peak at
# 842 MB in as much time as 491,520 rows at 967 MB (the rows waiting pin their blocks' text).
FLUSH_ROWS = 2 * 122_880
DUPLICATE_KEYS = """
SELECT count(*) FROM (
    SELECT dataset, event_id, event_date FROM raw.events
    WHERE partition_year BETWEEN ? AND ? GROUP BY ALL HAVING count(*) > 1)"""
LOG_SCHEMA = {"partition_year": pl.Int16, "run_id": pl.Utf8, "started_at": pl.Datetime("us"),
              "finished_at": pl.Datetime("us")}


@dataclass
class FileLoad:
    """Counts of one file, as logged in ``raw.ingest_log``."""

    path: Path
    rows_read: int = 0
    loaded: int = 0
    quarantined: int = 0
    deduplicated: int = 0
    schema_failures: list[dict] = field(default_factory=list)
    sha256: str = ""

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.loaded + self.quarantined + self.deduplicated


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class _Pending:
    """Rows of one file waiting to be validated (once per flush) and written."""

    def __init__(self, part: store.PartFile, load: FileLoad, year: int):
        self.part, self.load, self.year = part, load, year
        self.frames: list[pl.DataFrame] = []
        self.rows = 0

    def add(self, frame: pl.DataFrame) -> None:
        if frame.height:
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
        check = validate_frame(frame, EventRowsSchema)
        if not check["passed"]:
            self.load.schema_failures.append(check["metadata"])
        self.part.write(frame)


def _log_row(src: Source, load: FileLoad, year: int, started: datetime,
             run_id: str | None, code_version: str) -> pl.DataFrame:
    return pl.DataFrame({
        "table_name": [store.FULL], "source": [src.name], "source_file": [str(load.path)],
        "partition_year": [year], "sha256": [load.sha256 or sha256_file(load.path)],
        "bytes": [load.path.stat().st_size], "rows_read": [load.rows_read],
        "loaded": [load.loaded], "quarantined": [load.quarantined],
        "deduplicated": [load.deduplicated], "started_at": [started], "finished_at": [_now()],
        "code_version": [code_version], "run_id": [run_id]}, schema_overrides=LOG_SCHEMA)


def load_partition(con: duckdb.DuckDBPyConnection, year: int, files: list[tuple[Source, Path]],
                   cameo: pl.DataFrame, run_id: str | None = None,
                   log: Callable[[str], None] | None = None, *,
                   code_version: str = "") -> list[FileLoad]:
    """Replace partition ``year`` of ``raw.events`` with the events of ``files``; the ingest
    log records the Dagster run and the asset's ``code_version``."""
    folder = store.prepare(con)
    parts: dict[str, store.PartFile] = {}
    retract: dict[str, dict[str, list[int]]] = {}
    loads, logs, quarantine = [], [], []
    try:
        for src, path in files:
            started, load = _now(), FileLoad(path)
            stream = EventStream(path, cameo)
            part = parts.setdefault(stream.dataset, store.PartFile(folder, stream.dataset, year))
            pending = _Pending(part, load, year)
            for batch in stream.batches():
                pending.add(batch)
            end = stream.finish()
            pending.add(end.add)
            pending.flush()
            retract.setdefault(stream.dataset, {})[path.name] = end.retract
            load.loaded -= len(end.retract)
            load.quarantined = end.quarantine.height
            load.rows_read, load.deduplicated = end.rows_read, end.deduplicated
            load.sha256 = end.sha256 or ""
            quarantine.append(end.quarantine.with_columns(
                pl.lit(store.FULL).alias("table_name"),
                pl.lit(year, pl.Int16).alias("partition_year")))
            logs.append(_log_row(src, load, year, started, run_id, code_version))
            if log:
                log(f"{year}: {path.name}: {load.loaded:,} events, {load.quarantined:,} "
                    f"quarantined")
            loads.append(load)
        for dataset, part in parts.items():
            part.close(retract.get(dataset))
    except BaseException:
        for part in parts.values():
            part.abandon()
        raise
    store.commit(con, year, list(parts.values()), _concat(logs), _concat(quarantine))
    store.collect_garbage(con, folder)
    return loads


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame()


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
