"""UNGA ideal points of Bailey, Strezhnev & Voeten (2017): ``raw.un_idealpoints`` (METHODS §5.1).

One row per state and General Assembly session: ``ccode, session, year, nvotes, idealpoint,
idealpoint_q05, idealpoint_q95, iso3c, countryname``, keyed (ccode, year) with
``year = session + 1945`` (the session's opening year, as in ``raw.un_rollcalls``). |θ_i − θ_j|
is the dyadic foreign-policy distance; the scale's direction is arbitrary.

Files, in order of preference:

- ``IdealpointestimatesAll_Jun2024.csv`` (June 2024 release, sessions 1-78 without 19):
  ``idealpoint`` is ``IdealPointAll`` (session-based, all votes), the quantiles ``Q5%All`` and
  ``Q95%All``; the first column is an unnamed R row index, ``NA`` is missing.
- ``IdealpointsJuly2025.dta`` (July 2025 release, year-based), used only without the CSV:
  ``idealpoint`` is ``idealpointlegacy``, the session-based series, which equals the June 2024
  ``IdealPointAll`` within 1.2e-7 on all 11,238 state-sessions; ``nvotes`` is
  ``nvotesLegacy``. The file has no quantiles of that series (its ``q5all``/``q95all`` belong
  to the year-based ``idealpointall``), so ``idealpoint_q05``/``q95`` are NULL. Its 202 rows
  without a legacy estimate (191 of 2024, 11 first or partial years) are quarantined. Some of
  its ``countryname`` values are double-encoded UTF-8 or empty; they are kept as read.
"""

from __future__ import annotations

from pathlib import Path

import pandera.polars as pa
import polars as pl

from pipeline.lib.ingest.contract import Col, coerce, finish
from pipeline.lib.ingest.rawio import InputError
from pipeline.lib.ingest.registry import RawTable, Source
from pipeline.lib.ingest.sources.unvotes import (
    BAILEY_2017,
    ROLLCALL_COLS,
    VOTE_COLS,
    split_key_conflicts,
)
from pipeline.lib.ingest.text import read_table_text
from pipeline.lib.store.results import LINE, ParseResult, quarantine_rows

CSV_FILE, DTA_FILE = "IdealpointestimatesAll_Jun2024.csv", "IdealpointsJuly2025.dta"
SESSION_YEAR = 1945  # year = session + 1945
_BY_NAME = {c.name: c for c in (*VOTE_COLS, *ROLLCALL_COLS)}
IDEAL_COLS = [
    _BY_NAME["ccode"], _BY_NAME["session"], _BY_NAME["year"],
    Col("nvotes", pl.Int32, check=lambda c: c >= 0, reason="negative vote count"),
    Col("idealpoint", pl.Float64, required=True),
    Col("idealpoint_q05", pl.Float64),
    Col("idealpoint_q95", pl.Float64),
    Col("iso3c", na=("", "NA")),
    Col("countryname", na=("", "NA")),
]
# Source column -> table column, per file layout.
CSV_NAMES = {"ccode": "ccode", "session": "session", "NVotesAll": "nvotes",
             "IdealPointAll": "idealpoint", "Q5%All": "idealpoint_q05",
             "Q95%All": "idealpoint_q95", "iso3c": "iso3c", "Countryname": "countryname"}
DTA_NAMES = {"ccode": "ccode", "year": "year", "nvotesLegacy": "nvotes",
             "idealpointlegacy": "idealpoint", "iso3c": "iso3c", "countryname": "countryname"}


def _csv_text(path: Path) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    rows, q_lines, n = read_table_text(path, sep=",", expected=list(CSV_NAMES))
    rows = rows.select(*[pl.col(s).alias(t) for s, t in CSV_NAMES.items()], LINE)
    year = pl.col("session").cast(pl.Float64, strict=False) + SESSION_YEAR
    return rows.with_columns(year.cast(pl.Int64).cast(pl.Utf8).alias("year")), q_lines, n


