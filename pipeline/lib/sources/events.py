"""The unified event table ``raw.events``: ICEWS, GDELT 1.0 and Phoenix rows in one schema.

Each format module (:mod:`.icews`, :mod:`.gdelt`, :mod:`.phoenix`) reads its own layout into
a *staged* frame (``STAGED`` columns plus ``_line``); :func:`build_events` applies the shared
rules:

- **CAMEO weights** (METHODS §5.2): ``goldstein`` is looked up in the CAMEO table passed in
  (Goldstein 1992 weights, ``cameo-codes.csv``), ``root_code`` is the code's first two digits
  and ``quad_class`` follows the ICEWS/GDELT split (01-05 verbal cooperation, 06-08 material
  cooperation, 09-13 verbal conflict, 14-20 material conflict). The weight the file carries is
  kept as ``raw_goldstein``. A malformed code (``13y``), a code missing from the table, a
  weight outside [-10, 10] or an event date outside 1900-2100 quarantines the row.
- **Countries**: ``source_country``/``target_country`` keep the raw identifier; COW ccodes come
  from :func:`pipeline.lib.crosswalk.attach_ccode`. Unmatched identifiers (often non-state
  actors) keep their row with a NULL ccode and are counted in ``notes["unmatched_countries"]``.
- **Duplicates** (:func:`dedupe_events`): rows identical in every column except their position
  are removed and counted as ``deduplicated`` (the 2021 ICEWS file repeats whole rows). Event
  IDs recur across dates in ICEWS releases (andybega/icews #21), so the key is
  ``(dataset, event_id, event_date)``: the same ID on another date is another event; rows with
  the same ID and date but different content are not resolved by guessing: all are
  quarantined.
- **Partitions** (:func:`file_partition_year`): a file belongs to one year, read from its name,
  else the most common event year among its rows with valid codes (ties: the earliest).

References
----------
Goldstein, J. S. 1992. "A Conflict-Cooperation Scale for WEIS Events Data." *Journal of
Conflict Resolution* 36(2): 369-385. doi:10.1177/0022002792036002007.
Schrodt, P. A. 2012. *CAMEO Conflict and Mediation Event Observations Codebook*, v1.1b3.
"""

from __future__ import annotations

import gzip
import re
import zipfile
import zlib
from pathlib import Path

import pandera.polars as pa
import polars as pl
from pandera.polars import PolarsData

from pipeline.lib import crosswalk
from pipeline.lib.ingest import LINE, QUARANTINE_SCHEMA, InputError, ParseResult
from pipeline.lib.registry import Source
from pipeline.lib.sources.cameo import CAMEO_CODE_PATTERN, ROOTS, quad_class, root_code

DATASETS = ("icews", "gdelt1", "phoenix", "phoenix_historical")
EVENT_KEY = ("dataset", "event_id", "event_date")
EVENT_COLUMNS: dict[str, pl.DataType] = {
    "event_id": pl.Utf8, "event_date": pl.Date, "year": pl.Int16,
    "source_ccode": pl.Int32, "target_ccode": pl.Int32,
    "source_actor": pl.Utf8, "target_actor": pl.Utf8,
    "source_country": pl.Utf8, "target_country": pl.Utf8,
    "source_sectors": pl.Utf8, "target_sectors": pl.Utf8,
    "cameo_code": pl.Utf8, "root_code": pl.Utf8, "quad_class": pl.Int8,
    "goldstein": pl.Float64, "raw_goldstein": pl.Float64, "is_root_event": pl.Boolean,
    "dataset": pl.Utf8, "source_file": pl.Utf8, "source_line": pl.Int64,
    "partition_year": pl.Int16,
}
STAGED = ("event_id", "event_date", "source_actor", "target_actor", "source_country",
          "target_country", "source_sectors", "target_sectors", "cameo_code", "raw_goldstein",
          "is_root_event")

# --------------------------------------------------------------------------- helpers


