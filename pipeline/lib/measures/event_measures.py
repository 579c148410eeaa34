"""Directed event aggregates and coverage per dataset, computed by DuckDB where the events live
(METHODS §5.2, §6.1, §6.5).

Datasets are never pooled. The CAMEO datasets (``raw.events``: ICEWS, GDELT 1.0, Phoenix) pass
the METHODS §5.2 filters where the data carry the fields: government actors on both sides
(ICEWS sectors "Government"/"Executive", CAMEO actor type ``GOV``), GDELT ``IsRootEvent = 1``,
and one event per (source, target, CAMEO code, day). WEIS (``raw.weis_events``, its own code
scheme) has state actors only and is already one row per (source, target, code, day).

Per directed dyad, period and dataset:

- ``n`` (filtered events, the denominator of every share) and ``n_all`` (before the filters);
- ``defy_count``/``defy_share``/``defy_weight`` (Σ|g|): CAMEO 111, 112x, 12x, 13x, 16x; WEIS
  cues 11 reject, 12 accuse, 13 protest (an official protest), 14 deny, 15 demand, 16 warn,
  17 threaten, 19 reduce relationship. CAMEO 14x protests (demonstrations, strikes, mostly
  societal) are **not** defiance: ``protest_count`` reports them apart (NULL for WEIS);
- ``attention_count``: cooperative attention (CAMEO 04x consult, 036 intent to meet, 051
  praise, 057 sign formal agreement; WEIS 03 consult, 04 approve, 05 promise, 08 agree), the
  raw material of "respect received" (METHODS §6.5);
- Goldstein sums and means, cooperation and conflict weights, quad-class counts (CAMEO only).

**Coverage** (``event_coverage``): a continuous feed (ICEWS, GDELT, Phoenix) covers a month when
its non-sample files hold events on at least 90% of the month's days; a year when it covers all
twelve months. A file whose name says ``sample`` never defines coverage: a 50-row GDELT sample
must not make every dyad-year of 2016 a "covered zero". A compiled dataset (WEIS: one file of
1966-92, events on about two days in three) covers every month from its first to its last
event.

References
----------
Schrodt, P. A. 2012. *CAMEO Codebook* v1.1b3. Goldstein, J. S. 1992. "A Conflict-Cooperation
Scale for WEIS Events Data." *JCR* 36(2): 369-385. doi:10.1177/0022002792036002007.
McClelland, C. A. *World Event/Interaction Survey*, ICPSR 5211.
Azar, E. E. 1980. "The Conflict and Peace Data Bank (COPDAB) Project." *JCR* 24(1): 143-152.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import duckdb
import polars as pl

from pipeline.lib.ingest.sources import weis

CAMEO_DEFIANCE = r"^(11[12][0-9]?|1[236][0-9]{0,2})$"
CAMEO_PROTEST = r"^14[0-9]{0,2}$"
CAMEO_ATTENTION = r"^(04[0-9]{0,2}|036[0-9]?|051[0-9]?|057[0-9]?)$"
GOVERNMENT = r"Government|Executive|(^|,)GOV(,|$)"
COVERED_DAY_SHARE = 0.9
COMPILED = ("weis",)   # whole-span coverage (see the module docstring)
COPDAB_YEARS = (1948, 1978)
MEASURES = ("n", "n_all", "defy_count", "defy_share", "defy_weight", "protest_count",
            "attention_count", "goldstein_sum", "goldstein_mean", "coop", "conf",
            "conflict_share")
ZERO_IF_COVERED = ("n", "n_all", "defy_count", "defy_weight", "attention_count",
                   "goldstein_sum", "coop", "conf")

# One filtered row per (dataset, source, target, code, day); n_all counts the rows before.
_CAMEO = """
WITH ev AS (
    SELECT dataset, source_ccode, target_ccode, event_date, cameo_code, quad_class, goldstein,
           coalesce(is_root_event, TRUE)
             AND regexp_matches(coalesce(source_sectors, ''), $gov)
             AND regexp_matches(coalesce(target_sectors, ''), $gov) AS kept
    FROM raw.events
    WHERE source_ccode IS NOT NULL AND target_ccode IS NOT NULL
      AND source_ccode <> target_ccode AND event_date IS NOT NULL
), unfiltered AS (
    SELECT dataset, source_ccode, target_ccode, {period} AS period, count(*) AS n_all
    FROM ev GROUP BY ALL
), filtered AS (
    SELECT dataset, source_ccode, target_ccode, event_date, cameo_code,
           any_value(quad_class) AS quad_class, any_value(goldstein) AS goldstein
    FROM ev WHERE kept GROUP BY ALL
)
SELECT u.dataset, u.source_ccode, u.target_ccode, u.period,
       count(f.cameo_code) AS n, any_value(u.n_all) AS n_all,
       count_if(regexp_matches(f.cameo_code, $defy)) AS defy_count,
       coalesce(sum(abs(f.goldstein)) FILTER (regexp_matches(f.cameo_code, $defy)), 0)
         AS defy_weight,
       count_if(regexp_matches(f.cameo_code, $protest)) AS protest_count,
       count_if(regexp_matches(f.cameo_code, $attention)) AS attention_count,
       coalesce(sum(f.goldstein), 0) AS goldstein_sum, avg(f.goldstein) AS goldstein_mean,
       coalesce(sum(greatest(f.goldstein, 0)), 0) AS coop,
       coalesce(sum(greatest(-f.goldstein, 0)), 0) AS conf,
       count_if(f.quad_class IN (3, 4)) AS conflict_count
