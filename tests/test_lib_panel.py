"""The junior→senior alliance panel, shared threat, lags and case series (METHODS §4, §6, §7)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from pipeline.lib.defiance import copdab_yearly, event_dyad_year
from pipeline.lib.panel import alliance_dyads, build_alliance_panel, case_series, shared_threat
from pipeline.lib.sources.alliances import parse_cow_alliances
from pipeline.lib.sources.copdab import parse_copdab_monthly
from pipeline.lib.sources.cow_nmc import parse_nmc
from pipeline.lib.sources.netify import parse_icews_dyadyear
from pipeline.lib.sources.peacesciencer import parse_mids

TOL = 1e-9
US_FRANCE_YEARS = [*range(1921, 1932), *range(1949, 2013)]


@pytest.fixture(scope="module")
def sources(raw) -> dict[str, pl.LazyFrame]:
    """Real COW alliances, NMC, MIDs, COPDAB and netify ICEWS counts, parsed once."""
    ps = raw / "peacesciencer"
    return {
        "alliances": parse_cow_alliances(ps / "cow_alliance.csv.gz").frame.lazy(),
        "nmc": parse_nmc(raw / "cow_nmc" / "NMC-60-abridged.csv.gz").frame.lazy(),
        "mids": parse_mids(ps / "cow_mid_dirdisps.csv.gz").frame.lazy(),
        "copdab": parse_copdab_monthly(
            raw / "copdab_lebo_moore" / "exCopdab.csv.gz").frame.lazy(),
        "netify": parse_icews_dyadyear(
            raw / "icews_dyadyear_netify" / "icews_dyadyear_counts.csv.gz").frame.lazy(),
    }


@pytest.fixture(scope="module")
def dyads(sources) -> pl.DataFrame:
    """Asymmetric junior→senior dyad-years with k = 2."""
    return alliance_dyads(sources["alliances"], sources["nmc"], k=2.0).collect()


def _state_year(nmc: pl.LazyFrame) -> pl.LazyFrame:
    """A stand-in status table: si_test = 1000 × CINC, missing for the ROK in 1970."""
    return (nmc.select("ccode", "year", (pl.col("cinc") * 1000).alias("si_test"))
            .filter(~((pl.col("ccode") == 732) & (pl.col("year") == 1970))))


COHESION = pl.LazyFrame({"ccode_a": [2, 732, 2], "ccode_b": [732, 2, 220],
                         "year": [1993, 2005, 1962], "agree": [0.6, 0.219, 0.717],
                         "oppose_share": [0.3, 0.7, 0.2], "oppose_share_imp": [0.25, 3 / 7, None]})
EVENTS_DY = pl.LazyFrame({
    "source_ccode": [732, 732, 999], "target_ccode": [2, 2, 998], "year": [2003, 2003, 2004],
    "dataset": ["icews", "gdelt1", "icews"], "n": [20, 40, 5], "goldstein_sum": [-3.0, 1.0, 0.0],
    "goldstein_mean": [-0.15, 0.025, 0.0], "coop": [10.0, 20.0, 0.0],
    "conf": [13.0, 19.0, 0.0], "conflict_share": [0.5, 0.25, 0.0], "defy_count": [6, 4, 0],
    "defy_share": [0.3, 0.1, 0.0], "defy_weight": [20.0, 12.0, 0.0], "protest_count": [1, 0, 0],
}).with_columns(pl.col("source_ccode", "target_ccode", "year").cast(pl.Int32),
                pl.col("n", "defy_count", "protest_count").cast(pl.Int64))


@pytest.fixture(scope="module")
def panel(sources, dyads) -> pl.DataFrame:
    """The full panel on real inputs with stand-in status, cohesion and event tables."""
    return build_alliance_panel(
        dyads.lazy(), _state_year(sources["nmc"]), COHESION, EVENTS_DY,
        copdab_yearly(sources["copdab"]), sources["mids"], ["si_test"],
        netify=sources["netify"]).collect()


def _dyad(frame: pl.DataFrame, junior: int, senior: int = 2) -> pl.DataFrame:
    return frame.filter(pl.col("junior") == junior, pl.col("senior") == senior).sort("year")


def _at(frame: pl.DataFrame, junior: int, year: int, col: str):
    return _dyad(frame, junior).filter(pl.col("year") == year)[col].item()


# ----------------------------------------------------------------------------- dyads


def test_us_rok_is_in_the_k2_panel_every_year_1953_2012(dyads):
    """ROK (732) is junior to the USA (2) in each year 1953-2012, defense (level 3)."""
    rok = _dyad(dyads, 732)
    assert rok["year"].to_list() == list(range(1953, 2013))
    assert rok["alliance_level"].unique().to_list() == [3]
    assert _dyad(dyads, 2, 732).height == 0


def test_us_france_years_are_every_cow_alliance_year(dyads):
    """France (220) junior to the USA in 1921-31 (entente, level 1) and 1949-2012 (defense)."""
    fr = _dyad(dyads, 220)
    assert fr["year"].to_list() == US_FRANCE_YEARS
    levels = dict(zip(fr["year"], fr["alliance_level"]))
    assert {levels[y] for y in range(1921, 1932)} == {1}
    assert {levels[y] for y in range(1949, 2013)} == {3}


def test_case_ratios_match_methods_section_4(dyads):
    """US/France 6.56-8.15 in 1958-69; US/ROK 6.29-6.65 in 1993-94 and 6.35-6.67 in 2002-06."""
    def span(junior: int, a: int, b: int) -> tuple[float, float]:
        r = _dyad(dyads, junior).filter(pl.col("year").is_between(a, b))["cinc_ratio"]
        return r.min(), r.max()
    assert span(220, 1958, 1969) == pytest.approx((6.56, 8.15), abs=0.005)
    assert span(732, 1993, 1994) == pytest.approx((6.29, 6.65), abs=0.005)
    assert span(732, 2002, 2006) == pytest.approx((6.35, 6.67), abs=0.005)


def test_ratio_is_senior_over_junior_and_junior_is_strictly_weaker(dyads):
    """cinc_ratio = cinc_senior / cinc_junior ≥ 2 on every row; no ties or reversed rows."""
    assert dyads.filter(pl.col("cinc_junior") >= pl.col("cinc_senior")).height == 0
    diff = (dyads["cinc_ratio"] - dyads["cinc_senior"] / dyads["cinc_junior"]).abs().max()
    assert diff < TOL and dyads["cinc_ratio"].min() >= 2.0 and dyads["asymmetric"].all()
    assert dyads.select(pl.struct("junior", "senior", "year").is_duplicated().any()).item() is False


def test_stricter_k_is_a_filter_on_the_stored_ratio(sources, dyads):
    """k = 3 yields exactly the k = 2 rows with cinc_ratio ≥ 3; all rows keep ratio < 2 too."""
    k3 = alliance_dyads(sources["alliances"], sources["nmc"], k=3.0).collect()
    assert k3.height == dyads.filter(pl.col("cinc_ratio") >= 3).height > 0
    every = alliance_dyads(sources["alliances"], sources["nmc"], asymmetric_only=False).collect()
    assert every.height > dyads.height
    assert every.filter(~pl.col("asymmetric"))["cinc_ratio"].max() < 2.0


# ----------------------------------------------------------------------------- panel


def test_lag_equals_previous_year_and_is_null_first_and_after_gap(panel):
    """cinc_ratio_l1(t) = cinc_ratio(t−1); NULL in 1953 (ROK), 1921 and 1949 (France)."""
    rok, fr = _dyad(panel, 732), _dyad(panel, 220)
    assert rok["cinc_ratio_l1"][1:].to_list() == rok["cinc_ratio"][:-1].to_list()
    assert rok["cinc_ratio_l1"][0] is None
    lag = dict(zip(fr["year"], fr["cinc_ratio_l1"]))
    assert lag[1921] is None and lag[1949] is None
    assert lag[1950] == pytest.approx(_at(panel, 220, 1949, "cinc_ratio"), abs=TOL)


def test_status_lag_is_null_around_a_missing_status_year(panel):
    """si_test is NULL for the ROK in 1970, so si_test_l1 is NULL in 1971 and set in 1972."""
    assert _at(panel, 732, 1970, "si_test") is None and _at(panel, 732, 1971, "si_test_l1") is None
    assert _at(panel, 732, 1972, "si_test_l1") == pytest.approx(
        _at(panel, 732, 1971, "si_test"), abs=TOL)


def test_cohesion_joins_on_the_unordered_pair_and_is_null_elsewhere(panel):
    """(2, 732) and (732, 2) rows both reach ROK→USA; other years are NULL with cov_un False."""
    assert _at(panel, 732, 1993, "un_agree") == pytest.approx(0.6, abs=TOL)
    assert _at(panel, 732, 2005, "un_oppose_share_imp") == pytest.approx(3 / 7, abs=TOL)
    assert _at(panel, 220, 1962, "un_agree") == pytest.approx(0.717, abs=TOL)
    assert _at(panel, 732, 1994, "un_agree") is None and not _at(panel, 732, 1994, "cov_un")
    assert panel["cov_un"].sum() == 3


def test_events_per_dataset_are_zero_in_coverage_and_null_outside(panel):
    """ICEWS and GDELT ROK→USA 2003 differ; 2004 ICEWS counts are 0 (covered), 2002 NULL."""
    assert (_at(panel, 732, 2003, "icews_defy_share"),
            _at(panel, 732, 2003, "gdelt1_defy_share")) == pytest.approx((0.3, 0.1), abs=TOL)
    assert (_at(panel, 732, 2004, "icews_defy_count"), _at(panel, 732, 2004, "icews_n")) == (0, 0)
    assert _at(panel, 732, 2004, "icews_defy_share") is None
    assert _at(panel, 732, 2004, "cov_icews") and not _at(panel, 732, 2004, "cov_gdelt1")
    assert _at(panel, 732, 2004, "gdelt1_defy_count") is None
    assert _at(panel, 732, 2002, "icews_defy_count") is None
    assert not _at(panel, 732, 2002, "cov_icews")


def test_netify_counts_match_methods_and_are_null_before_2002(panel):
    """ROK→USA verbConf 259 (2002), 403 (2006), verbCoop 2,809; France→USA verbConf 689 (2003)."""
    assert (_at(panel, 732, 2002, "netify_verbConf"), _at(panel, 732, 2006, "netify_verbConf"),
            _at(panel, 732, 2002, "netify_verbCoop"), _at(panel, 220, 2003, "netify_verbConf")
            ) == (259, 403, 2809, 689)
    assert _at(panel, 732, 2001, "netify_verbConf") is None
    assert not _at(panel, 732, 2001, "cov_netify") and _at(panel, 732, 2002, "cov_netify")
    share = _at(panel, 732, 2002, "netify_conflict_share")
    n = _at(panel, 732, 2002, "netify_n")
    assert share == pytest.approx((259 + _at(panel, 732, 2002, "netify_matlConf")) / n, abs=TOL)


def test_copdab_is_the_yearly_mean_1948_1978_and_null_elsewhere(panel):
    """France→USA mean 11.11 (1961), −6.46 (1965), 7.25 (1969); NULL 1979 and for the ROK."""
    got = [_at(panel, 220, y, "copdab_net_coop") for y in (1961, 1965, 1969)]
    assert got == pytest.approx([11.11, -6.46, 7.25], abs=0.005)
    assert _at(panel, 220, 1979, "copdab_net_coop") is None
    assert not _at(panel, 220, 1979, "cov_copdab") and _at(panel, 220, 1961, "cov_copdab")
    assert _dyad(panel, 732)["copdab_net_coop"].null_count() == 60
    assert _dyad(panel, 220)["cov_copdab"].sum() == 1978 - 1949 + 1


def test_us_rok_shared_adversary_in_korean_war_years(panel):
    """ROK and USA share a MID adversary in 1953 (North Korea/China); the flag is 0/1."""
    assert _at(panel, 732, 1953, "shared_mid_adversary") == 1
    assert _at(panel, 732, 1953, "n_shared_adversaries") >= 1
    assert set(panel["shared_mid_adversary"].unique().to_list()) <= {0, 1}


# ----------------------------------------------------------------------------- shared threat


def _mids(rows: list[tuple]) -> pl.LazyFrame:
    return pl.LazyFrame(rows, schema=["dispnum", "ccode1", "ccode2", "year", "sidea1"],
                        orient="row").with_columns(
        pl.col("dispnum", "ccode1", "ccode2", "year").cast(pl.Int32),
        pl.col("sidea1").cast(pl.Int8))


def test_shared_threat_on_constructed_disputes():
    """Same adversary (same or other dispute) counts; opposite sides, one-sided, after 2014 not."""
    mids = _mids([
        (1, 732, 731, 1951, 1), (1, 2, 731, 1951, 1), (1, 2, 710, 1951, 1),
        (1, 732, 710, 1951, 1),                       # 1951: 731 and 710 shared
        (2, 732, 731, 1960, 1),                       # 1960: ROK alone
        (3, 732, 731, 1970, 0), (4, 2, 731, 1970, 1),  # 1970: two disputes, same adversary
        (5, 732, 700, 1980, 1), (5, 2, 700, 1980, 0),  # 1980: same dispute, opposite sides
        (6, 732, 731, 2020, 1), (6, 2, 731, 2020, 1),  # 2020: outside MID coverage
    ])
    panel = pl.LazyFrame({"junior": [732] * 6, "senior": [2] * 6,
                          "year": [1951, 1960, 1970, 1980, 1990, 2020]},
                         schema={"junior": pl.Int32, "senior": pl.Int32, "year": pl.Int32})
    out = shared_threat(mids, panel).collect().sort("year")
    assert out["n_shared_adversaries"].to_list() == [2, 0, 1, 0, 0, None]
    assert out["shared_mid_adversary"].to_list() == [1, 0, 1, 0, 0, None]


# ----------------------------------------------------------------------------- case series


def test_case_series_rows_windows_and_copdab_months(sources, panel):
    """31 US–ROK and 26 US–France years; 312 COPDAB months for France; window flags exact."""
    events = pl.LazyFrame({
        "source_ccode": [732] * 4, "target_ccode": [2] * 4, "event_date": [date(1994, 3, 1)] * 4,
        "cameo_code": ["111", "111", "1211", "010"], "quad_class": [3, 3, 3, 1],
        "goldstein": [-2.0, -2.0, -4.0, 0.0], "dataset": ["icews"] * 4,
    }, schema_overrides={"source_ccode": pl.Int32, "target_ccode": pl.Int32,
                         "quad_class": pl.Int8})
    events_monthly = event_dyad_year(events, "month")
    out = case_series(panel.lazy(), events_monthly, sources["copdab"]).collect()
    counts = {f"{c}:{p}": n for c, p, n in out.group_by("case", "period").len().rows()}
    assert counts == {"us_rok:year": 31, "us_france:year": 26, "us_france:month": 312,
                      "us_rok:month": 1}
    years = out.filter(pl.col("period") == "year")
    assert years.filter("crisis_1993_94")["year"].to_list() == [1993, 1994]
    assert years.filter("crisis_2002_06").height == 5
    assert years.filter("crisis_1958_69").height == 12
    assert years.filter("nato_exit_1966")["case"].to_list() == ["us_france"]
    assert years.filter(pl.col("case") == "us_rok", pl.col("year") >= 2013)["cinc_ratio"
                                                                         ].null_count() == 3
    fr = out.filter(pl.col("period") == "month", pl.col("case") == "us_france")
    assert fr.filter(pl.col("year") == 1961)["copdab_net_coop"].mean() == pytest.approx(
        11.11, abs=0.005)
    assert fr["copdab_net_coop_pj"].null_count() == 0 and fr["cov_copdab"].all()
    rok = out.filter(pl.col("period") == "month", pl.col("case") == "us_rok")
    assert rok.select("month", "icews_defy_count", "icews_defy_share").rows() == [
        (date(1994, 3, 1), 3, 0.75)]
    assert rok["crisis_1993_94"].to_list() == [True]