def parse_date(col: str | pl.Expr, formats: tuple[str, ...]) -> pl.Expr:
    """First format that parses each value (per row), else NULL."""
    e = pl.col(col) if isinstance(col, str) else col
    return pl.coalesce([e.str.strip_chars().str.to_date(f, strict=False) for f in formats])


def join_codes(*cols: str, sep: str = ",") -> pl.Expr:
    """Non-null, non-empty text columns joined with ``sep``; NULL when all are missing."""
    parts = pl.concat_list([pl.col(c) for c in cols]).list.eval(
        pl.element().filter(pl.element().is_not_null() & (pl.element() != "")))
    return pl.when(parts.list.len() > 0).then(parts.list.join(sep)).otherwise(None)


# --------------------------------------------------------------------------- partitions

_NAME_YEAR = [
    re.compile(r"^events\.(\d{4})\."),               # ICEWS yearly events.1995.2015....tab
    re.compile(r"^(\d{4})(?:\d{2}){1,2}-icews-events"),  # ICEWS weekly/monthly (#80)
    re.compile(r"^(\d{4})\d{4}\.export\.csv", re.IGNORECASE),  # GDELT daily 20130401.export.CSV.zip
    re.compile(r"^(\d{4})(?:0[1-9]|1[0-2])?\.zip$"),  # GDELT back-files 197901.zip, 1979.zip
    re.compile(r"^events\.full\.(\d{4})\d{4}"),      # Phoenix daily events.full.20140620.txt
]


def file_partition_year(path: Path | str) -> int | None:
    """Partition year named by an event file (ICEWS, GDELT, Phoenix conventions), or None."""
    name = Path(path).name
    for pat in _NAME_YEAR:
        m = pat.search(name)
        if m and 1900 <= int(m.group(1)) <= 2100:
            return int(m.group(1))
    return None


# --------------------------------------------------------------------------- formats


def first_line(path: Path) -> str:
    """First line of a plain, ``.gz`` or ``.zip`` text file, read without decompressing it all.

    A zip's data member is chosen as :func:`pipeline.lib.ingest.read_bytes` does (the one
    ``.csv``/``.tab``/``.tsv``/``.txt`` member outside ``__MACOSX``).
    """
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                raw = fh.readline()
        elif path.name.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                members = [i for i in zf.infolist() if not i.is_dir()
                           and not i.filename.startswith("__MACOSX")
                           and i.filename.lower().endswith((".csv", ".tab", ".tsv", ".txt"))]
                if len(members) != 1:
                    raise InputError(path, f"expected one data member in zip, found "
                                     f"{[i.filename for i in zf.infolist()]}")
                with zf.open(members[0]) as fh:
                    raw = fh.readline()
        else:
            with open(path, "rb") as fh:
                raw = fh.readline()
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
        kind = ("corrupt or truncated gzip" if path.name.lower().endswith(".gz") else
                "corrupt zip archive" if path.name.lower().endswith(".zip") else "cannot read")
        raise InputError(path, f"{kind} ({exc})", line=1) from exc
    return raw.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")


def detect_event_format(path: Path | str) -> str:
    """Name the dataset whose layout ``path`` has (one of ``DATASETS``).

    ICEWS ``.tab`` starts with an ``Event ID`` header; the Cline Center Historical Phoenix CSV
    has a header naming its date (``story_date``/``Date``) and CAMEO code; headerless TSV is
    GDELT 1.0 with 57 or 58 fields, or contemporary Phoenix with 26.
    """
    path = Path(path)
    line = first_line(path)
    if not line.strip():
        raise InputError(path, "file is empty", line=1)
    if line.startswith("Event ID\t"):
        return "icews"
    from pipeline.lib.sources import phoenix
    if phoenix.is_historical_header(line):
        return "phoenix_historical"
    fields = line.split("\t")
    if len(fields) in (57, 58) and re.fullmatch(r"\d{8}", fields[1]):
        return "gdelt1"
    if len(fields) == len(phoenix.PHOENIX_COLUMNS) and re.fullmatch(r"\d{8}", fields[1]):
        return "phoenix"
    raise InputError(path, f"not a known event format (ICEWS .tab header, GDELT 57/58 or "
                     f"Phoenix 26 tab fields, Historical Phoenix CSV); {len(fields)} "
                     f"tab-separated fields in {line[:80]!r}", line=1)


