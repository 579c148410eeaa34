"""WEIS events 1966-92 (Goldstein-weighted, COW codes): raw.weis_events and raw.weis_codes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from pipeline.lib.ingest.rawio import InputError
from pipeline.lib.ingest.sources import weis
from pipeline.lib.store.provenance import sha256_file
from pipeline.lib.store.results import ParseResult

FILE = Path("weis") / "weis.fromlai.1966-93.dta"
USA, ROK, FRANCE = 2, 732, 220


@pytest.fixture(scope="module")
def events(raw) -> ParseResult:
    return weis.parse_weis_events(raw / FILE)


@pytest.fixture(scope="module")
def codes(raw) -> ParseResult:
    return weis.parse_weis_codes(raw / FILE)


def _count(frame: pl.DataFrame, src: str, tgt: str, a: int, b: int,
           years: tuple[int, int] = (1966, 1992)) -> int:
    return frame.filter((pl.col(src) == a) & (pl.col(tgt) == b)
                        & pl.col("year").is_between(*years)).height


def _write_dta(path: Path, rows: list[tuple]) -> Path:
    cols = ["state1", "state2", "year", "mo", "day", "weiscd", "srccc", "targcc", "dyadid",
            "gscale"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["weiscd"] = frame["weiscd"].astype(object)
    frame.to_stata(path, write_index=False)
    return path


def test_the_file_matches_its_registered_sha256(raw):
    """The shipped .dta is the byte-for-byte copy registered in the WEIS source."""
    assert sha256_file(raw / FILE) == weis.WEIS.sha256[FILE.name]


def test_all_108263_rows_are_read_and_the_6078_exact_repeats_collapse(events):
    """108,263 read = 102,185 loaded + 0 quarantined + 6,078 exact repeats; schema holds."""
    assert (events.rows_read, events.loaded, events.quarantine.height,
            events.deduplicated) == (108_263, 102_185, 0, 6_078)
    weis.WeisEvents.validate(events.frame, lazy=True)
    assert events.frame.select(weis.KEY).is_duplicated().sum() == 0


def test_events_run_from_january_1966_to_the_last_day_of_1992(events):
    """First event 1966-01-01, last 1992-12-31; no 1993 despite the file name."""
    dates = events.frame["event_date"]
    assert (str(dates.min()), str(dates.max())) == ("1966-01-01", "1992-12-31")
    assert events.frame["year"].max() == 1992


def test_64_codes_each_with_one_goldstein_weight_matching_goldstein_1992(codes):
    """64 three-digit codes, one weight each; spot checks against Goldstein (1992)."""
    frame = codes.frame
    weis.WeisCodes.validate(frame, lazy=True)
    assert frame.height == 64 and frame["weis_code"].n_unique() == 64
    weights = dict(zip(frame["weis_code"], frame["goldstein"]))
    assert {c: weights[c] for c in ("081", "032", "033", "182", "191", "193")} == {
        "081": 6.5, "032": 1.9, "033": 2.8, "182": -7.6, "191": -2.2, "193": -5.6}
    assert frame["n_events"].sum() == 102_185
    assert codes.rows_read == codes.loaded + codes.quarantine.height + codes.deduplicated


def test_every_one_of_the_22_cues_occurs_and_the_flags_follow_the_cue_lists(codes):
    """All 22 WEIS cues occur; defiance marks cues 11-17 and 19, attention 03-05 and 08."""
    frame = codes.frame
    assert sorted(frame["cue"].unique()) == sorted(weis.CUE_LABELS)
    flagged = frame.group_by("cue").agg(pl.col("defiance", "attention").all()).sort("cue")
    assert flagged.filter("defiance")["cue"].to_list() == list(weis.DEFIANCE_CUES)
    assert flagged.filter("attention")["cue"].to_list() == list(weis.ATTENTION_CUES)
    assert frame.filter(weis_code="131")["cue_label"].item() == "protest"


def test_case_dyad_counts_match_source_md_before_and_shrink_after_the_collapse(raw, events):
    """SOURCE.md's case counts are of the raw rows; the loaded table has fewer."""
    before = pl.from_pandas(pd.read_stata(raw / FILE))
    after = events.frame
    pairs = [(USA, ROK), (ROK, USA), (USA, FRANCE), (FRANCE, USA)]
    assert [_count(before, "srccc", "targcc", a, b) for a, b in pairs] == [389, 267, 425, 541]
    assert [_count(after, "source_ccode", "target_ccode", a, b) for a, b in pairs] == [
        380, 262, 410, 530]
    cold_war = [(USA, FRANCE), (FRANCE, USA)]
    assert [_count(before, "srccc", "targcc", a, b, (1966, 1969)) for a, b in cold_war] == [
        86, 105]
    assert [_count(after, "source_ccode", "target_ccode", a, b, (1966, 1969))
            for a, b in cold_war] == [85, 105]


