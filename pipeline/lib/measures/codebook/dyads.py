"""Codebook of the dyadic tables: ``derived.dyad_year``, ``derived.alliance_panel`` and
``derived.case_series``.

The dyad-year entries are written once with ``{A}``/``{B}`` for the two states; the panel
reuses them with J and P and with the panel's direction-naming column names
(:func:`pipeline.lib.measures.panel.directional`).
"""

from __future__ import annotations

from dataclasses import replace

import pandera.polars as pa
import polars as pl

from pipeline.lib.measures.codebook.core import Entry, Table
from pipeline.lib.measures.codebook.events import DATASETS, EVENT_MEASURES
from pipeline.lib.measures.codebook.states import CCODE, SHARE, SIGNED, YEAR, un_entries

REL = {"un_oppose_rel": "Relative UN opposition: {A}'s opposition share toward {B} minus the "
                        "mean of {B}'s other allies that year",
       "un_disagree_voeten_rel": "Relative Voeten disagreement (1 - Voeten index) of {A} toward "
                                 "{B} minus the mean of {B}'s other allies",
       "un_oppose_imp_rel": "Relative opposition on US important votes (pairs with the USA)",
       "idealpoint_dist_rel": "Ideal-point distance |theta_A - theta_B| minus the mean over "
                              "{B}'s other allies"}
RESPECT = {"icews": "ICEWS", "gdelt1": "GDELT 1.0", "phoenix": "Phoenix",
           "phoenix_historical": "Historical Phoenix", "weis": "WEIS",
           "netify": "ICEWS dyad-year counts (netify) verbal cooperation"}
THREAT = {"threat_mid": "(b, primary) a state with which both had a MID in t-10 ... t-1",
          "threat_rival": "(a) a strategic rival of both in t-1 (Thompson-Dreyer or TSS)",
          "threat_rival_adv": "(c) a rival of {A} in t-1 that is {B}'s rival in t-1 or MID "
                              "adversary in t-10 ... t-1"}
DY_EVENT = ("n", "n_all", "defy_count", "defy_share", "protest_count", "attention_count",
            "goldstein_sum")
_EV = {m: EVENT_MEASURES[m] for m in DY_EVENT}
GAP = "positive = {B} gives {A} less than {A}'s capability rank among {B}'s allies claims"
COW = "COW alliances v4.1"


def _event_entries() -> list[Entry]:
    out = [Entry("{d}_" + m, f"{text} ({{d_label}}), {{A}} toward {{B}}", dtype, unit, sign=sign,
                 check=SHARE if unit == "share" else None, coverage="NULL outside coverage",
                 vars={"d": DATASETS})
           for m, (text, dtype, unit, sign) in _EV.items()]
    out.append(Entry("{d}_attention_21", "Cooperative attention events ({d_label}), {B} toward "
                     "{A}", pl.Int64, "count", vars={"d": DATASETS}))
    out.append(Entry("cov_{d}", "{d_label} covers the year (non-sample files)", pl.Boolean,
                     nullable=False, vars={"d": DATASETS}))
    return out