def parse_event_file(path: Path | str, cameo: pl.DataFrame) -> ParseResult:
    """Detect the format of an event file and parse it into the unified layout."""
    from pipeline.lib.sources import gdelt, icews, phoenix
    path = Path(path)
    parsers = {"icews": icews.parse_icews, "gdelt1": gdelt.parse_gdelt1,
               "phoenix": phoenix.parse_phoenix,
               "phoenix_historical": phoenix.parse_phoenix_historical}
    return parsers[detect_event_format(path)](path, cameo)


# --------------------------------------------------------------------------- build


def _flag(frame: pl.DataFrame, bad: pl.Expr, column: str, reason: pl.Expr):
    """Split ``frame`` into kept rows and ``(line, column, reason)`` for rows where ``bad``."""
    flagged = frame.with_columns(bad.fill_null(False).alias("_bad"))
    q = flagged.filter(pl.col("_bad")).select(
        pl.col(LINE).cast(pl.Int64).alias("line"), pl.lit(column).alias("column"),
        reason.cast(pl.Utf8).alias("reason"))
    return flagged.filter(~pl.col("_bad")).drop("_bad"), q


def with_raw(flags: list[pl.DataFrame], rows: pl.DataFrame, label: str) -> pl.DataFrame:
    """Quarantine rows for ``(line, column, reason)`` flags, ``raw`` rebuilt from ``rows``."""
    q = pl.concat(flags) if flags else pl.DataFrame(
        schema={"line": pl.Int64, "column": pl.Utf8, "reason": pl.Utf8})
    text = [c for c in rows.columns if c != LINE]
    raw = rows.filter(pl.col(LINE).is_in(q["line"].implode())).select(
        pl.col(LINE).cast(pl.Int64).alias("line"),
        pl.concat_str([pl.col(c).fill_null("") for c in text], separator="\t").alias("raw"))
    return q.join(raw, on="line", how="left").select(
        pl.lit(label).alias("source_file"), "line", "column", "reason", "raw"
    ).cast(QUARANTINE_SCHEMA)


def dedupe_events(frame: pl.DataFrame, ignore: tuple[str, ...] = (
        "source_file", "source_line", "partition_year")) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """Remove exact duplicates; split off every row of a key whose rows disagree.

    Returns ``(kept, n_exact_duplicates, conflicts)``. Rows equal on every column but
    ``ignore`` collapse to their first occurrence (counted). Rows that still share
    ``(dataset, event_id, event_date)`` differ in content; none is kept (no guessing which is
    right) and all are returned as ``conflicts``, with ``_differs`` naming the columns that
    differ. The same ``event_id`` on another date is kept: ICEWS reuses IDs across dates
    (andybega/icews #21), and (event_id, event_date) is the key andybega/icews enforces (#80).
    """
    content = [c for c in frame.columns if c not in ignore]
    unique = frame.unique(subset=content, keep="first", maintain_order=True)
    clash = pl.struct(list(EVENT_KEY)).is_duplicated()
    conflicts = unique.filter(clash)
    differs = pl.concat_str(
        [pl.when(pl.col(c).n_unique().over(list(EVENT_KEY)) > 1).then(pl.lit(c))
         for c in content if c not in EVENT_KEY], separator=", ", ignore_nulls=True)
    return (unique.filter(~clash), frame.height - unique.height,
            conflicts.with_columns(differs.alias("_differs")))


