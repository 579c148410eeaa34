"""COW state system, NMC and Diplomatic Exchange parsers, on the real files and small fixtures."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import polars as pl
import pytest

from pipeline.lib.ingest.sources import cow, cow_dipex, cow_nmc
from pipeline.lib.store.provenance import sha256_file
from pipeline.lib.store.results import ParseResult

FIX = Path(__file__).parent / "data" / "cow"
DIPEX_DIR = "cow_diplomatic_exchange"
EXCERPT = "Diplomatic_Exchange_2006v1.excerpt.csv"
_CACHE: dict[str, ParseResult] = {}


def _parsed(raw: Path, name: str) -> ParseResult:
    """Parse the real file of raw table ``name`` once per session."""
    if name not in _CACHE:
        table = next(t for t in cow.TABLES if t.name == name)
        folder = raw / table.source.name
        path = next(p for pat in table.patterns or table.source.patterns
                    for p in sorted(folder.glob(pat)))
        _CACHE[name] = table.parser(path)
    return _CACHE[name]


def _value(frame: pl.DataFrame, col: str, **where) -> object:
    return frame.filter(**where).get_column(col).item()


@pytest.mark.parametrize("table", cow.TABLES, ids=lambda t: t.name)
def test_real_tables_reconcile_and_pass_their_schema(raw, table):
    """Every COW raw table loads without quarantine, reconciles and satisfies its schema."""
    result = _parsed(raw, table.name)
    result.reconcile()
    assert result.quarantine.height == 0
    table.schema.validate(result.frame, lazy=True)
    assert result.frame.select(table.key).is_duplicated().sum() == 0


@pytest.mark.parametrize("source", cow.SOURCES, ids=lambda s: s.name)
def test_known_checksums_match_the_shipped_files(raw, source):
    """The sha256 recorded in each COW Source matches the file in the shared mirror."""
    checked = [name for name in source.sha256 if (raw / source.name / name).exists()]
    assert checked
    for name in checked:
        assert sha256_file(raw / source.name / name) == source.sha256[name]


def test_state_spells_count_243_for_217_states_with_france_interrupted(raw):
    """states2016 has 243 spells of 217 ccodes; France is out 1942-11-11 to 1944-08-25."""
    states = _parsed(raw, "cow_states").frame
    assert (states.height, states["ccode"].n_unique()) == (243, 217)
    france = states.filter(ccode=220).sort("styear")
    assert france.select("endyear", "endmonth", "endday").row(0) == (1942, 11, 11)
    assert france.select("styear", "stmonth", "stday").row(1) == (1944, 8, 25)


def test_system_state_years_match_the_documented_yearly_counts(raw):
    """system2016 has 15,951 state-years with 23/66/90/134/191/192/195 members in key years."""
    system = _parsed(raw, "cow_system").frame
    counts = dict(system.group_by("year").len().iter_rows())
    assert system.height == 15_951
    assert [counts[y] for y in (1816, 1946, 1958, 1970, 2000, 2005, 2016)] == [
        23, 66, 90, 134, 191, 192, 195]
    france_missing = set(range(1816, 2017)) - set(system.filter(ccode=220)["year"])
    assert france_missing == {1943}


def test_majors_hold_14_spells_with_usa_from_1898_and_france_out_1940_to_1945(raw):
    """majors2016 lists 14 spells; USA from 1898-08-13; France to 1940-06-22, again 1945-08-15."""
    majors = _parsed(raw, "cow_majors").frame
    assert majors.height == 14
    assert majors.filter(ccode=2).select("styear", "stmonth", "stday").row(0) == (1898, 8, 13)
    france = majors.filter(ccode=220).sort("styear")
    assert france.select("endyear", "endmonth", "endday").row(0) == (1940, 6, 22)
    assert france.select("styear", "stmonth", "stday").row(1) == (1945, 8, 15)


def test_country_codes_with_bare_cr_lines_dedupe_26_rows_to_217_codes(raw):
    """The bare-CR code list reads 243 lines, removes 26 exact duplicates and keeps 217 codes."""
    result = _parsed(raw, "cow_country_codes")
    assert (result.rows_read, result.loaded, result.deduplicated) == (243, 217, 26)
    assert result.frame.columns == ["stateabb", "ccode", "statenme"]
    assert _value(result.frame, "statenme", ccode=732) == "South Korea"


def test_nmc_cinc_matches_the_reference_values(raw):
    """CINC for USA, ROK, France and China matches METHODS §9 to six decimals."""
    nmc = _parsed(raw, "cow_nmc").frame
    expected = {(2, 2005): 0.156302, (732, 1960): 0.009340, (732, 2000): 0.023389,
                (732, 2005): 0.023448, (220, 1960): 0.032849, (220, 2005): 0.019447,
                (710, 2005): 0.171956}
    for (ccode, year), value in expected.items():
        assert _value(nmc, "cinc", ccode=ccode, year=year) == pytest.approx(value, abs=5e-7)


def test_nmc_minus9_codes_become_null_in_the_documented_counts(raw):
    """-9 becomes NULL: milex 2,217, milper 426, pec 448, upop 68, irst 26; tpop/cinc none."""
    nulls = _parsed(raw, "cow_nmc").frame.null_count().row(0, named=True)
    assert {k: nulls[k] for k in ("milex", "milper", "pec", "upop", "irst", "tpop", "cinc")} == {
        "milex": 2217, "milper": 426, "pec": 448, "upop": 68, "irst": 26, "tpop": 0, "cinc": 0}


def test_nmc_yearly_sums_and_1970_ranks_match_the_reference(raw):
    """CINC sums 1.0535 (1816) and 1.0033 (2005); 1970 ranks USA 1, France 8, ROK 20."""
    nmc = _parsed(raw, "cow_nmc").frame
    sums = dict(nmc.group_by("year").agg(pl.col("cinc").sum()).iter_rows())
    assert (sums[1816], sums[2005]) == (pytest.approx(1.0535, abs=5e-5),
                                        pytest.approx(1.0033, abs=5e-5))
    ranks = nmc.filter(year=1970).with_columns(
        pl.col("cinc").rank("min", descending=True).cast(pl.Int32).alias("rank"))
    assert [_value(ranks, "rank", ccode=c) for c in (2, 220, 732)] == [1, 8, 20]


def test_nmc_state_years_are_exactly_the_system_state_years(raw):
    """NMC v6.0 rows are exactly the 15,951 system2016 state-years."""
    nmc = _parsed(raw, "cow_nmc").frame.select("ccode", "year")
    system = _parsed(raw, "cow_system").frame.select("ccode", "year")
    assert nmc.join(system, on=["ccode", "year"], how="anti").height == 0
    assert system.join(nmc, on=["ccode", "year"], how="anti").height == 0


def test_nmc_v5_layout_reads_with_minus9_as_null_and_float_populations():
    """A v5-style NMC_5_0.csv reads with -9 as NULL and a decimal upop kept."""
    frame = cow_nmc.parse_nmc(FIX / "NMC_5_0.csv").frame
    assert frame.filter(ccode=901).select("milex", "upop").row(0) == (None, None)
    assert _value(frame, "upop", ccode=902) == 700.5
    cow_nmc.CowNmc.validate(frame, lazy=True)


def test_nmc_v7_file_with_crlf_and_leading_dot_cinc_is_preferred_and_read(tmp_path, monkeypatch):
    """NMC-70-abridged.csv (CRLF, '.0397' CINC) wins over the v6 file and parses."""
    folder = tmp_path / "cow_nmc"
    folder.mkdir()
    (folder / "NMC-60-abridged.csv").write_text((FIX / "NMC_5_0.csv").read_text())
    (folder / "NMC-70-abridged.csv").write_bytes(
        b"stateabb,ccode,year,milex,milper,irst,pec,tpop,upop,cinc,version\r\n"
        b"AAA,901,1816,3000,17,80,254,8000,101,.039697491,2025\r\n")
    monkeypatch.setenv("PIPELINE_RAW_DIRS", str(tmp_path))
    path = cow_nmc.NMC.find()[0]
    frame = cow_nmc.parse_nmc(path).frame
    assert path.name == "NMC-70-abridged.csv"
    assert frame.select("cinc", "version").row(0) == (pytest.approx(0.039697491), 2025)


def _excerpt(raw: Path) -> pl.DataFrame:
    """The shipped 105-row excerpt, read by path (the folder may also hold the full file)."""
    return cow_dipex.parse_dipex(raw / DIPEX_DIR / EXCERPT).frame


def test_dipex_excerpt_keeps_code_9_for_usa_cuba_interest_sections(raw):
    """The 105-row excerpt loads; USA-Cuba 1980-2005 stays 9/9 with DE = 0 (never NULL)."""
    frame = _excerpt(raw)
    cuba = frame.filter(ccode1=2, ccode2=40).filter(pl.col("year").is_between(1980, 2005))
    assert frame.height == 105
    assert cuba["year"].to_list() == [1980, 1985, 1990, 1995, 2000, 2005]
    assert cuba.select("DR_at_1", "DR_at_2", "DE").unique().rows() == [(9, 9, 0)]
    assert frame.select(pl.col("DR_at_1", "DR_at_2").null_count()).row(0) == (0, 0)
    assert frame["version"].unique().to_list() == [2006.1]


def test_dipex_ties_read_dr_at_2_as_side_1_at_side_2(raw):
    """USA-Bahamas 1985 (DR_at_1 = 1, DR_at_2 = 3): USA -> BHM is 3, BHM -> USA is 1."""
    links = cow_dipex.ties(_excerpt(raw)).filter(year=1985)
    assert _value(links, "level", sender=2, host=31) == 3
    assert _value(links, "level", sender=31, host=2) == 1


def test_direction_mismatches_flags_only_the_inconsistent_pair():
    """DR_at_1(a,b) != DR_at_2(b,a) is reported; consistent and one-order dyads are not."""
    frame = pl.DataFrame(
        {"ccode1": [2, 20, 2, 40, 2], "ccode2": [20, 2, 40, 2, 41],
         "year": [1970] * 5, "DR_at_1": [3, 2, 9, 0, 1], "DR_at_2": [2, 3, 9, 9, 3]})
    out = cow_dipex.direction_mismatches(frame)
    assert out.rows() == [(40, 2, 1970, 0, 9)]
    assert cow_dipex.ties(frame).filter(sender=40, host=2)["level"].item() == 9


def test_dipex_bad_rows_are_quarantined_and_counted(raw):
    """A DR code 5, a short line and an empty DR are quarantined; a duplicate is counted."""
    result = cow_dipex.parse_dipex(FIX / "dipex_bad.csv")
    assert (result.rows_read, result.loaded, result.quarantine.height,
            result.deduplicated) == (6, 2, 3, 1)
    assert sorted(result.quarantine["line"]) == [3, 4, 6]
    assert "DR code not in" in _value(result.quarantine, "reason", line=3)


def test_dipex_publisher_zip_is_preferred_over_the_excerpt_and_reads(raw, tmp_path, monkeypatch):
    """A zip with the CSV, a codebook and a readme is found before the excerpt and parses."""
    excerpt = raw / DIPEX_DIR / EXCERPT
    folder = tmp_path / DIPEX_DIR
    folder.mkdir()
    (folder / excerpt.name).write_bytes(excerpt.read_bytes())
    with zipfile.ZipFile(folder / "Diplomatic_Exchange_2006.1.zip", "w") as zf:
        zf.writestr("Diplomatic_Exchange_2006.1/Diplomatic_Exchange_2006v1.csv",
                    excerpt.read_bytes())
        zf.writestr("Diplomatic_Exchange_2006.1/readme.txt", "codebook notes")
        zf.writestr("Diplomatic_Exchange_2006.1/DipEx codebook.pdf", b"%PDF-1.4")
    monkeypatch.setenv("PIPELINE_RAW_DIRS", str(tmp_path))
    path = cow_dipex.DIPEX.find()[0]
    result = cow_dipex.parse_dipex(path)
    assert path.suffix == ".zip"
    assert result.loaded == 105
    assert result.frame.equals(_excerpt(raw))
    (folder / "Diplomatic_Exchange_2006v1.csv").write_bytes(excerpt.read_bytes())
    assert cow_dipex.DIPEX.find()[0].name == "Diplomatic_Exchange_2006v1.csv"


FULL = "Diplomatic_Exchange_2006v1.csv"
FULL_SHA256 = "735ae1347b0e7a714bca0f47d99c925cb85fb7bca2da1900206c755af2778be6"


@pytest.fixture(scope="module")
def dipex_full(raw) -> pl.DataFrame:
    """The publisher's full Diplomatic Exchange file; skips locally when absent, fails under CI."""
    path = raw / DIPEX_DIR / FULL
    if not path.exists():
        msg = f"the full Diplomatic Exchange file is not at {path}"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {msg}")
        pytest.skip(msg)
    result = cow_dipex.parse_dipex(path)
    result.reconcile()
    assert result.quarantine.height == 0
    return result.frame