DYAD_ENTRIES: tuple[Entry, ...] = (
    Entry("ccode1", "COW code of {A}", pl.Int32, check=CCODE),
    Entry("year", "Year", pl.Int32, check=YEAR),
    Entry("ccode2", "COW code of {B}", pl.Int32, check=CCODE),
    Entry("cinc1", "CINC of {A}", pl.Float64, check=SHARE, source="NMC"),
    Entry("cinc2", "CINC of {B}", pl.Float64, check=SHARE, source="NMC"),
    Entry("cinc_ratio_2_over_1", "Capability ratio CINC({B}) / CINC({A})", pl.Float64, "ratio",
          sign="> 1: {B} is stronger", source="NMC", check=pa.Check.ge(0)),
    *[Entry(f"cow_{t}", f"COW {t} obligation between the two", pl.Int8, source=COW,
            coverage="to 2012", check=pa.Check.isin([0, 1]))
      for t in ("defense", "neutral", "nonagg", "entente")],
    Entry("alliance_level", "COW ordinal obligation: 3 defense, 2 neutrality or non-aggression, "
          "1 entente, 0 none", pl.Int8, source=COW, coverage="to 2012",
          check=pa.Check.isin([0, 1, 2, 3])),
    Entry("alliance_depth", "Number of COW obligation types held at once (0-4)", pl.Int8,
          "count", source=COW, coverage="to 2012", check=pa.Check.in_range(0, 4)),
    Entry("cov_alliance", "COW alliances cover the year", pl.Boolean, nullable=False),
    Entry("atop_level", "ATOP ordinal obligation: 3 defense/offense, 2 neutrality/consultation, "
          "1 non-aggression, 0 none", pl.Int8, source="ATOP v5.1 (when loaded)"),
    Entry("atop_defense", "ATOP defense pledge", pl.Int8, source="ATOP v5.1 (when loaded)"),
    Entry("cov_atop", "ATOP covers the year", pl.Boolean, nullable=False),
    *un_entries("un_", " ({A} and {B})"),
    Entry("cov_un", "Both states voted in the session", pl.Boolean, nullable=False),
    Entry("un_disagree_voeten{s}", "1 - Voeten index ({A} and {B}), {s_label}", pl.Float64,
          "share", sign="higher = further apart", check=SHARE,
          vars={"s": {"": "all roll calls", "_imp": "important votes"}}),
    Entry("idealpoint1", "UN ideal point of {A}", pl.Float64, source="Bailey et al. 2017"),
    Entry("idealpoint2", "UN ideal point of {B}", pl.Float64, source="Bailey et al. 2017"),
    Entry("idealpoint_dist", "Ideal-point distance |theta_A - theta_B|", pl.Float64,
          "scale units", sign="higher = further apart", check=pa.Check.ge(0)),
    *_event_entries(),
    *[Entry(f"netify_{q}", f"ICEWS {q} events, {{A}} toward {{B}}", pl.Int32, "count",
            source="ICEWS via netify", coverage="2002-2014")
      for q in ("verbCoop", "matlCoop", "verbConf", "matlConf")],
    Entry("netify_n", "ICEWS (netify) events, {A} toward {B}", pl.Int32, "count"),
    Entry("netify_conflict_share", "ICEWS (netify) conflict share (verbal + material conflict) "
          "/ n", pl.Float64, "share", check=SHARE),
    Entry("cov_netify", "The netify panel covers the pair-year", pl.Boolean, nullable=False),
    Entry("netify_verbCoop_21", "ICEWS verbal cooperation, {B} toward {A}", pl.Int32, "count"),
    Entry("copdab_net_coop", "COPDAB net cooperation, yearly mean of the monthly index",
          pl.Float64, "index", sign="positive = cooperative",
          source="COPDAB (Lebo & Moore 2003)", coverage="1948-1978, the series that exist"),
    Entry("copdab_conflict_months", "Months with negative COPDAB net cooperation", pl.Int32,
          "months"),
    Entry("cov_copdab", "COPDAB covers the pair-year", pl.Boolean, nullable=False),
    Entry("de_level_12", "Level of {A}'s mission in {B}'s capital (0 none, 1 charge, 2 "
          "minister, 3 ambassador; code 9 NULL), latest wave carried forward", pl.Int8,
          source="COW Diplomatic Exchange", check=pa.Check.isin([0, 1, 2, 3])),
    Entry("de_level_21", "Level of {B}'s mission in {A}'s capital, latest wave carried forward",
          pl.Int8, source="COW Diplomatic Exchange", check=pa.Check.isin([0, 1, 2, 3])),
    *[Entry(k, v, pl.Float64, "scale units" if k.startswith("idealpoint") else "share",
            sign="positive = {A} further from {B} than {B}'s other allies",
            check=None if k.startswith("idealpoint") else SIGNED) for k, v in REL.items()],
    Entry("n_allies_2", "{B}'s allies that year with a CINC ({A} included)", pl.Int32, "count"),
    Entry("respect_cap_rank", "{A}'s CINC rank among {B}'s allies (1 = strongest)", pl.Int32,
          "rank"),
    Entry("respect_{r}_gap", "Respect received, {r_label}: ({A}'s rank among {B}'s allies by "
          "{B}'s attention share - its rank by CINC) / (m - 1)", pl.Float64, "share of the "
          "allies", sign=GAP, check=SIGNED, vars={"r": RESPECT}),
    Entry("respect_de_gap", "Respect received, Diplomatic Exchange: mean level of {B}'s missions "
          "at its other allies minus its level in {A}'s capital", pl.Float64, "levels", sign=GAP,
          check=pa.Check.in_range(-3, 3)),
    Entry("principal_patron", "{B} is {A}'s strongest defense-pact ally that year", pl.Boolean),
    Entry("n_patrons", "{A}'s defense-pact allies stronger than {A}", pl.Int32, "count"),
    *[Entry(k, "Shared threat " + v, pl.Boolean) for k, v in THREAT.items()],
    Entry("n_mid_adversaries_common", "States both had a MID with in t-10 ... t-1", pl.Int32,
          "count", source="MID 5.0", coverage="windows within 1816-2014"),
)


def with_states(entries, a: str, b: str, rename=None) -> tuple[Entry, ...]:
    """The entries with {A}/{B} filled in (and names mapped by ``rename``)."""
    out = []
    for e in entries:
        fields = {f: getattr(e, f).replace("{A}", a).replace("{B}", b)
                  for f in ("description", "sign")}
        name = rename(e.name) if rename else e.name
        out.append(replace(e, name=name, **fields))
    return tuple(out)


DYAD_YEAR = Table(
    "derived.dyad_year",
    "Every directed dyad-year (ccode1 -> ccode2) of COW system members, 1816-2016, with what "
    "each source says of it; NULL outside a source's coverage (flags cov_*).",
    ("ccode1", "ccode2", "year"),
    with_states(DYAD_ENTRIES, "state 1", "state 2"),
    checks=(pa.Check(lambda d: d.lazyframe.select(pl.col("ccode1") != pl.col("ccode2")),
                     name="no_self_dyads"),),
)
