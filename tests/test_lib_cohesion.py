"""UN voting cohesion: closed-form measures on hand-worked tables, and reference numbers on the
full UNGA file (METHODS §5.1, §6.2, §9)."""

from __future__ import annotations

import polars as pl
import pytest

from pipeline.lib.ingest.sources.unvotes import (
    identical_vote_share,
    parse_un_rollcalls,
    parse_un_votes,
)
from pipeline.lib.measures.cohesion import COUNT_COLS, agreement_measures, vote_pair_counts

CSV = "unga_votes_voeten/UNVotesPublished.csv.gz"
USA, FRANCE, ROK = 2, 220, 732
TOL = 1e-12


def _counts(**cells: int) -> pl.LazyFrame:
    """One dyad-year with the given joint counts (n_ij: a voted i, b voted j); others 0."""
    row = {"ccode_a": [1], "ccode_b": [2], "year": [2000]}
    row |= {c: [cells.get(c, 0)] for c in COUNT_COLS}
    return pl.LazyFrame(row).with_columns(pl.col(COUNT_COLS).cast(pl.Int32))


def _measures(**cells: int) -> dict:
    return agreement_measures(_counts(**cells)).collect().row(0, named=True)


def test_all_measures_equal_hand_computed_values_on_a_ten_vote_table():
    """agree, Voeten, S (abs, sq), kappa, pi and opposition match the arithmetic below."""
    m = _measures(n_11=4, n_13=2, n_21=1, n_22=1, n_33=2)
    # n = 10; identical = 4 + 1 + 2 = 7 -> agree = 0.7
    # sum |d| = 2*2 (yes/no) + 1*1 (abstain/yes) = 5; sum d^2 = 2*4 + 1*1 = 9
    # Voeten = 1 - 5/(2*10) = 0.75; S_abs = 1 - 2*5/(10*2) = 0.5; S_sq = 1 - 2*9/(10*4) = 0.55
    # a's marginals (6, 2, 2), b's (5, 1, 4): p_e = (30 + 2 + 8)/100 = 0.4
    # kappa = (0.7 - 0.4)/(1 - 0.4) = 0.5
    # pooled (11, 3, 6)/20: p_e = (121 + 9 + 36)/400 = 0.415; pi = 0.285/0.585
    # yes/no only: identical 4 + 2, opposite 2 -> n_yes_no = 8, oppose_share = 2/8
    expected = {"n_common": 10, "agree": 0.7, "agree_voeten": 0.75, "s_abs": 0.5, "s_sq": 0.55,
                "kappa": 0.5, "pi": 0.285 / 0.585, "n_yes_no": 8, "oppose_share": 0.25}
    for name, value in expected.items():
        assert m[name] == pytest.approx(value, abs=TOL), name


def test_weighted_kappa_uses_quadratic_disagreement_weights():
    """Quadratic kappa_w on the ten-vote table: 1 - 0.225 / 0.405 = 4/9 (worked below)."""
    m = _measures(n_11=4, n_13=2, n_21=1, n_22=1, n_33=2)
    # u = (|i - j| / 2)^2: yes/no 1, abstain/other 0.25. observed: (2 * 1 + 1 * 0.25)/10
    # expected: rows (6, 2, 2), cols (5, 1, 4): (6*1*.25 + 6*4 + 2*5*.25 + 2*4*.25 + 2*5
    #           + 2*1*.25) / 100 = 40.5 / 100
    assert m["kappa_w"] == pytest.approx(1 - 0.225 / 0.405, abs=TOL)


def test_weighted_kappa_matches_an_independent_computation_on_random_votes():
    """kappa_w from the nine counts equals the textbook formula on the raw vote vectors."""
    import numpy as np

    rng = np.random.default_rng(7)
    a, b = rng.integers(1, 4, 200), rng.integers(1, 4, 200)
    b[:120] = a[:120]  # some agreement
    cells = {f"n_{i}{j}": int(((a == i) & (b == j)).sum()) for i in (1, 2, 3) for j in (1, 2, 3)}
    w = (np.subtract.outer(np.arange(3), np.arange(3)) / 2.0) ** 2
    obs = np.array([[cells[f"n_{i}{j}"] for j in (1, 2, 3)] for i in (1, 2, 3)]) / 200
    exp = np.outer(obs.sum(axis=1), obs.sum(axis=0))
    assert _measures(**cells)["kappa_w"] == pytest.approx(1 - (w * obs).sum() / (w * exp).sum(),
                                                          abs=TOL)