def test_dipex_full_file_is_registered_by_its_sha256(raw, dipex_full):
    """The full publisher CSV is in the registry and its sha256 is 735ae134..."""
    assert cow_dipex.DIPEX.sha256[FULL] == FULL_SHA256
    assert sha256_file(raw / DIPEX_DIR / FULL) == FULL_SHA256


def test_dipex_full_file_has_310820_rows_in_38_waves(dipex_full):
    """310,820 rows in 38 waves; each wave is the complete directed set n(n-1) of its states.

    The one exception is 1990, unification year: united Germany (255) and Yemen (679) appear
    beside the states they absorbed (260, 265; 678, 680) but never paired with them.
    """
    waves = [1817, 1824, 1827, 1832, 1836, 1840, *range(1844, 1915, 5), *range(1920, 1941, 5),
             *range(1950, 2006, 5)]
    assert dipex_full.height == 310_820
    assert sorted(dipex_full["year"].unique()) == waves and len(waves) == 38
    per_wave = dipex_full.group_by("year").agg(pl.len().cast(pl.Int64).alias("rows"),
                                               pl.col("ccode1").n_unique().cast(pl.Int64).alias("n"))
    short = per_wave.with_columns((pl.col("n") * (pl.col("n") - 1) - pl.col("rows")).alias("gap"))
    assert dict(short.filter(pl.col("gap") != 0).select("year", "gap").iter_rows()) == {1990: 8}
    w1990 = dipex_full.filter(year=1990)
    states = sorted(w1990["ccode1"].unique())
    have = set(zip(w1990["ccode1"], w1990["ccode2"], strict=True))
    missing = {(a, b) for a in states for b in states if a != b and (a, b) not in have}
    assert missing == {(255, 260), (260, 255), (255, 265), (265, 255),
                       (678, 679), (679, 678), (679, 680), (680, 679)}
    sizes = dict(per_wave.select("year", "n").iter_rows())
    assert (sizes[1817], sizes[1970], sizes[2005]) == (23, 134, 192)