def _unmatched(frame: pl.DataFrame) -> dict[str, int]:
    parts = [crosswalk.unmatched(frame, f"{s}_country", f"{s}_ccode")
             .rename({f"{s}_country": "country"}) for s in ("source", "target")]
    total = pl.concat(parts).group_by("country").agg(pl.col("n").sum()).sort(
        ["n", "country"], descending=[True, False])
    return dict(zip(total["country"].to_list(), total["n"].to_list()))


def build_events(staged: pl.DataFrame, rows: pl.DataFrame, quarantine: list[pl.DataFrame],
                 rows_read: int, path: Path, dataset: str, cameo: pl.DataFrame, *,
                 country_kind: str, raw_must_match: bool = False,
                 notes: dict | None = None) -> ParseResult:
    """Turn a staged frame into unified ``raw.events`` rows and a reconciled ParseResult.

    Parameters
    ----------
    staged : ``STAGED`` columns (raw ``event_id`` text, ``event_date`` Date, ...) + ``_line``.
    rows : the all-text frame the rows came from (``raw`` of quarantined rows).
    quarantine : quarantine frames already produced (field counts, casts).
    rows_read : data lines read from the file.
    cameo : CAMEO table with ``code`` (Utf8) and ``goldstein`` (Float64).
    country_kind : crosswalk kind of the country columns ("name" or "cameo").
    raw_must_match : quarantine rows whose own weight differs from the table (ICEWS Intensity).
    """
    missing = set(STAGED) - set(staged.columns)
    if missing:
        raise ValueError(f"staged frame lacks {sorted(missing)}")
    label = str(path)
    table = cameo.select(pl.col("code").cast(pl.Utf8).alias("cameo_code"),
                         pl.col("goldstein").cast(pl.Float64)).unique("cameo_code")
    frame = staged.join(table, on="cameo_code", how="left", maintain_order="left")
    frame, q1 = _flag(frame, pl.col("goldstein").is_null(), "cameo_code",
                      pl.format("CAMEO code '{}' not in the CAMEO table", pl.col("cameo_code")))
    frame, q2 = _flag(frame, ~pl.col("goldstein").is_between(-10, 10), "cameo_code",
                      pl.format("Goldstein {} of code '{}' outside [-10, 10]",
                                pl.col("goldstein"), pl.col("cameo_code")))
    frame, q3 = _flag(frame, ~pl.col("event_date").dt.year().is_between(1900, 2100), "event_date",
                      pl.format("event date {} outside 1900-2100", pl.col("event_date")))
    flags = [q1, q2, q3]
    if raw_must_match:
        frame, q4 = _flag(frame, (pl.col("raw_goldstein") - pl.col("goldstein")).abs() > 1e-9,
                          "raw_goldstein",
                          pl.format("file weight {} != CAMEO Goldstein {} of code '{}'",
                                    pl.col("raw_goldstein"), pl.col("goldstein"),
                                    pl.col("cameo_code")))
        flags.append(q4)
    year = file_partition_year(path)
    if year is None and frame.height:
        modes = frame["event_date"].dt.year().mode()
        year = int(modes.min())
    frame = frame.with_columns(
        pl.concat_str([pl.lit(f"{dataset}:"), pl.col("event_id").str.strip_chars()])
        .alias("event_id"),
        pl.col("event_date").dt.year().cast(pl.Int16).alias("year"),
        root_code(pl.col("cameo_code")).alias("root_code"),
        pl.lit(dataset).alias("dataset"), pl.lit(Path(path).name).alias("source_file"),
        pl.col(LINE).cast(pl.Int64).alias("source_line"),
        pl.lit(year, pl.Int16).alias("partition_year"),
    ).with_columns(quad_class(pl.col("root_code")).alias("quad_class"))
    frame = crosswalk.attach_ccode(frame, "source_country", country_kind, "source_ccode",
                                   year_col="year")
    frame = crosswalk.attach_ccode(frame, "target_country", country_kind, "target_ccode",
                                   year_col="year")
    frame = frame.select([pl.col(c).cast(t) for c, t in EVENT_COLUMNS.items()])
    kept, n_dup, conflicts = dedupe_events(frame)
    flags.append(conflicts.select(
        pl.col("source_line").alias("line"), pl.lit("event_id").alias("column"),
        pl.format("rows with the same event_id {} and date {} differ in {}",
                  pl.col("event_id"), pl.col("event_date"), pl.col("_differs")).alias("reason")))
    result = ParseResult(
        frame=kept, quarantine=pl.concat([*quarantine, with_raw(flags, rows, label)]).sort("line"),
        rows_read=rows_read, deduplicated=n_dup, source_file=label,
        notes={"dataset": dataset, "partition_year": year,
               "unmatched_countries": _unmatched(kept), **(notes or {})})
    result.reconcile()
    return result


