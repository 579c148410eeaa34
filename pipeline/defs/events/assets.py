"""``raw/events``: ICEWS, GDELT 1.0 and Phoenix events in one table, partitioned by year."""


import dagster as dg

from pipeline.defs.checks import COUNTS, SCHEMA, UNIQUE_KEY, code_version_of, table_checks
from pipeline.defs.keys import CAMEO, EVENT_FILES, EVENTS
from pipeline.defs.metadata import frame_metadata
from pipeline.defs.partitions import EVENT_YEARS
from pipeline.defs.resources import Warehouse
from pipeline.lib.events import load as eventload
from pipeline.lib.events.discover import event_files
from pipeline.lib.events.schema import EVENT_KEY, EventsSchema
from pipeline.lib.store import warehouse as wh

CHECKS = table_checks(EVENTS, EventsSchema, EVENT_KEY, counts=True)


@dg.asset(
    key=EVENTS,
    partitions_def=EVENT_YEARS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[CAMEO, EVENT_FILES],
    group_name="ingest",
    kinds={"duckdb", "polars"},
    tags={"source": "events"},
    check_specs=CHECKS.specs,
)
def events(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Dyadic events (ICEWS, GDELT 1.0, Phoenix) with COW ccodes and CAMEO codes as text; one
    partition per year of files, so a new year's file ingests alone (METHODS §5.2). Files stream
    into one Parquet file per dataset and year, swapped in with their log in one transaction
    (``lib/events/load.py``; ``raw.events`` is a DuckDB view over the files)."""
    con = warehouse.con
    cameo = wh.read_table(con, "raw", "cameo_codes")
    window = context.partition_time_window
    first, last = window.start.year, window.end.year - 1
    files = event_files()
    loads = [load for year in range(first, last + 1) for load in eventload.load_partition(
        con, year, files.get(year, []), cameo, context.run.run_id, context.log.info,
        code_version=code_version_of(context))]
    failures = [f for load in loads for f in load.schema_failures]
    dups = eventload.duplicate_keys(con, first, last)
    rows, head = eventload.preview(con, first, last)
    bad = [load.path.name for load in loads if not load.reconciles]
    yield dg.MaterializeResult(
        metadata={**frame_metadata(head), "dagster/row_count": rows, "files": len(loads),
                  "quarantined": sum(load.quarantined for load in loads),
                  "deduplicated": sum(load.deduplicated for load in loads)},
        check_results=[
            dg.AssetCheckResult(check_name=SCHEMA, passed=not failures,
                                metadata={"rows": rows, "failing_batches": len(failures),
                                          "first_failure": str(failures[:1])}),
            dg.AssetCheckResult(check_name=UNIQUE_KEY, passed=dups == 0,
                                metadata={"duplicate_keys": dups}),
            dg.AssetCheckResult(check_name=COUNTS, passed=not bad,
                                metadata={"unreconciled_files": ", ".join(bad) or "none"}),
        ])