FROM unfiltered u
LEFT JOIN filtered f ON f.dataset = u.dataset AND f.source_ccode = u.source_ccode
     AND f.target_ccode = u.target_ccode AND {f_period} = u.period
GROUP BY ALL
"""

_WEIS = """
SELECT 'weis' AS dataset, source_ccode, target_ccode, {period} AS period,
       count(*) AS n, count(*) AS n_all,
       count_if(list_contains($defy, cue)) AS defy_count,
       coalesce(sum(abs(goldstein)) FILTER (list_contains($defy, cue)), 0) AS defy_weight,
       CAST(NULL AS BIGINT) AS protest_count,
       count_if(list_contains($attention, cue)) AS attention_count,
       sum(goldstein) AS goldstein_sum, avg(goldstein) AS goldstein_mean,
       sum(greatest(goldstein, 0)) AS coop, sum(greatest(-goldstein, 0)) AS conf,
       CAST(NULL AS BIGINT) AS conflict_count
FROM raw.weis_events
WHERE source_ccode <> target_ccode
GROUP BY ALL
"""

_DAYS = """
SELECT dataset, event_date, bool_and(source_file ILIKE '%sample%') AS sample_only
FROM raw.events WHERE event_date IS NOT NULL GROUP BY ALL
"""
_WEIS_DAYS = """
SELECT DISTINCT 'weis' AS dataset, event_date, FALSE AS sample_only FROM raw.weis_events
"""


@contextmanager
def _bounded(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB's memory limit while the aggregates run (``PIPELINE_DUCKDB_AGG_MEMORY``,
    default 512MB): over tens of millions of events the per-day groups of the filters would
    otherwise take gigabytes; past the limit DuckDB spills them to disk. The setting the
    connection had is restored after."""
    before = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    con.execute("SET memory_limit = ?", [os.environ.get("PIPELINE_DUCKDB_AGG_MEMORY", "512MB")])
    try:
        yield
    finally:
        con.execute("SET memory_limit = ?", [before])


def _period_sql(period: str, alias: str = "") -> str:
    col = f"{alias}event_date"
    if period == "year":
        return f"CAST(year({col}) AS INTEGER)"
    if period == "month":
        return f"CAST(date_trunc('month', {col}) AS DATE)"
    raise ValueError(f"period must be 'year' or 'month', not {period!r}")


def _exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND "
        "table_name = ?", [schema, name]).fetchone()[0])


