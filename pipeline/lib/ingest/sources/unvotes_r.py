"""UNGA votes 1946-2019 as packaged by R {unvotes}: ``raw.unvotes_r_votes`` and
``raw.unvotes_r_rollcalls``, in the layout of ``raw.un_votes`` / ``raw.un_rollcalls``
(METHODS §5.1).

The release is three ``.rda`` files that must sit in one folder: ``un_votes.rda`` (rcid,
country, ``country_code`` = ISO 3166-1 alpha-2, vote yes/abstain/no), ``un_roll_calls.rda``
(rcid, session, importantvote, date, unres, ...) and ``un_roll_call_issues.rda`` (rcid,
``short_name`` in me/nu/di/hr/co/ec). Against the Voeten 2017 release (``raw.un_votes``) it adds
sessions 71-74 and 345 roll calls of 1997-2012 (rcid 5640-6054) that release lacks.

- Only cast votes are listed (no absences 8, no non-members 9), so ``member`` is NULL in every
  row; membership comes from the COW state system, not from this file.
- Countries become COW ccodes through :func:`pipeline.lib.ingest.crosswalk.attach_ccode` on the roll
  call's *date*: ISO2 where the file has one, the name where it has none (Federal Republic of
  Germany, Yemen Arab Republic, Zanzibar). The date matters for Germany: the FRG's votes of
  November-December 1990 are unified Germany's (255), as in the Voeten release. The "Yemen
  Arab Republic" label stays 678 through 1990, as the Voeten release and the ideal points code
  that session (COW's Yemen, 679, starts 1990-05-22). A vote whose country does not map, or
  whose ISO2 and name map to different states, is quarantined.
- Issue dummies are 1 where ``un_roll_call_issues.rda`` has a row, else 0 (never NULL).

:func:`choose_un_release` picks the release with more roll calls (ties: the Voeten 2017 one).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandera.polars as pa
import polars as pl

from pipeline.lib.ingest import crosswalk
from pipeline.lib.ingest.contract import Col, coerce, finish
from pipeline.lib.ingest.rawio import InputError
from pipeline.lib.ingest.registry import RawTable, Source
from pipeline.lib.ingest.sources.unvotes import (
    CAST,
    ISSUES,
    ROLLCALL_COLS,
    UNGA,
    UnRollcalls,
    UnVotes,
    rdata_text,
    split_key_conflicts,
)
from pipeline.lib.ingest.sources.unvotes import TABLES as UNGA_TABLES
from pipeline.lib.store.results import LINE, ParseResult, quarantine_rows

VOTES_FILE, ROLLCALLS_FILE = "un_votes.rda", "un_roll_calls.rda"
ISSUES_FILE = "un_roll_call_issues.rda"
VOTE_TEXT = {"yes": "1", "abstain": "2", "no": "3"}
_TEXT = {"na": ("",)}  # "NA" is Namibia's ISO2 code, not a missing value
R_VOTE_COLS = [
    ROLLCALL_COLS[0],
    Col("country", **_TEXT),
    Col("country_code", **_TEXT),
    Col("vote", pl.Int8, required=True, check=lambda c: c.is_in(list(CAST)),
        reason="vote not yes/abstain/no"),
]
_ROLLCALL_TEXT = ["rcid", "session", "importantvote", "date", "unres"]
_DATED = [ROLLCALL_COLS[0], next(c for c in ROLLCALL_COLS if c.name == "date")]


def sibling(path: Path, name: str) -> Path:
    """The file ``name`` of the same release, beside ``path``; InputError when it is absent."""
    other = Path(path).with_name(name)
    if not other.is_file():
        raise InputError(path, f"{name} of the same {{unvotes}} release must sit beside it "
                         f"(`pipeline fetch --source unvotes_r` gets all three files)")
    return other


def _rollcall_dates(path: Path) -> pl.DataFrame:
    """``rcid, date`` of every roll call with one date (conflicting repeats dropped)."""
    typed, _ = coerce(rdata_text(path, ["rcid", "date"]).select("rcid", "date", LINE), _DATED,
                      str(path))
    return (typed.drop(LINE).drop_nulls().unique()
            .unique("rcid", keep="none"))


def _with_ccode(votes: pl.DataFrame) -> pl.DataFrame:
    """``ccode`` from ISO2 (or the name when ISO2 is missing) on the vote's date, and
    ``_reason`` for the rows that cannot be mapped (worked out once per country and date)."""
    keys = ["country", "country_code", "date"]
    mapped = _map_countries(votes.select(keys).unique())
    return votes.join(mapped, on=keys, how="left", validate="m:1", nulls_equal=True,
                      maintain_order="left")


def _map_countries(votes: pl.DataFrame) -> pl.DataFrame:
    mapped = crosswalk.attach_ccode(votes, "country_code", "iso2", "_by_iso2", year_col="date")
    mapped = crosswalk.attach_ccode(mapped, "country", "name", "_by_name", year_col="date")
    iso, name, code = pl.col("_by_iso2"), pl.col("_by_name"), pl.col("country_code")
    country = pl.col("country").fill_null("")
    reason = (
        pl.when(pl.col("date").is_null())
        .then(pl.lit(f"the rcid has no dated roll call in {ROLLCALLS_FILE}"))
        .when(code.is_not_null() & iso.is_null())
        .then(pl.format("ISO2 '{}' has no COW ccode in the crosswalk on {}", code,
                        pl.col("date")))
        .when(code.is_null() & name.is_null())
        .then(pl.format("no ISO2 code, and name '{}' has no COW ccode in the crosswalk on {}",
                        country, pl.col("date")))
        .when(iso.is_not_null() & name.is_not_null() & (iso != name))
        .then(pl.format("ISO2 '{}' gives {} but name '{}' gives {} on {}", code, iso, country,
                        name, pl.col("date")))
    )
    return mapped.with_columns(pl.when(code.is_null()).then(name).otherwise(iso).alias("ccode"),
                               reason.alias("_reason"))


def parse_unvotes_r_votes(path: Path) -> ParseResult:
    """One row per roll call × voting country: ``rcid, ccode, vote (1-3), member (NULL)``.

    Reads ``un_roll_calls.rda`` beside ``path`` for each roll call's date (the country mapping
    depends on it). Unmappable countries are quarantined with the identifiers and date.
    """
    rows = rdata_text(path, [c.name for c in R_VOTE_COLS])
    rows = rows.select(*[c.name for c in R_VOTE_COLS], LINE).with_columns(
        pl.col("vote").replace(VOTE_TEXT))
    typed, q_values = coerce(rows, R_VOTE_COLS, str(path))
    dates = _rollcall_dates(sibling(path, ROLLCALLS_FILE))
    mapped = _with_ccode(typed.join(dates, on="rcid", how="left", validate="m:1",
                                    maintain_order="left"))
    raw = pl.concat_str([pl.col(c.name).cast(pl.Utf8).fill_null("") for c in R_VOTE_COLS],
                        separator="\t")
    bad = mapped.filter(pl.col("_reason").is_not_null())
    q_map = quarantine_rows(bad, str(path), "country_code", pl.col("_reason"), raw)
    good = mapped.filter(pl.col("_reason").is_null()).select(
        "rcid", "ccode", "vote", pl.lit(None, pl.Int8).alias("member"), LINE)
    good, q_conflicts = split_key_conflicts(good, ["rcid", "ccode"], str(path))
    return finish(good, [q_values, q_map, q_conflicts], rows.height, str(path))


def _issue_flags(path: Path) -> tuple[pl.DataFrame, int]:
    """Per rcid, Int8 0/1 for each of :data:`ISSUES`; and the issue rows that name no known
    issue or no valid rcid (counted, as they belong to no roll call row)."""
    rows = rdata_text(path, ["rcid", "short_name"]).select("rcid", "short_name", LINE)
    typed, q = coerce(rows, [ROLLCALL_COLS[0], Col("short_name", required=True)], str(path))
    known = typed.filter(pl.col("short_name").is_in(list(ISSUES)))
    flags = known.group_by("rcid").agg(
        *[(pl.col("short_name") == i).any().cast(pl.Int8).alias(i) for i in ISSUES])
    return flags, q.height + typed.height - known.height


def parse_unvotes_r_rollcalls(path: Path) -> ParseResult:
    """One row per roll call: ``rcid, session, date, year, importantvote, unres`` and the
    issue dummies of ``un_roll_call_issues.rda`` beside ``path``; ``year = session + 1945``.

    ``notes`` count the issue rows used and those of roll calls this file lacks.
    """
    rows = rdata_text(path, _ROLLCALL_TEXT).select(*_ROLLCALL_TEXT, LINE)
    year = pl.col("session").cast(pl.Float64, strict=False) + 1945
    rows = rows.with_columns(year.cast(pl.Int64, strict=False).cast(pl.Utf8).alias("year"))
    cols = [c for c in ROLLCALL_COLS if c.name not in ISSUES]
    typed, q_values = coerce(rows, cols, str(path))
    flags, unknown = _issue_flags(sibling(path, ISSUES_FILE))
    typed = typed.join(flags, on="rcid", how="left", validate="m:1", maintain_order="left")
    typed = typed.with_columns(pl.col(i).fill_null(0) for i in ISSUES)
    typed, q_conflicts = split_key_conflicts(typed, ["rcid"], str(path))
    orphan = flags.join(typed.select("rcid"), on="rcid", how="anti").height
    notes = {"issue_rcids": flags.height - orphan, "issue_rcids_without_rollcall": orphan,
             "issue_rows_unusable": unknown}
    return finish(typed, [q_values, q_conflicts], rows.height, str(path), notes=notes)


@dataclass(frozen=True)
class ReleaseChoice:
    """Which UNGA votes release to use: its source, its two raw tables and why."""

    release: str
    votes_table: str
    rollcalls_table: str
    reason: str
    rollcalls: dict[str, int]


RollCalls = pl.DataFrame | pl.LazyFrame | int | None


def _count(rollcalls: RollCalls) -> int | None:
    if rollcalls is None or isinstance(rollcalls, int):
        return rollcalls
    return rollcalls.lazy().select(pl.col("rcid").n_unique()).collect().item()


def choose_un_release(voeten: RollCalls = None, unvotes_r: RollCalls = None) -> ReleaseChoice:
    """The UNGA votes release covering more roll calls; a tie goes to the Voeten 2017 release.

    Parameters
    ----------
    voeten, unvotes_r : the roll calls of each release (``raw.un_rollcalls``,
        ``raw.unvotes_r_rollcalls``, or any frame with ``rcid``; distinct ``rcid`` are
        counted), a roll-call count, or None when the release is absent.

    Returns
    -------
    ReleaseChoice: ``release`` (source name), ``votes_table`` and ``rollcalls_table`` (raw
    table names), ``reason`` (a sentence) and ``rollcalls`` (the counts compared).

    Notes
    -----
    More roll calls means more of the record behind agreement scores and ideal points (Bailey,
    Strezhnev & Voeten 2017, doi:10.1177/0022002715595700): the {unvotes} release adds 345
    roll calls of 1997-2012, and ROK-USA identical-vote agreement in 2005 moves from 0.219
    (Voeten 2017 release) to 0.296 with them.
    """
    counts = {s: n for s, n in ((UNGA.name, _count(voeten)), (UNVOTES_R.name, _count(unvotes_r)))
              if n is not None}
    if not counts:
        raise ValueError("no UNGA votes release given: pass the roll calls of at least one")
    (a, na), *rest = counts.items()
    if not rest:
        pick, reason = a, f"the only release present ({na:,} roll calls)"
    else:
        (b, nb), = rest
        pick = b if nb > na else a
        reason = (f"{a} has {na:,} roll calls, {b} {nb:,}: "
                  + ("a tie goes to the Voeten 2017 release" if na == nb
                     else "the release with more roll calls is used"))
    votes, rollcalls = (t.name for t in (TABLES if pick == UNVOTES_R.name else UNGA_TABLES))
    return ReleaseChoice(pick, votes, rollcalls, reason, counts)


def count_rollcalls(path: Path) -> int:
    """Distinct ``rcid`` in a votes or roll-calls file (CSV, gzip CSV or R data), rcid only."""
    if path.suffix.lower() in (".rda", ".rdata"):
        return rdata_text(path, ["rcid"])["rcid"].n_unique()
    return pl.scan_csv(path, infer_schema=False).select(pl.col("rcid").n_unique()).collect().item()


def release_in_use() -> ReleaseChoice | None:
    """:func:`choose_un_release` on the release files found (None when neither is present)."""
    files = UNGA.find(), UNVOTES_R.find((ROLLCALLS_FILE,))
    if not any(files):
        return None
    voeten, r = (count_rollcalls(f[0]) if f else None for f in files)
    return choose_un_release(voeten=voeten, unvotes_r=r)


def release_line() -> str:
    """For ``pipeline sources``: with both releases present, a line (with newline) saying
    which is used and why; else ``""``. A damaged file is reported, not raised."""
    try:
        choice = release_in_use()
    except Exception as exc:  # noqa: BLE001 - a damaged file must not stop the listing
        return f"UN votes release: the roll calls could not be counted ({exc})\n"
    if choice is None or len(choice.rollcalls) < 2:
        return ""
    return f"UN votes release used: {choice.release} ({choice.reason})\n"


class UnvotesRVotes(UnVotes):
    """raw.unvotes_r_votes: raw.un_votes' layout; cast votes only (1-3), ``member`` NULL."""

    vote: pl.Int8 = pa.Field(isin=list(CAST))


