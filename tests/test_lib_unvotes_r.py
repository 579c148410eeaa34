"""The R {unvotes} release: mapping and parsing on small .rda files, the release choice, and
the acceptance numbers of SOURCE.md on the real files against the Voeten 2017 release."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl
import pyreadr
import pytest

from pipeline import cli
from pipeline.lib.ingest.rawio import InputError
from pipeline.lib.ingest.sources import unvotes_r
from pipeline.lib.ingest.sources.unvotes import (
    identical_vote_share,
    parse_un_rollcalls,
    parse_un_votes,
)
from pipeline.lib.ingest.sources.unvotes_r import (
    ISSUES_FILE,
    ROLLCALLS_FILE,
    VOTES_FILE,
    UnvotesRRollcalls,
    UnvotesRVotes,
    choose_un_release,
    parse_unvotes_r_rollcalls,
    parse_unvotes_r_votes,
)
from pipeline.lib.store.provenance import sha256_file

VOETEN = "unga_votes_voeten/UNVotesPublished.csv.gz"
ROLLCALLS = {"rcid": [1, 2, 3], "session": [44.0, 45.0, 45.0], "importantvote": [0.0, None, 1.0],
             "date": ["1990-06-01", "1990-11-03", "1990-12-06"], "unres": ["R/44/1", "", "R/45/3"]}
ISSUES = {"rcid": [1, 1, 3, 9], "short_name": ["me", "hr", "xx", "di"]}


def _release(folder, votes: dict, rollcalls: dict | None = ROLLCALLS,
             issues: dict | None = ISSUES):
    """Write a small {unvotes} release (whichever of the three files are given)."""
    for name, obj, data in ((VOTES_FILE, "un_votes", votes), (ROLLCALLS_FILE, "un_roll_calls",
                            rollcalls), (ISSUES_FILE, "un_roll_call_issues", issues)):
        if data is not None:
            pyreadr.write_rdata(str(folder / name), pd.DataFrame(data), df_name=obj,
                                compress="gzip")
    return folder / VOTES_FILE


def _votes(*rows) -> dict:
    return dict(zip(("rcid", "country", "country_code", "vote"), map(list, zip(*rows))))


@pytest.fixture(scope="module")
def real(raw) -> dict:
    """Both {unvotes} tables and both 2017-release tables, parsed once."""
    folder = raw / "unvotes_r"
    return {"votes": parse_unvotes_r_votes(folder / VOTES_FILE),
            "rollcalls": parse_unvotes_r_rollcalls(folder / ROLLCALLS_FILE),
            "v17": parse_un_votes(raw / VOETEN).frame,
            "rc17": parse_un_rollcalls(raw / VOETEN).frame}


def test_countries_map_by_iso2_or_name_on_the_roll_calls_date(tmp_path):
    """FRG is 260 in June and 255 in November 1990, 'YE' 679 after 1990-05-22, the YAR label
    678, 'NA' is Namibia; votes become 1/2/3 and member is NULL."""
    path = _release(tmp_path, _votes(
        (1, "Federal Republic of Germany", None, "yes"), (2, "Federal Republic of Germany", None,
                                                          "no"),
        (1, "Namibia", "NA", "abstain"), (2, "Yemen Arab Republic", None, "yes"),
        (1, "Yemen", "YE", "no"), (3, "United States", "US", "yes")))
    r = parse_unvotes_r_votes(path)
    assert (r.rows_read, r.loaded, r.quarantine.height) == (6, 6, 0)
    assert r.frame.rows() == [(1, 260, 1, None), (2, 255, 3, None), (1, 565, 2, None),
                              (2, 678, 1, None), (1, 679, 3, None), (3, 2, 1, None)]
    assert r.frame.schema == pl.Schema({"rcid": pl.Int32, "ccode": pl.Int32, "vote": pl.Int8,
                                        "member": pl.Int8})
    UnvotesRVotes.validate(r.frame)


def test_unmappable_countries_bad_votes_and_undated_roll_calls_are_quarantined(tmp_path):
    """Unknown ISO2, an unknown name without ISO2, ISO2 and name disagreeing, a vote that is
    not yes/abstain/no and an rcid without a roll call each quarantine with their reason."""
    path = _release(tmp_path, _votes(
        (1, "Nowhere", "XX", "yes"), (1, "Atlantis", None, "no"), (1, "Canada", "US", "yes"),
        (1, "France", "FR", "maybe"), (99, "France", "FR", "yes"), (1, "France", "FR", "yes")))
    r = parse_unvotes_r_votes(path)
    assert (r.rows_read, r.loaded, r.quarantine.height) == (6, 1, 5)
    reasons = dict(zip(r.quarantine["line"], r.quarantine["reason"]))
    assert reasons[2].startswith("ISO2 'XX' has no COW ccode")
    assert reasons[3].startswith("no ISO2 code, and name 'Atlantis'")
    assert reasons[4] == "ISO2 'US' gives 2 but name 'Canada' gives 20 on 1990-06-01"
    assert "not a valid Int8: 'maybe'" in reasons[5]
    assert reasons[6] == f"the rcid has no dated roll call in {ROLLCALLS_FILE}"


def test_the_votes_need_the_roll_calls_file_beside_them(tmp_path):
    """Without un_roll_calls.rda in the folder the votes cannot be dated: an InputError."""
    path = _release(tmp_path, _votes((1, "France", "FR", "yes")), rollcalls=None, issues=None)
    with pytest.raises(InputError, match=ROLLCALLS_FILE):
        parse_unvotes_r_votes(path)


def test_roll_calls_get_session_years_and_issue_dummies_zero_where_no_issue_row(tmp_path):
    """year = session + 1945; issues 1 where listed, else 0; '' unres and NA importantvote are
    NULL; issue rows of unknown issues or absent roll calls are counted in notes."""
    _release(tmp_path, _votes((1, "France", "FR", "yes")))
    r = parse_unvotes_r_rollcalls(tmp_path / ROLLCALLS_FILE)
    f = r.frame
    assert f.columns == [c.name for c in unvotes_r.ROLLCALL_COLS]
    assert f["year"].to_list() == [1989, 1990, 1990]
    assert f["date"].to_list()[0] == dt.date(1990, 6, 1)
    assert f["importantvote"].to_list() == [0, None, 1]
    assert f["unres"].to_list() == ["R/44/1", None, "R/45/3"]
    assert f.select("me", "hr", "di").rows() == [(1, 1, 0), (0, 0, 0), (0, 0, 0)]
    assert f.select(pl.col(unvotes_r.ISSUES).null_count()).sum_horizontal().item() == 0
    assert r.notes == {"issue_rcids": 1, "issue_rcids_without_rollcall": 1,
                       "issue_rows_unusable": 1}
    UnvotesRRollcalls.validate(f)


def test_choose_un_release_takes_more_roll_calls_and_breaks_ties_for_voeten():
    """Frames (distinct rcid), lazy frames and counts compare; a tie or a lone release is
    said so; no release at all is an error."""
    small, big = pl.DataFrame({"rcid": [1, 2, 2]}), pl.DataFrame({"rcid": [1, 2, 3]})
    pick = choose_un_release(voeten=small, unvotes_r=big.lazy())
    assert (pick.release, pick.votes_table, pick.rollcalls_table) == (
        "unvotes_r", "unvotes_r_votes", "unvotes_r_rollcalls")
    assert pick.rollcalls == {"unga_votes_voeten": 2, "unvotes_r": 3}
    assert "more roll calls" in pick.reason
    tie = choose_un_release(voeten=3, unvotes_r=big)
    assert (tie.release, tie.votes_table) == ("unga_votes_voeten", "un_votes")
    assert "tie" in tie.reason
    assert choose_un_release(unvotes_r=small).reason == "the only release present (2 roll calls)"
    with pytest.raises(ValueError, match="no UNGA votes release"):
        choose_un_release()


def test_real_votes_count_only_cast_votes_and_all_map(real):
    """870,109 votes load, none quarantined: yes 693,664, abstain 110,897, no 65,548; member
    NULL throughout; 200 COW states."""
    r = real["votes"]
    assert (r.rows_read, r.loaded, r.quarantine.height, r.deduplicated) == (870_109, 870_109, 0, 0)
    counts = dict(r.frame["vote"].value_counts().sort("vote").iter_rows())
    assert counts == {1: 693_664, 2: 110_897, 3: 65_548}
    assert r.frame["member"].null_count() == r.loaded
    assert r.frame["ccode"].n_unique() == 200
    UnvotesRVotes.validate(r.frame, lazy=True)


def test_real_roll_calls_number_6203_with_the_published_flags_and_issues(real):
    """6,203 roll calls, sessions 1-74 (1946-2019); importantvote NA 605 / 1 411 / 0 5,187;
    each issue dummy sums to its rows in un_roll_call_issues.rda."""
    r = real["rollcalls"]
    f = r.frame
    assert (r.rows_read, r.loaded, r.quarantine.height) == (6_203, 6_203, 0)
    assert (f["year"].min(), f["year"].max(), f["session"].n_unique()) == (1946, 2019, 74)
    assert dict(f["importantvote"].value_counts().iter_rows()) == {None: 605, 1: 411, 0: 5_187}
    sums = f.select(pl.col(unvotes_r.ISSUES).sum()).row(0, named=True)
    assert sums == {"me": 1_061, "nu": 855, "di": 1_092, "hr": 1_015, "co": 957, "ec": 765}
    assert r.notes["issue_rcids_without_rollcall"] == 0
    UnvotesRRollcalls.validate(f, lazy=True)


def test_the_r_release_reproduces_every_cast_vote_of_the_2017_release(real):
    """On the roll calls both hold (all 5,429 of 2017), the mapped votes equal the 738,764 cast
    votes of the 2017 release exactly, country by country."""
    v17 = real["v17"].filter(pl.col("vote").is_in([1, 2, 3])).select("rcid", "ccode", "vote")
    shared = real["rc17"].select("rcid")
    mine = real["votes"].frame.join(shared, on="rcid").select(v17.columns)
    assert v17.height == 738_764 and shared.height == 5_429
    assert real["rollcalls"].frame.join(shared, on="rcid").height == 5_429
    assert mine.sort("rcid", "ccode").equals(v17.sort("rcid", "ccode"))


def test_the_r_release_adds_345_roll_calls_of_1997_2012_and_the_sessions_71_to_74(real):
    """Roll calls the 2017 release lacks: 345 in session years 1997-2012 (rcid 5640-6054) and
    429 in 2016-2019."""
    new = real["rollcalls"].frame.join(real["rc17"].select("rcid"), on="rcid", how="anti")
    mid = new.filter(pl.col("year").is_between(1997, 2012))
    assert (mid.height, mid["rcid"].min(), mid["rcid"].max()) == (345, 5640, 6054)
    assert new.filter(pl.col("year") >= 2016).height == 429 and new.height == 774


def test_shared_roll_calls_agree_with_2017_except_the_one_it_left_undated(real):
    """Session, date and importantvote agree on all shared roll calls but rcid 4592, which the
    2017 release has undated in session 59 and {unvotes} dates 2006-05-08 in session 60."""
    both = real["rc17"].join(real["rollcalls"].frame, on="rcid", suffix="_r")
    differ = both.filter(pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"{c}_r"))
                                           for c in ("session", "date", "importantvote")))
    assert differ.select("rcid", "session", "session_r", "date", "date_r").rows() == [
        (4592, 59, 60, None, dt.date(2006, 5, 8))]


@pytest.mark.parametrize(("year", "n_r", "share_r", "n_17", "share_17"), [
    (2005, 98, 0.2959, 73, 0.2192), (2011, 94, 0.5745, 64, 0.4219)])
def test_rok_usa_agreement_rises_with_the_added_roll_calls(real, year, n_r, share_r, n_17,
                                                            share_17):
    """ROK-USA identical votes: 0.296 of 98 roll calls in 2005 with the R release, 0.219 of 73
    in the 2017 release (2011: 0.574 of 94 against 0.422 of 64), as SOURCE.md says."""
    def at(votes, rollcalls):
        return identical_vote_share(votes, 732, 2, rollcalls).filter(pl.col("year") == year).row(0)

    assert at(real["votes"].frame, real["rollcalls"].frame) == (year, n_r, pytest.approx(
        share_r, abs=5e-5))
    assert at(real["v17"], real["rc17"]) == (year, n_17, pytest.approx(share_17, abs=5e-5))


def test_without_the_new_roll_calls_2005_differs_from_2017_only_by_rcid_4592(real):
    """The R release cut to the 2017 roll calls gives 0.230 of 74 in 2005: rcid 4592 (session
    60 here, 59 there) is the one extra roll call."""
    shared = real["rc17"].select("rcid")
    votes = real["votes"].frame.join(shared, on="rcid")
    out = identical_vote_share(votes, 732, 2, real["rollcalls"].frame)
    assert out.filter(pl.col("year") == 2005).row(0) == (2005, 74, pytest.approx(17 / 74))


def test_registry_lists_three_files_with_their_sha256(raw):
    """The optional source registers all three files, whose sha256 match, and cites both the
    Dataverse data and Robinson's package; two tables in the layout of the 2017 ones."""
    src = unvotes_r.UNVOTES_R
    assert not src.required and set(src.sha256) == {VOTES_FILE, ROLLCALLS_FILE, ISSUES_FILE}
    for name, digest in src.sha256.items():
        assert sha256_file(raw / "unvotes_r" / name) == digest, name
    assert "hdl:1902.1/12379" in src.citation and "Robinson, David" in src.citation
    assert [t.name for t in unvotes_r.TABLES] == ["unvotes_r_votes", "unvotes_r_rollcalls"]


def test_pipeline_sources_says_which_release_is_used_and_why(raw, tmp_path, monkeypatch, capsys):
    """With both releases present `pipeline sources` names {unvotes} (6,203 roll calls against
    5,429); with one present it says nothing about the choice."""
    for name in ("unga_votes_voeten", "unvotes_r"):
        (tmp_path / name).mkdir()
        for f in (raw / name).glob("*.*"):
            (tmp_path / name / f.name).symlink_to(f)
    monkeypatch.setenv("PIPELINE_RAW_DIRS", str(tmp_path))
    cli.main(["sources"])
    assert ("UN votes release used: unvotes_r (unga_votes_voeten has 5,429 roll calls, "
            "unvotes_r 6,203: the release with more roll calls is used)") in capsys.readouterr().out
    (tmp_path / "unvotes_r" / ROLLCALLS_FILE).unlink()
    assert unvotes_r.release_line() == ""
