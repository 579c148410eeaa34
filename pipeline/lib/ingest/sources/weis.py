"""WEIS events 1966–1992 with Goldstein weights: ``raw.weis_events`` and ``raw.weis_codes``.

The World Event/Interaction Survey (McClelland; ICPSR 5211) codes who did what to whom, per
day, in three-digit WEIS codes (64 in this file) grouped in 22 two-digit "cues"; each event
carries the Goldstein (1992) conflict–cooperation weight of its code. The file is a compiled
research copy in Stata format (``weis.fromlai.1966-93.dta``, read with pandas
``read_stata``; the name suggests a scholar named Lai assembled it, which is not verified),
distributed in the public repository thynec/CoupCats, with COW codes for both sides. It is an event
dataset with its own code scheme: never pool it with the CAMEO datasets (METHODS §6.4).

``raw.weis_events`` keeps one row per event: ``source_ccode, target_ccode, event_date, year,
weis_code, cue, goldstein``. The file stores the WEIS code as a number (``31`` for ``031``);
the leading zero is restored, so codes stay three-digit text. A row is quarantined (line =
row index + 2, as if a header line preceded the rows) when its date is not a calendar day, a
COW code is outside 1–999, source and target are the same state, the undirected pair
(``state1`` = min, ``state2`` = max, ``dyadid`` = state1·1000 + state2) disagrees with the
directed one, the code is not three digits with a cue 01–22, or the weight is outside
[−10, 10].

**Exact repeats are collapsed here.** 6,078 rows repeat another row in every column (same
source, target, day and code). METHODS §5.2 keeps one event per (source, target, code,
day), and in this file a repeat carries nothing else (no story, actor text or report id)
that a later stage could use to tell two events apart, so the raw table applies the filter
and counts the repeats as deduplicated (read = loaded + quarantined + deduplicated). After
that ``(source_ccode, target_ccode, event_date, weis_code)`` is unique and is the key; rows
sharing it but differing in weight are quarantined, not resolved. Counts quoted from the
raw file (SOURCE.md) are before the collapse.

``raw.weis_codes`` has one row per code present: cue, cue label, the code's single weight
(two weights for one code raise :class:`InputError`), events per code (after the collapse)
and the two flags of :data:`DEFIANCE_CUES` and :data:`ATTENTION_CUES`.

References
----------
McClelland, Charles A. 1978. *World Event/Interaction Survey (WEIS) Project, 1966–1978*.
ICPSR 5211. Ann Arbor: Inter-university Consortium for Political and Social Research.
Goldstein, Joshua S. 1992. "A Conflict-Cooperation Scale for WEIS Events Data." *Journal of
Conflict Resolution* 36(2): 369–385. doi:10.1177/0022002792036002007.
"""

from __future__ import annotations

from pathlib import Path

import pandera.polars as pa
import polars as pl

from pipeline.lib.ingest.contract import Col, coerce, finish
from pipeline.lib.ingest.rawio import InputError
from pipeline.lib.ingest.registry import RawTable, Source
from pipeline.lib.ingest.row_rules import quarantine_rules
from pipeline.lib.ingest.sources.unvotes import split_key_conflicts
from pipeline.lib.store.results import LINE, ParseResult

CUE_LABELS = {
    "01": "yield", "02": "comment", "03": "consult", "04": "approve", "05": "promise",
    "06": "grant", "07": "reward", "08": "agree", "09": "request", "10": "propose",
    "11": "reject", "12": "accuse", "13": "protest", "14": "deny", "15": "demand",
    "16": "warn", "17": "threaten", "18": "demonstrate", "19": "reduce relationship",
    "20": "expel", "21": "seize", "22": "force",
}
"""The 22 WEIS cue categories (first two digits of a code), from the WEIS codebook as
commonly reproduced (McClelland 1978); all 22 occur among the file's 64 codes."""