def test_a_category_one_state_never_uses_still_counts_in_chance_agreement():
    """a votes only yes/abstain, b only yes/no: p_e pairs categories by label, not position."""
    m = _measures(n_11=3, n_13=1, n_21=1, n_23=1)
    # n = 6; identical = 3 -> agree = 0.5
    # a's marginals (4, 2, 0), b's (4, 0, 2): p_e = (16 + 0 + 0)/36 = 4/9
    # kappa = (1/2 - 4/9)/(5/9) = 0.1 (pairing a's "2" with b's "3" would give -0.125)
    # pooled (8, 2, 2)/12: p_e = (64 + 4 + 4)/144 = 0.5 -> pi = 0
    # sum |d| = 2 + 1 + 1 = 4 -> Voeten = 1 - 4/12 = 2/3, S_abs = 1 - 8/12 = 1/3
    # sum d^2 = 4 + 1 + 1 = 6 -> S_sq = 1 - 12/24 = 0.5
    # yes/no only: identical 3, opposite 1 -> oppose_share = 1/4
    expected = {"agree": 0.5, "kappa": 0.1, "pi": 0.0, "agree_voeten": 2 / 3, "s_abs": 1 / 3,
                "s_sq": 0.5, "n_yes_no": 4, "oppose_share": 0.25}
    for name, value in expected.items():
        assert m[name] == pytest.approx(value, abs=TOL), name


def test_s_abs_is_the_voeten_index_rescaled_to_minus_one_one():
    """With Delta = 2, S_abs = 2 * agree_voeten - 1 (both from the same distances)."""
    m = _measures(n_11=5, n_12=3, n_13=2, n_22=4, n_31=1, n_32=2, n_33=6)
    assert m["s_abs"] == pytest.approx(2 * m["agree_voeten"] - 1, abs=TOL)


def test_undefined_chance_correction_and_empty_opposition_are_null():
    """Both always yes: agree 1, kappa/pi NULL (p_e = 1); only abstentions: oppose_share NULL."""
    m = _measures(n_11=5)
    assert (m["agree"], m["kappa"], m["pi"], m["oppose_share"]) == (1.0, None, None, 0.0)
    m = _measures(n_22=3, n_12=1)
    assert (m["n_yes_no"], m["oppose_share"]) == (0, None)


def test_pair_counts_drop_absences_and_non_members_and_take_the_roll_call_year():
    """Votes 8/9 drop the roll call for the pair; year comes from rollcalls, a < b once."""
    votes = pl.LazyFrame({
        "rcid": [1, 1, 1, 2, 2, 2, 3, 3, 3],
        "ccode": [2, 220, 732, 2, 220, 732, 2, 220, 732],
        "vote": [1, 3, 8, 1, 1, 2, 3, 9, 3],
        "year": [1900] * 9,                      # ignored: rollcalls give the year
    }).with_columns(pl.col("vote").cast(pl.Int8))
    rollcalls = pl.LazyFrame({"rcid": [1, 2, 3], "year": [1990, 1990, 1991],
                              "session": [45, 45, 46], "importantvote": [0, 1, 1]})
    out = vote_pair_counts(votes, rollcalls).collect().sort("ccode_a", "ccode_b", "year")
    got = {(r["ccode_a"], r["ccode_b"], r["year"]):
           {c: r[c] for c in COUNT_COLS if r[c]} for r in out.rows(named=True)}
    # rcid 1: 2-220 yes/no (732 absent); rcid 2: 2-220 yes/yes, 2-732 yes/abst, 220-732 yes/abst
    # rcid 3: 2-732 no/no (220 not a member)
    assert got == {(2, 220, 1990): {"n_13": 1, "n_11": 1},
                   (2, 732, 1990): {"n_12": 1}, (2, 732, 1991): {"n_33": 1},
                   (220, 732, 1990): {"n_12": 1}}
    imp = vote_pair_counts(votes, rollcalls, important_only=True, important_from_session=46)
    assert imp.collect().select("ccode_a", "ccode_b", "year", "n_33").rows() == [(2, 732, 1991, 1)]


@pytest.fixture(scope="module")
def unga(raw) -> dict:
    """The UNGA file parsed once, with all-vote and important-vote measures."""
    votes = parse_un_votes(raw / CSV).frame
    rollcalls = parse_un_rollcalls(raw / CSV).frame
    counts = vote_pair_counts(votes.lazy(), rollcalls.lazy()).collect()
    important = vote_pair_counts(votes.lazy(), rollcalls.lazy(), important_only=True)
    return {"votes": votes, "rollcalls": rollcalls, "counts": counts,
            "all": agreement_measures(counts.lazy()).collect(),
            "important": agreement_measures(important).collect()}


