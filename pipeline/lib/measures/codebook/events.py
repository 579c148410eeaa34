"""Codebook of the event tables: ``derived.event_dyad_year``, ``event_dyad_month`` and
``event_coverage``."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from pipeline.lib.measures.codebook.core import Entry, Table
from pipeline.lib.measures.codebook.states import CCODE, SHARE, YEAR

DATASETS = {"icews": "ICEWS", "gdelt1": "GDELT 1.0", "phoenix": "Phoenix",
            "phoenix_historical": "Cline Center Historical Phoenix", "weis": "WEIS"}
FILTERS = ("after the METHODS 5.2 filters (government actors on both sides, GDELT root events, "
           "one event per source, target, code and day)")
EVENT_MEASURES = {
    "n": ("Events " + FILTERS + ": the denominator of every share", pl.Int64, "count", ""),
    "n_all": ("Events before the filters", pl.Int64, "count", ""),
    "defy_count": (("Defiance events (CAMEO 111, 112x, 12x, 13x, 16x; WEIS reject, accuse, "
                   "protest, deny, demand, warn, threaten, reduce relationship)"), pl.Int64,
                   "count", "higher = more defiance"),
    "defy_share": ("defy_count / n", pl.Float64, "share", "higher = more defiance"),
    "defy_weight": ("Sum of |Goldstein| over defiance events", pl.Float64, "Goldstein points",
                    ""),
    "protest_count": (("CAMEO 14x protests (demonstrations, strikes; mostly societal), counted "
                      "apart from defiance; NULL for WEIS"), pl.Int64, "count", ""),
    "attention_count": (("Cooperative attention (CAMEO 04x consult, 036, 051, 057; WEIS consult, "
                        "approve, promise, agree)"), pl.Int64, "count", ""),
    "goldstein_sum": ("Net cooperation: sum of Goldstein weights", pl.Float64,
                      "Goldstein points", "positive = cooperative"),
    "goldstein_mean": ("Tone: goldstein_sum / n", pl.Float64, "Goldstein points",
                       "positive = cooperative"),
    "coop": ("Sum of positive Goldstein weights", pl.Float64, "Goldstein points", ""),
    "conf": ("Sum of |negative Goldstein weights|", pl.Float64, "Goldstein points", ""),
    "conflict_share": (("Share of quad classes 3-4 (verbal and material conflict); NULL for "
                       "WEIS"), pl.Float64, "share", ""),
}


def _event_table(period: str) -> Table:
    grain = "Int32 year" if period == "year" else "first day of the month"
    return Table(
        f"derived.event_dyad_{period}",
        f"Directed event aggregates per source, target, {period} and dataset (never pooled), "
        "computed by DuckDB over raw.events and raw.weis_events (METHODS 5.2, 6.1).",
        ("source_ccode", "target_ccode", period, "dataset"),
        (Entry("source_ccode", "COW code of the acting state", pl.Int32, check=CCODE),
         Entry("target_ccode", "COW code of the target state", pl.Int32, check=CCODE),
         Entry(period, f"Period ({grain})", pl.Int32 if period == "year" else pl.Date),
         Entry("dataset", "Event dataset: icews, gdelt1, phoenix, phoenix_historical, weis",
               pl.Utf8, check=pa.Check.isin(list(DATASETS))),
         *[Entry(m, text, dtype, unit, sign=sign,
                 check=SHARE if unit == "share" else (
                     pa.Check.ge(0) if dtype == pl.Int64 else None))
           for m, (text, dtype, unit, sign) in EVENT_MEASURES.items()]),
    )


EVENT_DYAD_YEAR = _event_table("year")
EVENT_DYAD_MONTH = _event_table("month")

EVENT_COVERAGE = Table(
    "derived.event_coverage",
    "Months and years each event dataset covers. A continuous feed covers a month when its "
    "non-sample files hold events on at least 90% of the month's days, a year when it covers "
    "all twelve months; a compiled dataset (WEIS) covers every month of its span; a sample file "
    "never covers (METHODS 5.2).",
    ("dataset", "month"),
    (Entry("dataset", "Event dataset", pl.Utf8, check=pa.Check.isin(list(DATASETS))),
     Entry("year", "Year", pl.Int32, check=YEAR),
     Entry("month", "Month (first day)", pl.Date),
     Entry("days_with_events", "Days of the month with events in non-sample files", pl.UInt32,
           "days"),
     Entry("days", "Days in the month", pl.Int32, "days", check=pa.Check.in_range(28, 31)),
     Entry("covered", "The dataset covers the month", pl.Boolean, nullable=False),
     Entry("year_covered", "The dataset covers all twelve months of the year", pl.Boolean,
           nullable=False)),
)
