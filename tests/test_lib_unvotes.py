"""UNGA roll-call votes: parsing contract on a fixture, and the published numbers on real data."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline.lib.ingest.rawio import InputError
from pipeline.lib.ingest.sources import unvotes
from pipeline.lib.ingest.sources.unvotes import (
    UnRollcalls,
    UnVotes,
    identical_vote_share,
    parse_un_rollcalls,
    parse_un_votes,
)

FIXTURE = Path(__file__).parent / "data" / "unvotes" / "votes_small.csv"
CSV = "unga_votes_voeten/UNVotesPublished.csv.gz"
RDATA = "unga_votes_voeten/original/UNVotesPublished.RData"


@pytest.fixture(scope="module")
def real(raw) -> dict:
    """Both tables parsed once from the shipped CSV."""
    path = raw / CSV
    return {"votes": parse_un_votes(path), "rollcalls": parse_un_rollcalls(path)}


def _reasons(result) -> dict[int, str]:
    return dict(zip(result.quarantine["line"], result.quarantine["reason"]))


def test_vote_rows_reconcile_with_bad_codes_conflicts_and_repeats_accounted_for():
    """A vote of 7, a country voting twice differently, a short line and a repeat are counted."""
    r = parse_un_votes(FIXTURE)
    assert (r.rows_read, r.loaded, r.quarantine.height, r.deduplicated) == (13, 8, 4, 1)
    reasons = _reasons(r)
    assert "vote not in" in reasons[10]
    assert "differ in vote" in reasons[11] and "differ in vote" in reasons[12]
    assert "expected 15 fields" in reasons[13]


def test_empty_member_becomes_null_not_zero():
    """A non-member's empty `member` field loads as NULL."""
    f = parse_un_votes(FIXTURE).frame
    assert f.filter(pl.col("ccode") == 732)["member"].to_list() == [None]
    assert f.schema == pl.Schema({"rcid": pl.Int32, "ccode": pl.Int32, "vote": pl.Int8,
                                  "member": pl.Int8})


def test_rollcalls_collapse_repeats_and_quarantine_conflicting_or_invalid_roll_calls():
    """Repeated attributes collapse; conflicting, undatable or non-0/1 roll calls quarantine."""
    r = parse_un_rollcalls(FIXTURE)
    assert r.frame["rcid"].to_list() == [10, 11, 14]
    assert (r.rows_read, r.quarantine.height, r.deduplicated) == (13, 5, 5)
    reasons = _reasons(r)
    assert "differ in importantvote" in reasons[8] and "differ in importantvote" in reasons[9]
    assert "not a valid Date" in reasons[10]
    assert "not a 0/1 flag" in reasons[14]


def test_the_stray_quote_in_ec_is_read_as_zero_and_recorded():
    """`0\\"` in ec becomes 0 and the notes count the rows and roll calls."""
    r = parse_un_rollcalls(FIXTURE)
    assert r.frame.filter(pl.col("rcid") == 11)["ec"].item() == 0
    assert r.notes == {"ec_artefact_rows": 2, "ec_artefact_rcids": "11"}


def test_us_style_dates_parse_to_dates():
    """M/D/YYYY text becomes a pl.Date."""
    r = parse_un_rollcalls(FIXTURE)
    assert r.frame.filter(pl.col("rcid") == 10)["date"].item().isoformat() == "1965-01-15"


def test_a_file_without_year_takes_the_session_opening_year(tmp_path):
    """Without a `year` column, year = session + 1945."""
    path = tmp_path / "UNVotes-split.csv"
    pl.read_csv(FIXTURE, infer_schema=False, n_rows=3).drop("year").write_csv(path)
    assert parse_un_rollcalls(path).frame["year"].to_list() == [1965]


def test_an_unreadable_rdata_file_raises_input_error(tmp_path):
    """Garbage with an .RData name fails as a whole-file InputError naming the file."""
    path = tmp_path / "UNVotes2021.RData"
    path.write_bytes(b"not an R file")
    with pytest.raises(InputError, match="UNVotes2021.RData"):
        parse_un_votes(path)


