"""Strategic rivalries (Thompson & Dreyer; Thompson, Sakuwa & Suhas) and Maoz's powers."""

from __future__ import annotations

import polars as pl
import pytest

from pipeline.lib.ingest.sources import rivalries as rv
from pipeline.lib.store.results import ParseResult

USA, FRANCE, USSR, PRK, ROK = 2, 220, 365, 731, 732
FILES = {"td_rivalries": "td_rivalries.csv.gz", "tss_rivalries": "tss_rivalries.csv.gz",
         "maoz_powers": "maoz_powers.csv.gz"}


@pytest.fixture(scope="module")
def parsed(raw) -> dict[str, ParseResult]:
    return {t.name: t.parser(raw / "peacesciencer" / FILES[t.name]) for t in rv.TABLES}


@pytest.fixture(scope="module")
def years(parsed) -> pl.DataFrame:
    return rv.rivalry_years(parsed["td_rivalries"].frame, parsed["tss_rivalries"].frame,
                            last_year=2020)


def _pair(frame: pl.DataFrame, a: int, b: int) -> pl.DataFrame:
    both = (pl.col("ccode1").is_in([a, b]) & pl.col("ccode2").is_in([a, b])
            & (pl.col("ccode1") != pl.col("ccode2")))
    return frame.filter(both).sort("styear")


def _coded(years: pl.DataFrame, a: int, b: int, flag: str) -> list[int]:
    return years.filter(ccode1=a, ccode2=b).filter(pl.col(flag))["year"].to_list()


@pytest.mark.parametrize(("name", "rows"), [("td_rivalries", 197), ("tss_rivalries", 264),
                                            ("maoz_powers", 20)])
def test_real_tables_load_whole_and_pass_their_schema(parsed, name, rows):
    """197 TD spells, 264 TSS spells and 20 Maoz rows load, none quarantined."""
    table = next(t for t in rv.TABLES if t.name == name)
    result = parsed[name]
    assert (result.rows_read, result.loaded, result.quarantine.height) == (rows, rows, 0)
    table.schema.validate(result.frame, lazy=True)
    assert result.frame.select(table.key).is_duplicated().sum() == 0


def test_the_two_koreas_are_rivals_from_1948_in_both_lists(parsed):
    """North-South Korea: TD 1948-2010 (coverage end), TSS 1948-2020 (coverage end)."""
    td = _pair(parsed["td_rivalries"].frame, PRK, ROK)
    tss = _pair(parsed["tss_rivalries"].frame, PRK, ROK)
    assert td.select("styear", "endyear").rows() == [(1948, 2010)]
    assert tss.select("styear", "endyear").rows() == [(1948, 2020)]


def test_usa_ussr_cold_war_rivalry_is_1945_to_1989_in_both_lists(parsed):
    """USA-USSR: one spell 1945-1989 in each list (plus a TSS 1918-20 and a 2007- spell)."""
    td = _pair(parsed["td_rivalries"].frame, USA, USSR).select("styear", "endyear").rows()
    tss = _pair(parsed["tss_rivalries"].frame, USA, USSR).select("styear", "endyear").rows()
    assert td == [(1945, 1989), (2007, 2010)]
    assert tss == [(1918, 1920), (1945, 1989), (2007, 2020)]


def test_neither_list_codes_usa_north_korea_or_a_cold_war_france_ussr_rivalry(parsed, years):
    """No USA-PRK spell at all; France-Russia/USSR only 1732-1894 (TD) and 1918-19 (TSS)."""
    for name in ("td_rivalries", "tss_rivalries"):
        assert _pair(parsed[name].frame, USA, PRK).height == 0
    assert _pair(parsed["td_rivalries"].frame, FRANCE, USSR).select(
        "styear", "endyear").rows() == [(1732, 1894)]
    assert _pair(parsed["tss_rivalries"].frame, FRANCE, USSR).select(
        "styear", "endyear").rows() == [(1918, 1919)]
    cold_war = years.filter(pl.col("year").is_between(1920, 1991))
    assert cold_war.filter(ccode1=FRANCE, ccode2=USSR).height == 0
    assert years.filter(ccode1=USA, ccode2=PRK).height == 0


def test_rivalry_years_are_directed_and_carry_spells_ongoing_at_coverage_end(years):
    """Both orders; the TD spells ending 2010 are carried to 2020; the USSR gap is empty."""
    assert _coded(years, PRK, ROK, "td") == list(range(1948, 2021))
    assert _coded(years, ROK, PRK, "tss") == list(range(1948, 2021))
    assert _coded(years, USA, USSR, "td") == [*range(1945, 1990), *range(2007, 2021)]
    assert _coded(years, USA, USSR, "tss") == [*range(1918, 1921), *range(1945, 1990),
                                               *range(2007, 2021)]
    assert years.select(pl.struct("ccode1", "ccode2", "year").is_duplicated().sum()).item() == 0


