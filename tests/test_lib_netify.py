"""ICEWS dyad-year counts from netify: ccodes via the crosswalk, fixture and checked values."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline.lib.ingest.sources.netify import IcewsDyadYear, parse_icews_dyadyear

FIXTURE = Path(__file__).parent / "data" / "netify" / "dyadyear_small.csv"


@pytest.fixture(scope="module")
def real(raw):
    """The shipped counts, parsed once."""
    return parse_icews_dyadyear(raw / "icews_dyadyear_netify" / "icews_dyadyear_counts.csv.gz")


def _count(frame: pl.DataFrame, i: int, j: int, year: int, col: str) -> int:
    return frame.filter((pl.col("source_ccode") == i) & (pl.col("target_ccode") == j)
                        & (pl.col("year") == year))[col].item()


def test_fixture_attaches_cow_codes_through_iso3():
    """KOR→USA becomes 732→2 and FRA→USA 220→2; quoted names with commas survive."""
    f = parse_icews_dyadyear(FIXTURE).frame
    assert _count(f, 732, 2, 2002, "verbConf") == 259
    assert _count(f, 220, 2, 2003, "verbCoop") == 1220
    assert "Korea, Republic Of" in f["i"].to_list()


def test_unmatched_iso3_codes_are_kept_with_null_ccode_and_reported():
    """The two ZZZ rows stay in the table with NULL ccode and are listed in the notes."""
    r = parse_icews_dyadyear(FIXTURE)
    zzz = r.frame.filter((pl.col("i_iso3c") == "ZZZ") | (pl.col("j_iso3c") == "ZZZ"))
    assert zzz.height == 2
    assert zzz.select(pl.col("source_ccode").is_null().sum()).item() == 1
    assert zzz.select(pl.col("target_ccode").is_null().sum()).item() == 1
    assert r.notes == {"unmatched_iso3_rows": 2, "unmatched_iso3": "ZZZ (2)"}


def test_negative_counts_and_missing_iso3_quarantine():
    """A count of -1 and an NA ISO3 code go to quarantine, and the rows reconcile."""
    r = parse_icews_dyadyear(FIXTURE)
    assert (r.rows_read, r.loaded, r.quarantine.height) == (7, 5, 2)
    assert r.quarantine["column"].to_list() == ["verbCoop", "i_iso3c"]


def test_real_panel_has_298376_rows_all_with_cow_codes(real):
    """152 × 151 × 13 rows load; every ISO3 code maps to a ccode."""
    assert real.loaded == 298_376 and real.quarantine.height == 0
    assert real.frame.select(pl.col("source_ccode", "target_ccode").null_count()).row(0) == (0, 0)
    assert real.frame.schema["source_ccode"] == pl.Int32
    IcewsDyadYear.validate(real.frame, lazy=True)


@pytest.mark.parametrize(("i", "j", "year", "col", "value"), [
    (732, 2, 2002, "verbConf", 259), (732, 2, 2006, "verbConf", 403),
    (732, 2, 2002, "verbCoop", 2809), (220, 2, 2003, "verbConf", 689)])
def test_real_counts_match_the_checked_values(real, i, j, year, col, value):
    """ROK→USA verbConf 2002/2006 and verbCoop 2002, France→USA verbConf 2003 (METHODS §9)."""
    assert _count(real.frame, i, j, year, col) == value