def test_defiance_and_attention_helpers_read_the_cue_of_a_text_code():
    """Cue 13 is defiance, 03 and 08 attention; NULL stays NULL; a malformed code is False."""
    frame = pl.DataFrame({"code": ["131", "031", "081", "181", None, "13y"]})
    out = frame.select(weis.is_weis_defiance(pl.col("code")).alias("d"),
                       weis.is_weis_attention(pl.col("code")).alias("a"))
    assert out["d"].to_list() == [True, False, False, False, None, False]
    assert out["a"].to_list() == [False, True, True, False, None, False]


def test_bad_rows_of_a_small_dta_are_quarantined_with_line_column_and_reason(tmp_path):
    """A bad date, wrong dyadid or pair order, code '13y', a self-event, a key conflict."""
    good = (2, 732, 1990, 3, 1, "031", 2, 732, 2732.0, 1.0)
    path = _write_dta(tmp_path / "weis.dta", [
        good,                                                   # line 2: loads
        good,                                                   # line 3: exact repeat
        (2, 732, 1990, 2, 30, "031", 2, 732, 2732.0, 1.0),      # line 4: no 30 February
        (2, 732, 1990, 3, 2, "031", 2, 732, 2731.0, 1.0),       # line 5: dyadid disagrees
        (2, 732, 1990, 3, 3, "13y", 732, 2, 2732.0, -1.9),      # line 6: not a code
        (2, 732, 1990, 3, 4, "121", 732, 2, 2732.0, -2.2),      # line 7: loads
        (2, 2, 1990, 3, 5, "121", 2, 2, 2002.0, -2.2),          # line 8: self-event
        (2, 220, 1966, 5, 1, "150", 220, 2, 2220.0, -4.9),      # lines 9-10: same key,
        (2, 220, 1966, 5, 1, "150", 220, 2, 2220.0, -5.0),      # two weights
        (20, 2, 1990, 1, 1, "031", 2, 20, 2020.0, 1.0),         # line 11: state1 > state2
    ])
    result = weis.parse_weis_events(path)
    q = result.quarantine.sort("line")
    assert (result.rows_read, result.loaded, q.height, result.deduplicated) == (10, 2, 7, 1)
    assert q["line"].to_list() == [4, 5, 6, 8, 9, 10, 11]
    assert q["column"].to_list()[:4] == ["year-mo-day", "dyadid", "weiscd", "srccc"]
    assert q["column"][6] == "state1"
    assert q["reason"][0] == "not a calendar date: 1990-2-30"
    assert "differ in goldstein" in q["reason"][4]
    assert result.frame["weis_code"].to_list() == ["031", "121"]


def test_a_code_with_two_weights_is_an_error_naming_the_code(tmp_path):
    """Two Goldstein weights for code 031 (on different days) stop raw.weis_codes."""
    path = _write_dta(tmp_path / "weis.dta", [
        (2, 732, 1990, 3, 1, "031", 2, 732, 2732.0, 1.0),
        (2, 732, 1990, 3, 2, "031", 2, 732, 2732.0, 1.5),
    ])
    assert weis.parse_weis_events(path).loaded == 2
    with pytest.raises(InputError, match="WEIS code '031' has 2 Goldstein weights"):
        weis.parse_weis_codes(path)


def test_a_dta_without_the_code_column_or_not_stata_raises_input_error(tmp_path):
    """A data set lacking weiscd, and a text file named .dta, are rejected by name."""
    frame = pd.DataFrame({"state1": [2], "state2": [732], "year": [1990]})
    frame.to_stata(tmp_path / "short.dta", write_index=False)
    with pytest.raises(InputError, match="lacks column 'mo'"):
        weis.parse_weis_events(tmp_path / "short.dta")
    (tmp_path / "text.dta").write_text("state1,state2\n2,732\n")
    with pytest.raises(InputError, match="unreadable Stata file"):
        weis.parse_weis_events(tmp_path / "text.dta")