def test_dipex_full_file_every_row_has_its_consistent_reverse(dipex_full):
    """Every (a, b) row has its (b, a) row, and DR_at_1(a, b) = DR_at_2(b, a) everywhere."""
    mirror = dipex_full.select(pl.col("ccode2").alias("ccode1"), pl.col("ccode1").alias("ccode2"),
                               "year", pl.col("DR_at_2").alias("mirror"))
    joined = dipex_full.join(mirror, on=["ccode1", "ccode2", "year"], how="left")
    assert joined["mirror"].null_count() == 0
    assert cow_dipex.direction_mismatches(dipex_full).height == 0


def test_dipex_full_1970_has_134_states_and_4945_ties(dipex_full):
    """1970: 134 states and 4,945 directed ties with DR_at_2 in {1, 2, 3, 9} (replication log)."""
    w = dipex_full.filter(year=1970)
    assert w["ccode1"].n_unique() == 134
    assert w.filter(pl.col("DR_at_2").is_in([1, 2, 3, 9])).height == 4_945
    ties = cow_dipex.ties(dipex_full).filter(pl.col("year") == 1970, pl.col("level") > 0)
    assert ties.height == 4_945


def test_dipex_full_codes_match_the_documented_counts(dipex_full):
    """Codes in each DR column: 0/1/2/3/9 = 225,924/5,542/12,224/54,319/12,811; DE=1 100,282."""
    expected = {0: 225_924, 1: 5_542, 2: 12_224, 3: 54_319, 9: 12_811}
    for col in ("DR_at_1", "DR_at_2"):
        assert dict(dipex_full[col].value_counts().iter_rows()) == expected
    assert dipex_full.filter(DE=1).height == 100_282
    only9 = dipex_full.filter(pl.col("year").is_between(1950, 1965), pl.col("DR_at_2") > 0)
    assert only9["DR_at_2"].unique().to_list() == [9]  # codebook note 1


def test_dipex_excerpt_alone_is_not_complete_enough_for_measures(raw):
    """The excerpt's best wave has too few senders: DE measures are reported unavailable."""
    from pipeline.lib.measures.state_year import dipex_status

    system = _parsed(raw, "cow_system").frame
    report = dipex_status(_excerpt(raw), system)
    assert report["available"] is False and "excerpt" in report["reason"]


def test_dipex_full_file_is_complete_enough_for_measures(raw, dipex_full):
    """With the full file every wave's senders are all the wave's states: measures available."""
    from pipeline.lib.measures.state_year import dipex_status

    report = dipex_status(dipex_full, _parsed(raw, "cow_system").frame)
    assert report["available"] is True and report["best_wave_sender_share"] >= 0.99