def test_identical_vote_share_drops_absences_and_needs_a_year():
    """Only roll calls where both cast 1/2/3 count; a year comes from the roll calls."""
    votes = pl.DataFrame({"rcid": [1, 1, 2, 2, 3, 3], "ccode": [2, 220] * 3,
                          "vote": [1, 1, 1, 3, 1, 8]}, schema_overrides={"vote": pl.Int8})
    rollcalls = pl.DataFrame({"rcid": [1, 2, 3], "year": [1960, 1960, 1960]})
    out = identical_vote_share(votes, 220, 2, rollcalls)
    assert out.row(0) == (1960, 2, 0.5)
    with pytest.raises(ValueError, match="year"):
        identical_vote_share(votes, 220, 2)


def test_real_votes_have_the_published_row_count_and_vote_distribution(real):
    """1,066,613 rows with yes/abstain/no/absent/non-member = 588,800/95,099/54,865/73,328/254,521."""
    r = real["votes"]
    assert r.loaded == 1_066_613 and r.quarantine.height == 0
    counts = dict(zip(*r.frame["vote"].value_counts().sort("vote").get_columns()))
    assert counts == {1: 588_800, 2: 95_099, 3: 54_865, 8: 73_328, 9: 254_521}
    UnVotes.validate(r.frame, lazy=True)


def test_real_rollcalls_number_5429_with_381_important_votes(real):
    """5,429 roll calls, 381 important-vote flags, the 197 `0\\"` rows of rcid 1429 mapped."""
    r = real["rollcalls"]
    assert r.loaded == 5_429 and r.quarantine.height == 0
    assert r.frame["importantvote"].sum() == 381
    assert r.notes == {"ec_artefact_rows": 197, "ec_artefact_rcids": "1429"}
    UnRollcalls.validate(r.frame, lazy=True)


@pytest.mark.parametrize(("a", "year", "share", "n"), [
    (220, 1958, 0.767, 30), (220, 1967, 0.429, None), (220, 1968, 0.490, None),
    (732, 2005, 0.219, None)])
def test_identical_vote_share_matches_the_checked_values(real, a, year, share, n):
    """France-US 1958/1967/1968 and ROK-US 2005 shares match METHODS §9 within 0.0005."""
    out = identical_vote_share(real["votes"].frame, a, 2, real["rollcalls"].frame)
    row = out.filter(pl.col("year") == year)
    assert row["share"].item() == pytest.approx(share, abs=5e-4)
    if n is not None:
        assert row["n"].item() == n


def test_rdata_and_csv_give_identical_tables(raw, real):
    """The original .RData (object x) parses to exactly the CSV's two tables."""
    path = raw / RDATA
    assert parse_un_votes(path).frame.equals(real["votes"].frame)
    assert parse_un_rollcalls(path).frame.equals(real["rollcalls"].frame)


def test_registry_entries_describe_both_tables_from_one_required_source():
    """Two raw tables share the required UNGA source, whose citation is BibTeX."""
    assert [t.name for t in unvotes.TABLES] == ["un_votes", "un_rollcalls"]
    assert unvotes.SOURCES[0].required and unvotes.SOURCES[0].citation.startswith("@")


def test_the_two_tables_of_one_file_read_its_text_once_and_a_changed_file_again(
        tmp_path, monkeypatch):
    """un_votes and un_rollcalls share one read, which is then released, with the results of
    separate reads; an edited file (new size or mtime) is read afresh, never served stale."""
    path = tmp_path / "votes.csv"
    path.write_bytes(FIXTURE.read_bytes())
    calls = []
    real_read = unvotes._read_votes_text
    monkeypatch.setattr(unvotes, "_read_votes_text", lambda p: calls.append(p) or real_read(p))
    monkeypatch.setattr(unvotes, "_SHARED_TEXT", {})
    votes, rollcalls = parse_un_votes(path), parse_un_rollcalls(path)
    assert len(calls) == 1 and not unvotes._SHARED_TEXT
    alone_votes = parse_un_votes(path)
    unvotes._SHARED_TEXT.clear()
    alone_rollcalls = parse_un_rollcalls(path)
    assert len(calls) == 3
    for shared, alone in ((votes, alone_votes), (rollcalls, alone_rollcalls)):
        assert shared.frame.equals(alone.frame) and shared.quarantine.equals(alone.quarantine)
    unvotes._SHARED_TEXT.clear()
    parse_un_votes(path)  # its text is kept for the roll calls, but the file changes first
    lines = FIXTURE.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))
    changed = parse_un_rollcalls(path)
    assert len(calls) == 5 and changed.rows_read == rollcalls.rows_read - 1
