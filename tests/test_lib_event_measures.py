"""Event aggregates and coverage computed by DuckDB (METHODS §5.2, §6.1, §6.5)."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl
import pytest

from pipeline.lib.events import parse_event_file
from pipeline.lib.ingest.sources.cameo import parse_cameo_codes
from pipeline.lib.measures import event_measures as em

TOL = 1e-9
DEFIANT = ["111", "112", "1121", "1125", "12", "120", "121", "1211", "1246", "129", "13", "130",
           "1385", "139", "16", "160", "163", "1663"]
NOT_DEFIANT = ["010", "0110", "011", "01", "11", "110", "113", "116", "100", "1044", "15",
               "150", "17", "173", "186", "20", "204", "036", "051", "14", "140", "1454"]
GOV = "Government,Executive"
COLS = ["source_ccode", "target_ccode", "event_date", "cameo_code", "quad_class", "goldstein",
        "dataset", "source_sectors", "target_sectors", "is_root_event", "source_file"]


def _con(rows: list[tuple], weis: pl.DataFrame | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse whose raw.events holds ``rows`` (and raw.weis_events)."""
    events = pl.DataFrame(rows, schema=COLS, orient="row").with_columns(
        pl.col("source_ccode", "target_ccode").cast(pl.Int32), pl.col("quad_class").cast(pl.Int8),
        pl.col("goldstein").cast(pl.Float64), pl.col("is_root_event").cast(pl.Boolean))
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.register("ev", events)
    con.execute("CREATE TABLE raw.events AS SELECT * FROM ev")
    if weis is not None:
        con.register("w", weis)
        con.execute("CREATE TABLE raw.weis_events AS SELECT * FROM w")
    return con


F = "events.1994.tab"
CONSTRUCTED = [
    (732, 2, date(1994, 3, 1), "010", 1, 0.0, "icews", GOV, GOV, None, F),
    (732, 2, date(1994, 3, 1), "111", 3, -2.0, "icews", GOV, GOV, None, F),
    (732, 2, date(1994, 3, 1), "111", 3, -2.0, "icews", GOV, GOV, None, F),  # same day, code
    (732, 2, date(1994, 3, 9), "1211", 3, -4.0, "icews", "Military", GOV, None, F),
    (732, 2, date(1994, 4, 2), "141", 4, -6.5, "icews", None, GOV, None, F),
    (732, 2, date(1994, 4, 2), "057", 2, 8.0, "icews", GOV, GOV, None, F),
    (732, 2, date(1994, 4, 3), "110", 3, -2.0, "icews", GOV, GOV, None, F),
    (732, 2, date(1994, 3, 1), "111", 3, -2.0, "gdelt1", "GOV", "GOV", True, "x.zip"),
    (732, 2, date(1994, 3, 2), "112", 3, -2.0, "gdelt1", "GOV", "GOV", False, "x.zip"),
    (2, 732, date(1994, 3, 1), "036", 1, 4.0, "icews", GOV, GOV, None, F),
    (None, 2, date(1994, 3, 1), "111", 3, -2.0, "icews", GOV, GOV, None, F),
]


def _codes(pattern: str, codes: list[str]) -> list[bool]:
    return duckdb.execute("SELECT list_transform(?, c -> regexp_matches(c, ?))",
                          [codes, pattern]).fetchone()[0]


def test_defiance_is_111_112_and_roots_12_13_16_and_excludes_protests():
    """Defiance codes match; 010, 110, 113, 10x, 14x protests, 15x, 17x-20x do not."""
    assert _codes(em.CAMEO_DEFIANCE, DEFIANT) == [True] * len(DEFIANT)
    assert _codes(em.CAMEO_DEFIANCE, NOT_DEFIANT) == [False] * len(NOT_DEFIANT)
    assert _codes(em.CAMEO_PROTEST, ["14", "141", "1454", "0140", "114"]) == [
        True, True, True, False, False]
    assert _codes(em.CAMEO_ATTENTION, ["040", "046", "036", "051", "057", "050", "043"]) == [
        True, True, True, True, True, False, True]


def test_filters_keep_government_root_events_once_per_code_and_day():
    """ROK→USA ICEWS: 7 events before the filters, 4 after (dup, Military, NULL sector out)."""
    out = em.event_aggregates(_con(CONSTRUCTED))
    row = out.filter(source_ccode=732, dataset="icews").row(0, named=True)
    assert (row["n_all"], row["n"], row["defy_count"], row["protest_count"],
            row["attention_count"]) == (7, 4, 1, 0, 1)
    assert row["defy_share"] == pytest.approx(1 / 4, abs=TOL)
    assert (row["goldstein_sum"], row["coop"], row["conf"]) == pytest.approx((4.0, 8.0, 4.0))
    assert row["conflict_share"] == pytest.approx(2 / 4, abs=TOL)
    gdelt = out.filter(source_ccode=732, dataset="gdelt1").row(0, named=True)
    assert (gdelt["n_all"], gdelt["n"], gdelt["defy_count"]) == (2, 1, 1)  # non-root dropped


def test_datasets_are_never_pooled_and_null_ccodes_are_dropped():
    """One row per dataset; the event without a source ccode is not counted anywhere."""
    out = em.event_aggregates(_con(CONSTRUCTED))
    assert out.select("source_ccode", "target_ccode", "dataset", "n").sort(pl.all()).rows() == [
        (2, 732, "icews", 1), (732, 2, "gdelt1", 1), (732, 2, "icews", 4)]


