"""UN General Assembly roll-call votes: ``raw.un_votes`` and ``raw.un_rollcalls`` (METHODS §5.1).

One file (``UNVotes*.csv[.gz]`` or the original ``.RData``, object ``x``) carries one row per
roll call × country, with the roll call's attributes repeated on every row. ``un_votes`` keeps
the votes; ``un_rollcalls`` collapses the repeats to one row per ``rcid`` (repeats count as
deduplicated; a roll call whose rows disagree is quarantined whole, with the differing columns).
"""

from __future__ import annotations

from pathlib import Path

import pandera.polars as pa
import polars as pl

from pipeline.lib.ingest.contract import Col, coerce, finish
from pipeline.lib.ingest.rawio import InputError
from pipeline.lib.ingest.registry import RawTable, Source
from pipeline.lib.ingest.releases import name_version
from pipeline.lib.ingest.text import read_table_text
from pipeline.lib.store.results import LINE, ParseResult, empty_quarantine, quarantine_rows

VOTES = (1, 2, 3, 8, 9)   # yes, abstain, no, absent, not a member
CAST = (1, 2, 3)
ISSUES = ("me", "nu", "di", "hr", "co", "ec")
EC_ARTEFACT = '0\\"'      # rcid 1429: a stray quote from the publisher's export
_NOT_NA = ("", "NA")
_BIN = {"dtype": pl.Int8, "check": lambda c: c.is_in([0, 1]), "reason": "not a 0/1 flag"}
VOTE_COLS = [
    Col("rcid", pl.Int32, required=True, check=lambda c: c >= 1, reason="rcid below 1"),
    Col("ccode", pl.Int32, required=True, check=lambda c: c.is_between(2, 999),
        reason="not a COW ccode"),
    Col("vote", pl.Int8, required=True, check=lambda c: c.is_in(list(VOTES)),
        reason="vote not in {1,2,3,8,9}"),
    Col("member", **_BIN),
]
ROLLCALL_COLS = [
    VOTE_COLS[0],
    Col("session", pl.Int16, required=True, check=lambda c: c >= 1, reason="session below 1"),
    Col("date", pl.Date, na=_NOT_NA),
    Col("year", pl.Int16, required=True, check=lambda c: c.is_between(1946, 2100),
        reason="year outside 1946-2100"),
    Col("importantvote", **_BIN),
    Col("unres", pl.Utf8, na=_NOT_NA),
    *[Col(c, **_BIN) for c in ISSUES],
]


# The two tables of one votes file parse the same text: the first read is kept for the
# second, which takes it out (so it is held only between the two parses).
_SHARED_TEXT: dict[tuple, tuple[pl.DataFrame, pl.DataFrame, int]] = {}


def read_votes_text(path: Path) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """:func:`_read_votes_text`, read once for ``un_votes`` and ``un_rollcalls`` together.

    The file's path, size and modification time key the kept read, so a changed file is
    read again."""
    st = Path(path).stat()
    key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    kept = _SHARED_TEXT.pop(key, None)
    if kept is not None:
        return kept
    _SHARED_TEXT.clear()
    _SHARED_TEXT[key] = got = _read_votes_text(path)
    return got


def _read_votes_text(path: Path) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """All-text rows (plus ``_line``) of a votes file: CSV (plain/gz/zip) or R data.

    For ``.RData``/``.rda`` the data frame ``x`` (or the only object) is read with pyreadr and
    every column turned to text, so the CSV's coercion applies unchanged; ``_line`` is the
    row number + 1, as if a header line preceded the rows. A file without ``year`` (the
    Dataverse description layout) gets ``year = session + 1945``, which holds for every roll
    call of the 2017 release.
    """
    need = ["rcid", "ccode", "vote", "member", "session", "date", "unres", *ISSUES]
    if path.suffix.lower() in (".rdata", ".rda"):
        rows, quarantine = rdata_text(path, need), empty_quarantine()
        n = rows.height
    else:
        rows, quarantine, n = read_table_text(path, sep=",", expected=need)
    if "year" not in rows.columns:
        year = pl.col("session").cast(pl.Int32, strict=False) + 1945
        rows = rows.with_columns(year.cast(pl.Utf8).alias("year"))
    return rows, quarantine, n


def rdata_text(path: Path, need: list[str]) -> pl.DataFrame:
    """The data frame ``x`` (or the only object) of an R data file as text columns plus
    ``_line`` (row number + 1); a missing ``need`` column or an unreadable file is an
    InputError. Shared with the {unvotes} release (:mod:`pipeline.lib.ingest.sources.unvotes_r`)."""
    import pyreadr  # heavy; only needed for R inputs

    try:
        objects = pyreadr.read_r(str(path))
    except Exception as exc:  # pyreadr raises several unrelated types for bad files
        raise InputError(path, f"unreadable R data file ({exc})") from exc
    frame = objects.get("x", next(iter(objects.values())) if len(objects) == 1 else None)
    if frame is None:
        raise InputError(path, f"expected data frame 'x', found objects {list(objects)}")
    df = pl.from_pandas(frame.reset_index(drop=True))
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise InputError(path, f"data frame lacks column {missing[0]!r}", column=missing[0])
    return (df.select(pl.col(c).cast(pl.Utf8) for c in df.columns)
            .with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64)))


