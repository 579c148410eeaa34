"""COPDAB monthly series: long-form parsing on a fixture and the checked yearly means."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipeline.lib.ingest.rawio import InputError
from pipeline.lib.ingest.sources.copdab import (
    CopdabMonthly,
    CopdabWars,
    parse_copdab_monthly,
    parse_copdab_wars,
    series_names,
)

FIXTURE = Path(__file__).parent / "data" / "copdab" / "copdab_small.csv"
REAL = "copdab_lebo_moore/exCopdab.csv.gz"


def test_series_names_keep_only_known_actor_target_pairs():
    """us2fra and ussr2us are series; ym, suez and us2uk (unknown target) are not."""
    assert series_names(["ym", "us2fra", "ussr2us", "suez", "us2uk"]) == ["us2fra", "ussr2us"]


def test_fixture_unpivots_to_month_series_cells_with_ccodes():
    """Each month × series cell is a row with actor/target ccodes and the first of the month."""
    r = parse_copdab_monthly(FIXTURE)
    assert (r.rows_read, r.loaded, r.quarantine.height, r.deduplicated) == (15, 9, 3, 3)
    row = r.frame.filter((pl.col("series") == "fra2us") & (pl.col("month") == date(1961, 1, 1)))
    assert row.select("actor", "target", "net_coop").row(0) == (220, 2, -9.0)
    assert set(r.quarantine["reason"]) == {"not a YYMM month: '6113'"}


def test_na_is_missing_but_minus_nine_is_an_index_value():
    """`NA` loads as NULL; -9.0 stays -9.0."""
    f = parse_copdab_monthly(FIXTURE).frame.filter(pl.col("series") == "fra2us")
    assert f.sort("month")["net_coop"].to_list() == [-9.0, None, 47.0]


def test_war_dummies_load_per_month_and_reject_non_binary_values():
    """The war table has one row per month; a dummy of 2 quarantines."""
    r = parse_copdab_wars(FIXTURE)
    assert r.frame["month"].to_list() == [date(1961, 1, 1), date(1961, 2, 1)]
    assert sorted(r.quarantine["column"].to_list()) == ["ym", "yomk", "yomk"]


def test_a_file_without_series_columns_is_an_input_error(tmp_path):
    """A file with only ym and dummies cannot be the monthly table."""
    path = tmp_path / "exCopdab.csv"
    path.write_text("ym,suez\n4801,0\n")
    with pytest.raises(InputError, match="series"):
        parse_copdab_monthly(path)


def test_real_file_has_372_months_of_eight_series(raw):
    """372 months 1948-01 to 1978-12 for each of the eight directed series."""
    r = parse_copdab_monthly(raw / REAL)
    CopdabMonthly.validate(r.frame, lazy=True)
    assert r.quarantine.height == 0 and r.loaded == 372 * 8
    assert r.frame["month"].n_unique() == 372
    assert (r.frame["month"].min(), r.frame["month"].max()) == (date(1948, 1, 1),
                                                                 date(1978, 12, 1))
    wars = parse_copdab_wars(raw / REAL)
    CopdabWars.validate(wars.frame, lazy=True)
    assert wars.loaded == 372


def test_real_france_to_us_yearly_means_match_the_checked_values(raw):
    """fra2us yearly means: 1961 11.11, 1965 -6.46, 1966 -5.38, 1969 7.25."""
    f = parse_copdab_monthly(raw / REAL).frame
    means = (f.filter((pl.col("actor") == 220) & (pl.col("target") == 2))
             .group_by(pl.col("month").dt.year().alias("year")).agg(pl.col("net_coop").mean()))
    got = dict(zip(means["year"], means["net_coop"]))
    for year, value in {1961: 11.11, 1965: -6.46, 1966: -5.38, 1969: 7.25}.items():
        assert got[year] == pytest.approx(value, abs=0.005)
