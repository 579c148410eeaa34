"""The state-year table on the real files: recognition by others, no look-ahead, face validity."""

from __future__ import annotations

import os

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipeline.lib.ingest.sources import cow, cow_dipex, cow_dyadic, cow_nmc
from pipeline.lib.measures import state_year as sy

USA, PRC, FRANCE, ROK = 2, 710, 220, 732
FULL = "cow_diplomatic_exchange/Diplomatic_Exchange_2006v1.csv"


@pytest.fixture(scope="module")
def inputs(raw) -> dict[str, pl.DataFrame]:
    """The real system, NMC, majors, IGO and full Diplomatic Exchange files, parsed once."""
    if not (raw / FULL).exists():
        msg = f"the full Diplomatic Exchange file is not at {raw / FULL}"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {msg}")
        pytest.skip(msg)
    s = raw / "cow_state_system"
    return {
        "system": cow.parse_system(s / "system2016.csv").frame,
        "nmc": cow_nmc.parse_nmc(raw / "cow_nmc" / "NMC-60-abridged.csv.gz").frame,
        "majors": cow.parse_majors(s / "majors2016.csv").frame,
        "igo_sy": cow_dyadic.parse_igo_sy(raw / "peacesciencer" / "cow_igo_sy.csv.gz").frame,
        "igo": cow_dyadic.parse_igo_dyadic(raw / "peacesciencer" / "cow_igo_ndy.csv.gz").frame,
        "dipex": cow_dipex.parse_dipex(raw / FULL).frame,
    }


@pytest.fixture(scope="module")
def built(inputs) -> tuple[pl.DataFrame, dict]:
    """build_state_year on the real inputs."""
    i = inputs
    return sy.build_state_year(i["system"], i["nmc"], i["majors"], i["igo_sy"], i["igo"],
                               i["dipex"])


def _waves(frame: pl.DataFrame, ccode: int, col: str, years) -> dict[int, object]:
    rows = frame.filter(pl.col("ccode") == ccode, pl.col("year").is_in(list(years)))
    return dict(rows.select("year", col).iter_rows())


def test_prc_is_among_the_most_under_recognised_states_before_1971(built):
    """PRC in-degree rank gap 54, 48, 75, 99 in 1950-65 (top decile), +32 in 1970 (METHODS §3.1)."""
    frame, _ = built
    col = "si_rank_de_indegree_global"
    assert _waves(frame, PRC, col, (1950, 1955, 1960, 1965, 1970)) == {
        1950: 54, 1955: 48, 1960: 75, 1965: 99, 1970: 32}
    waves = frame.filter(pl.col("de_is_wave"), pl.col("year").is_between(1950, 1965))
    top = (waves.with_columns(pl.col(col).rank("min", descending=True).over("year").alias("r"),
                              pl.col(col).count().over("year").alias("n"))
           .filter(pl.col("ccode") == PRC)
           .with_columns(((pl.col("n") - pl.col("r")) / (pl.col("n") - 1)).alias("pct")))
    assert (top["pct"] >= 0.97).all() and (top["r"] <= 0.1 * top["n"]).all()
    pct = _waves(frame, PRC, sy.PRIMARY_SI, (1950, 1955, 1960, 1965, 1970))
    assert all(v > 0.2 for v in pct.values()) and pct[1965] == pytest.approx(99 / 124)


def test_usa_is_never_under_recognised_on_the_residual_and_barely_on_the_percentile(built):
    """USA: PageRank residual <= 0 in every wave from 1950; 1970's +1 rank tie is 1/133."""
    frame, _ = built
    waves = range(1950, 2006, 5)
    assert all(v <= 0 for v in _waves(frame, USA, "si_resid_de_pagerank", waves).values())
    assert _waves(frame, USA, "si_rank_de_indegree_global", [1970]) == {1970: 1}
    assert _waves(frame, USA, sy.PRIMARY_SI, [1970])[1970] == pytest.approx(1 / 133)
    assert max(_waves(frame, USA, sy.PRIMARY_SI, waves).values()) < 0.01