def split_key_conflicts(typed: pl.DataFrame, key: list[str],
                        source_file: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Quarantine every row of a key whose rows differ in any other column.

    Exact repeats are left for :func:`~pipeline.lib.ingest.contract.finish` to deduplicate; a key whose
    rows disagree is not resolved by guessing which row is right.
    """
    cand = typed.filter(pl.struct(key).is_duplicated())
    if cand.is_empty():
        return typed, empty_quarantine()
    attrs = [c for c in typed.columns if c not in (*key, LINE)]
    differs = pl.concat_str(
        [pl.when(pl.col(c).n_unique().over(key) > 1).then(pl.lit(c)) for c in attrs],
        separator=", ", ignore_nulls=True)
    bad = cand.with_columns(differs.alias("_differs")).filter(pl.col("_differs") != "")
    raw = pl.concat_str([pl.col(c).cast(pl.Utf8).fill_null("") for c in typed.columns
                         if c != LINE], separator="\t")
    reason = pl.format("rows with the same {} differ in {}", pl.lit("+".join(key)),
                       pl.col("_differs"))
    q = quarantine_rows(bad, source_file, "+".join(key), reason, raw)
    return typed.join(bad.select(LINE), on=LINE, how="anti"), q


def parse_un_votes(path: Path) -> ParseResult:
    """One row per roll call × country: vote code and UN membership (empty member → NULL)."""
    rows, q_lines, n = read_votes_text(path)
    typed, q_values = coerce(rows.select(*[c.name for c in VOTE_COLS], LINE), VOTE_COLS,
                             str(path))
    typed, q_conflicts = split_key_conflicts(typed, ["rcid", "ccode"], str(path))
    return finish(typed, [q_lines, q_values, q_conflicts], n, str(path))


def _us_date(col: str) -> pl.Expr:
    """M/D/YYYY (2017 release) or ISO text to ISO text; anything else is left to fail."""
    c = pl.col(col).str.strip_chars()
    parsed = pl.coalesce(c.str.to_date("%m/%d/%Y", strict=False),
                         c.str.to_date("%Y-%m-%d", strict=False))
    return pl.when(parsed.is_not_null()).then(parsed.dt.to_string("%Y-%m-%d")).otherwise(c)


def parse_un_rollcalls(path: Path) -> ParseResult:
    """One row per roll call: session, date, year, important-vote flag, resolution, issues.

    ``year`` is the session's opening year as published (a January vote belongs to the
    previous year's session). The artefact ``ec = 0\\"`` is read as 0 and counted in notes.
    """
    rows, q_lines, n = read_votes_text(path)
    rows = rows.select(*[c.name for c in ROLLCALL_COLS], LINE)
    artefact = pl.col("ec").str.strip_chars() == EC_ARTEFACT
    hit = rows.filter(artefact)
    rows = rows.with_columns(
        pl.when(artefact).then(pl.lit("0")).otherwise(pl.col("ec")).alias("ec"),
        _us_date("date").alias("date"))
    typed, q_values = coerce(rows, ROLLCALL_COLS, str(path))
    typed, q_conflicts = split_key_conflicts(typed, ["rcid"], str(path))
    notes = {"ec_artefact_rows": hit.height,
             "ec_artefact_rcids": ",".join(hit["rcid"].unique(maintain_order=True).to_list())}
    return finish(typed, [q_lines, q_values, q_conflicts], n, str(path), notes=notes)


def identical_vote_share(votes: pl.DataFrame, a: int, b: int,
                         rollcalls: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per year, roll calls on which both ``a`` and ``b`` voted yes/abstain/no, and the share
    on which they cast the same vote.

    Parameters
    ----------
    votes : ``raw.un_votes`` rows (``rcid, ccode, vote``), with ``year`` or joined to it via
        ``rollcalls`` (``raw.un_rollcalls``) on ``rcid``.
    a, b : COW ccodes.

    Returns
    -------
    ``year`` (Int16), ``n`` (Int32 common roll calls), ``share`` (Float64), sorted by year.
    Absences (8) and non-membership (9) drop the roll call for the dyad, as in Voeten's
    agreement scores (Bailey, Strezhnev & Voeten 2017, doi:10.1177/0022002715595700); the
    share is the "raw agreement" used in Signorino & Ritter (1999) before chance correction.
    """
    lf = votes.lazy()
    if "year" not in votes.columns:
        if rollcalls is None:
            raise ValueError("votes has no 'year' column: pass rollcalls to join it on rcid")
        lf = lf.join(rollcalls.lazy().select("rcid", "year"), on="rcid", how="left")
    cast = lf.filter(pl.col("vote").is_in(list(CAST)))
    va = cast.filter(pl.col("ccode") == a).select("rcid", "year", pl.col("vote").alias("va"))
    vb = cast.filter(pl.col("ccode") == b).select("rcid", pl.col("vote").alias("vb"))
    return (va.join(vb, on="rcid", how="inner")
            .group_by("year")
            .agg(pl.len().cast(pl.Int32).alias("n"),
                 (pl.col("va") == pl.col("vb")).mean().alias("share"))
            .with_columns(pl.col("year").cast(pl.Int16))
            .sort("year")
            .collect())


class UnVotes(pa.DataFrameModel):
    """raw.un_votes: one row per roll call × country (non-members included, vote 9)."""

    rcid: pl.Int32 = pa.Field(ge=1)
    ccode: pl.Int32 = pa.Field(ge=2, le=999)
    vote: pl.Int8 = pa.Field(isin=list(VOTES))
    member: pl.Int8 = pa.Field(isin=[0, 1], nullable=True)

    class Config:
        strict = True
        unique = ("rcid", "ccode")


class UnRollcalls(pa.DataFrameModel):
    """raw.un_rollcalls: one row per UNGA roll call."""

    rcid: pl.Int32 = pa.Field(ge=1)
    session: pl.Int16 = pa.Field(ge=1)
    date: pl.Date = pa.Field(nullable=True)
    year: pl.Int16 = pa.Field(ge=1946, le=2100)
    importantvote: pl.Int8 = pa.Field(isin=[0, 1], nullable=True)
    unres: pl.Utf8 = pa.Field(nullable=True)
    me: pl.Int8 = pa.Field(isin=[0, 1], nullable=True)
    nu: pl.Int8 = pa.Field(isin=[0, 1], nullable=True)
    di: pl.Int8 = pa.Field(isin=[0, 1], nullable=True)
    hr: pl.Int8 = pa.Field(isin=[0, 1], nullable=True)
    co: pl.Int8 = pa.Field(isin=[0, 1], nullable=True)
    ec: pl.Int8 = pa.Field(isin=[0, 1], nullable=True)

    class Config:
        strict = True
        unique = ("rcid",)


BAILEY_2017 = """@article{bailey2017estimating,
  author = {Bailey, Michael A. and Strezhnev, Anton and Voeten, Erik},
  title = {Estimating Dynamic State Preferences from United Nations Voting Data},
  journal = {Journal of Conflict Resolution},
  volume = {61}, number = {2}, pages = {430--456}, year = {2017},
  doi = {10.1177/0022002715595700}
}"""
def unvotes_release(path: Path) -> str | None:
    """The release a votes file names (``UNVotes2021.RData``: the 2021 release); the shipped
    ``UNVotesPublished`` says none and is known by its registered sha256."""
    year = name_version(path, r"^UNVotes[-_]?((?:19|20)\d\d)")
    return f"{year} release" if year else None


UNGA = Source(
    name="unga_votes_voeten",
    title="United Nations General Assembly Voting Data (Voeten, Strezhnev & Bailey)",
    version="2017-01-17 release (dgrtwo/unvotes data-raw/UNVotesPublished.RData)",
    citation="""@misc{voeten2009unga,
  author = {Voeten, Erik and Strezhnev, Anton and Bailey, Michael},
  title = {United Nations General Assembly Voting Data},
  year = {2009},
  publisher = {Harvard Dataverse},
  howpublished = {hdl:1902.1/12379},
  url = {https://hdl.handle.net/1902.1/12379}
}
""" + BAILEY_2017,
    url="https://hdl.handle.net/1902.1/12379",
    patterns=("UNVotes*.csv", "UNVotes*.csv.gz", "UNVotes*.RData", "original/UNVotes*.RData"),
    required=True,
    sha256={
        "UNVotesPublished.csv.gz":
            "0da46af6e49364504d8a7fbcc94494c5e7fd9339596380fd7fff8270f4b292ce",
        "UNVotesPublished.RData":
            "7cf08a10ceb316711f94e6c16889be49a5400f84fcb015801b5c2b9116c572f6",
    },
    download={"UNVotesPublished.RData": "https://raw.githubusercontent.com/dgrtwo/unvotes/"
              "7eb7034314ff79c49c9e0785fcd9d216fa04cf14/data-raw/UNVotesPublished.RData"},
    note="Newer Dataverse releases in the same layout (UNVotes*.csv / *.RData) also load.",
    release=unvotes_release,
)

SOURCES: list[Source] = [UNGA]
TABLES: list[RawTable] = [
    RawTable("un_votes", UNGA, parse_un_votes, UnVotes, ("rcid", "ccode"),
             "UNGA roll-call votes, one row per roll call and country (1 yes, 2 abstain, 3 no, "
             "8 absent, 9 non-member)."),
    RawTable("un_rollcalls", UNGA, parse_un_rollcalls, UnRollcalls, ("rcid",),
             "UNGA roll calls with session, date, session year, important-vote flag and issue "
             "dummies.", collapse="vote rows collapsed to one row per roll call"),
]
