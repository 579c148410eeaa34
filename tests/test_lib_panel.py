"""Directed dyad-years, the junior→senior panel and the case series, on real COW files for a
subset of states with constructed UN and event inputs (METHODS §4-§7)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from pipeline.lib.ingest.sources import cow
from pipeline.lib.ingest.sources.alliances import parse_cow_alliances
from pipeline.lib.ingest.sources.copdab import parse_copdab_monthly
from pipeline.lib.ingest.sources.cow_dyadic import parse_mids
from pipeline.lib.ingest.sources.cow_nmc import parse_nmc
from pipeline.lib.ingest.sources.netify import parse_icews_dyadyear
from pipeline.lib.measures import allies, cases, dyad_year, panel
from pipeline.lib.measures.cohesion import UN_MEASURES
from pipeline.lib.measures.event_measures import copdab_yearly

TOL = 1e-9
USA, FRANCE, ROK, PRK, JAPAN, UK = 2, 220, 732, 731, 740, 200
STATES = [USA, 20, UK, FRANCE, 255, 260, 365, 710, PRK, ROK, JAPAN, 900]
US_FRANCE_DEFENSE = list(range(1949, 2013))
UN = pl.DataFrame({"ccode_a": [2, 2, 2, 2, 2], "ccode_b": [732, 740, 200, 220, 732],
                   "year": [2005, 2005, 2005, 1962, 1993],
                   "oppose_share": [0.7, 0.5, 0.3, 0.2, 0.6],
                   "oppose_share_imp": [3 / 7, 0.2, 0.1, None, 0.25],
                   "agree_voeten": [0.4, 0.6, 0.7, 0.8, 0.5]}, schema_overrides={
                       "ccode_a": pl.Int32, "ccode_b": pl.Int32, "year": pl.Int32})
UN = UN.with_columns(pl.lit(None, pl.Int32 if c.startswith("n_") else pl.Float64).alias(c)
                     for c in [*UN_MEASURES, *[f"{m}_imp" for m in UN_MEASURES]]
                     if c not in UN.columns)
EVENTS = pl.DataFrame({
    "source_ccode": [732, 732, 2, 2, 2], "target_ccode": [2, 2, 732, 740, 200],
    "year": [2003, 2003, 2003, 2003, 2003], "dataset": ["icews", "gdelt1", "icews", "icews",
                                                       "icews"],
    "n": [20, 40, 10, 30, 20], "n_all": [30, 50, 12, 31, 25], "defy_count": [6, 4, 0, 0, 0],
    "defy_share": [0.3, 0.1, 0.0, 0.0, 0.0], "protest_count": [1, 0, 0, 0, 0],
    "attention_count": [2, 1, 1, 6, 3], "goldstein_sum": [-3.0, 1.0, 2.0, 9.0, 4.0],
}, schema_overrides={"source_ccode": pl.Int32, "target_ccode": pl.Int32, "year": pl.Int32})
COVERAGE = pl.DataFrame({"dataset": ["icews"] * 2, "year": [2003, 2004],
                         "month": [date(2003, 1, 1), date(2004, 1, 1)],
                         "covered": [True, True], "year_covered": [True, True]},
                        schema_overrides={"year": pl.Int32})


@pytest.fixture(scope="module")
def sources(raw) -> dict[str, pl.DataFrame]:
    """Real system, NMC, alliances, MIDs, COPDAB and netify files, restricted to STATES."""
    ps = raw / "peacesciencer"
    keep = pl.col("ccode").is_in(STATES)
    pair = pl.col("ccode1").is_in(STATES) & pl.col("ccode2").is_in(STATES)
    return {
        "system": cow.parse_system(raw / "cow_state_system" / "system2016.csv").frame.filter(keep),
        "nmc": parse_nmc(raw / "cow_nmc" / "NMC-60-abridged.csv.gz").frame.filter(keep),
        "alliances": parse_cow_alliances(ps / "cow_alliance.csv.gz").frame.filter(pair),
        "mids": parse_mids(ps / "cow_mid_dirdisps.csv.gz").frame,
        "copdab": parse_copdab_monthly(raw / "copdab_lebo_moore" / "exCopdab.csv.gz").frame,
        "netify": parse_icews_dyadyear(
            raw / "icews_dyadyear_netify" / "icews_dyadyear_counts.csv.gz").frame,
    }


@pytest.fixture(scope="module")
def dy(sources) -> pl.DataFrame:
    """The dyad-year table of the restricted system."""
    s = sources
    return dyad_year.build_dyad_year(
        s["system"], s["nmc"], s["alliances"], UN, EVENTS, COVERAGE,
        copdab_yearly(s["copdab"].lazy()).collect(), s["mids"], netify=s["netify"])


@pytest.fixture(scope="module")
def state_year(sources) -> pl.DataFrame:
    """A stand-in status table: si_pct_de_indegree_global = CINC, missing for the ROK in 1970."""
    return (sources["nmc"].select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32),
                                  pl.col("cinc").alias("si_pct_de_indegree_global"))
            .filter(~((pl.col("ccode") == ROK) & (pl.col("year") == 1970))))


@pytest.fixture(scope="module")
def jp(dy, state_year) -> pl.DataFrame:
    """The J -> P panel (k = 2, defense pacts)."""
    return panel.build_panel(dy, state_year)


def _at(frame: pl.DataFrame, a: int, b: int, year: int, col: str, keys=("ccode1", "ccode2")):
    return frame.filter(pl.col(keys[0]) == a, pl.col(keys[1]) == b,
                        pl.col("year") == year)[col].item()


def _jp(frame: pl.DataFrame, junior: int, year: int, col: str):
    return _at(frame, junior, USA, year, col, ("junior", "senior"))


def test_ratio_names_its_direction_and_matches_methods(dy):
    """cinc_ratio_2_over_1 = CINC(ccode2)/CINC(ccode1): ROK->USA 2000 6.10; US/France 1958-69."""
    assert _at(dy, ROK, USA, 2000, "cinc_ratio_2_over_1") == pytest.approx(6.10, abs=0.005)
    assert _at(dy, USA, ROK, 2000, "cinc_ratio_2_over_1") == pytest.approx(1 / 6.10, abs=0.001)
    fr = dy.filter(ccode1=FRANCE, ccode2=USA).filter(pl.col("year").is_between(1958, 1969))
    assert (fr["cinc_ratio_2_over_1"].min(), fr["cinc_ratio_2_over_1"].max()) == pytest.approx(
        (6.56, 8.15), abs=0.005)


def test_us_rok_is_a_defense_pact_with_entente_every_year_1953_2012(jp):
    """ROK is junior to the USA in 1953-2012: defense + entente, depth 2, USA its patron."""
    rok = jp.filter(junior=ROK, senior=USA)
    assert rok["year"].to_list() == list(range(1953, 2013))
    assert rok["alliance_level"].unique().to_list() == [3]
    assert rok["alliance_depth"].unique().to_list() == [2]
    assert rok["principal_patron"].all()
    assert jp.filter(junior=FRANCE, senior=USA)["year"].to_list() == US_FRANCE_DEFENSE


def test_lags_come_from_the_calendar_not_from_the_panel_rows(dy, jp):
    """1953, the ROK's first alliance year, keeps the 1952 ratio and status as its lag."""
    assert _jp(jp, ROK, 1953, "cinc_ratio_p_over_j_l1") == pytest.approx(
        _at(dy, ROK, USA, 1952, "cinc_ratio_2_over_1"), abs=TOL)
    assert _jp(jp, FRANCE, 1949, "cinc_ratio_p_over_j_l1") == pytest.approx(
        _at(dy, FRANCE, USA, 1948, "cinc_ratio_2_over_1"), abs=TOL)
    assert _jp(jp, ROK, 1971, "si_pct_de_indegree_global_l1") is None  # 1970 missing in the state table
    assert _jp(jp, ROK, 1972, "si_pct_de_indegree_global_l1") == pytest.approx(
        _jp(jp, ROK, 1971, "cinc_junior"), abs=TOL)


