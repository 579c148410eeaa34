"""``raw/events``: ICEWS, GDELT 1.0 and Phoenix events in one table, partitioned by year."""


from datetime import datetime, timezone

import dagster as dg
import polars as pl

from pipeline.defs.meta import frame_metadata
from pipeline.defs.partitions import EVENT_YEARS
from pipeline.defs.resources import Warehouse
from pipeline.lib import warehouse as wh
from pipeline.lib.eventfiles import event_files
from pipeline.lib.sources.events import EVENT_COLUMNS, EVENT_KEY, EventsSchema, parse_event_file
from pipeline.lib.validation import validate_frame

KEY = dg.AssetKey(["raw", "events"])
CHECK_SCHEMA, CHECK_KEY, CHECK_COUNTS = "schema", "unique_key", "counts_reconcile"


def partition_range_to_run() -> tuple[str, str] | None:
    """First and last partition year that has event files (None when there are none)."""
    years = sorted(event_files())
    return (str(years[0]), str(years[-1])) if years else None


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dg.asset(
    key=KEY,
    partitions_def=EVENT_YEARS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[dg.AssetKey(["raw", "cameo_codes"])],
    group_name="ingest",
    kinds={"duckdb", "polars"},
    tags={"source": "events"},
    check_specs=[dg.AssetCheckSpec(n, asset=KEY, blocking=True, description=d) for n, d in [
        (CHECK_SCHEMA, "Events of the written years satisfy EventsSchema (CAMEO codes as "
                       "text in the code table, Goldstein in [-10, 10], ...)."),
        (CHECK_KEY, f"No two events share {list(EVENT_KEY)}."),
        (CHECK_COUNTS, "For every file: read = loaded + quarantined + deduplicated.")]],
)
def events(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Dyadic events (ICEWS, GDELT 1.0, Phoenix) with COW ccodes and CAMEO codes as text; one
    partition per year of files, so a new year's file ingests alone (METHODS §5.2)."""
    con = warehouse.con
    cameo = wh.read_table(con, "raw", "cameo_codes")
    window = context.partition_time_window
    files = event_files()
    written, logs = [], []
    for year in range(window.start.year, window.end.year):
        ingests = []
        for src, path in files.get(year, []):
            started = _now()
            result = parse_event_file(path, cameo)
            ingests.append(wh.FileIngest(src.name, path, result, started, _now()))
            context.log.info(f"{year}: {path.name}: {result.loaded:,} events, "
                             f"{result.quarantine.height:,} quarantined")
        frame = pl.concat([i.result.frame.with_columns(pl.lit(year, pl.Int16)
                                                      .alias("partition_year"))
                           for i in ingests], how="vertical_relaxed") if ingests else (
            pl.DataFrame(schema=EVENT_COLUMNS))
        wh.write_table(con, "raw", "events", frame, files=ingests, partition_year=year,
                       run_id=context.run.run_id)
        written.append(frame)
        logs.extend(ingests)
    frame = pl.concat(written, how="vertical_relaxed")
    schema = validate_frame(frame, EventsSchema)
    dups = frame.height - frame.unique(subset=list(EVENT_KEY)).height
    bad = [i.path.name for i in logs if i.result.rows_read != i.result.loaded
           + i.result.quarantine.height + i.result.deduplicated]
    yield dg.MaterializeResult(
        metadata={**frame_metadata(frame), "files": len(logs),
                  "quarantined": sum(i.result.quarantine.height for i in logs),
                  "deduplicated": sum(i.result.deduplicated for i in logs)},
        check_results=[
            dg.AssetCheckResult(check_name=CHECK_SCHEMA, **schema),
            dg.AssetCheckResult(check_name=CHECK_KEY, passed=dups == 0,
                                metadata={"duplicate_keys": dups}),
            dg.AssetCheckResult(check_name=CHECK_COUNTS, passed=not bad,
                                metadata={"unreconciled_files": ", ".join(bad) or "none"}),
        ])


@dg.definitions
def event_defs() -> dg.Definitions:
    return dg.Definitions(assets=[events])
