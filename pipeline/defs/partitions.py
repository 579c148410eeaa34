"""The one partition definition: calendar years, for event data (files are yearly or finer)."""

import dagster as dg

EVENT_YEARS = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *", start="1945", fmt="%Y", end_offset=1)
