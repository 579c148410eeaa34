"""``files/events``: the event files of each year, observed; a year's data version is the
sha256 of its files' digests, so a changed or added file makes that year alone stale."""

import dagster as dg

from pipeline.defs.automation import observe_condition
from pipeline.defs.keys import EVENT_FILES, EVENTS
from pipeline.defs.partitions import EVENT_YEARS
from pipeline.lib.events.discover import event_files
from pipeline.lib.store.provenance import files_version


@dg.observable_source_asset(
    key=EVENT_FILES, partitions_def=EVENT_YEARS, group_name="ingest",
    automation_condition=observe_condition(),
    description="ICEWS, GDELT 1.0 and Phoenix files per year (raw/events reads them); a year "
                "whose files are all gone is observed as 'no file', so its partition is "
                "rewritten empty.")
def observed_event_files(context) -> dg.DataVersionsByPartition:
    files = event_files()
    years = {str(y) for y in files} | set(context.instance.get_materialized_partitions(EVENTS))
    return dg.DataVersionsByPartition({
        y: files_version([p for _, p in files.get(int(y), [])]) for y in sorted(years)})