DEFIANCE_CUES = ("11", "12", "13", "14", "15", "16", "17", "19")
"""Cues that count as defiance J→P (METHODS §6.1): reject, accuse, protest, deny, demand,
warn, threaten, reduce relationship: WEIS's verbal conflict plus the diplomatic downgrade,
what a junior ally can do short of force (18 demonstrate and 20–22 expel, seize, force are
material conflict, a robustness tail as in §6.1). WEIS 13 *protest* is an official
diplomatic protest, unlike CAMEO's 14x street protests. The mapping to CAMEO is approximate:
11 reject ≈ 12x, 12 accuse and 13 protest ≈ 11x (111/112, 114), 16 warn and 17 threaten ≈
13x, 19 reduce relationship ≈ 16x, 15 demand ≈ 10x; 14 deny has no close CAMEO root."""

ATTENTION_CUES = ("03", "04", "05", "08")
"""Cues that count as cooperative attention a senior pays a junior (METHODS §6.5, the
"respect received" complement of §6.1): consult, approve, promise, agree. Approximately
CAMEO 04x consult, 05x (051 praise, 057 sign agreement) and 03x intent to cooperate."""

WEIS_CODE_PATTERN = r"^(0[1-9]|1[0-9]|2[0-2])[0-9]$"
KEY = ["source_ccode", "target_ccode", "event_date", "weis_code"]
_NEED = ["state1", "state2", "year", "mo", "day", "weiscd", "srccc", "targcc", "dyadid",
         "gscale"]
_NA = ("",)  # Stata missing values arrive as NULL; no sentinel codes in this file


def _ccode(name: str) -> Col:
    return Col(name, pl.Int32, na=_NA, required=True, check=lambda c: c.is_between(1, 999),
               reason="ccode outside 1-999")


DTA_COLS = [
    *[_ccode(c) for c in ("state1", "state2", "srccc", "targcc")],
    Col("year", pl.Int32, na=_NA, required=True, check=lambda c: c.is_between(1816, 2100),
        reason="year outside 1816-2100"),
    Col("mo", pl.Int8, na=_NA, required=True),
    Col("day", pl.Int8, na=_NA, required=True),
    Col("weiscd", pl.Utf8, na=_NA, required=True,
        check=lambda c: c.str.contains(WEIS_CODE_PATTERN),
        reason="not a WEIS code (three digits, cue 01-22)"),
    Col("dyadid", pl.Int64, na=_NA, required=True),
    Col("gscale", pl.Float64, na=_NA, required=True, check=lambda c: c.is_between(-10, 10),
        reason="Goldstein weight outside [-10, 10]"),
]


def _cue_in(code: pl.Expr, cues: tuple[str, ...]) -> pl.Expr:
    return code.str.contains(WEIS_CODE_PATTERN) & code.str.slice(0, 2).is_in(cues)


def is_weis_defiance(code: pl.Expr) -> pl.Expr:
    """True where a three-digit WEIS code's cue is in :data:`DEFIANCE_CUES` (NULL stays NULL)."""
    return _cue_in(code, DEFIANCE_CUES)


def is_weis_attention(code: pl.Expr) -> pl.Expr:
    """True where a three-digit WEIS code's cue is in :data:`ATTENTION_CUES` (NULL stays NULL)."""
    return _cue_in(code, ATTENTION_CUES)


def _dta_text(path: Path) -> pl.DataFrame:
    """All-text rows of the .dta plus ``_line`` (row index + 2); a numeric code is zero-padded."""
    import pandas as pd  # only the Stata reader needs it

    if not path.exists():
        raise InputError(path, "file not found")
    try:
        frame = pd.read_stata(path, convert_categoricals=False)
    except Exception as exc:  # pandas raises several unrelated types for a bad .dta
        raise InputError(path, f"unreadable Stata file ({exc})") from exc
    df = pl.from_pandas(frame.reset_index(drop=True))
    missing = [c for c in _NEED if c not in df.columns]
    if missing:
        raise InputError(path, f"data set lacks column {missing[0]!r}", column=missing[0])
    if df.is_empty():
        raise InputError(path, "no rows", line=2)
    code = pl.col("weiscd")
    if df.schema["weiscd"].is_numeric():  # Stata stores 031 as 31: restore the leading zero
        whole = code.cast(pl.Float64) == code.cast(pl.Float64).round(0)
        code = pl.when(whole).then(code.cast(pl.Int64).cast(pl.Utf8).str.zfill(3))
    text = [(code.cast(pl.Utf8).str.strip_chars() if c == "weiscd" else pl.col(c).cast(pl.Utf8))
            .alias(c) for c in _NEED]
    return df.select(text).with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64))