# --------------------------------------------------------------------------- schema

_ID = r"^(icews|gdelt1|phoenix|phoenix_historical):\S+$"


class EventsSchema(pa.DataFrameModel):
    """``raw.events``: one row per (dataset, event_id, event_date), CAMEO-weighted."""

    event_id: pl.Utf8 = pa.Field(str_matches=_ID)
    event_date: pl.Date = pa.Field()
    year: pl.Int16 = pa.Field(ge=1900, le=2100)
    source_ccode: pl.Int32 = pa.Field(nullable=True, ge=2, le=999)
    target_ccode: pl.Int32 = pa.Field(nullable=True, ge=2, le=999)
    source_actor: pl.Utf8 = pa.Field(nullable=True)
    target_actor: pl.Utf8 = pa.Field(nullable=True)
    source_country: pl.Utf8 = pa.Field(nullable=True)
    target_country: pl.Utf8 = pa.Field(nullable=True)
    source_sectors: pl.Utf8 = pa.Field(nullable=True)
    target_sectors: pl.Utf8 = pa.Field(nullable=True)
    cameo_code: pl.Utf8 = pa.Field(str_matches=CAMEO_CODE_PATTERN)
    root_code: pl.Utf8 = pa.Field(isin=list(ROOTS))
    quad_class: pl.Int8 = pa.Field(isin=[1, 2, 3, 4])
    goldstein: pl.Float64 = pa.Field(ge=-10, le=10)
    raw_goldstein: pl.Float64 = pa.Field(nullable=True, ge=-10, le=10)
    is_root_event: pl.Boolean = pa.Field(nullable=True)
    dataset: pl.Utf8 = pa.Field(isin=list(DATASETS))
    source_file: pl.Utf8 = pa.Field(str_length={"min_value": 1})
    source_line: pl.Int64 = pa.Field(ge=1)
    partition_year: pl.Int16 = pa.Field(ge=1900, le=2100)

    class Config:
        strict = True
        unique = ["dataset", "event_id", "event_date"]  # EVENT_KEY

    @pa.dataframe_check
    def year_is_event_year(cls, data: PolarsData) -> pl.LazyFrame:
        """``year`` is the calendar year of ``event_date``."""
        return data.lazyframe.select(pl.col("year") == pl.col("event_date").dt.year())

    @pa.dataframe_check
    def root_is_code_prefix(cls, data: PolarsData) -> pl.LazyFrame:
        """``root_code`` is the first two digits of ``cameo_code``."""
        return data.lazyframe.select(pl.col("root_code") == root_code(pl.col("cameo_code")))


# --------------------------------------------------------------------------- sources