def test_un_measures_join_on_the_pair_and_important_votes_only_with_the_usa(dy):
    """Both orders of a pair get its measures; important votes are NULL unless the USA is in."""
    assert _at(dy, ROK, USA, 2005, "un_oppose_share") == pytest.approx(0.7, abs=TOL)
    assert _at(dy, USA, ROK, 2005, "un_oppose_share_imp") == pytest.approx(3 / 7, abs=TOL)
    assert _at(dy, ROK, USA, 2005, "un_disagree_voeten") == pytest.approx(0.6, abs=TOL)
    assert not _at(dy, ROK, USA, 1994, "cov_un")


def test_relative_opposition_subtracts_the_mean_of_the_seniors_other_allies(dy):
    """USA's allies in 2005 with data: ROK 0.7, Japan 0.5, UK 0.3 -> ROK 0.7 - 0.4 = +0.3."""
    assert _at(dy, ROK, USA, 2005, "un_oppose_rel") == pytest.approx(0.3, abs=TOL)
    assert _at(dy, UK, USA, 2005, "un_oppose_rel") == pytest.approx(0.3 - 0.6, abs=TOL)
    assert _at(dy, ROK, USA, 2005, "un_disagree_voeten_rel") == pytest.approx(
        0.6 - (0.4 + 0.3) / 2, abs=TOL)