def _date() -> pl.Expr:
    """The calendar day of year/mo/day; NULL when it does not exist (e.g. 30 February)."""
    return (pl.format("{}-{}-{}", pl.col("year"), pl.col("mo"), pl.col("day"))
            .str.to_date("%Y-%m-%d", strict=False))


_RULES = [  # (column, failing condition, reason), checked in order after the column types
    ("year-mo-day", _date().is_null(),
     pl.format("not a calendar date: {}-{}-{}", pl.col("year"), pl.col("mo"), pl.col("day"))),
    ("srccc", pl.col("srccc") == pl.col("targcc"),
     pl.format("source equals target: {}", pl.col("srccc"))),
    ("state1", (pl.col("state1") != pl.min_horizontal("srccc", "targcc"))
     | (pl.col("state2") != pl.max_horizontal("srccc", "targcc")),
     pl.format("state1/state2 {}/{} are not min/max of srccc/targcc {}/{}", pl.col("state1"),
               pl.col("state2"), pl.col("srccc"), pl.col("targcc"))),
    ("dyadid", pl.col("dyadid") != pl.col("state1").cast(pl.Int64) * 1000 + pl.col("state2"),
     pl.format("dyadid {} is not state1*1000+state2", pl.col("dyadid"))),
]


def parse_weis_events(path: Path) -> ParseResult:
    """One row per directed WEIS event, exact repeats collapsed (see the module docstring)."""
    rows = _dta_text(path)
    label = str(path)
    typed, q_values = coerce(rows, DTA_COLS, label)
    text = pl.concat_str([pl.col(c).fill_null("") for c in _NEED], separator="\t").alias("_raw")
    typed = typed.join(rows.select(LINE, text), on=LINE, how="left")
    typed, q_rules = quarantine_rules(typed, _RULES, label, pl.col("_raw"))
    events = typed.select(
        pl.col("srccc").alias("source_ccode"), pl.col("targcc").alias("target_ccode"),
        _date().alias("event_date"), "year", pl.col("weiscd").alias("weis_code"),
        pl.col("weiscd").str.slice(0, 2).alias("cue"), pl.col("gscale").alias("goldstein"),
        LINE)
    # Exact repeats pass the key-conflict split untouched and are collapsed by finish().
    events, q_conflicts = split_key_conflicts(events, KEY, label)
    return finish(events, [q_values, *q_rules, q_conflicts], rows.height, label)


def parse_weis_codes(path: Path) -> ParseResult:
    """One row per WEIS code present: cue, label, Goldstein weight, events, flags.

    Rows are counted as for ``raw.weis_events``; the events collapsed into their code count
    as deduplicated. A code with two weights raises :class:`InputError` naming the code.
    """
    events = parse_weis_events(path)
    codes = (events.frame.lazy()
             .group_by("weis_code")
             .agg(pl.col("cue").first(), pl.col("goldstein").unique().sort().alias("_w"),
                  pl.len().cast(pl.Int32).alias("n_events"))
             .sort("weis_code").collect())
    split = codes.filter(pl.col("_w").list.len() > 1)
    if split.height:
        code, weights = split.select("weis_code", "_w").row(0)
        raise InputError(path, f"WEIS code {code!r} has {len(weights)} Goldstein weights "
                         f"{weights}", column="gscale")
    code = pl.col("weis_code")
    frame = codes.select(
        "weis_code", "cue",
        pl.col("cue").replace_strict(CUE_LABELS, return_dtype=pl.Utf8).alias("cue_label"),
        pl.col("_w").list.first().alias("goldstein"), "n_events",
        is_weis_defiance(code).alias("defiance"), is_weis_attention(code).alias("attention"))
    result = ParseResult(
        frame=frame, quarantine=events.quarantine, rows_read=events.rows_read,
        deduplicated=events.deduplicated + events.loaded - frame.height,
        source_file=events.source_file, notes={"unit": "event row of the .dta"})
    result.reconcile()
    return result