def test_month_period_splits_march_and_april():
    """ROK→USA ICEWS: March 2 of 4 events kept, April 2 of 3."""
    out = em.event_aggregates(_con(CONSTRUCTED), "month").filter(source_ccode=732,
                                                                 dataset="icews")
    assert out.select("month", "n", "n_all").rows() == [(date(1994, 3, 1), 2, 4),
                                                       (date(1994, 4, 1), 2, 3)]


def test_unknown_period_is_rejected():
    """A period other than year or month raises ValueError."""
    with pytest.raises(ValueError, match="period"):
        em.event_aggregates(_con(CONSTRUCTED), "week")


def test_weis_rows_use_the_weis_cues_and_stay_a_separate_dataset():
    """WEIS 121 accuse and 031 consult: defiance 1, attention 1; protests NULL for WEIS."""
    weis = pl.DataFrame({"source_ccode": [220, 220, 2], "target_ccode": [2, 2, 220],
                         "event_date": [date(1966, 3, 7)] * 3, "weis_code": ["121", "031", "031"],
                         "cue": ["12", "03", "03"], "goldstein": [-4.4, 1.0, 1.0]},
                        schema_overrides={"source_ccode": pl.Int32, "target_ccode": pl.Int32})
    out = em.event_aggregates(_con(CONSTRUCTED, weis)).filter(dataset="weis", source_ccode=220)
    row = out.row(0, named=True)
    assert (row["year"], row["n"], row["defy_count"], row["attention_count"]) == (1966, 2, 1, 1)
    assert row["protest_count"] is None and row["defy_weight"] == pytest.approx(4.4)


def test_coverage_needs_non_sample_events_on_nine_tenths_of_the_days():
    """A sample file never covers; 28 of 31 days covers a month, 27 does not."""
    march = [(732, 2, date(1994, 3, d), "010", 1, 0.0, "icews", GOV, GOV, None, F)
             for d in range(1, 29)]
    april = [(732, 2, date(1994, 4, d), "010", 1, 0.0, "icews", GOV, GOV, None, F)
             for d in range(1, 27)]
    sample = [(732, 2, date(2016, 3, d), "010", 1, 0.0, "gdelt1", GOV, GOV, True,
               "gdelt1_events_20160312.sample.tsv") for d in range(1, 32)]
    cov = em.event_coverage(_con(march + april + sample))
    got = {(r["dataset"], r["month"].month): r["covered"] for r in cov.to_dicts()}
    assert got == {("icews", 3): True, ("icews", 4): False, ("gdelt1", 3): False}
    assert not cov["year_covered"].any()


# ----------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def sample_con(raw) -> duckdb.DuckDBPyConnection:
    """The real ICEWS 2018 sample as raw.events in an in-memory warehouse."""
    cameo = parse_cameo_codes(raw / "icews_sample" / "cameo-codes.csv").frame
    ev = parse_event_file(raw / "icews_sample" / "events.2018.sample.tab.gz", cameo).frame
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.register("ev", ev)
    con.execute("CREATE TABLE raw.events AS SELECT * FROM ev")
    return con


def test_icews_sample_counts_before_filters_match_methods(sample_con):
    """Before the filters: USA→ROK 9, ROK→USA 10, France→USA 7 (METHODS §9)."""
    out = em.event_aggregates(sample_con)
    n_all = {(r["source_ccode"], r["target_ccode"]): r["n_all"] for r in out.to_dicts()}
    assert (n_all[2, 732], n_all[732, 2], n_all[220, 2]) == (9, 10, 7)


def test_icews_sample_filtered_counts_match_an_independent_count(sample_con):
    """After the filters, totals equal a Python count over government, deduplicated rows."""
    ev = sample_con.execute("SELECT * FROM raw.events").pl().filter(
        pl.col("source_ccode").is_not_null(), pl.col("target_ccode").is_not_null(),
        pl.col("source_ccode") != pl.col("target_ccode"))
    gov = ev.filter(pl.col("source_sectors").str.contains(em.GOVERNMENT).fill_null(False),
                    pl.col("target_sectors").str.contains(em.GOVERNMENT).fill_null(False))
    kept = gov.unique(["dataset", "source_ccode", "target_ccode", "cameo_code", "event_date"])
    codes = kept["cameo_code"].to_list()
    out = em.event_aggregates(sample_con)
    assert out["n"].sum() == kept.height and out["n_all"].sum() == ev.height
    assert out["defy_count"].sum() == sum(
        c[:3] in ("111", "112") or c[:2] in ("12", "13", "16") for c in codes)
    assert out["protest_count"].sum() == sum(c[:2] == "14" for c in codes)


def test_icews_sample_never_defines_coverage(sample_con):
    """The two-day sample file covers no month: its zeros must not enter models."""
    assert not em.event_coverage(sample_con)["covered"].any()


def test_weis_covers_every_month_of_its_span_even_without_events():
    """A compiled dataset (WEIS) covers its whole span; a month without events is a row."""
    weis = pl.DataFrame({"source_ccode": [220, 2], "target_ccode": [2, 220],
                         "event_date": [date(1966, 1, 5), date(1967, 12, 20)],
                         "weis_code": ["121", "031"], "cue": ["12", "03"],
                         "goldstein": [-4.4, 1.0]},
                        schema_overrides={"source_ccode": pl.Int32, "target_ccode": pl.Int32})
    cov = em.event_coverage(_con(CONSTRUCTED, weis)).filter(dataset="weis")
    assert cov.height == 24 and cov["covered"].all() and cov["year_covered"].all()
    assert cov.filter(pl.col("month") == date(1966, 6, 1))["days_with_events"].item() == 0
