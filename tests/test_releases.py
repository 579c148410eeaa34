"""Upgrading the data: newer releases load and are named by what the files say; packagings
without unused columns load with the same values; unread files are reported.

The upgraded files are built in tmp_path from the shared ones (an NMC file with a 7.0
version column and rows past 2016, a state system extended past 2016, peacesciencer-style
NMC and ATOP files); nothing under the shared data is touched.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import polars as pl
import pytest
from pybtex.database import parse_string

from pipeline import cli
from pipeline.lib.catalog import inventory
from pipeline.lib.catalog.sources import RAW_TABLES, all_sources
from pipeline.lib.ingest.sources import alliances, cow, cow_nmc
from pipeline.lib.report import health

FIX = Path(__file__).parent / "data" / "cow"
STATES = "cow_state_system"


@pytest.fixture
def raw_copy(raw, tmp_path, monkeypatch) -> Path:
    """tmp_path/raw links every real source folder (the search path of this test)."""
    root = tmp_path / "raw"
    root.mkdir()
    for folder in raw.iterdir():
        (root / folder.name).symlink_to(folder)
    monkeypatch.setenv("PIPELINE_RAW_DIRS", str(root))
    monkeypatch.setenv("PIPELINE_DERIVED", str(tmp_path / "derived"))
    monkeypatch.setenv("PIPELINE_WAREHOUSE", str(tmp_path / "derived" / "none.duckdb"))
    return root


def writable(root: Path, folder: str) -> Path:
    link = root / folder
    real = link.resolve()
    link.unlink()
    shutil.copytree(real, link, copy_function=shutil.copyfile)
    link.chmod(0o755)
    return link


def nmc60(raw: Path) -> pl.DataFrame:
    with gzip.open(raw / "cow_nmc" / "NMC-60-abridged.csv.gz") as fh:
        return pl.read_csv(fh.read(), infer_schema=False)


def test_nmc_7_with_rows_past_2016_loads_and_is_named_7_by_sources_and_cite(raw, raw_copy,
                                                                          capsys):
    """NMC-70-abridged.csv with version 7.0 and 2017-2018 rows: 16,341 rows to 2018; sources
    and cite say 7.0 (read from the file) and cite the 7.0 data set, not the 6.0 codebook."""
    text = nmc60(raw).with_columns(pl.lit("7.0").alias("version"))
    last = text.filter(pl.col("year") == "2016")
    newer = pl.concat([text, *[last.with_columns(pl.lit(str(y)).alias("year"))
                               for y in (2017, 2018)]])
    folder = writable(raw_copy, "cow_nmc")
    newer.write_csv(folder / "NMC-70-abridged.csv")

    path = cow_nmc.NMC.find()[0]
    result = cow_nmc.parse_nmc(path)
    assert path.name == "NMC-70-abridged.csv"
    assert (result.loaded, result.frame["year"].max()) == (15_951 + 2 * 195, 2018)
    assert cow_nmc.NMC.version_of(path) == ("7.0", "read from the file")
    assert cli.main(["sources"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "cow_nmc - COW National Material Capabilities (abridged), version 7.0 (read from " \
           "the file)" in out
    assert "NMC-60-abridged.csv.gz" in out and "(not read: a preferred file is)" in out
    assert cli.main(["cite"]) == cli.EXIT_OK
    bib = capsys.readouterr().out
    assert "% cow_nmc                    7.0 (read from the file)" in bib
    entries = parse_string(bib, "bibtex").entries
    assert "cownmc70" in entries and "greig2021nmc" not in entries
    assert "Version 7.0" in entries["cownmc70"].fields["title"]


def test_nmc_without_stateabb_and_version_loads_with_the_same_values(raw, tmp_path):
    """peacesciencer's cow_nmc (no stateabb, no version, NA for -9) gives the v6.0 values."""
    v6 = nmc60(raw)
    ps = v6.drop("stateabb", "version").with_columns(
        pl.when(pl.col(c) == "-9").then(None).otherwise(pl.col(c)).alias(c)
        for c in ("milex", "milper", "irst", "pec", "tpop", "upop"))
    ps.write_csv(tmp_path / "cow_nmc.csv", null_value="NA")
    reference = cow_nmc.parse_nmc(raw / "cow_nmc" / "NMC-60-abridged.csv.gz").frame
    got = cow_nmc.parse_nmc(tmp_path / "cow_nmc.csv").frame
    assert got.select(pl.col("stateabb", "version").null_count()).row(0) == (15_951, 15_951)
    assert got.drop("stateabb", "version").equals(reference.drop("stateabb", "version"))
    cow_nmc.CowNmc.validate(got, lazy=True)
    assumed = "assumed: the file does not say"
    assert cow_nmc.NMC.version_of(tmp_path / "cow_nmc.csv") == ("6.0", assumed)