def test_events_are_zero_in_covered_years_and_null_outside(dy):
    """ROK->USA ICEWS 2003 share 0.3; 2004 covered with no events: 0; 2002 not covered: NULL."""
    assert _at(dy, ROK, USA, 2003, "icews_defy_share") == pytest.approx(0.3, abs=TOL)
    assert _at(dy, ROK, USA, 2003, "icews_attention_21") == 1
    assert (_at(dy, ROK, USA, 2004, "icews_defy_count"), _at(dy, ROK, USA, 2004, "icews_n")) \
        == (0, 0)
    assert _at(dy, ROK, USA, 2004, "icews_defy_share") is None
    assert _at(dy, ROK, USA, 2003, "gdelt1_defy_share") is None  # GDELT does not cover 2003
    assert _at(dy, ROK, USA, 2002, "icews_n") is None and not _at(dy, ROK, USA, 2002, "cov_icews")


def test_respect_received_compares_attention_rank_with_capability_rank(dy):
    """USA 2003 attention to allies: Japan 6, UK 3, ROK 1 -> the ROK's rank gap is positive."""
    ranks = {c: _at(dy, c, USA, 2003, "respect_cap_rank") for c in (JAPAN, UK, ROK)}
    n = _at(dy, ROK, USA, 2003, "n_allies_2")
    gap = _at(dy, ROK, USA, 2003, "respect_icews_gap")
    # attention ranks among the observed allies: Japan 1, UK 2, ROK 3 (others 0, tied 4)
    assert gap == pytest.approx((3 - ranks[ROK]) / (n - 1), abs=TOL)
    assert _at(dy, JAPAN, USA, 2003, "respect_icews_gap") == pytest.approx(
        (1 - ranks[JAPAN]) / (n - 1), abs=TOL)


def test_netify_counts_match_methods_and_are_null_before_2002(dy):
    """ROK->USA verbConf 259 (2002), 403 (2006), verbCoop 2,809; France->USA 689 (2003)."""
    assert (_at(dy, ROK, USA, 2002, "netify_verbConf"), _at(dy, ROK, USA, 2006, "netify_verbConf"),
            _at(dy, ROK, USA, 2002, "netify_verbCoop"),
            _at(dy, FRANCE, USA, 2003, "netify_verbConf")) == (259, 403, 2809, 689)
    assert _at(dy, ROK, USA, 2001, "netify_verbConf") is None
    assert _at(dy, ROK, USA, 2002, "netify_verbCoop_21") == _at(dy, USA, ROK, 2002,
                                                                "netify_verbCoop")