class WeisEvents(pa.DataFrameModel):
    """raw.weis_events: one directed WEIS event per (source, target, day, code)."""

    source_ccode: pl.Int32 = pa.Field(ge=1, le=999)
    target_ccode: pl.Int32 = pa.Field(ge=1, le=999)
    event_date: pl.Date
    year: pl.Int32 = pa.Field(ge=1816, le=2100)
    weis_code: pl.Utf8 = pa.Field(str_matches=WEIS_CODE_PATTERN)
    cue: pl.Utf8 = pa.Field(isin=list(CUE_LABELS))
    goldstein: pl.Float64 = pa.Field(ge=-10.0, le=10.0)

    class Config:
        strict = True
        unique = KEY


class WeisCodes(pa.DataFrameModel):
    """raw.weis_codes: one row per WEIS code present in the event file."""

    weis_code: pl.Utf8 = pa.Field(str_matches=WEIS_CODE_PATTERN)
    cue: pl.Utf8 = pa.Field(isin=list(CUE_LABELS))
    cue_label: pl.Utf8 = pa.Field(isin=list(CUE_LABELS.values()))
    goldstein: pl.Float64 = pa.Field(ge=-10.0, le=10.0)
    n_events: pl.Int32 = pa.Field(ge=1)
    defiance: pl.Boolean
    attention: pl.Boolean

    class Config:
        strict = True
        unique = ["weis_code"]


WEIS = Source(
    name="weis",
    title="World Event/Interaction Survey (WEIS) events with Goldstein weights, COW codes",
    version="1966-1992, compiled copy weis.fromlai.1966-93.dta (thynec/CoupCats, branch data, "
            "commit d71a941b; git blob 25434ce3)",
    citation="""@misc{mcclelland1978weis,
  author = {McClelland, Charles A.},
  title = {World Event/Interaction Survey ({WEIS}) Project, 1966--1978},
  year = {1978},
  publisher = {Inter-university Consortium for Political and Social Research},
  howpublished = {ICPSR 5211},
  url = {https://www.icpsr.umich.edu/web/ICPSR/studies/5211}
}
@article{goldstein1992,
  author = {Goldstein, Joshua S.},
  title = {A Conflict-Cooperation Scale for {WEIS} Events Data},
  journal = {Journal of Conflict Resolution},
  volume = {36}, number = {2}, pages = {369--385}, year = {1992},
  doi = {10.1177/0022002792036002007}
}""",
    url="https://www.icpsr.umich.edu/web/ICPSR/studies/5211",
    patterns=("weis.fromlai.1966-93.dta", "weis*.dta"),
    sha256={"weis.fromlai.1966-93.dta":
            "42627023219f7752a2fbf27341a9e3dbe286dfd42b6a9b1cdf0a74284c5b2141"},
    download={"weis.fromlai.1966-93.dta": "https://raw.githubusercontent.com/thynec/CoupCats/"
              "685f77c73d7042772ef9f3d9eaa12c8b00139cda/weis.fromlai.1966-93.dta"},
    note="A compiled research copy (ICPSR 5211 extended to 1992, Goldstein-weighted, COW "
         "codes), copied byte for byte from the public repository thynec/CoupCats; no licence "
         "file. Its own code scheme: never pooled with CAMEO datasets.",
)

SOURCES: list[Source] = [WEIS]
TABLES: list[RawTable] = [
    RawTable("weis_events", WEIS, parse_weis_events, WeisEvents, tuple(KEY),
             "WEIS directed events 1966-1992: source and target COW codes, day, three-digit "
             "WEIS code, cue and Goldstein weight; exact repeats collapsed."),
    RawTable("weis_codes", WEIS, parse_weis_codes, WeisCodes, ("weis_code",),
             "WEIS codes present in the event file with cue, cue label, Goldstein weight, "
             "event count and the defiance and attention flags.",
             collapse="event rows counted into one row per WEIS code"),
]