def test_a_state_system_release_past_2016_is_read_by_pattern_and_cited(raw, raw_copy, capsys):
    """states/system/majors2024.csv beside the 2016 files: the 2024 files are read (system to
    2018), sources and cite say 2024; with only part of a release, a warning says so."""
    folder = writable(raw_copy, STATES)
    for name in ("states", "system", "majors"):
        frame = pl.read_csv(folder / f"{name}2016.csv", infer_schema=False).with_columns(
            pl.lit("2024").alias("version"))
        if name == "system":
            last = frame.filter(pl.col("year") == "2016")
            frame = pl.concat([frame, *[last.with_columns(pl.lit(str(y)).alias("year"))
                                        for y in (2017, 2018)]])
        frame.write_csv(folder / f"{name}2024.csv")

    table = next(t for t in cow.TABLES if t.name == "cow_system")
    path = cow.STATE_SYSTEM.find(table.patterns)[0]
    system = cow.parse_system(path).frame
    assert path.name == "system2024.csv"
    assert (system.height, system["year"].max()) == (15_951 + 2 * 195, 2018)
    assert health.release_notices(RAW_TABLES) == []
    assert cli.main(["cite"]) == cli.EXIT_OK
    bib = capsys.readouterr().out
    assert "% cow_state_system           2024 (read from the file)" in bib
    assert "cowstates2024" in parse_string(bib, "bibtex").entries

    (folder / "majors2024.csv").unlink()
    (notice,) = health.release_notices(RAW_TABLES)
    assert notice.subject == STATES and "2016: majors2016.csv; 2024: states2024.csv, " \
                                         "system2024.csv" in notice.message


def test_a_missing_state_system_says_all_four_files_are_needed(tmp_path, monkeypatch, capsys):
    """With only majors2016.csv, sources says MISSING and that all four files are needed."""
    (tmp_path / STATES).mkdir()
    (tmp_path / STATES / "majors2016.csv").write_text("stateabb,ccode\n")
    monkeypatch.setenv("PIPELINE_RAW_DIRS", str(tmp_path))
    monkeypatch.setenv("PIPELINE_WAREHOUSE", str(tmp_path / "none.duckdb"))
    monkeypatch.setenv("PIPELINE_DERIVED", str(tmp_path / "derived"))
    assert cli.main(["sources"]) == cli.EXIT_USAGE
    out = capsys.readouterr().out
    assert f"[MISSING required] {STATES}" in out
    assert "no file for raw.cow_states, raw.cow_system, raw.cow_country_codes" in out
    assert ("all four files: states<YYYY>.csv and system<YYYY>.csv and majors<YYYY>.csv (one "
            "release, e.g. 2016) and COW country codes.csv (or COW-country-codes.csv)") in out
    assert " or ".join(cow.STATE_SYSTEM.patterns) not in out


def test_atop_rows_of_1815_are_valid(tmp_path):
    """ATOP starts in 1815: a 1815 dyad-year loads instead of being quarantined."""
    path = tmp_path / "atop5_1ddyr.csv"
    text = (FIX / "atop5_1ddyr.csv").read_text()
    path.write_text(text + "2200,220,200,1815,1,1,0,0,0,1,1,0,1,0,1,0,9904,,5.1\n")
    result = alliances.parse_atop(path)
    assert (result.loaded, result.quarantine.height) == (5, 1)
    assert result.frame.filter(year=1815).height == 1
    alliances.AtopAlliances.validate(result.frame, lazy=True)
    assert alliances.ATOP.version_of(path) == ("5.1", "read from the file")


def test_peacesciencer_atop_loads_the_same_flags_without_atopally(tmp_path):
    """atop_alliance.csv (ccode1, ccode2, year, atop_defense...) gives the codebook file's
    values; atopally and the columns peacesciencer drops are NULL."""
    codebook = alliances.parse_atop(FIX / "atop5_1ddyr.csv")
    flags = ["defense", "offense", "neutral", "nonagg", "consul"]
    ps = pl.read_csv(FIX / "atop5_1ddyr.csv", infer_schema=False).select(
        pl.col("stateA").alias("ccode1"), pl.col("stateB").alias("ccode2"), "year",
        *[pl.col(f).alias(f"atop_{f}") for f in flags])
    ps.write_csv(tmp_path / "atop_alliance.csv")
    got = alliances.parse_atop(tmp_path / "atop_alliance.csv")
    keep = ["stateA", "stateB", "year", *flags]
    assert got.frame.select(keep).equals(codebook.frame.select(keep))
    assert got.quarantine["column"].to_list() == ["consul"]
    assert got.frame["atopally"].null_count() == got.loaded
    assert got.notes["layout"] == "R {peacesciencer} atop_alliance"
    alliances.AtopAlliances.validate(got.frame, lazy=True)


def test_a_file_no_parser_reads_is_reported_by_sources_and_the_run(raw_copy, capsys):
    """un_votes.rda dropped into the UN votes folder is named, not passed over."""
    folder = writable(raw_copy, "unga_votes_voeten")
    (folder / "un_votes.rda").write_bytes(b"RDX3\n")
    notices = {n.subject: n for n in health.unread_notices(all_sources(), [raw_copy])}
    assert notices["unga_votes_voeten"].message == ("1 file(s), no parser reads them: "
                                                    "un_votes.rda")
    assert cli.main(["sources"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "[WARN] unga_votes_voeten: 1 file(s), no parser reads them: un_votes.rda" in out


def test_inventory_names_the_release_of_what_is_read(raw, raw_copy):
    """On the shared data: NMC 6.0 and state system 2016 read from the files, UN votes known
    by the registered sha256 of the file loaded."""
    from pipeline.lib.store.provenance import sha256_file

    states = {s.source.name: s for s in inventory.inventory(all_sources(), RAW_TABLES,
                                                              sha256_file)}
    assert states["cow_nmc"].release == ("6.0", "read from the file")
    assert states[STATES].release == ("2016", "read from the file")
    assert states["unga_votes_voeten"].release[1] == "registered sha256"
    assert all(s.state == "ok" for s in states.values() if s.source.required)