class UnvotesRRollcalls(UnRollcalls):
    """raw.unvotes_r_rollcalls: raw.un_rollcalls' layout, from the {unvotes} release."""


ROBINSON = """@manual{robinson2021unvotes,
  author = {Robinson, David},
  title = {unvotes: United Nations General Assembly Voting Data},
  note = {R package version 0.3.0},
  year = {2021},
  doi = {10.32614/CRAN.package.unvotes},
  url = {https://github.com/dgrtwo/unvotes}
}"""
_COMMIT = "7eb7034314ff79c49c9e0785fcd9d216fa04cf14"
UNVOTES_R = Source(
    name="unvotes_r",
    title="United Nations General Assembly Voting Data, as packaged by R {unvotes}",
    version=f"{{unvotes}} 0.3.0 data, sessions 1-74 (1946-2019); dgrtwo/unvotes {_COMMIT[:7]}",
    citation=f"{UNGA.citation}\n{ROBINSON}",
    url="https://github.com/dgrtwo/unvotes",
    patterns=(VOTES_FILE, ROLLCALLS_FILE, ISSUES_FILE),
    sha256={
        VOTES_FILE: "cf814a48bc536e8f87f8e027942ac515fe6aae9d63cd71dd88ed718b14887e87",
        ROLLCALLS_FILE: "ff2070ae600cfd32176c6d149637306b9b677d6b910f48bec59a15357d673b4b",
        ISSUES_FILE: "eec1b509ebce692c242b842837d5d861b52b65b2868a7c66f573d4a87d2eb0be",
    },
    download={f: f"https://raw.githubusercontent.com/dgrtwo/unvotes/{_COMMIT}/data/{f}"
              for f in (VOTES_FILE, ROLLCALLS_FILE, ISSUES_FILE)},
    note="The three files are read together; a newer {unvotes} release in the same layout loads.",
)

SOURCES: list[Source] = [UNVOTES_R]
TABLES: list[RawTable] = [
    RawTable("unvotes_r_votes", UNVOTES_R, parse_unvotes_r_votes, UnvotesRVotes,
             ("rcid", "ccode"), "UNGA roll-call votes of the {unvotes} release (1946-2019), one "
             "row per roll call and voting country (1 yes, 2 abstain, 3 no; member NULL).",
             patterns=(VOTES_FILE,)),
    RawTable("unvotes_r_rollcalls", UNVOTES_R, parse_unvotes_r_rollcalls, UnvotesRRollcalls,
             ("rcid",), "UNGA roll calls of the {unvotes} release with session, date, session "
             "year, important-vote flag and issue dummies.", patterns=(ROLLCALLS_FILE,)),
]
