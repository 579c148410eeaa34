"""Codebook of ``derived.alliance_panel`` and ``derived.case_series`` (J -> P rows)."""

from __future__ import annotations

from dataclasses import replace

import pandera.polars as pa
import polars as pl

from pipeline.lib.measures import cases, panel
from pipeline.lib.measures.codebook.core import Entry, Table
from pipeline.lib.measures.codebook.dyads import DYAD_ENTRIES, with_states
from pipeline.lib.measures.codebook.states import STATE_YEAR

J, P = "the junior (J)", "the senior (P)"


def _state_doc(col: str) -> Entry:
    """The state-year entry of ``col`` as a concrete (variable-free) Entry."""
    for e in STATE_YEAR.entries:
        for name, doc in e.expand():
            if name == col:
                return Entry(name, doc["description"], e.dtype, doc["unit"], doc["source"],
                             doc["coverage"], doc["sign"], e.check)
    raise KeyError(f"state_year has no documented column {col!r}")


def _as(e: Entry, name: str, note: str) -> Entry:
    return Entry(name, f"{e.description}, {note}", e.dtype, e.unit, e.source, e.coverage,
                 e.sign, e.check)


_DYAD = {e.name: e for e in DYAD_ENTRIES}
PANEL_ENTRIES: tuple[Entry, ...] = (
    *with_states(DYAD_ENTRIES, J, P, panel.directional),
    Entry("log_cinc_ratio_p_over_j", "log(CINC(P) / CINC(J))", pl.Float64, "log ratio"),
    Entry("junior_name", "Country name of J (COW StateNme)", pl.Utf8),
    Entry("senior_name", "Country name of P (COW StateNme)", pl.Utf8),
    Entry("shared_threat", "Shared threat, primary definition (b): a state with which both had "
          "a MID in t-10 ... t-1", pl.Boolean),
    Entry("no_shared_threat", "1 - shared_threat: the moderator coded so that the status "
          "coefficient of an interaction model is its effect under shared threat", pl.Int8,
          check=pa.Check.isin([0, 1])),
    *[_as(_state_doc(c), f"{c}_junior", "of J at t") for c in panel.STATE_COLS],
    *[_as(_state_doc(c), c, "of J at t") for c in panel.CURRENT_SI],
    *[_as(_state_doc(c), f"{c}_l1", "of J at t-1 (J's own row)") for c in panel.PANEL_SI],
    *[_as(_state_doc(c), f"{c}_junior_l1", "of J at t-1") for c in panel.STATE_COLS],
    *[_as(_state_doc(c), f"{c}_l1", "of J at t-1") for c in ("de_years_since_wave",
                                                              "de_is_wave")],
    *[_as(e, f"{panel.directional(src)}_l1", "at t-1 (the dyad's own row)")
      for src, e in ((s, next(x for x in with_states(DYAD_ENTRIES, J, P, panel.directional)
                              if x.name == panel.directional(s)))
                     for s in ("cinc_ratio_2_over_1", "respect_de_gap"))],
    Entry("log_cinc_ratio_p_over_j_l1", "log(CINC(P) / CINC(J)) at t-1", pl.Float64,
          "log ratio"),
    *[Entry(f"respect_{r}_gap_l1", f"Respect received gap ({r}) at t-1 (the dyad's own row)",
            pl.Float64, check=pa.Check.in_range(-1.0, 1.0))
      for r in ("icews", "gdelt1", "phoenix", "phoenix_historical", "weis", "netify")],
)

ALLIANCE_PANEL = Table(
    "derived.alliance_panel",
    "Junior -> senior (J -> P) dyad-years of defense pacts (COW; ATOP defense/offense when "
    "loaded) with CINC(P) / CINC(J) >= 2: J's status at t-1 in calendar time, directional "
    "defiance at t, respect received, shared threat, principal patron (METHODS 4-7).",
    ("junior", "senior", "year"),
    PANEL_ENTRIES,
)

CASE_SERIES = Table(
    "derived.case_series",
    "US-ROK (1990-2012) and US-France (1955-1975) as yearly rows (every panel column; NULL "
    "where the dyad-year is not in the panel) and monthly rows where COPDAB or an event "
    "dataset covers the month; crisis windows flagged.",
    ("case_id", "period", "year", "month"),
    (
        Entry("case_id", "Case: us_rok or us_france", pl.Utf8,
              check=pa.Check.isin(["us_rok", "us_france"])),
        Entry("period", "Row grain: year or month", pl.Utf8, check=pa.Check.isin(["year",
                                                                                   "month"])),
        Entry("month", "Month (first day) of a monthly row; NULL on yearly rows", pl.Date,
              nullable=True),
        Entry("copdab_net_coop_pj", "COPDAB net cooperation P toward J (monthly rows)",
              pl.Float64, "index"),
        *[Entry(w, f"Crisis window {w}", pl.Boolean) for w in cases.WINDOWS],
        Entry("crisis", "Any crisis window", pl.Boolean),
        # Monthly rows carry no panel values: every panel column may be NULL here.
        *[replace(e, nullable=True) for e in PANEL_ENTRIES if e.name != "year"],
        Entry("year", "Year", pl.Int32),
    ),
)
