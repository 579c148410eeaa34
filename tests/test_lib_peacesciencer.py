"""peacesciencer-packaged COW tables, the COW publisher alliance layout and ATOP."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline.lib.ingest.rawio import InputError
from pipeline.lib.ingest.sources import alliances
from pipeline.lib.ingest.sources import peacesciencer as ps
from pipeline.lib.store.provenance import sha256_file
from pipeline.lib.store.results import ParseResult

FIX = Path(__file__).parent / "data" / "cow"
FILES = {"cow_alliances": "cow_alliance.csv.gz", "cow_mids": "cow_mid_dirdisps.csv.gz",
         "cow_igo_sy": "cow_igo_sy.csv.gz", "cow_igo_dyadic": "cow_igo_ndy.csv.gz",
         "cow_contiguity": "cow_contdir.csv.gz", "cow_trade": "cow_trade_ndy.csv.gz"}
_CACHE: dict[str, ParseResult] = {}


def _parsed(raw: Path, name: str) -> ParseResult:
    """Parse the shipped file of raw table ``name`` once per session."""
    if name not in _CACHE:
        table = next(t for t in ps.TABLES if t.name == name)
        _CACHE[name] = table.parser(raw / "peacesciencer" / FILES[name])
    return _CACHE[name]


def _dyad(frame: pl.DataFrame, a: int, b: int) -> pl.DataFrame:
    return frame.filter(ccode1=a, ccode2=b).sort("year")


@pytest.mark.parametrize("name", FILES)
def test_real_tables_reconcile_and_pass_their_schema(raw, name):
    """Each shipped table loads without quarantine, reconciles and satisfies its schema."""
    table = next(t for t in ps.TABLES if t.name == name)
    result = _parsed(raw, name)
    result.reconcile()
    assert result.quarantine.height == 0
    table.schema.validate(result.frame, lazy=True)
    assert result.frame.select(table.key).is_duplicated().sum() == 0


def test_known_checksums_match_the_shipped_files(raw):
    """The sha256 recorded for every shipped peacesciencer file matches the mirror."""
    for name, digest in ps.PEACESCIENCER.sha256.items():
        assert sha256_file(raw / "peacesciencer" / name) == digest


def test_alliances_are_120784_directed_symmetric_dyad_years(raw):
    """cow_alliance has 120,784 rows and every a->b dyad-year also appears as b->a."""
    frame = _parsed(raw, "cow_alliances").frame
    mirror = frame.select(pl.col("ccode2").alias("ccode1"), pl.col("ccode1").alias("ccode2"),
                          "year")
    assert frame.height == 120_784
    assert frame.join(mirror, on=["ccode1", "ccode2", "year"], how="anti").height == 0


def test_us_rok_alliance_spans_1953_to_2012_all_defense_and_us_france_75_years(raw):
    """US-ROK: 60 rows 1953-2012, all defense + entente; US-France: 75 rows from 1921."""
    frame = _parsed(raw, "cow_alliances").frame
    rok = _dyad(frame, 2, 732)
    assert (rok.height, rok["year"].min(), rok["year"].max()) == (60, 1953, 2012)
    assert rok.select(pl.col("cow_defense", "cow_entente").min()).row(0) == (1, 1)
    fra = _dyad(frame, 2, 220)
    assert (fra.height, fra["year"].min(), fra["year"].max()) == (75, 1921, 2012)
    assert fra.filter(pl.col("year") >= 1949)["cow_defense"].min() == 1


def test_publisher_dyad_yearly_layout_is_mirrored_and_collapsed_with_max():
    """COW's undirected file: both directions, treaties max-collapsed, year 0 quarantined."""
    result = alliances.parse_cow_alliances(FIX / "alliance_v4.1_by_dyad_yearly.csv")
    frame = result.frame
    assert frame.columns == ["ccode1", "ccode2", "year", "cow_defense", "cow_neutral",
                             "cow_nonagg", "cow_entente"]
    flags = ["cow_defense", "cow_neutral", "cow_nonagg", "cow_entente"]
    for a, b in [(2, 732), (732, 2), (2, 220), (220, 2)]:
        assert frame.filter(ccode1=a, ccode2=b).select(flags).row(0) == (1, 0, 0, 1)
    assert frame.height == 6
    assert (result.rows_read, result.quarantine.height, result.deduplicated) == (15, 5, 4)
    assert sorted(result.quarantine["line"].to_list()) == [7, 7, 8, 9, 9]
    alliances.CowAlliances.validate(frame, lazy=True)


