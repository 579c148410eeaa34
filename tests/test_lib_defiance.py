"""Defiance codes and event aggregates per directed dyad and period (METHODS §5.2, §6.1)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from pipeline.lib.defiance import copdab_yearly, event_dyad_year, is_defiance, is_protest
from pipeline.lib.sources.cameo import parse_cameo_codes
from pipeline.lib.sources.events import parse_event_file

TOL = 1e-9
DEFIANT = ["111", "112", "1121", "1125", "12", "120", "121", "1211", "1246", "129", "13", "130",
           "1385", "139", "14", "140", "1454", "16", "160", "163", "1663"]
NOT_DEFIANT = ["010", "0110", "011", "01", "11", "110", "113", "116", "100", "1044", "15",
               "150", "17", "173", "186", "20", "204", "036", "051"]


def _events(rows: list[tuple]) -> pl.LazyFrame:
    """Unified-event rows from (source, target, date, code, quad, goldstein, dataset, sectors)."""
    cols = ["source_ccode", "target_ccode", "event_date", "cameo_code", "quad_class", "goldstein",
            "dataset", "source_sectors", "target_sectors"]
    return pl.LazyFrame(rows, schema=cols, orient="row").with_columns(
        pl.col("source_ccode", "target_ccode").cast(pl.Int32),
        pl.col("quad_class").cast(pl.Int8),
        pl.col("event_date").dt.year().cast(pl.Int16).alias("year"))


GOV = "Government,Executive"
CONSTRUCTED = _events([
    (732, 2, date(1994, 3, 1), "010", 1, 0.0, "icews", GOV, GOV),
    (732, 2, date(1994, 3, 1), "111", 3, -2.0, "icews", GOV, GOV),
    (732, 2, date(1994, 3, 1), "111", 3, -2.0, "icews", GOV, GOV),   # same day and code
    (732, 2, date(1994, 3, 9), "1211", 3, -4.0, "icews", "Military", GOV),
    (732, 2, date(1994, 4, 2), "141", 4, -6.5, "icews", None, GOV),
    (732, 2, date(1994, 4, 2), "057", 2, 8.0, "icews", GOV, GOV),
    (732, 2, date(1994, 4, 3), "110", 3, -2.0, "icews", GOV, GOV),
    (732, 2, date(1994, 3, 1), "111", 3, -2.0, "gdelt1", "GOV", "GOV"),
    (2, 732, date(1994, 3, 1), "036", 1, 4.0, "icews", GOV, GOV),
    (None, 2, date(1994, 3, 1), "111", 3, -2.0, "icews", GOV, GOV),
])


def test_defiance_codes_match_111_112_and_roots_12_13_14_16_with_sub_codes():
    """Listed defiance codes are True; 010, 110, 113, 10x, 15x, 17x-20x and NULL are False."""
    codes = pl.Series("c", [*DEFIANT, *NOT_DEFIANT, None], dtype=pl.Utf8)
    got = pl.select(is_defiance(pl.lit(codes))).to_series().to_list()
    assert got == [True] * len(DEFIANT) + [False] * (len(NOT_DEFIANT) + 1)


def test_protest_codes_are_only_root_14():
    """``is_protest`` is True for 14, 140-145 and 1411-1454 only."""
    codes = pl.Series("c", ["14", "141", "1454", "0140", "114", "164", "1311"], dtype=pl.Utf8)
    assert pl.select(is_protest(pl.lit(codes))).to_series().to_list() == [
        True, True, True, False, False, False, False]


def test_constructed_dyad_year_counts_and_shares_are_exact():
    """ROK→USA 1994 ICEWS: n 7, 4 defiant (111×2, 1211, 141), 1 protest; sums exact."""
    out = event_dyad_year(CONSTRUCTED).collect()
    row = out.filter(pl.col("source_ccode") == 732, pl.col("dataset") == "icews").row(0, named=True)
    assert (row["n"], row["q1"], row["q2"], row["q3"], row["q4"]) == (7, 1, 1, 4, 1)
    assert (row["defy_count"], row["protest_count"]) == (4, 1)
    assert row["defy_share"] == pytest.approx(4 / 7, abs=TOL)
    assert row["defy_weight"] == pytest.approx(2 + 2 + 4 + 6.5, abs=TOL)
    assert row["goldstein_sum"] == pytest.approx(-8.5, abs=TOL)
    assert row["goldstein_mean"] == pytest.approx(-8.5 / 7, abs=TOL)
    assert (row["coop"], row["conf"]) == pytest.approx((8.0, 16.5), abs=TOL)
    assert row["conflict_share"] == pytest.approx(5 / 7, abs=TOL)


def test_datasets_are_never_pooled_and_null_ccodes_are_dropped():
    """The GDELT event is its own row; the event without a source ccode is not counted."""
    out = event_dyad_year(CONSTRUCTED).collect()
    assert out.select("source_ccode", "target_ccode", "dataset", "n").sort(pl.all()).rows() == [
        (2, 732, "icews", 1), (732, 2, "gdelt1", 1), (732, 2, "icews", 7)]


def test_month_period_splits_march_and_april():
    """Monthly aggregation gives ROK→USA ICEWS 4 events in March and 3 in April 1994."""
    out = (event_dyad_year(CONSTRUCTED, "month").collect()
           .filter(pl.col("source_ccode") == 732, pl.col("dataset") == "icews"))
    assert out.select("month", "n", "defy_count").rows() == [
        (date(1994, 3, 1), 4, 3), (date(1994, 4, 1), 3, 1)]


def test_dedupe_keeps_one_event_per_dyad_code_and_day():
    """With dedupe the repeated 111 on 1 March counts once: n 6, defy_count 3."""
    out = event_dyad_year(CONSTRUCTED, dedupe=True).collect()
    row = out.filter(pl.col("source_ccode") == 732, pl.col("dataset") == "icews").row(0, named=True)
    assert (row["n"], row["defy_count"]) == (6, 3)


def test_government_filter_needs_government_or_executive_on_both_sides():
    """The Military-source and NULL-sector events drop: ROK→USA ICEWS n 5; GDELT GOV stays."""
    out = event_dyad_year(CONSTRUCTED, government_only=True).collect()
    got = dict(zip(out["dataset"] + ":" + out["source_ccode"].cast(pl.Utf8), out["n"]))
    assert got == {"icews:732": 5, "gdelt1:732": 1, "icews:2": 1}


def test_unknown_period_is_rejected():
    """A period other than year or month raises ValueError."""
    with pytest.raises(ValueError, match="period"):
        event_dyad_year(CONSTRUCTED, "week")


def test_copdab_yearly_means_and_conflict_months():
    """Yearly mean of the monthly index and the number of negative months."""
    monthly = pl.LazyFrame({
        "month": [date(1961, m, 1) for m in (1, 2, 3)] + [date(1962, 1, 1)],
        "series": ["fra2us"] * 4, "actor": [220] * 4, "target": [2] * 4,
        "net_coop": [10.0, -4.0, None, 3.0]})
    out = copdab_yearly(monthly).collect()
    assert out.select("year", "copdab_conflict_months", "copdab_months").rows() == [
        (1961, 1, 2), (1962, 0, 1)]
    assert out["copdab_net_coop"].to_list() == pytest.approx([3.0, 3.0], abs=TOL)


# ----------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def sample_events(raw) -> pl.DataFrame:
    """The real ICEWS 2018 sample in the unified event layout."""
    cameo = parse_cameo_codes(raw / "icews_sample" / "cameo-codes.csv").frame
    return parse_event_file(raw / "icews_sample" / "events.2018.sample.tab.gz", cameo).frame


def _n(frame: pl.DataFrame, source: int, target: int, col: str = "n") -> int:
    return frame.filter(pl.col("source_ccode") == source,
                        pl.col("target_ccode") == target)[col].item()


def test_icews_sample_dyad_counts_match_methods(sample_events):
    """USA→ROK 9, ROK→USA 10, France→USA 7 events in 2018 (METHODS §9)."""
    out = event_dyad_year(sample_events.lazy()).collect()
    assert (_n(out, 2, 732), _n(out, 732, 2), _n(out, 220, 2)) == (9, 10, 7)
    assert out["year"].unique().to_list() == [2018]


def test_icews_sample_defiance_total_matches_an_independent_code_count(sample_events):
    """352 defiant and 42 protest events among rows with both ccodes, counted by prefix."""
    both = sample_events.filter(pl.col("source_ccode").is_not_null(),
                                pl.col("target_ccode").is_not_null())
    codes = both["cameo_code"].to_list()
    by_prefix = sum(c[:3] in ("111", "112") or c[:2] in ("12", "13", "14", "16") for c in codes)
    out = event_dyad_year(sample_events.lazy()).collect()
    assert out["defy_count"].sum() == by_prefix == 352
    assert out["protest_count"].sum() == sum(c[:2] == "14" for c in codes) == 42
    assert out["n"].sum() == both.height


def test_icews_sample_filters_on_case_dyads(sample_events):
    """Government filter: ROK→USA 6 and USA→ROK 6; dedupe: ROK→USA 6 and USA→ROK 5."""
    gov = event_dyad_year(sample_events.lazy(), government_only=True).collect()
    dd = event_dyad_year(sample_events.lazy(), dedupe=True).collect()
    assert (_n(gov, 732, 2), _n(gov, 2, 732), _n(dd, 732, 2), _n(dd, 2, 732)) == (6, 6, 6, 5)
