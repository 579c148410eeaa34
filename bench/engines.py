"""The engines ``ingest_bench.py`` times: file -> directed dyad-year aggregate.

Every engine is a function ``(path: Path, fmt: str) -> pl.DataFrame | None`` (``fmt`` is
``"icews"`` or ``"gdelt"``) returning the aggregate in :data:`AGG_SCHEMA`: one row per
(source country, target country, year), NULL countries kept as their own group, with the
event count and the sum of the file's weight (ICEWS ``Intensity`` / GDELT
``GoldsteinScale``). It may also return ``(frame, info)`` with a small JSON-able ``info``
dict (e.g. rows loaded/quarantined). ``floor`` returns None: it only reads the bytes.

A new pipeline path is plugged in with ``--engine NAME=module:function`` (the module is
imported before the clock starts, so only the call is timed).
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
CAMEO_CSV = REPO.parent / "shared" / "data" / "raw" / "icews_sample" / "cameo-codes.csv"
AGG_SCHEMA = {"source": pl.Utf8, "target": pl.Utf8, "year": pl.Int32, "n": pl.Int64,
              "intensity": pl.Float64}
KEYS = ["source", "target", "year"]
ICEWS_COLUMNS = ("Event ID", "Event Date", "Source Name", "Source Sectors", "Source Country",
                 "Event Text", "CAMEO Code", "Intensity", "Target Name", "Target Sectors",
                 "Target Country", "Story ID", "Sentence Number", "Publisher", "City",
                 "District", "Province", "Country", "Latitude", "Longitude")
GDELT_COLUMNS = tuple(f"c{i}" for i in range(58))
# what each format calls the four columns the aggregate needs
LAYOUT = {
    "icews": {"header": True, "null": "NA", "columns": ICEWS_COLUMNS,
              "source": "Source Country", "target": "Target Country", "date": "Event Date",
              "weight": "Intensity"},
    "gdelt": {"header": False, "null": "", "columns": GDELT_COLUMNS,
              "source": "c7", "target": "c17", "date": "c1", "weight": "c30"},
}
# modules each engine needs, imported by the worker before the clock starts. duckdb 1.5
# imports pandas the first time it binds a Python parameter (~1 s, once per process), so
# that import is paid before the clock too.
IMPORTS = {"duckdb_agg": ["duckdb", "pandas"], "duckdb_load": ["duckdb", "pandas"],
           "pandas_agg": ["pandas"],
           "pipeline_current": ["pipeline.lib.sources.events", "pipeline.lib.sources.cameo"],
           "pipeline_stream": ["pipeline.lib.eventstream", "pipeline.lib.sources.cameo"],
           "pipeline_warehouse": ["pipeline.lib.eventload", "pipeline.lib.eventfiles",
                                  "pipeline.lib.sources.cameo"]}

def _struct(types: dict[str, str]) -> str:
    return "{" + ", ".join(f"'{c}': '{t}'" for c, t in types.items()) + "}"


def _types(fmt: str) -> dict[str, str]:
    lay = LAYOUT[fmt]
    types = {c: "VARCHAR" for c in lay["columns"]}
    types[lay["weight"]] = "DOUBLE"
    types[lay["date"]] = "DATE" if fmt == "icews" else "INTEGER"
    return types


# One statement per format, built once from the fixed column lists so DuckDB does not sniff;
# the path is a parameter (STYLE section 7). The column struct is literal, not a parameter:
# binding a Python dict costs ~1 s on first use (duckdb imports pandas to convert it).
READ_ICEWS = ("read_csv(?, delim = '\t', header = true, quote = '', escape = '', "
              "nullstr = 'NA', columns = {})".format(_struct(_types("icews"))))
READ_GDELT = ("read_csv(?, delim = '\t', header = false, quote = '', escape = '', "
              "nullstr = '', columns = {})".format(_struct(_types("gdelt"))))
DUCKDB_ICEWS = f"""
SELECT "Source Country" AS source, "Target Country" AS target,
       CAST(year("Event Date") AS INTEGER) AS year, count(*) AS n, sum("Intensity") AS intensity