def event_aggregates(con: duckdb.DuckDBPyConnection,
                     period: Literal["year", "month"] = "year") -> pl.DataFrame:
    """Directed aggregates per dataset and period, computed in DuckDB (see module docstring).

    Returns one row per ``source_ccode, target_ccode, <period>, dataset`` with any event before
    the filters, and the :data:`MEASURES`; shares are NULL where ``n`` is 0.
    """
    parts = []
    if _exists(con, "raw", "events"):
        sql = _CAMEO.format(period=_period_sql(period), f_period=_period_sql(period, "f."))
        with _bounded(con):
            parts.append(con.execute(sql, {"gov": GOVERNMENT, "defy": CAMEO_DEFIANCE,
                                           "protest": CAMEO_PROTEST,
                                           "attention": CAMEO_ATTENTION}).pl())
    if _exists(con, "raw", "weis_events"):
        parts.append(con.execute(_WEIS.format(period=_period_sql(period)),
                                 {"defy": list(weis.DEFIANCE_CUES),
                                  "attention": list(weis.ATTENTION_CUES)}).pl())
    schema = {"dataset": pl.Utf8, "source_ccode": pl.Int32, "target_ccode": pl.Int32,
              "period": pl.Int32 if period == "year" else pl.Date}
    if not parts:
        counts = {"n", "n_all", "defy_count", "protest_count", "attention_count"}
        return pl.DataFrame(schema={**schema, **{m: pl.Int64 if m in counts else pl.Float64
                                                 for m in MEASURES}}).rename({"period": period})
    share = (lambda num, den: pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)))
    counts = ("n", "n_all", "defy_count", "protest_count", "attention_count", "conflict_count")
    return (
        pl.concat([p.with_columns(pl.col(counts).cast(pl.Int64)) for p in parts],
                  how="vertical_relaxed")
        .with_columns(pl.col(k).cast(v) for k, v in schema.items())
        .with_columns(share("defy_count", "n").alias("defy_share"),
                      share("conflict_count", "n").alias("conflict_share"),
                      pl.when(pl.col("n") > 0).then(pl.col("goldstein_mean"))
                      .alias("goldstein_mean"))
        .select("source_ccode", "target_ccode", pl.col("period").alias(period), "dataset",
                *MEASURES)
        .sort("dataset", "source_ccode", "target_ccode", period)
    )


def event_coverage(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Months each event dataset covers (see module docstring).

    Returns ``dataset, year, month`` (Date, first day), ``days_with_events`` (from non-sample
    files), ``days``, ``covered`` (Boolean) and ``year_covered`` (all twelve months covered).
    """
    with _bounded(con):
        parts = [con.execute(sql).pl() for table, sql in (("events", _DAYS),
                                                          ("weis_events", _WEIS_DAYS))
                 if _exists(con, "raw", table)]
    if not parts:
        return pl.DataFrame(schema={"dataset": pl.Utf8, "year": pl.Int32, "month": pl.Date,
                                    "days_with_events": pl.UInt32, "days": pl.Int32,
                                    "covered": pl.Boolean, "year_covered": pl.Boolean})
    days = pl.concat(parts, how="vertical_relaxed")
    counts = (days.with_columns(pl.col("event_date").dt.truncate("1mo").alias("month"))
              .group_by("dataset", "month")
              .agg(pl.col("event_date").filter(~pl.col("sample_only")).n_unique()
                   .alias("days_with_events")))
    # Every month between a dataset's first and last event, so a month without events is a row.
    calendar = (counts.group_by("dataset")
                .agg(pl.date_ranges(pl.col("month").min(), pl.col("month").max(), "1mo")
                     .first().alias("month"))
                .explode("month"))
    return (
        calendar.join(counts, on=["dataset", "month"], how="left")
        .with_columns(pl.col("days_with_events").fill_null(0),
                      pl.col("month").dt.year().cast(pl.Int32).alias("year"),
                      pl.col("month").dt.month_end().dt.day().cast(pl.Int32).alias("days"))
        .with_columns(
            pl.when(pl.col("dataset").is_in(COMPILED))
            .then(pl.lit(True))
            .otherwise(pl.col("days_with_events") >= COVERED_DAY_SHARE * pl.col("days"))
            .alias("covered"))
        .with_columns((pl.col("covered").sum().over("dataset", "year") == 12)
                      .alias("year_covered"))
        .select("dataset", "year", "month", "days_with_events", "days", "covered",
                "year_covered")
        .sort("dataset", "month")
    )


def copdab_yearly(copdab_monthly: pl.LazyFrame) -> pl.LazyFrame:
    """Yearly COPDAB net cooperation per directed series (actor → target), 1948-1978.

    Returns ``actor, target, year, copdab_net_coop`` (mean monthly index),
    ``copdab_conflict_months`` (months with net_coop < 0) and ``copdab_months`` (non-NULL
    months). The index is not comparable with Goldstein sums (METHODS §5.2).

    References
    ----------
    Azar (1980), *JCR* 24(1): 143-152; Lebo & Moore (2003), doi:10.1177/0022002702239509.
    """
    return (
        copdab_monthly
        .with_columns(pl.col("month").dt.year().cast(pl.Int32).alias("year"))
        .group_by("actor", "target", "year")
        .agg(
            pl.col("net_coop").mean().alias("copdab_net_coop"),
            (pl.col("net_coop") < 0).sum().cast(pl.Int32).alias("copdab_conflict_months"),
            pl.col("net_coop").count().cast(pl.Int32).alias("copdab_months"),
        )
        .sort("actor", "target", "year")
    )
