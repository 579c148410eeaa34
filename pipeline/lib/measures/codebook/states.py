"""Codebook of the monadic and UN tables: ``derived.state_year`` and ``derived.un_agreement``."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from pipeline.lib.measures.codebook.core import Entry, Table

CCODE = pa.Check.in_range(1, 999)
YEAR = pa.Check.in_range(1816, 2100)
SHARE = pa.Check.in_range(0.0, 1.0)
SIGNED = pa.Check.in_range(-1.0, 1.0)
NMC = "COW National Material Capabilities (NMC)"
DE = "COW Diplomatic Exchange v2006.1"
DE_COVER = "waves 1817-2005, carried forward to 2010"
UNDER = "positive = under-recognised (capabilities outrank recognition)"

SI_MEASURES = {
    "de_indegree": "Diplomatic Exchange in-degree (recognition by others)",
    "de_pagerank": "Diplomatic Exchange PageRank (recognition by others)",
    "igo_full": "IGO full memberships (participation, robustness only)",
    "igo_pagerank": "IGO-network PageRank (participation, robustness only)",
}
INTERP = {"de_indegree_interp": "Diplomatic Exchange in-degree interpolated between waves "
                                "(look-ahead variant, robustness only)"}
FIELDS = {"global": "global field", "region": "COW region", "community":
          "Diplomatic Exchange status community"}
DE_VALUES = {"indegree": "in-degree: states with a mission in its capital",
             "share": "in-degree share: in-degree / (N - 1)",
             "weighted_indegree": "level-weighted in-degree (1->2, 2->3, 3->4, 9->1); NULL in "
                                  "1950-65, where levels were not coded",
             "pagerank": "PageRank, d = 0.85, level-weighted (sums to 1 per wave)",
             "pagerank_n": "N x PageRank (mean 1 per wave)",
             "eigenvector": "eigenvector centrality on in-edges (unit norm)"}

_SI = [
    Entry("si_rank_{m}_{f}", "Rank gap: rank by {m_label} minus rank by CINC, {f_label}",
          pl.Int32, "ranks", "NMC and the measure's source", sign=UNDER,
          vars={"m": SI_MEASURES, "f": FIELDS}),
    Entry("si_abs_{m}_{f}", "Absolute rank gap |rank by {m_label} - rank by CINC|, {f_label} "
          "(Galtung 1964; Wallace 1973)", pl.Int32, "ranks",
          vars={"m": SI_MEASURES, "f": FIELDS}),
    Entry("si_pct_{m}_{f}", "Percentile gap: rank gap / (field size - 1), {m_label}, {f_label}",
          pl.Float64, "share of the field", sign=UNDER, check=SIGNED,
          vars={"m": SI_MEASURES, "f": FIELDS}),
    Entry("si_chronic_{m}_{f}", "Chronic deficit: rank gap > 0 in t and each of the nine years "
          "before, {m_label}, {f_label}", pl.Boolean, vars={"m": SI_MEASURES, "f": FIELDS}),
    Entry("si_resid_{m}", "Residual deficit: fitted minus observed log({m_label}) on log CINC "
          "per year, z-scored within the year", pl.Float64, "SD", sign=UNDER,
          vars={"m": SI_MEASURES}),
    Entry("si_rank_{m}_global", "Rank gap, {m_label}, global field", pl.Int32, "ranks",
          sign=UNDER, vars={"m": INTERP}),
    Entry("si_abs_{m}_global", "Absolute rank gap, {m_label}, global field", pl.Int32, "ranks",
          vars={"m": INTERP}),
    Entry("si_pct_{m}_global", "Percentile gap, {m_label}, global field", pl.Float64,
          "share of the field", sign=UNDER, check=SIGNED, vars={"m": INTERP}),
    Entry("si_chronic_{m}_global", "Chronic deficit, {m_label}, global field", pl.Boolean,
          vars={"m": INTERP}),
    Entry("si_resid_{m}", "Residual deficit, {m_label}", pl.Float64, "SD", sign=UNDER,
          vars={"m": INTERP}),
]

STATE_YEAR = Table(
    "derived.state_year",
    "One row per COW system member and year: capability, power status, recognition by others "
    "(Diplomatic Exchange, latest wave carried forward), IGO participation, UN ideal point and "
    "status inconsistency (METHODS 2-3, 6.5).",
    ("ccode", "year"),
    (
        Entry("ccode", "COW country code", pl.Int32, check=CCODE, source="COW state system"),
        Entry("year", "Year", pl.Int32, check=YEAR),
        Entry("country", "Country name (COW StateNme)", pl.Utf8, source="COW country codes"),
        Entry("cinc", "Composite Index of National Capability", pl.Float64, "share of the "
              "system", source=NMC, check=SHARE),
        Entry("cap_rank", "Rank by CINC in the system that year (1 = strongest, ties share)",
              pl.Int32, "rank", source=NMC, check=pa.Check.ge(1)),
        Entry("n_states", "States with a CINC that year", pl.Int32, source=NMC),
        Entry("cap_pct", "Capability percentile: share of the other states whose CINC the state "
              "equals or exceeds", pl.Float64, "share", source=NMC, check=SHARE),
        Entry("major_power", "COW major power on any day of the year", pl.Boolean,
              source="COW majors2016", nullable=False),
        Entry("igo_full", "Full IGO memberships (participation)", pl.Float64, "count",
              source="COW IGO v3", coverage="1816-2014", check=pa.Check.ge(0)),
        Entry("igo_strength", "Shared IGO memberships summed over partners", pl.Int32, "count",
              source="COW IGO v3", coverage="1816-2014"),
        Entry("igo_eigenvector", "Eigenvector centrality in the shared-IGO network (max 1 per "
              "year)", pl.Float64, source="COW IGO v3", coverage="1816-2014"),
        Entry("igo_pagerank", "PageRank in the shared-IGO network (sums to 1 per year)",
              pl.Float64, source="COW IGO v3", coverage="1816-2014", check=SHARE),
        Entry("middle_power", "Middle power: not a COW major and CINC rank 6-30 that year",
              pl.Boolean, source=NMC),
        Entry("regional_power", "Regional power (Maoz 2010), any day of the year", pl.Boolean,
              source="Maoz (2010) via peacesciencer", coverage="1816-2019"),
        Entry("global_power_maoz", "Global power (Maoz 2010), any day of the year", pl.Boolean,
              source="Maoz (2010) via peacesciencer", coverage="1816-2019"),
        Entry("de_is_wave", "The year is a Diplomatic Exchange wave at which the state is "
              "observed", pl.Boolean, source=DE),
        Entry("de_wave_year", "The Diplomatic Exchange wave the year's values come from (the "
              "latest wave at or before the year)", pl.Int32, source=DE, coverage=DE_COVER),
        Entry("de_years_since_wave", "Years since that wave", pl.Int32, "years", source=DE,
              check=pa.Check.in_range(0, 10)),
        Entry("de_{v}", "Diplomatic Exchange {v_label}", pl.Float64, source=DE,
              coverage=DE_COVER, vars={"v": DE_VALUES}),
        Entry("de_community", "Louvain community in the wave's diplomatic network (resolution "
              "1, seed 1; 1 = largest), carried forward", pl.Int32, source=DE),
        Entry("de_indegree_interp", "In-degree interpolated linearly between waves: the "
              "look-ahead variant (uses the next wave)", pl.Float64, source=DE),
        Entry("idealpoint", "UN General Assembly ideal point, IdealPointAll (session + 1945)",
              pl.Float64, "scale units", sign="higher = closer to the US-led pole (recent "
              "decades)", source="Bailey, Strezhnev & Voeten (2017), June 2024",
              coverage="1946-2023, not 1964"),
        Entry("region", "COW region of the ccode (2-165 Americas, 200-399 Europe, 400-626 "
              "Africa, 630-698 Middle East, 700-990 Asia/Oceania)", None),
        *_SI,
    ),
)

UN_MEASURES = {
    "n_common": ("Roll calls on which both voted yes, abstain or no", pl.Int32, "count", ""),
    "n_yes_no": ("Roll calls on which both voted yes or no", pl.Int32, "count", ""),
    "agree": ("Share of identical votes", pl.Float64, "share", "higher = more agreement"),
    "agree_voeten": ("Voeten index 1 - sum|v_a - v_b| / 2n (abstain vs yes/no = half)",
                     pl.Float64, "share", "higher = more agreement"),
    "s_abs": ("Signorino-Ritter S, absolute distances (Delta = 2)", pl.Float64, "", ""),
    "s_sq": ("Signorino-Ritter S, squared distances", pl.Float64, "", ""),
    "kappa": ("Cohen's kappa (own marginals)", pl.Float64, "", "higher = more agreement"),
    "kappa_w": ("Cohen's weighted kappa, quadratic weights", pl.Float64, "",
                "higher = more agreement"),
    "pi": ("Scott's pi (pooled marginals)", pl.Float64, "", "higher = more agreement"),
    "oppose_share": ("Share of yes/no roll calls on which they voted opposite ways", pl.Float64,
                     "share", "higher = more opposition"),
}
SUBSETS = {"": "all roll calls", "_imp": "US State Department important votes (sessions >= 39)"}


def un_entries(prefix: str = "", suffix_note: str = "") -> list[Entry]:
    """One entry per UN measure and roll-call subset, named ``<prefix><measure><subset>``."""
    out = []
    for m, (text, dtype, unit, sign) in UN_MEASURES.items():
        check = pa.Check.ge(0) if dtype == pl.Int32 else (
            SIGNED if m in ("s_abs", "s_sq", "kappa", "kappa_w", "pi") else SHARE)
        out.append(Entry(prefix + m + "{s}", f"{text}, {{s_label}}{suffix_note}", dtype, unit,
                         sign=sign, check=check, source="UNGA votes (release with more roll "
                         "calls)", coverage="1946-2019 by session year, not 1964",
                         vars={"s": SUBSETS}))
    return out


UN_AGREEMENT = Table(
    "derived.un_agreement",
    "UN General Assembly agreement per unordered pair (ccode_a < ccode_b) and session year "
    "(session + 1945; 1964 excluded), from the votes release covering more roll calls "
    "(METHODS 5.1, 6.2).",
    ("ccode_a", "ccode_b", "year"),
    (Entry("ccode_a", "COW code of the lower-numbered state", pl.Int32, check=CCODE),
     Entry("ccode_b", "COW code of the higher-numbered state", pl.Int32, check=CCODE),
     Entry("year", "GA session year (session + 1945)", pl.Int32, check=YEAR),
     *un_entries()),
    checks=(pa.Check(lambda d: d.lazyframe.select(pl.col("ccode_a") < pl.col("ccode_b")),
                     name="ccode_a_lt_ccode_b"),),
)


REF_COUNTRIES = Table(
    "ref.countries",
    "COW country codes with abbreviation and name, one row per code (join on the ccode, "
    "ccode1/ccode2 or junior/senior columns of any table).",
    ("ccode",),
    (Entry("ccode", "COW country code", pl.Int32, check=CCODE, nullable=False),
     Entry("abbreviation", "COW state abbreviation (StateAbb)", pl.Utf8),
     Entry("name", "COW state name (StateNme)", pl.Utf8)),
)