FROM {READ_ICEWS}
GROUP BY ALL
"""
DUCKDB_GDELT = f"""
SELECT c7 AS source, c17 AS target, CAST(c1 // 10000 AS INTEGER) AS year, count(*) AS n,
       sum(c30) AS intensity
FROM {READ_GDELT}
GROUP BY ALL
"""
# the columns raw.events keeps of each format (ids, date, actors, countries, sectors or
# types, CAMEO code, weight; GDELT also IsRootEvent and QuadClass)
KEPT = {"icews": ICEWS_COLUMNS[:5] + ICEWS_COLUMNS[6:11],
        "gdelt": tuple(f"c{i}" for i in (0, 1, 6, 7, 12, 13, 14, 16, 17, 22, 23, 24, 25, 26,
                                          29, 30))}


def floor(path: Path, fmt: str) -> None:
    """Read the file's bytes in 64 MiB blocks and discard them (the I/O floor)."""
    with open(path, "rb", buffering=0) as fh:
        while fh.read(1 << 26):
            pass


def duckdb_agg(path: Path, fmt: str) -> pl.DataFrame:
    """DuckDB ``read_csv`` (explicit column types, no sniffing) + GROUP BY."""
    import duckdb
    sql = DUCKDB_ICEWS if fmt == "icews" else DUCKDB_GDELT
    with duckdb.connect() as con:
        return con.execute(sql, [str(path)]).pl().cast(AGG_SCHEMA)


def polars_agg(path: Path, fmt: str) -> pl.DataFrame:
    """Polars ``scan_csv`` + ``group_by``, collected with the streaming engine."""
    lay = LAYOUT[fmt]
    schema = {c: pl.Utf8 for c in lay["columns"]}
    schema[lay["weight"]] = pl.Float64
    schema[lay["date"]] = pl.Date if fmt == "icews" else pl.Int32
    date = pl.col(lay["date"])
    year = date.dt.year() if fmt == "icews" else date // 10000
    return (
        pl.scan_csv(path, separator="\t", has_header=lay["header"], schema=schema,
                    quote_char=None, null_values=lay["null"] or None)
        .group_by(
            pl.col(lay["source"]).alias("source"),
            pl.col(lay["target"]).alias("target"),
            year.cast(pl.Int32).alias("year"),
        )
        .agg(pl.len().cast(pl.Int64).alias("n"), pl.col(lay["weight"]).sum().alias("intensity"))
        .collect(engine="streaming")
        .cast(AGG_SCHEMA)
    )


def polars_validated(path: Path, fmt: str) -> tuple[pl.DataFrame, dict]:
    """Bound, not a pipeline: the cheapest read that can prove every line has the right field
    count, as the pipeline does it (every field as text, so a long line raises; the field
    bytes summed, so a short line shows), + the same aggregate, in one streaming scan."""
    lay = LAYOUT[fmt]
    cols = list(lay["columns"])
    date = pl.col(lay["date"])
    year = (date.str.to_date("%Y-%m-%d").dt.year() if fmt == "icews"
            else date.cast(pl.Int32) // 10000)
    null = pl.lit(lay["null"]) if lay["null"] else pl.lit("")
    weight = pl.when(pl.col(lay["weight"]) == null).then(None).otherwise(
        pl.col(lay["weight"])).cast(pl.Float64)
    agg = (
        pl.scan_csv(path, separator="\t", has_header=lay["header"], quote_char=None,
                    schema=dict.fromkeys(cols, pl.Utf8), empty_string_is_null=False)
        .group_by(
            pl.when(pl.col(lay["source"]) == null).then(None).otherwise(pl.col(lay["source"]))
            .alias("source"),
            pl.when(pl.col(lay["target"]) == null).then(None).otherwise(pl.col(lay["target"]))
            .alias("target"),
            year.cast(pl.Int32).alias("year"))
        .agg(pl.len().cast(pl.Int64).alias("n"), weight.sum().alias("intensity"),
             pl.sum_horizontal(pl.all().str.len_bytes()).sum().alias("__bytes"))
        .collect(engine="streaming"))
    header = 0
    if lay["header"]:
        with open(path, "rb") as fh:
            header = len(fh.readline())
    rows, field_bytes = int(agg["n"].sum()), int(agg["__bytes"].sum())
    size = path.stat().st_size - header
    return agg.drop("__bytes").cast(AGG_SCHEMA), {
        "rows_read": rows, "fields_account_for_every_byte":
            field_bytes + len(cols) * rows in (size, size + 1)}


def duckdb_load(path: Path, fmt: str) -> tuple[pl.DataFrame, dict]:
    """Bound, not a pipeline: DuckDB's own CSV reader (strict, explicit types) loads the
    columns ``raw.events`` keeps (:data:`KEPT`) into a table of a fresh database file, then
    aggregates it.
    No typing checks, crosswalk, dedupe or quarantine: the cost of persisting alone."""
    import tempfile

    import duckdb
    lay = LAYOUT[fmt]
    keep = KEPT[fmt]
    read = READ_ICEWS if fmt == "icews" else READ_GDELT
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp, \
            duckdb.connect(str(Path(tmp) / "load.duckdb")) as con:
        cols = ", ".join(f'"{c}"' for c in keep)
        con.execute(f"CREATE TABLE events AS SELECT {cols} FROM {read}", [str(path)])
        year = (f'CAST(year("{lay["date"]}") AS INTEGER)' if fmt == "icews"
                else f"CAST({lay['date']} // 10000 AS INTEGER)")
        agg = con.execute(
            f'SELECT "{lay["source"]}" AS source, "{lay["target"]}" AS target, {year} AS year, '
            f'count(*) AS n, sum("{lay["weight"]}") AS intensity FROM events GROUP BY ALL'
        ).pl().cast(AGG_SCHEMA)
    return agg, {}


def pandas_agg(path: Path, fmt: str) -> pl.DataFrame:
    """Plain pandas: C-engine ``read_csv`` of the four columns + ``groupby``."""
    import pandas as pd
    lay = LAYOUT[fmt]
    if fmt == "icews":
        cols = [lay["source"], lay["target"], lay["date"], lay["weight"]]
        df = pd.read_csv(path, sep="\t", usecols=cols, quoting=csv.QUOTE_NONE,
                         na_values=["NA"], keep_default_na=False,
                         dtype={c: str for c in cols[:3]} | {cols[3]: "float64"})
        year = pd.to_datetime(df[lay["date"]], format="%Y-%m-%d").dt.year
    else:
        df = pd.read_csv(path, sep="\t", header=None, usecols=[1, 7, 17, 30],
                         quoting=csv.QUOTE_NONE, na_values=[""], keep_default_na=False,
                         dtype={1: "int64", 7: str, 17: str, 30: "float64"})
        df.columns = [lay["date"], lay["source"], lay["target"], lay["weight"]]
        year = df[lay["date"]] // 10000
    df = df.assign(year=year.astype("int32"))
    out = (df.groupby([lay["source"], lay["target"], "year"], dropna=False, sort=False)
           [lay["weight"]].agg(["size", "sum"]).reset_index())
    out.columns = ["source", "target", "year", "n", "intensity"]
    return pl.from_pandas(out, nan_to_null=True).cast(AGG_SCHEMA)


def pipeline_current(path: Path, fmt: str) -> tuple[pl.DataFrame, dict]:
    """The pipeline as it is: ``parse_event_file`` (the raw/events asset's per-file step),
    then the dyad-year aggregate of the loaded rows (``raw_goldstein`` = the file's weight)."""
    from pipeline.lib.sources.cameo import parse_cameo_codes
    from pipeline.lib.sources.events import parse_event_file
    cameo = parse_cameo_codes(CAMEO_CSV).frame
    result = parse_event_file(path, cameo)
    agg = (result.frame.lazy()
           .group_by(pl.col("source_country").alias("source"),
                     pl.col("target_country").alias("target"),
                     pl.col("year").cast(pl.Int32))
           .agg(pl.len().cast(pl.Int64).alias("n"), pl.col("raw_goldstein").sum()
                .alias("intensity"))
           .collect()
           .cast(AGG_SCHEMA))
    return agg, {"rows_read": result.rows_read, "loaded": result.loaded,
                 "quarantined": result.quarantine.height, "deduplicated": result.deduplicated}


def pipeline_stream(path: Path, fmt: str) -> tuple[pl.DataFrame, dict]:
    """The streaming pipeline path (``pipeline.lib.eventstream``, what the raw/events asset
    runs): batch-wise parse, checks, crosswalk, dedupe and quarantine, with the dyad-year
    aggregate folded per batch so no whole-file frame exists."""
    from pipeline.lib.eventstream import EventStream
    from pipeline.lib.sources.cameo import parse_cameo_codes
    cameo = parse_cameo_codes(CAMEO_CSV).frame
    stream = EventStream(path, cameo, dataset="icews" if fmt == "icews" else "gdelt1")
    parts, loaded = [], 0
    for batch in stream.batches():
        loaded += batch.height
        parts.append(_agg(batch.lazy()).collect())
        if len(parts) >= 16:  # fold, so the partial aggregates stay bounded (not per batch)
            parts = [_fold(parts)]
    end = stream.finish()
    if end.retract or end.add.height:
        raise NotImplementedError("benchmark files have no duplicate event IDs")
    agg = _fold(parts).cast(AGG_SCHEMA)
    return agg, {"rows_read": end.rows_read, "loaded": loaded,
                 "quarantined": end.quarantine.height, "deduplicated": end.deduplicated}


def pipeline_warehouse(path: Path, fmt: str) -> tuple[pl.DataFrame, dict]:
    """The whole ``raw/events`` asset step: :func:`pipeline.lib.eventload.load_partition`
    streams the file into ``raw.events`` of a fresh DuckDB warehouse (pandera on every batch,
    one transaction), then the dyad-year aggregate runs in SQL on the loaded table."""
    import tempfile

    from pipeline.lib import warehouse as wh
    from pipeline.lib.eventfiles import EVENT_SOURCES
    from pipeline.lib.eventload import load_partition
    from pipeline.lib.sources.cameo import parse_cameo_codes
    cameo = parse_cameo_codes(CAMEO_CSV).frame
    src = next(s for s in EVENT_SOURCES if s.name == ("icews" if fmt == "icews" else "gdelt1"))
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        con = wh.connect(Path(tmp) / "bench.duckdb")
        try:
            (load,) = load_partition(con, 2018, [(src, path)], cameo)
            agg = con.execute(
                "SELECT source_country AS source, target_country AS target, "
                "CAST(year AS INTEGER) AS year, count(*) AS n, sum(raw_goldstein) AS intensity "
                "FROM raw.events GROUP BY ALL").pl().cast(AGG_SCHEMA)
        finally:
            con.close()
    return agg, {"rows_read": load.rows_read, "loaded": load.loaded,
                 "quarantined": load.quarantined, "deduplicated": load.deduplicated}


def _fold(parts: list[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(parts).group_by(KEYS).agg(pl.col("n").sum(), pl.col("intensity").sum())


def _agg(frame: pl.LazyFrame) -> pl.LazyFrame:
    return (frame.group_by(pl.col("source_country").alias("source"),
                           pl.col("target_country").alias("target"),
                           pl.col("year").cast(pl.Int32))
            .agg(pl.len().cast(pl.Int64).alias("n"),
                 pl.col("raw_goldstein").sum().alias("intensity")))


ENGINES = {
    "floor": "bench.engines:floor",
    "duckdb": "bench.engines:duckdb_agg",
    "polars": "bench.engines:polars_agg",
    "pandas": "bench.engines:pandas_agg",
    "pipeline_eager": "bench.engines:pipeline_current",
    "pipeline": "bench.engines:pipeline_stream",
    "pipeline_warehouse": "bench.engines:pipeline_warehouse",
    "polars_validated": "bench.engines:polars_validated",
    "duckdb_load": "bench.engines:duckdb_load",
}
RAW_ENGINES = ("duckdb", "polars")
# what a run without --engines times: raw engines, the bounds, the pipeline's two paths
# (pipeline_eager, the old whole-file parser, needs ~2.6 GB per million rows: opt-in only)
DEFAULT_ENGINES = ("floor", "duckdb", "polars", "pandas", "polars_validated", "duckdb_load",
                   "pipeline", "pipeline_warehouse")