def _dyad(frame: pl.DataFrame, a: int, b: int, year: int) -> dict:
    return frame.filter(pl.col("ccode_a") == a, pl.col("ccode_b") == b,
                        pl.col("year") == year).row(0, named=True)


def test_full_file_counts_every_pair_of_cast_votes_on_each_roll_call(unga):
    """Summed counts equal sum over roll calls of k(k-1)/2, k = states voting 1-3."""
    k = (unga["votes"].filter(pl.col("vote").is_in([1, 2, 3]))
         .join(unga["rollcalls"].select("rcid"), on="rcid")
         .group_by("rcid").len()["len"].cast(pl.Int64))
    assert unga["counts"].select(pl.sum_horizontal(COUNT_COLS).sum()).item() == \
        (k * (k - 1) // 2).sum()
    assert unga["counts"].select(pl.struct("ccode_a", "ccode_b", "year").is_duplicated().any()
                                 ).item() is False


@pytest.mark.parametrize(("a", "b", "year", "share"), [
    (USA, FRANCE, 1958, 0.767), (USA, FRANCE, 1962, 0.717), (USA, FRANCE, 1966, 0.608),
    (USA, FRANCE, 1967, 0.429), (USA, FRANCE, 1968, 0.490),
    (USA, ROK, 2005, 0.219), (USA, ROK, 2006, 0.230), (USA, ROK, 2015, 0.466),
])
def test_identical_vote_share_matches_the_reference_numbers(unga, a, b, year, share):
    """agree reproduces METHODS §9 (France-US 1958-68, ROK-US 2005-15) within 0.005."""
    assert _dyad(unga["all"], a, b, year)["agree"] == pytest.approx(share, abs=0.005)


def test_agree_equals_the_single_dyad_reader(unga):
    """agree and n_common equal identical_vote_share for France-US in every year."""
    one = identical_vote_share(unga["votes"], USA, FRANCE, unga["rollcalls"])
    many = (unga["all"].filter(pl.col("ccode_a") == USA, pl.col("ccode_b") == FRANCE)
            .select("year", pl.col("n_common").alias("n"), pl.col("agree").alias("share"))
            .sort("year"))
    assert many["year"].to_list() == one["year"].to_list()
    assert many["n"].to_list() == one["n"].to_list()
    assert (many["share"] - one["share"]).abs().max() < TOL


@pytest.mark.parametrize(("year", "same", "n_yes_no"), [(1993, 6, 7), (1994, 9, 12),
                                                         (2006, 4, 7)])
def test_rok_us_important_vote_coincidence_matches_the_state_department(unga, year, same,
                                                                       n_yes_no):
    """Important votes (sessions >= 39): ROK-US coincidence 6/7, 9/12, 4/7."""
    d = _dyad(unga["important"], USA, ROK, year)
    assert d["n_yes_no"] == n_yes_no
    assert 1 - d["oppose_share"] == pytest.approx(same / n_yes_no, abs=TOL)


def test_important_votes_start_in_1984_so_france_us_1958_69_has_none(unga):
    """Session 39 (1984) is the first important-vote year; no France-US rows before it."""
    assert unga["important"]["year"].min() == 1984
    fr = unga["important"].filter(pl.col("ccode_a") == USA, pl.col("ccode_b") == FRANCE)
    assert fr["year"].min() >= 1984


def test_anchored_pair_counts_equal_the_full_counts_of_the_anchors_pairs():
    """anchor=USA gives exactly the full counts' rows of the pairs with the USA, in either
    order of codes (a state below 2 would be swapped, votes with it)."""
    votes = pl.LazyFrame({"rcid": [1, 1, 1, 2, 2, 2, 3, 3],
                          "ccode": [2, 1, 20, 2, 1, 20, 2, 20],
                          "vote": [1, 3, 2, 3, 3, 1, 1, 1]})
    rollcalls = pl.LazyFrame({"rcid": [1, 2, 3], "year": [2000, 2000, 2001]})
    full = vote_pair_counts(votes, rollcalls).collect()
    usa = vote_pair_counts(votes, rollcalls, anchor=2).collect()
    expect = full.filter((pl.col("ccode_a") == 2) | (pl.col("ccode_b") == 2))
    assert usa.sort("ccode_a", "ccode_b", "year").equals(
        expect.sort("ccode_a", "ccode_b", "year").select(usa.columns))
    assert usa.filter(ccode_a=1, ccode_b=2, year=2000)["n_31"].item() == 1  # 1 voted no, USA yes