def _dta_text(path: Path) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """The .dta as text columns; ``_line`` is the Stata observation number. Rows without a
    session-based (legacy) estimate are quarantined here, with that reason."""
    import pandas as pd  # only for Stata input

    try:
        frame = pl.from_pandas(pd.read_stata(path, convert_categoricals=False))
    except Exception as exc:  # pandas raises several unrelated types for bad files
        raise InputError(path, f"unreadable Stata file ({exc})") from exc
    missing = [c for c in DTA_NAMES if c not in frame.columns]
    if missing:
        raise InputError(path, f"Stata file lacks variable {missing[0]!r}", column=missing[0])
    # float32 -> float64 first, so the text keeps the stored binary value exactly
    rows = frame.select(
        *[(pl.col(s).cast(pl.Float64) if frame.schema[s].is_float() else pl.col(s))
          .cast(pl.Utf8).alias(t) for s, t in DTA_NAMES.items()]
    ).with_row_index(LINE, offset=1).with_columns(pl.col(LINE).cast(pl.Int64))
    session = pl.col("year").cast(pl.Float64, strict=False) - SESSION_YEAR
    rows = rows.with_columns(session.cast(pl.Int64, strict=False).cast(pl.Utf8).alias("session"),
                             *[pl.lit(None, pl.Utf8).alias(c) for c in
                               ("idealpoint_q05", "idealpoint_q95")])
    none = rows.filter(pl.col("idealpoint").is_null())
    q = quarantine_rows(none.select(*[c.name for c in IDEAL_COLS], LINE), str(path),
                        "idealpointlegacy", "no session-based estimate (idealpointlegacy missing)")
    return rows.filter(pl.col("idealpoint").is_not_null()), q, frame.height


def parse_un_idealpoints(path: Path) -> ParseResult:
    """State-session ideal points from the June 2024 CSV or the July 2025 .dta (see module).

    References
    ----------
    Bailey, Michael A., Anton Strezhnev and Erik Voeten. 2017. "Estimating Dynamic State
    Preferences from United Nations Voting Data." *Journal of Conflict Resolution* 61(2):
    430-456. doi:10.1177/0022002715595700.
    """
    path = Path(path)
    stata = path.suffix.lower() == ".dta"
    rows, q_read, n = (_dta_text if stata else _csv_text)(path)
    typed, q_values = coerce(rows.select(*[c.name for c in IDEAL_COLS], LINE), IDEAL_COLS,
                             str(path))
    typed, q_conflicts = split_key_conflicts(typed, ["ccode", "year"], str(path))
    notes = {"estimate": "idealpointlegacy" if stata else "IdealPointAll"}
    return finish(typed, [q_read, q_values, q_conflicts], n, str(path), notes=notes)


class UnIdealpoints(pa.DataFrameModel):
    """raw.un_idealpoints: one row per state and UNGA session (year = session + 1945)."""

    ccode: pl.Int32 = pa.Field(ge=2, le=999)
    session: pl.Int16 = pa.Field(ge=1)
    year: pl.Int16 = pa.Field(ge=1946, le=2100)
    nvotes: pl.Int32 = pa.Field(ge=0, nullable=True)
    idealpoint: pl.Float64
    idealpoint_q05: pl.Float64 = pa.Field(nullable=True)
    idealpoint_q95: pl.Float64 = pa.Field(nullable=True)
    iso3c: pl.Utf8 = pa.Field(nullable=True)
    countryname: pl.Utf8 = pa.Field(nullable=True)

    class Config:
        strict = True
        unique = ("ccode", "year")


IDEALPOINTS = Source(
    name="unga_idealpoints",
    title="United Nations General Assembly ideal points (Bailey, Strezhnev & Voeten)",
    version="June 2024 release, sessions 1-78 (IdealPointAll); the July 2025 .dta is accepted",
    citation=BAILEY_2017 + """
@misc{voeten2024idealpoints,
  author = {Voeten, Erik and Strezhnev, Anton and Bailey, Michael},
  title = {United Nations General Assembly Voting Data: Ideal point estimates},
  publisher = {Harvard Dataverse},
  note = {June 2024 release},
  doi = {10.7910/DVN/LEJUQZ},
  url = {https://doi.org/10.7910/DVN/LEJUQZ}
}""",
    url="https://doi.org/10.7910/DVN/LEJUQZ",
    patterns=("IdealpointestimatesAll_*.csv", "Idealpoints*.dta"),
    sha256={
        CSV_FILE: "adaeca9a9d617afaf463f892a868fbfe17b33bbd6bdb613688d67f1b8dd6887d",
        DTA_FILE: "fea7fa9414e3643586dbdf95baa1100ceb418e56684d79d801a146cad79443ce",
    },
    note="The CSV is preferred; the .dta's session-based series stands in for it.",
)

SOURCES: list[Source] = [IDEALPOINTS]
TABLES: list[RawTable] = [
    RawTable("un_idealpoints", IDEALPOINTS, parse_un_idealpoints, UnIdealpoints,
             ("ccode", "year"), "UNGA ideal points (Bailey, Strezhnev & Voeten 2017), one row "
             "per state and session, year = session + 1945, with the 5% and 95% quantiles."),
]
