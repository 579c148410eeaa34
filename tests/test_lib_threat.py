"""Shared threat: three definitions on hand-built pairs, and the reference cases on real MIDs."""

from __future__ import annotations

import polars as pl

from pipeline.lib.ingest.sources import rivalries
from pipeline.lib.ingest.sources.cow_dyadic import parse_mids
from pipeline.lib.measures import threat

USA, FRANCE, ROK, PRK, USSR = 2, 220, 732, 731, 365


def _pairs(rows):
    return pl.DataFrame(rows, schema={"ccode1": pl.Int32, "ccode2": pl.Int32, "year": pl.Int32},
                        orient="row")


MIDS = pl.DataFrame({"ccode1": [10, 20, 10, 30], "ccode2": [99, 99, 98, 97],
                     "year": [1980, 1985, 1990, 1990]})
RIVALS = pl.DataFrame({"ccode1": [10, 99, 20, 99, 10, 97], "ccode2": [99, 10, 99, 20, 97, 10],
                       "year": [1990, 1990, 1990, 1990, 1995, 1995]})


def test_common_mid_adversary_counts_only_the_ten_previous_years():
    """J and P fought X in 1980 and 1985: shared in 1986-1990, not in 1985 nor in 1991."""
    out = threat.shared_threat(_pairs([(10, 20, y) for y in (1985, 1986, 1990, 1991)]),
                               MIDS, None)
    assert dict(out.select("year", "threat_mid").rows()) == {
        1985: False, 1986: True, 1990: True, 1991: False}
    assert out["threat_rival"].null_count() == 4  # no rivalry list loaded


def test_rival_flags_use_the_previous_year_and_c_adds_the_seniors_mid_adversaries():
    """X = 99 is a rival of both in 1990 -> (a) in 1991; rival 97 of J fought by P -> (c)."""
    pairs = _pairs([(10, 20, 1990), (10, 20, 1991), (10, 30, 1996)])
    out = {r["year"]: r for r in threat.shared_threat(pairs, MIDS, RIVALS).to_dicts()}
    assert out[1990]["threat_rival"] is False and out[1991]["threat_rival"] is True
    assert out[1991]["threat_rival_adv"] is True
    assert out[1996]["threat_rival"] is False and out[1996]["threat_rival_adv"] is True


def test_the_window_outside_mid_coverage_is_null():
    """A window reaching before 1816 or after 2014 is unknown, not 'no threat'."""
    out = threat.shared_threat(_pairs([(10, 20, 1820), (10, 20, 2015), (10, 20, 2016)]),
                               MIDS, None)
    assert dict(out.select("year", "threat_mid").rows()) == {1820: None, 2015: False,
                                                              2016: None}


def test_primary_definition_codes_both_reference_cases_as_shared_threat(raw):
    """(b) codes US-ROK 1993-94 and 2002-06 (North Korea) and US-France 1958-69 (USSR)."""
    mids = parse_mids(raw / "peacesciencer" / "cow_mid_dirdisps.csv.gz").frame
    years = {ROK: [1993, 1994, *range(2002, 2007)], FRANCE: list(range(1958, 1970))}
    pairs = _pairs([(j, USA, y) for j, ys in years.items() for y in ys])
    out = threat.shared_threat(pairs, mids, None)
    assert out[threat.PRIMARY].all() and out.height == pairs.height
    counts = out.group_by("ccode1").agg(pl.col("n_mid_adversaries_common").min())
    assert dict(counts.rows()) == {ROK: 2, FRANCE: 4}
    adv = threat.mid_adversaries(mids, [1993, 2006, 1958, 1969]).collect()
    common = (adv.filter(state=USA).join(adv.filter(pl.col("state").is_in([ROK, FRANCE])),
                                         on=["adversary", "year"]))
    rok = common.filter(state_right=ROK, adversary=PRK)["year"].to_list()
    fra = common.filter(state_right=FRANCE, adversary=USSR)["year"].to_list()
    assert {1993, 2006} <= set(rok) and {1958, 1969} <= set(fra)


def test_which_definitions_pass_face_validity_on_the_real_lists(raw):
    """(b) passes both cases; (c) only US-ROK (North Korea); (a) neither (METHODS §6.5)."""
    ps = raw / "peacesciencer"
    years = rivalries.rivalry_years(rivalries.parse_td_rivalries(ps / "td_rivalries.csv.gz").frame,
                                    rivalries.parse_tss_rivalries(ps / "tss_rivalries.csv.gz")
                                    .frame, last_year=2016)
    coded = years.filter(pl.col("td").fill_null(False) | pl.col("tss").fill_null(False))
    cases = {ROK: [1993, 1994, *range(2002, 2007)], FRANCE: list(range(1958, 1970))}
    pairs = _pairs([(j, USA, y) for j, ys in cases.items() for y in ys])
    out = threat.shared_threat(pairs, parse_mids(ps / "cow_mid_dirdisps.csv.gz").frame, coded,
                               (int(years["year"].min()), 2016))
    passed = out.group_by("ccode1").agg(pl.col(list(threat.FLAGS)).all())
    got = {r["ccode1"]: {f for f in threat.FLAGS if r[f]} for r in passed.to_dicts()}
    assert got == {ROK: {"threat_mid", "threat_rival_adv"}, FRANCE: {"threat_mid"}}
