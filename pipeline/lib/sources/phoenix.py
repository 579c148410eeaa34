"""Phoenix event data, contemporary (OEDA) and Cline Center Historical, into ``raw.events``.

**Contemporary Phoenix** (daily ``events.full.YYYYMMDD.txt``, June 2014 on): tab-separated,
no header, the 26 fields written by ``create_strings`` in openeventdata/phoenix_pipeline
``postprocess.py``: event id, story date (YYYYMMDD), year, month, day, then for source and
target the full actor code, its *root* (CAMEO country code or IGO/NGO/IMG/MNC), *agent* (GOV,
MIL, REB, ...) and other codes (``;``-joined), then CAMEO code, root code, class, Goldstein,
issues, lat, lon, place, state and country names, sentence ids, URLs and news sources
(:data:`PHOENIX_COLUMNS`). The same order and count are read by ahalterman/phoxy
``ingest_phoenix.R`` and jrhammond/EventNetworks (``EventID, Date, Year, Month, Day,
SourceActorFull, SourceActorEntity, SourceActorRole, SourceActorAttribute, ...``): by
position, ``SourceActorEntity`` is the root (country) and ``SourceActorRole`` the agent.

**Cline Center Historical Phoenix** (Althaus et al. 2017, v1.0.0; NYT, SWB, FBIS): CSV with
a header. jrhammond/EventNetworks ``ingest_histphoenix.R`` reads ``aid``, ``story_date``
(``M/D/YYYY``), ``source``, ``source_root``, ``source_agent``, ``target``, ``target_root``,
``target_agent``, ``code``, ``root_code``, ``quad_class``, ``goldstein``; edunford/phx lists
the full set (``eid, year, month, day, source_others, target_others, joined_issues, lat, lon,
placename, statename, countryname, aid, process``). Columns are found by name, accepting the
snake_case names or the CamelCase ones above (``EventID``, ``Date``, ``EventCode``,
``GoldsteinScore``, ...); dates may be ``M/D/YYYY``, ``YYYY-MM-DD`` or ``YYYYMMDD``.

Phoenix's own class is a five-way "PentaClass" (01-02 neutral; 16 verbal conflict) and its
Goldstein table differs from ICEWS's for 124, 163 and 166 (METHODS §5.2), so both are
recomputed from our CAMEO table; the file's weight is kept as ``raw_goldstein``.

References
----------
Beieler, J. 2016. "Creating a Real-Time, Reproducible Event Dataset." arXiv:1612.00866.
Althaus, S., J. Bajjalieh, J. F. Carter, B. Peyton and D. A. Shalmon. 2017. *Cline Center
Historical Phoenix Event Data*, v.1.0.0. Cline Center for Advanced Social Research.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from pipeline.lib.ingest import LINE, Col, InputError, ParseResult, coerce, read_table_text
from pipeline.lib.sources.cameo import CAMEO_CODE_PATTERN
from pipeline.lib.sources.events import build_events, first_line, join_codes, parse_date

PHOENIX_COLUMNS = (
    "eventid", "date", "year", "month", "day",
    "source", "source_root", "source_agent", "source_others",
    "target", "target_root", "target_agent", "target_others",
    "code", "root_code", "quad_class", "goldstein", "joined_issues",
    "lat", "lon", "placename", "statename", "countryname", "ids", "urls", "sources",
)
HISTORICAL_ALIASES = {  # canonical name -> accepted header names (case-insensitive)
    "eventid": ("eid", "eventid"), "date": ("story_date", "date"),
    "source": ("source", "sourceactorfull"), "source_root": ("source_root", "sourceactorentity"),
    "source_agent": ("source_agent", "sourceactorrole"),
    "target": ("target", "targetactorfull"), "target_root": ("target_root", "targetactorentity"),
    "target_agent": ("target_agent", "targetactorrole"),
    "code": ("code", "eventcode"), "goldstein": ("goldstein", "goldsteinscore"),
}
OPTIONAL_ALIASES = {"source_others": ("source_others", "sourceactorattribute"),
                    "target_others": ("target_others", "targetactorattribute")}
NA = ("", "NA")


def _header(line: str) -> tuple[list[str], str]:
    sep = "\t" if line.count("\t") > line.count(",") else ","
    return [n.strip() for n in next(csv.reader([line], delimiter=sep))], sep


def is_historical_header(line: str) -> bool:
    """Whether a first line is a Historical Phoenix header (names its date, code, actors)."""
    names = {n.lower() for n in _header(line)[0]}
    return all(names & set(HISTORICAL_ALIASES[k]) for k in ("date", "code", "source", "target"))


def _cols(names: dict[str, str], date_formats: tuple[str, ...]) -> list[Col]:
    """Typed columns, ``names`` mapping canonical name -> header name in the file."""
    return [
        Col(names["eventid"], pl.Utf8, na=NA, required=True, rename="eventid",
            check=lambda e: e.str.contains(r"^\S+$"), reason="event id contains blanks"),
        Col(names["date"], pl.Utf8, na=NA, required=True, rename="date",
            check=lambda e: parse_date(e, date_formats).is_not_null(),
            reason=f"not a date ({' or '.join(date_formats)})"),
        *[Col(names[k], pl.Utf8, na=NA, rename=k) for k in (
            "source", "source_root", "source_agent", "source_others",
            "target", "target_root", "target_agent", "target_others") if k in names],
        Col(names["code"], pl.Utf8, na=NA, required=True, rename="code",
            check=lambda e: e.str.contains(CAMEO_CODE_PATTERN), reason="invalid CAMEO code"),
        Col(names["goldstein"], pl.Float64, na=NA, rename="goldstein",
            check=lambda e: e.is_between(-10, 10), reason="Goldstein outside [-10, 10]"),
    ]


def _stage(typed: pl.DataFrame, date_formats: tuple[str, ...]) -> pl.DataFrame:
    def sectors(side: str) -> pl.Expr:
        parts = [f"{side}_agent"] + ([f"{side}_others"] if f"{side}_others" in typed.columns
                                     else [])
        return join_codes(*parts).str.replace_all(";", ",", literal=True)
    return typed.select(
        pl.col("eventid").alias("event_id"), parse_date("date", date_formats).alias("event_date"),
        pl.col("source").alias("source_actor"), pl.col("target").alias("target_actor"),
        pl.col("source_root").alias("source_country"),
        pl.col("target_root").alias("target_country"),
        sectors("source").alias("source_sectors"), sectors("target").alias("target_sectors"),
        pl.col("code").alias("cameo_code"), pl.col("goldstein").alias("raw_goldstein"),
        pl.lit(None, pl.Boolean).alias("is_root_event"), pl.col(LINE),
    )


def parse_phoenix(path: Path | str, cameo: pl.DataFrame) -> ParseResult:
    """Read a Phoenix file into event rows: contemporary TSV, or Historical CSV by header.

    Parameters
    ----------
    path : ``events.full.YYYYMMDD.txt`` (plain, ``.gz``, ``.zip``) or a Cline Center CSV.
    cameo : CAMEO code table with ``code`` (Utf8) and ``goldstein`` (Float64).
    """
    path = Path(path)
    if is_historical_header(first_line(path)):
        return parse_phoenix_historical(path, cameo)
    rows, q_lines, n = read_table_text(path, sep="\t", expected=list(PHOENIX_COLUMNS),
                                       header=False, quoted=False)
    fmts = ("%Y%m%d",)
    typed, q_values = coerce(rows, _cols({c: c for c in PHOENIX_COLUMNS}, fmts), str(path))
    return build_events(_stage(typed, fmts), rows, [q_lines, q_values], n, path, "phoenix",
                        cameo, country_kind="cameo")


def parse_phoenix_historical(path: Path | str, cameo: pl.DataFrame) -> ParseResult:
    """Read a Cline Center Historical Phoenix CSV (header names resolved by alias)."""
    path = Path(path)
    header, sep = _header(first_line(path))
    lower = {h.lower(): h for h in header}
    names: dict[str, str] = {}
    for key, aliases in {**HISTORICAL_ALIASES, **OPTIONAL_ALIASES}.items():
        hit = next((lower[a] for a in aliases if a in lower), None)
        if hit is None and key in HISTORICAL_ALIASES:
            raise InputError(path, f"header lacks a {key!r} column (one of {aliases})",
                             line=1, column=key)
        if hit is not None:
            names[key] = hit
    fmts = ("%m/%d/%Y", "%Y-%m-%d", "%Y%m%d")
    cols = _cols(names, fmts)
    rows, q_lines, n = read_table_text(path, sep=sep, expected=[c.name for c in cols],
                                       header=True, quoted=True)
    typed, q_values = coerce(rows, cols, str(path))
    return build_events(_stage(typed, fmts), rows, [q_lines, q_values], n, path,
                        "phoenix_historical", cameo, country_kind="cameo")
