"""Status inconsistency: signs, ties, residuals and chronic flags on constructed panels, and
capability ranks on the real NMC file (METHODS §3, §9)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipeline.lib.ingest.sources.cow_nmc import parse_nmc
from pipeline.lib.measures.status import (
    capability_ranks,
    chronic_deficit,
    rank_gap,
    region,
    residual_deficit,
    status_inconsistency,
)

NMC = "cow_nmc/NMC-60-abridged.csv.gz"
TOL = 1e-12


def _four_states() -> pl.LazyFrame:
    """Capability falls from state 2 to 5 while recognition rises."""
    return pl.LazyFrame({"ccode": [2, 20, 200, 220], "year": [2000] * 4,
                         "cinc": [0.4, 0.3, 0.2, 0.1], "pr": [0.1, 0.2, 0.3, 0.4]})


def test_strong_unrecognised_state_has_positive_gap_and_weak_recognised_negative():
    """Top CINC with bottom status gives +3; bottom CINC with top status gives -3 (no wrap)."""
    out = rank_gap(_four_states(), "pr", [], "g").collect()
    assert out["g_gap"].to_list() == [3, 1, -1, -3]
    assert out["g_gap"].dtype == pl.Int32
    assert out["g_abs"].to_list() == [3, 1, 1, 3]
    assert out["g_pct"].to_list() == pytest.approx([1.0, 1 / 3, -1 / 3, -1.0], abs=TOL)


def test_tied_capabilities_share_the_best_rank():
    """CINC 0.5, 0.2, 0.2, 0.1 rank 1, 2, 2, 4; cap_pct 1, 2/3, 2/3, 0."""
    nmc = pl.LazyFrame({"ccode": [1, 2, 3, 4], "year": [1970] * 4,
                        "cinc": [0.5, 0.2, 0.2, 0.1]})
    out = capability_ranks(nmc).collect()
    assert out["cap_rank"].to_list() == [1, 2, 2, 4]
    assert out["n_states"].to_list() == [4] * 4
    assert out["cap_pct"].to_list() == pytest.approx([1, 2 / 3, 2 / 3, 0], abs=TOL)


def test_ranks_are_taken_within_year_and_field_among_observed_states():
    """Region fields rank separately; a state without status neither ranks nor counts."""
    frame = pl.LazyFrame({
        "ccode": [2, 20, 200, 220, 255], "year": [2000] * 5,
        "cinc": [0.4, 0.1, 0.3, 0.2, 0.25], "pr": [0.1, 0.2, 0.3, 0.4, None],
    }).with_columns(region(pl.col("ccode")).alias("region"))
    out = rank_gap(frame, "pr", ["region"], "r").collect()
    # Americas (2, 20): 2 is first on CINC, second on status -> +1; 20 -> -1
    # Europe (200, 220; 255 has no status): 200 first on CINC, second on status -> +1
    assert out["r_gap"].to_list() == [1, -1, 1, -1, None]
    assert out["r_n"].to_list() == [2, 2, 2, 2, None]


def test_region_follows_the_cow_code_ranges_at_their_boundaries():
    """2/165 Americas, 200/399 Europe, 400/626 Africa, 630/698 Middle East, 700/990 Asia."""
    codes = pl.Series("c", [2, 165, 166, 200, 399, 400, 626, 630, 698, 700, 990, 999])
    got = pl.select(region(pl.lit(codes))).to_series().cast(pl.Utf8).to_list()
    assert got == ["Americas", "Americas", None, "Europe", "Europe", "Africa", "Africa",
                   "Middle East", "Middle East", "Asia/Oceania", "Asia/Oceania", None]


def test_residual_of_an_exact_log_linear_relation_is_zero_and_not_z_scored():
    """log(pr) = 0.5 + 0.7 log(cinc) exactly: raw deficit ~0, z-score NULL."""
    cinc = np.linspace(0.001, 0.2, 30)
    frame = pl.LazyFrame({"year": [2000] * 30, "cinc": cinc,
                          "pr": np.exp(0.5 + 0.7 * np.log(cinc))})
    out = residual_deficit(frame, "pr", "b").collect()
    assert out["b_raw"].abs().max() < 1e-12
    assert out["b"].null_count() == 30


def test_residual_matches_numpy_least_squares_and_is_z_scored_within_year():
    """Per-year residuals equal -(y - polyfit); z has mean 0 and sd 1 in each year."""
    rng = np.random.default_rng(20240601)
    n = 40
    years = np.repeat([1990, 1995], n)
    cinc = rng.uniform(0.001, 0.2, 2 * n)
    pr = np.exp(-1 + 0.6 * np.log(cinc) + rng.normal(0, 0.4, 2 * n))
    out = residual_deficit(pl.LazyFrame({"year": years, "cinc": cinc, "pr": pr}),
                           "pr", "b").collect()
    for yr in (1990, 1995):
        sel = years == yr
        x, y = np.log(cinc[sel]), np.log(pr[sel])
        b, a = np.polyfit(x, y, 1)
        got = out.filter(pl.col("year") == yr)
        np.testing.assert_allclose(got["b_raw"].to_numpy(), (a + b * x) - y, atol=1e-10)
        assert got["b"].mean() == pytest.approx(0, abs=1e-12)
        assert got["b"].std() == pytest.approx(1, abs=1e-12)


def test_zero_status_is_null_and_does_not_enter_the_fit():
    """A state with status 0 gets NULL; the rest fit as if it were absent."""
    base = pl.LazyFrame({"year": [2000] * 4, "cinc": [0.1, 0.2, 0.3, 0.4],
                         "pr": [0.2, 0.1, 0.5, 0.3]})
    zero = pl.concat([base, pl.LazyFrame({"year": [2000], "cinc": [0.25], "pr": [0.0]})])
    with_zero = residual_deficit(zero, "pr", "b").collect()
    alone = residual_deficit(base, "pr", "b").collect()
    assert with_zero["b_raw"][4] is None and with_zero["b"][4] is None
    np.testing.assert_allclose(with_zero["b_raw"][:4].to_numpy(), alone["b_raw"].to_numpy(),
                               atol=1e-12)


def test_chronic_flag_needs_every_one_of_ten_consecutive_positive_years():
    """Flag from the 10th positive year on; gap = 0 or a missing year restarts the count."""
    years = list(range(1980, 2001))
    gap = [1] * 10 + [2] + [0] + [1] * 9   # 1980-1990 positive, 1991 zero, 1992-2000 positive
    a = pl.LazyFrame({"ccode": 1, "year": years, "g": gap})
    b = pl.LazyFrame({"ccode": 2, "year": [y for y in years[:12] if y != 1984]}).with_columns(
        g=pl.lit(1, dtype=pl.Int64))
    out = chronic_deficit(pl.concat([b, a]), "g").collect()
    flag_a = dict(out.filter(pl.col("ccode") == 1).select("year", "g_chronic").rows())
    assert [y for y, f in flag_a.items() if f] == [1989, 1990]
    assert flag_a[1988] is False and flag_a[2000] is False
    # state 2 skips 1984, so 1985-1991 is only seven consecutive years
    assert out.filter(pl.col("ccode") == 2)["g_chronic"].any() is False
    short = chronic_deficit(a, "g", years=3).collect()
    assert short.filter(pl.col("year").is_between(1991, 1994))["g_chronic"].to_list() == \
        [False, False, False, True]


def test_status_inconsistency_names_one_column_per_measure_variant_and_field():
    """Global, region and community fields per measure, plus the residual variant."""
    frame = _four_states().with_columns(pl.col("pr").alias("deg"),
                                        pl.Series("community", [1, 1, 2, 2]))
    out = status_inconsistency(frame, ["pr", "deg"]).collect()
    for m in ("pr", "deg"):
        for f in ("global", "region", "community"):
            assert {f"si_rank_{m}_{f}", f"si_abs_{m}_{f}", f"si_pct_{m}_{f}",
                    f"si_chronic_{m}_{f}"} <= set(out.columns)
        assert f"si_resid_{m}" in out.columns
    assert out["si_rank_pr_global"].to_list() == [3, 1, -1, -3]
    assert out["si_rank_pr_community"].to_list() == [1, -1, 1, -1]
    no_community = status_inconsistency(_four_states(), ["pr"]).collect()
    assert not any("community" in c for c in no_community.columns)
    only_global = status_inconsistency(frame, ["pr"], fields=("global",), residual=False)
    assert only_global.collect_schema().names() == [
        "ccode", "year", "si_rank_pr_global", "si_abs_pr_global", "si_pct_pr_global",
        "si_chronic_pr_global"]


@pytest.fixture(scope="module")
def nmc(raw) -> pl.DataFrame:
    """The real NMC v6.0 file with capability ranks."""
    return capability_ranks(parse_nmc(raw / NMC).frame.lazy()).collect()


def test_real_1970_capability_ranks_usa_1_france_8_rok_20(nmc):
    """METHODS §9: 1970 CINC ranks USA 1, France 8, ROK 20 among 134 states."""
    y = nmc.filter(pl.col("year") == 1970)
    ranks = dict(y.filter(pl.col("ccode").is_in([2, 220, 732])).select("ccode", "cap_rank")
                 .rows())
    assert ranks == {2: 1, 220: 8, 732: 20}
    assert y["n_states"].unique().to_list() == [134]