def test_copdab_is_the_yearly_mean_1948_1978_and_null_elsewhere(dy):
    """France->USA mean 11.11 (1961), -6.46 (1965), 7.25 (1969); NULL 1979 and for the ROK."""
    got = [_at(dy, FRANCE, USA, y, "copdab_net_coop") for y in (1961, 1965, 1969)]
    assert got == pytest.approx([11.11, -6.46, 7.25], abs=0.005)
    assert _at(dy, FRANCE, USA, 1979, "copdab_net_coop") is None
    assert not _at(dy, ROK, USA, 1970, "cov_copdab")


def test_shared_threat_uses_the_ten_years_before_and_codes_both_cases(jp):
    """US-ROK 1993-94 and 2002-06, US-France 1958-69: a common MID adversary (primary)."""
    rok = jp.filter(junior=ROK, senior=USA).filter(
        pl.col("year").is_in([1993, 1994, *range(2002, 2007)]))
    fr = jp.filter(junior=FRANCE, senior=USA).filter(pl.col("year").is_between(1958, 1969))
    assert rok["shared_threat"].all() and fr["shared_threat"].all()


def test_principal_patron_is_the_strongest_defense_ally():
    """J allied (defense) with P1 (CINC .3) and P2 (.1): P1 is the patron, P2 is not."""
    frame = pl.LazyFrame({"ccode1": [5, 5, 5], "ccode2": [1, 2, 3], "year": [2000] * 3,
                          "cinc1": [0.05] * 3, "cinc2": [0.3, 0.1, 0.5],
                          "alliance_level": [3, 3, 1], "atop_level": [None] * 3})
    out = allies.principal_patron(frame).collect()
    assert out["principal_patron"].to_list() == [True, False, None]
    assert out["n_patrons"].to_list()[:2] == [2, 2]


def test_case_series_has_the_case_windows_and_copdab_months(sources, jp):
    """23 US-ROK years (1990-2012), 21 US-France years (1955-75); 252 COPDAB months."""
    empty = pl.DataFrame(schema={"source_ccode": pl.Int32, "target_ccode": pl.Int32,
                                 "month": pl.Date, "dataset": pl.Utf8, "n": pl.Int64,
                                 "defy_count": pl.Int64, "defy_share": pl.Float64,
                                 "attention_count": pl.Int64})
    cov = pl.DataFrame(schema={"dataset": pl.Utf8, "year": pl.Int32, "month": pl.Date,
                               "covered": pl.Boolean, "year_covered": pl.Boolean})
    out = cases.case_series(jp.lazy(), empty, cov, sources["copdab"].lazy()).collect()
    counts = {f"{c}:{p}": n for c, p, n in out.group_by("case_id", "period").len().rows()}
    assert counts == {"us_rok:year": 23, "us_france:year": 21, "us_france:month": 252}
    years = out.filter(period="year")
    assert years.filter("crisis_1993_94")["year"].to_list() == [1993, 1994]
    assert years.filter("crisis_1958_69").height == 12
    assert years.filter("nato_exit_1966")["case_id"].to_list() == ["us_france"]
    fr = out.filter(period="month", case_id="us_france")
    assert fr.filter(year=1961)["copdab_net_coop"].mean() == pytest.approx(11.11, abs=0.005)


def test_dyad_year_and_panel_satisfy_the_codebook_with_or_without_optional_sources(
        sources, dy, jp):
    """The strict codebook schemas hold with netify loaded and with no optional source."""
    from pipeline.lib.measures.codebook import TABLES
    from pipeline.lib.store.validation import validate_frame

    schema = TABLES["derived.dyad_year"].schema()
    got = validate_frame(dy, schema)
    assert got["passed"], got["metadata"].get("first_failure")
    s = sources
    bare = dyad_year.build_dyad_year(s["system"], s["nmc"], s["alliances"], UN, EVENTS.clear(),
                                     COVERAGE.clear(), copdab_yearly(s["copdab"].lazy()).collect(),
                                     s["mids"])
    got = validate_frame(bare, schema)
    assert got["passed"], got["metadata"].get("first_failure")
    assert bare["netify_n"].null_count() == bare.height