def test_an_alliance_file_in_neither_layout_raises_input_error(tmp_path):
    """A file with the dyad-year key but no alliance-type columns is rejected by name."""
    path = tmp_path / "cow_alliance.csv"
    path.write_text("ccode1,ccode2,year,foo\n2,20,1950,1\n")
    with pytest.raises(InputError, match="neither the peacesciencer layout"):
        alliances.parse_cow_alliances(path)


def test_atop_fixture_reads_codebook_columns_and_quarantines_a_bad_flag():
    """ATOP ddyr keeps stateA/stateB and the flags; consul = 3 is quarantined."""
    result = alliances.parse_atop(FIX / "atop5_1ddyr.csv")
    frame = result.frame
    assert (result.loaded, result.quarantine.height) == (4, 1)
    assert result.quarantine["column"].to_list() == ["consul"]
    assert frame.filter(stateA=2, stateB=220).select("defense", "multino", "number").row(0) == (
        1, 2, 2)
    alliances.AtopAlliances.validate(frame, lazy=True)


def test_atop_file_without_optional_columns_fills_them_with_null(tmp_path):
    """A minimal ATOP file with only the required columns loads, extras NULL."""
    path = tmp_path / "atop5_1ddyr.csv"
    path.write_text("stateA,stateB,year,atopally,defense,offense,neutral,nonagg,consul\n"
                    "2,732,1954,1,1,0,0,0,1\n")
    frame = alliances.parse_atop(path).frame
    assert frame.select("shareob", "bilatno", "number").row(0) == (None, None, None)
    alliances.AtopAlliances.validate(frame, lazy=True)


def test_mids_have_11390_rows_none_for_us_rok_and_minus9_fatalities_null(raw):
    """MID 5.0: 11,390 rows, no US-ROK dispute, -9 fatality codes become NULL."""
    frame = _parsed(raw, "cow_mids").frame
    us_rok = frame.filter(pl.col("ccode1").is_in([2, 732]) & pl.col("ccode2").is_in([2, 732]))
    nulls = frame.select(pl.col("fatality1", "fatalpre1").null_count()).row(0)
    assert (frame.height, us_rok.height, nulls) == (11_390, 0, (1510, 4975))


def test_igo_state_year_counts_match_the_reference_values(raw):
    """sum_igo_full: USA 60/88, France 82/121, ROK 21/79 in 1960/2005."""
    frame = _parsed(raw, "cow_igo_sy").frame
    got = {(c, y): frame.filter(ccode=c, year=y)["sum_igo_full"].item()
           for c in (2, 220, 732) for y in (1960, 2005)}
    assert got == {(2, 1960): 60, (2, 2005): 88, (220, 1960): 82, (220, 2005): 121,
                   (732, 1960): 21, (732, 2005): 79}


def test_igo_dyadic_and_trade_are_non_directed_with_ccode1_below_ccode2(raw):
    """IGO dyads (917,695) and trade dyads (673,654) list each pair once, ccode1 < ccode2."""
    igo = _parsed(raw, "cow_igo_dyadic").frame
    trade = _parsed(raw, "cow_trade").frame
    assert (igo.height, trade.height) == (917_695, 673_654)
    assert igo.select((pl.col("ccode1") < pl.col("ccode2")).all()).item()
    assert trade.select((pl.col("ccode1") < pl.col("ccode2")).all()).item()


def test_trade_missing_flows_are_null_in_the_documented_counts(raw):
    """Missing trade flows are NULL: flow1 22,937 and flow2 27,896."""
    frame = _parsed(raw, "cow_trade").frame
    assert frame.select(pl.col("flow1", "flow2").null_count()).row(0) == (22_937, 27_896)


def test_contiguity_spells_have_date_bounds_and_180_filler_spells(raw):
    """cow_contdir: 1,874 spells with Date bounds; 180 conttype-0 fillers; US-Russia 2 spells."""
    frame = _parsed(raw, "cow_contiguity").frame
    assert frame.schema["stdate"] == pl.Date and frame.height == 1874
    assert frame.filter(conttype=0).height == 180
    assert frame.select((pl.col("stdate") <= pl.col("enddate")).all()).item()
    us_ru = frame.filter(ccode1=2, ccode2=365).sort("stdate")
    assert us_ru.select("conttype", pl.col("stdate").dt.year()).rows() == [(0, 1816), (2, 1959)]


def test_every_table_is_registered_with_a_source_citation_and_parser():
    """peacesciencer lists the six COW tables plus ATOP, each with a BibTeX citation."""
    names = [t.name for t in ps.TABLES]
    assert names == [*FILES, "atop_alliances"]
    assert all(t.source.citation.lstrip().startswith("@") for t in ps.TABLES)
    assert {s.name for s in ps.SOURCES} == {"peacesciencer", "atop"}