def test_a_list_past_its_coverage_says_null_not_false(parsed):
    """TD ends 2010: a TSS-only pair-year after 2010 has td NULL; inside coverage False."""
    years = rv.rivalry_years(parsed["td_rivalries"].frame, parsed["tss_rivalries"].frame,
                             last_year=2014)
    assert years["year"].max() == 2014
    usa_ussr_1918 = years.filter(ccode1=USA, ccode2=USSR, year=1918).select("td", "tss").row(0)
    assert usa_ussr_1918 == (False, True)
    # 2011-14: the 42 TD pairs ongoing in 2010 are carried (42 x 2 orders x 4 years = 336);
    # the 99 other TSS pair-years are past TD's coverage (x 2 orders = 198 NULL).
    after = years.filter(pl.col("year") > rv.TD_LAST_YEAR)
    assert (after["td"].sum(), after["td"].null_count(), after.height) == (336, 198, 534)
    assert after["tss"].null_count() == 0


def test_usa_is_regional_power_1824_to_1898_and_global_from_1899(parsed):
    """Maoz: USA regional 1824-1898, global 1899-2019; asked for 2020, the spell is carried."""
    maoz = parsed["maoz_powers"].frame
    powers = rv.power_years(maoz, range(1816, 2020)).filter(ccode=USA)
    assert powers.filter("regional_power")["year"].to_list() == list(range(1824, 1899))
    assert powers.filter("global_power")["year"].to_list() == list(range(1899, 2020))
    assert not powers.select(pl.col("regional_power") & pl.col("global_power")).to_series().any()
    assert rv.power_years(maoz, [2020]).filter(ccode=USA).rows() == [(USA, 2020, False, True)]


def test_france_is_global_to_1941_and_regional_from_1944_by_the_any_day_rule(parsed):
    """France: global 1816-1941, neither 1942-43, regional from 1944 (spell from 25 August)."""
    maoz = parsed["maoz_powers"].frame
    assert str(maoz.filter(ccode=FRANCE)["regstdate"].drop_nulls().item()) == "1944-08-25"
    powers = rv.power_years(maoz, range(1816, 2020)).filter(ccode=FRANCE)
    assert powers.filter("global_power")["year"].to_list() == list(range(1816, 1942))
    assert powers.filter("regional_power")["year"].to_list() == list(range(1944, 2020))
    assert powers.filter(pl.col("year").is_in([1942, 1943])).height == 0


def test_south_korea_is_not_in_maoz_powers(parsed):
    """The ROK is neither a regional nor a global power in Maoz's list."""
    maoz = parsed["maoz_powers"].frame
    assert maoz.filter(ccode=ROK).height == 0
    assert rv.power_years(maoz, range(1948, 2020)).filter(ccode=ROK).height == 0


def test_bad_spells_are_quarantined_with_line_and_reason(tmp_path):
    """Spell ending before it starts, self-rivalry, bad flag, reused id: quarantined; empty = 0."""
    path = tmp_path / "tss_rivalries.csv"
    path.write_text(
        "tssr_id,rivalry,ccode1,ccode2,start,end,positional,spatial,ideological,"
        "interventionary,principal,aprin\n"
        '1,"A-B",2,20,1950,1960,1,,,,,\n'
        '2,"A-C",2,40,1970,1960,1,,,,,\n'
        '3,"A-A",2,2,1950,1960,,1,,,,\n'
        '4,"A-D",2,41,1950,1960,2,,,,,\n'
        '1,"A-B",2,20,1950,1961,1,,,,,\n'
        '5,"A-E",2,42,1950,1960,1,,,,,1\n')
    result = rv.parse_tss_rivalries(path)
    assert (result.rows_read, result.loaded) == (6, 1)
    q = result.quarantine.sort("line")
    assert q.select("line", "column").rows() == [
        (2, "tssr_id"), (3, "endyear"), (4, "ccode2"), (5, "positional"), (6, "tssr_id")]
    assert result.frame.select(rv.TSS_FLAGS).row(0) == (1, 0, 0, 0, 0, 1)


def test_a_maoz_row_with_half_a_spell_is_quarantined(tmp_path):
    """A regional start without an end, or a row with no spell, is quarantined."""
    path = tmp_path / "maoz_powers.csv"
    path.write_text('"ccode","regstdate","regenddate","globstdate","globenddate"\n'
                    '2,"1824-01-01","1898-12-31",,\n'
                    '20,"1970-01-01",,,\n'
                    '30,,,,\n')
    result = rv.parse_maoz_powers(path)
    assert result.loaded == 1
    assert result.quarantine.sort("line").select("line", "column").rows() == [
        (3, "regenddate"), (4, "regstdate")]


def test_registered_sha256s_cover_the_three_new_files():
    """The peacesciencer source knows the three files' checksums (checked against the mirror
    by tests/test_lib_peacesciencer.py)."""
    assert set(FILES.values()) <= set(rv.PEACESCIENCER.sha256)