def test_waves_are_carried_forward_to_2010_and_never_interpolated_by_default(built):
    """1974 takes the 1970 wave (4 years old); 2010 the 2005 wave; 2011 has no DE value."""
    frame, _ = built
    usa = frame.filter(pl.col("ccode") == USA).sort("year")
    rows = {r["year"]: r for r in usa.to_dicts()}
    assert rows[1974]["de_indegree"] == rows[1970]["de_indegree"]
    assert (rows[1974]["de_wave_year"], rows[1974]["de_years_since_wave"]) == (1970, 4)
    assert rows[2010]["de_indegree"] == rows[2005]["de_indegree"]
    assert rows[2011]["de_indegree"] is None and rows[2011]["si_pct_de_indegree_global"] is None
    mid = rows[1972]["de_indegree_interp"]
    assert rows[1970]["de_indegree"] < mid < rows[1975]["de_indegree"]  # the variant only


def test_no_status_value_at_t_depends_on_a_later_wave(inputs, built):
    """Dropping every wave after 1980 leaves every DE and status value up to 1984 unchanged
    (to 1e-12: the residual's regression sums in parallel, so two builds differ in the last
    bits, ~2e-15)."""
    i = inputs
    cut, _ = sy.build_state_year(i["system"], i["nmc"], i["majors"], i["igo_sy"], i["igo"],
                                 i["dipex"].filter(pl.col("year") <= 1980))
    full, _ = built
    cols = ["ccode", "year", "de_indegree", "de_pagerank", "si_pct_de_indegree_global",
            "si_rank_de_pagerank_global", "si_resid_de_pagerank"]
    early = pl.col("year") <= 1984
    assert_frame_equal(cut.filter(early).select(cols), full.filter(early).select(cols),
                       rel_tol=1e-12, abs_tol=1e-12)
    assert cut.filter(pl.col("year") == 1985)["de_indegree"].null_count() > 0


def test_level_weighted_measures_are_null_in_the_all_code_9_waves(built):
    """Weighted in-degree is NULL in 1950-65 (codebook note 1) and present in 1970."""
    frame, _ = built
    w = frame.filter(pl.col("de_is_wave"))
    assert w.filter(pl.col("year").is_between(1950, 1965))["de_weighted_indegree"].null_count() \
        == w.filter(pl.col("year").is_between(1950, 1965)).height
    assert w.filter(pl.col("year") == 1970)["de_weighted_indegree"].null_count() == 0


def test_report_gives_the_correlation_of_each_deficit_with_capability_rank(built):
    """Rank gaps correlate with capability rank (bounded ranks); residuals hardly do."""
    _, report = built
    corr = report["corr_deficit_cap_rank"]
    assert corr["si_rank_de_indegree_global"] < -0.2
    assert abs(corr["si_resid_de_pagerank"]) < 0.05
    assert report["primary_si"] == "si_pct_de_indegree_global"


def test_france_is_a_major_not_a_middle_power_and_the_rok_becomes_one(built):
    """France 1958-69 is a COW major (never 'middle'); the ROK is middle (rank 6-30) by 1990."""
    frame, _ = built
    fr = frame.filter(pl.col("ccode") == FRANCE, pl.col("year").is_between(1958, 1969))
    assert fr["major_power"].all() and not fr["middle_power"].any()
    assert _waves(frame, ROK, "middle_power", [1990, 2005]) == {1990: True, 2005: True}


def test_input_years_outside_the_state_system_are_named_not_dropped_silently():
    """A newer NMC release (to 2022) against system2016: its years after 2016 are reported
    with the system's last year; an input inside the span reports nothing."""
    system = pl.DataFrame({"ccode": [2, 2, 2], "year": [1816, 1900, 2016]})
    nmc = pl.DataFrame({"year": [1816, 2016, 2017, 2020, 2022]})
    inside = pl.DataFrame({"year": [1900, 2000]})
    early = pl.DataFrame({"year": [1810, 1815, 1816]})
    out = sy.years_outside_system(system, {"cow_nmc": nmc, "majors": inside,
                                            "early": early, "absent": None})
    assert out == {"cow_nmc": "2017-2022 (3 years with rows) after the state system's last year, 2016",
                   "early": "1810-1815 (2 years with rows) before the state system's first year, 1816"}