icews = Source(
    name="icews", folders=("icews_sample",), title="ICEWS Coded Event Data",
    version="Harvard Dataverse doi:10.7910/DVN/28075 (1995 to 11 April 2023)",
    citation="""@misc{boschee2015icews,
  author = {Boschee, Elizabeth and Lautenschlager, Jennifer and O'Brien, Sean and
            Shellman, Steve and Starz, James and Ward, Michael},
  title = {{ICEWS} Coded Event Data}, publisher = {Harvard Dataverse}, year = {2015},
  doi = {10.7910/DVN/28075}, url = {https://doi.org/10.7910/DVN/28075}}""",
    url="https://doi.org/10.7910/DVN/28075",
    patterns=("events.*.tab", "events.*.tab.gz", "events.*.zip", "*-icews-events*.tab",
              "*-icews-events*.tab.gz", "*-icews-events*.zip"),
    sha256={"events.2018.sample.tab.gz":
            "38193b30a5094c1001a5aad5fc9e0dc42e145d2a2de14ea73157d4fa2df6e06e"},
    note="Yearly events.YYYY.*.tab and weekly YYYYMMDD-icews-events.tab, plain/.gz/.zip.")
gdelt1 = Source(
    name="gdelt1", folders=("gdelt1_sample",), title="GDELT 1.0 Event Database",
    version="daily export files from 2013-04-01 (58 columns); back-files 1979-2013 (57)",
    citation="""@inproceedings{leetaru2013gdelt,
  author = {Leetaru, Kalev and Schrodt, Philip A.},
  title = {{GDELT}: Global Data on Events, Location, and Tone, 1979--2012},
  booktitle = {International Studies Association Annual Convention}, year = {2013},
  address = {San Francisco}, url = {https://www.gdeltproject.org/}}""",
    url="https://www.gdeltproject.org/data.html#rawdatafiles",
    patterns=("*.export.CSV", "*.export.CSV.zip", "[12][0-9][0-9][0-9][01][0-9].zip",
              "[12][0-9][0-9][0-9].zip", "gdelt1_events_*.tsv"),
    sha256={"gdelt1_events_20160312.sample.tsv":
            "e3db56dc81fcbd170c6f6c49d815f925b3c072f0f16232e9d1f4efc78f6d6aa0"},
    note="Filter IsRootEvent; QuadClass and Goldstein are recomputed from the CAMEO code.")
phoenix = Source(
    name="phoenix", title="Phoenix event data (Open Event Data Alliance)",
    version="daily events.full.YYYYMMDD.txt, June 2014 onwards",
    citation="""@misc{beieler2016phoenix,
  author = {Beieler, John},
  title = {Creating a Real-Time, Reproducible Event Dataset}, year = {2016},
  eprint = {1612.00866}, archivePrefix = {arXiv}}
@misc{oeda2015phoenix,
  author = {{Open Event Data Alliance}}, title = {Phoenix Event Data Set},
  year = {2015}, url = {http://phoenixdata.org/}}""",
    url="http://phoenixdata.org/",
    patterns=("events.full.*.txt", "events.full.*.txt.zip", "events.full.*.txt.gz"))
phoenix_historical = Source(
    name="phoenix_historical", title="Cline Center Historical Phoenix Event Data",
    version="v1.0.0 (2017-06-30): NYT 1945-2005, SWB 1979-2015, FBIS 1995-2004",
    citation="""@misc{althaus2017phoenix,
  author = {Althaus, Scott and Bajjalieh, Joseph and Carter, John F. and Peyton, Buddy
            and Shalmon, Dan A.},
  title = {Cline Center Historical Phoenix Event Data}, note = {v.1.0.0, June 30},
  publisher = {Cline Center for Advanced Social Research}, year = {2017},
  url = {http://www.clinecenter.illinois.edu/data/event/phoenix/}}""",
    url="https://clinecenter.illinois.edu/project/machine-generated-event-data-projects/"
        "phoenix-data",
    patterns=("*Phoenix*.csv", "*Phoenix*.csv.gz", "*Phoenix*.csv.zip", "*phoenix*.csv"))
EVENT_SOURCES: list[Source] = [icews, gdelt1, phoenix, phoenix_historical]
