"""The bad-input corpus: every broken file is quarantined with its reason or stops with a clear
error naming file, line and column, and no failure leaves a partial table."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipeline.defs.checks import COUNTS, SCHEMA, UNIQUE_KEY
from pipeline.defs.ingest.factory import build_raw_asset
from pipeline.defs.resources import Warehouse
from pipeline.lib.catalog.sources import raw_table
from pipeline.lib.events import parse_event_file
from pipeline.lib.ingest.contract import coerce
from pipeline.lib.ingest.membership import flag_non_members
from pipeline.lib.ingest.rawio import InputError
from pipeline.lib.ingest.sources import alliances, cameo, cow, cow_dipex, cow_nmc, unvotes
from pipeline.lib.ingest.text import read_table_text
from pipeline.lib.store import warehouse as wh
from pipeline.lib.store.results import ParseResult

BAD = Path(__file__).parent / "data" / "bad_input"
GOOD_NMC = Path(__file__).parent / "data" / "cow" / "NMC_5_0.csv"

# A hand-made CAMEO table (Goldstein 1992 weights of the codes the corpus uses).
CAMEO = pl.DataFrame({
    "code": ["010", "040", "042", "111", "120", "130"],
    "name": ["Make statement", "Consult", "Make a visit", "Criticize or denounce", "Reject",
             "Threaten"],
    "goldstein": [0.0, 1.0, 1.9, -2.0, -4.0, -4.4],
})


def _events(dataset: str | None):
    return lambda path: parse_event_file(path, CAMEO, dataset=dataset)


PARSERS = {
    "icews": _events("icews"),
    "gdelt1": _events("gdelt1"),
    "phoenix": _events("phoenix"),
    "phoenix_historical": _events("phoenix_historical"),
    "event_file": _events(None),
    "un_votes": unvotes.parse_un_votes,
    "un_rollcalls": unvotes.parse_un_rollcalls,
    "cow_dipex": cow_dipex.parse_dipex,
    "cow_nmc": cow_nmc.parse_nmc,
    "cow_system": cow.parse_system,
    "cow_states": cow.parse_states,
    "cow_country_codes": cow.parse_country_codes,
    "cameo_codes": cameo.parse_cameo_codes,
    "cow_alliances": alliances.parse_cow_alliances,
    "atop": alliances.parse_atop,
}


@dataclass(frozen=True)
class Case:
    file: str
    parser: str
    kind: str                           # "quarantine" | "error"
    lines: tuple[int | None, ...]       # quarantined lines, or the error's one line
    column: tuple[str | None, ...] | str | None  # per quarantined line, or the error's column
    reason: str | tuple[str, ...]       # substring of every reason (or one per line) / error
    loaded: int | None = None           # quarantine cases: rows that load
    deduplicated: int = 0


Q, E = "quarantine", "error"
CASES = [
    # ICEWS .tab
    Case("icews_truncated_line.tab", "icews", Q, (4,), (None,), "expected 20 fields, found 7", 2),
    Case("icews_non_utf8.tab", "icews", Q, (4,), ("byte 35",), "invalid utf-8 bytes", 2),
    Case("icews_cameo_13y.tab", "icews", Q, (2,), ("CAMEO Code",), "invalid CAMEO code: '13y'", 1),
    Case("icews_goldstein_42.tab", "icews", Q, (3,), ("Intensity",),
         "Goldstein outside [-10, 10]: '42'", 1),
    Case("icews_intensity_mismatch.tab", "icews", Q, (2,), ("raw_goldstein",),
         "file weight 7.0 != CAMEO Goldstein 0.0", 1),
    Case("icews_date_formats.tab", "icews", Q, (4,), ("Event Date",),
         "not a date (YYYY-MM-DD or M/D/YYYY): '04.10.2018'", 2),
    Case("icews_duplicate_rows.tab", "icews", Q, (4, 5), ("event_id", "event_id"),
         "rows with the same event_id icews:1002 and date 2018-10-04 differ", 1, 1),
    Case("icews_wrong_header.tab", "icews", E, (1,), "Event ID", "header lacks column 'Event ID'"),
    Case("icews_wrong_delimiter.tab", "icews", E, (1,), None, "wrong delimiter or header"),
    Case("icews_empty.tab", "icews", E, (1,), None, "file is empty"),
    Case("icews_truncated.tab.gz", "icews", E, (1,), None, "corrupt or truncated gzip"),
    # GDELT 1.0 TSV
    Case("gdelt_truncated_line.tsv", "gdelt1", Q, (3,), (None,), "expected 58 fields, found 30",
         2),
    Case("gdelt_bad_date.tsv", "gdelt1", Q, (2,), ("SQLDATE",),
         "not a YYYYMMDD date: '2016-03-12'", 1),
    Case("gdelt_wrong_delimiter.csv", "event_file", E, (1,), None, "not a known event format"),
    Case("gdelt_zip_slip.zip", "gdelt1", E, (None,), None,
         "unsafe member path '../20160312.export.CSV'"),
    # Phoenix
    Case("phoenix_unknown_cameo.txt", "phoenix", Q, (2,), ("cameo_code",),
         "CAMEO code '0999' not in the CAMEO table", 1),
    Case("phoenix_historical_date_formats.csv", "phoenix_historical", Q, (5,), ("story_date",),
         "not a date (%m/%d/%Y or %Y-%m-%d or %Y%m%d): '15.03.1956'", 3),
    Case("phoenix_historical_no_code.csv", "phoenix_historical", E, (1,), "code",
         "header lacks a 'code' column"),
    # UN votes
    Case("unvotes_bad_values.csv", "un_votes", Q, (3, 4), ("vote", "ccode"),
         ("vote not in {1,2,3,8,9}: '7'", "not a valid Int32: 'USA'"), 1),
    Case("unvotes_key_conflict.csv", "un_votes", Q, (2, 3), ("rcid+ccode", "rcid+ccode"),
         "rows with the same rcid+ccode differ in vote", 1),
    Case("unvotes_non_utf8.csv", "un_votes", Q, (3,), ("byte 33",), "invalid utf-8 bytes", 1),
    Case("unvotes_rollcall_dates.csv", "un_rollcalls", Q, (4,), ("date",),
         "not a valid Date: '17.01.1965'", 2),
    Case("unvotes_wrong_delimiter.csv", "un_votes", E, (1,), None, "wrong delimiter or header"),
    Case("unvotes_unclosed_quote.csv", "un_votes", E, (3,), None,
         "malformed CSV (unexpected end of data)"),
    # COW Diplomatic Exchange, NMC, state system, country codes
    Case("dipex_bad_codes.csv", "cow_dipex", Q, (3, 4), ("DR_at_1", "DE"),
         ("DR code not in {0,1,2,3,9}: '5'", "DE not 0/1: '2'"), 1),
    Case("dipex_zip_slip.zip", "cow_dipex", E, (None,), None, "unsafe member path '../"),
    Case("nmc_bad_values.csv", "cow_nmc", Q, (2, 3, 4), ("milex", "cinc", "ccode"),
         ("not a valid Int64: '12.5'", "cinc outside [0, 1]: '1.5'", "ccode outside 1-999: '0'"),
         1),
    Case("nmc_nan_values.csv", "cow_nmc", Q, (2, 3), ("tpop", "upop"),
         ("not a valid Float64: 'nan'", "not a valid Float64: 'inf'"), 1),
    Case("nmc_truncated.csv.gz", "cow_nmc", E, (None,), None, "corrupt or truncated gzip"),
    Case("nmc_header_only.csv", "cow_nmc", E, (2,), None, "no data rows after the header"),
    Case("nmc_duplicate_column.csv", "cow_nmc", E, (1,), "ccode", "appears twice in the header"),
    Case("nmc_utf16.csv", "cow_nmc", E, (1,), "byte 1", "UTF-16 byte-order mark"),
    Case("cow_system_bad_values.csv", "cow_system", Q, (7, 8, 9), ("year", "ccode", None),
         ("year outside 1816-2100: '1700'", "not a valid Int32: '2a'",
          "expected 4 fields, found 2"), 5),
    Case("cow_states_wrong_header.csv", "cow_states", E, (1,), "endday",
         "header lacks column 'endday'"),
    Case("cow_country_codes_duplicates.csv", "cow_country_codes", Q, (), (), "", 2, 2),
    # CAMEO codes, alliances
    Case("cameo_bad_codes.csv", "cameo_codes", Q, (3, 4, 5), ("goldstein", "code", "root_code"),
         ("Goldstein weight outside [-10, 10]: '42'", "not a CAMEO code (2-4 digits, root 01-20)",
          "root_code '03' is not the root of code '0211'"), 2),
    Case("alliances_bad_flag.csv", "cow_alliances", Q, (3,), ("cow_defense",),
         "flag not 0/1: '2'", 1),
    # Publisher layout: one undirected line = two directed records, both quarantined.
    Case("alliances_year_zero.csv", "cow_alliances", Q, (3, 3), ("year", "year"),
         "year outside 1816-2100: '0'", 2),
    Case("alliances_unknown_layout.csv", "cow_alliances", E, (1,), "defense",
         "neither the peacesciencer layout"),
    Case("atop_empty.csv", "atop", E, (1,), None, "file is empty"),
]
# Corpus files exercised by dedicated tests below rather than by the table.
OTHER_FILES = {"icews_unknown_country.tab", "nmc_not_member.csv"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.file)
def test_broken_file_is_quarantined_or_named_in_a_clear_error(case: Case):
    """Each corpus file ends in quarantine (exact lines, columns, reason) or an InputError."""
    path = BAD / case.file
    parse = PARSERS[case.parser]
    if case.kind == E:
        with pytest.raises(InputError) as info:
            parse(path)
        err = info.value
        assert Path(err.path.split("!")[0]).name == case.file
        assert case.file in str(err) and case.reason in str(err)
        assert err.line == case.lines[0]
        if case.column is not None:
            assert err.column == case.column and f"column {case.column}" in str(err)
        return
    r: ParseResult = parse(path)
    q = r.quarantine.sort("line", maintain_order=True)
    assert tuple(q["line"].to_list()) == case.lines
    assert tuple(q["column"].to_list()) == case.column
    reasons = case.reason if isinstance(case.reason, tuple) else (case.reason,) * q.height
    assert len(reasons) == q.height
    assert all(want in got for want, got in zip(reasons, q["reason"].to_list()))
    assert q["source_file"].str.ends_with(case.file).all()
    assert (r.loaded, r.deduplicated) == (case.loaded, case.deduplicated)
    assert r.rows_read == r.loaded + q.height + r.deduplicated


def test_corpus_has_20_cases_each_listed_in_the_readme():
    """At least 20 corpus files; each is a test case and is described in the README."""
    files = {p.name for p in BAD.iterdir() if p.name != "README.md"}
    readme = (BAD / "README.md").read_text()
    assert len(files) >= 20
    assert files == {c.file for c in CASES} | OTHER_FILES
    assert [f for f in sorted(files) if f"`{f}`" not in readme] == []


def test_both_icews_date_formats_parse_to_the_same_date():
    """ISO and M/D/YYYY dates in one ICEWS file both load as 2018-10-04."""
    r = PARSERS["icews"](BAD / "icews_date_formats.tab")
    assert r.frame.sort("source_line")["event_date"].dt.to_string("%Y-%m-%d").to_list() == [
        "2018-10-04", "2018-10-04"]


def test_unknown_country_is_kept_with_null_ccode_and_counted_in_notes():
    """An unmatched country name keeps its event with a NULL ccode and is counted, not dropped."""
    r = PARSERS["icews"](BAD / "icews_unknown_country.tab")
    assert r.quarantine.height == 0 and r.loaded == r.rows_read == 2
    row = r.frame.filter(pl.col("source_country") == "Atlantis")
    assert row["source_ccode"].to_list() == [None]
    assert row["target_ccode"].to_list() == [732]
    assert r.notes["unmatched_countries"] == {"Atlantis": 1}


# --------------------------------------------------------------------------- membership


@pytest.fixture
def system() -> pl.DataFrame:
    """The rows of the broken system file that load: 2@1946, 2@2010, 345@2005, 255@1945, 260@1955."""
    return cow.parse_system(BAD / "cow_system_bad_values.csv").frame


def test_ccode_not_in_the_system_that_year_is_quarantined_with_its_line(system):
    """Yugoslavia 2010 and Germany 1946 are quarantined with line and reason; 2020 is kept."""
    path = BAD / "nmc_not_member.csv"
    rows, _, _ = read_table_text(path, sep=",", expected=[c.name for c in cow_nmc.NMC_COLS])
    typed, _ = coerce(rows, cow_nmc.NMC_COLS, str(path))
    kept, q = flag_non_members(typed, system, ["ccode"], "year", source_file=str(path))
    assert q.select("line", "column", "reason").rows() == [
        (3, "ccode", "ccode 345 not a COW system member in 2010"),
        (4, "ccode", "ccode 255 not a COW system member in 1946")]
    # 2020 lies beyond the system's last year: membership unknown, so the row is kept.
    assert kept.select("ccode", "year").rows() == [(2, 2010), (2, 2020)]
    assert kept.columns == typed.columns and q["source_file"].to_list() == [str(path)] * 2


def test_membership_checks_every_ccode_column_and_keeps_null_ccodes():
    """A dyad fails on its first non-member side; a NULL ccode (unmatched actor) is kept."""
    system = pl.DataFrame({"ccode": [2, 260, 2], "year": [1955, 1955, 1956]})
    dyads = pl.DataFrame({"ccode1": [2, 2, None], "ccode2": [260, 255, 2],
                          "year": [1955, 1955, 1955], "source_line": [10, 11, 12]})
    kept, q = flag_non_members(dyads, system, ["ccode1", "ccode2"], "year")
    assert q.select("line", "column").rows() == [(11, "ccode2")]
    assert kept["source_line"].to_list() == [10, 12]


# --------------------------------------------------------------------------- no partial table


def _snapshot(con) -> tuple:
    table = con.execute("SELECT * FROM raw.cow_nmc ORDER BY ALL").fetchall()
    log = con.execute("SELECT * FROM raw.ingest_log ORDER BY ALL").fetchall()
    quarantine = con.execute("SELECT * FROM raw.quarantine ORDER BY ALL").fetchall()
    return table, log, quarantine


def _ingest(con, path: Path) -> None:
    """Parse then write, as the raw asset does."""
    started = datetime(2026, 1, 1)
    result = cow_nmc.parse_nmc(path)
    ingest = wh.FileIngest("cow_nmc", path, result, started, started)
    wh.write_table(con, "raw", "cow_nmc", result.frame, files=[ingest])


@pytest.mark.parametrize("broken", ["nmc_truncated.csv.gz", "nmc_header_only.csv",
                                    "nmc_utf16.csv", "nmc_duplicate_column.csv"])
def test_failed_ingest_leaves_previous_table_log_and_quarantine_unchanged(warehouse, broken):
    """The InputError propagates and raw.cow_nmc, its log and quarantine stay as committed."""
    con = wh.connect()
    _ingest(con, BAD / "nmc_bad_values.csv")  # 1 row loaded, 3 quarantined
    before = _snapshot(con)
    assert (len(before[0]), len(before[1]), len(before[2])) == (1, 1, 3)
    with pytest.raises(InputError, match=broken):
        _ingest(con, BAD / broken)
    assert _snapshot(con) == before


def test_failure_inside_the_write_rolls_back_the_table_replacement(warehouse, tmp_path):
    """An error after the table was replaced inside the transaction restores the old state."""
    con = wh.connect()
    _ingest(con, BAD / "nmc_bad_values.csv")
    before = _snapshot(con)
    src = tmp_path / "NMC_5_0.csv"
    shutil.copy(GOOD_NMC, src)
    result = cow_nmc.parse_nmc(src)
    ingest = wh.FileIngest("cow_nmc", src, result, datetime(2026, 1, 2), datetime(2026, 1, 2))
    src.unlink()  # the log row needs the file's size: fails after CREATE OR REPLACE TABLE
    with pytest.raises(FileNotFoundError):
        wh.write_table(con, "raw", "cow_nmc", result.frame, files=[ingest])
    assert _snapshot(con) == before


def _materialize_nmc() -> dg.ExecuteInProcessResult:
    asset = build_raw_asset(raw_table("cow_nmc"))
    # The blocking checks, evaluated before the write (membership needs more raw tables).
    assert {k.name for k in asset.check_keys} == {SCHEMA, UNIQUE_KEY, COUNTS}
    return dg.materialize([asset], resources={"warehouse": Warehouse()}, raise_on_error=False)


def test_dagster_run_quarantines_then_fails_on_a_broken_file_without_partial_table(
        warehouse, tmp_path, monkeypatch):
    """Through Dagster: bad values are quarantined (checks pass); a truncated gzip fails the
    run naming the file, and the warehouse keeps the previous table, log and quarantine."""
    raw_dir = tmp_path / "raw"
    (raw_dir / "cow_nmc").mkdir(parents=True)
    monkeypatch.setenv("PIPELINE_RAW_DIRS", str(raw_dir))
    shutil.copy(BAD / "nmc_bad_values.csv", raw_dir / "cow_nmc" / "NMC_5_0.csv")

    first = _materialize_nmc()
    assert first.success
    assert all(c.passed for c in first.get_asset_check_evaluations())
    con = wh.connect(read_only=True)
    before = _snapshot(con)
    assert [r[-1] for r in con.execute(
        "SELECT reason, line FROM raw.quarantine ORDER BY line").fetchall()] == [2, 3, 4]
    con.close()

    # NMC-60 is preferred over NMC_5_0, so the broken file is the one the asset reads.
    shutil.copy(BAD / "nmc_truncated.csv.gz", raw_dir / "cow_nmc" / "NMC-60-abridged.csv.gz")
    second = _materialize_nmc()
    assert not second.success
    failure = next(e for e in second.all_events if e.is_step_failure)
    error, messages = failure.step_failure_data.error, []
    while error is not None:  # Dagster wraps the asset's exception; read the whole chain
        messages.append(error.message)
        error = error.cause
    message = "".join(messages)
    assert "InputError" in message
    assert "NMC-60-abridged.csv.gz" in message and "corrupt or truncated gzip" in message
    con = wh.connect(read_only=True)
    assert _snapshot(con) == before
    con.close()
