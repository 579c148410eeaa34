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
_PIPELINE = ["pipeline.lib.events", "pipeline.lib.events.load", "pipeline.lib.ingest.sources.cameo",
             "pipeline.lib.measures.event_measures", "duckdb", "pandas"]
IMPORTS = {"duckdb_agg": ["duckdb", "pandas"], "duckdb_load": ["duckdb", "pandas"],
           "duckdb_rejects": ["duckdb", "pandas"], "pandas_agg": ["pandas"],
           "pipeline_stream": _PIPELINE, "pipeline_warehouse": _PIPELINE,
           "pipeline_duckdb_tables": _PIPELINE, "pipeline_measures": _PIPELINE}

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


def _duckdb_table(path: Path, fmt: str, read: str) -> tuple[pl.DataFrame, int | None]:
    """``read`` (a ``read_csv`` call) loads the kept columns into a table of a fresh database
    file; then the aggregate, and the count of ``reject_errors`` when the read stored any."""
    import tempfile

    import duckdb
    lay = LAYOUT[fmt]
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp, \
            duckdb.connect(str(Path(tmp) / "load.duckdb")) as con:
        cols = ", ".join(f'"{c}"' for c in KEPT[fmt])
        con.execute(f"CREATE TABLE events AS SELECT {cols} FROM {read}", [str(path)])
        rejects = (con.execute("SELECT count(*) FROM reject_errors").fetchone()[0]
                   if "store_rejects" in read else None)
        year = (f'CAST(year("{lay["date"]}") AS INTEGER)' if fmt == "icews"
                else f"CAST({lay['date']} // 10000 AS INTEGER)")
        agg = con.execute(
            f'SELECT "{lay["source"]}" AS source, "{lay["target"]}" AS target, {year} AS year, '
            f'count(*) AS n, sum("{lay["weight"]}") AS intensity FROM events GROUP BY ALL'
        ).pl().cast(AGG_SCHEMA)
    return agg, rejects


def duckdb_load(path: Path, fmt: str) -> tuple[pl.DataFrame, dict]:
    """Bound, not a pipeline: DuckDB's own CSV reader (strict, explicit types) loads the
    columns ``raw.events`` keeps (:data:`KEPT`) into a table of a fresh database file, then
    aggregates it.
    No typing checks, crosswalk, dedupe or quarantine: the cost of persisting alone."""
    agg, _ = _duckdb_table(path, fmt, READ_ICEWS if fmt == "icews" else READ_GDELT)
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


def duckdb_rejects(path: Path, fmt: str) -> tuple[pl.DataFrame, dict]:
    """Alternative validating reader, not a pipeline: DuckDB's ``read_csv`` with
    ``store_rejects`` (lines with a wrong field count or a value that does not cast are
    skipped and logged in ``reject_errors``) loading the kept columns into a table of a
    fresh database file, then the aggregate. It checks field counts and casts only: no CAMEO
    rules, crosswalk, dedupe, and its line numbers and reasons are DuckDB's."""
    read = (READ_ICEWS if fmt == "icews" else READ_GDELT).replace(
        "columns =", "store_rejects = true, columns =")
    agg, rejects = _duckdb_table(path, fmt, read)
    return agg, {"rejected": rejects}


def _cameo() -> pl.DataFrame:
    from pipeline.lib.ingest.sources.cameo import parse_cameo_codes
    return parse_cameo_codes(CAMEO_CSV).frame


def _dataset(fmt: str) -> str:
    return "icews" if fmt == "icews" else "gdelt1"


def pipeline_stream(path: Path, fmt: str) -> tuple[pl.DataFrame, dict]:
    """The engine the ``raw/events`` asset runs (``pipeline.lib.events.EventStream``):
    block-wise line checks, typing, CAMEO rules, crosswalk, dedupe and quarantine, with the
    dyad-year aggregate folded per batch; nothing is written."""
    from pipeline.lib.events import EventStream
    stream = EventStream(path, _cameo(), dataset=_dataset(fmt))
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


def _load(path: Path, fmt: str, tmp: str):
    from pipeline.lib.events import EVENT_SOURCES
    from pipeline.lib.events.load import load_partition
    from pipeline.lib.store import warehouse as wh
    src = next(s for s in EVENT_SOURCES if s.name == _dataset(fmt))
    con = wh.connect(Path(tmp) / "bench.duckdb")
    (load,) = load_partition(con, 2018, [(src, path)], _cameo())
    return con, {"rows_read": load.rows_read, "loaded": load.loaded,
                 "quarantined": load.quarantined, "deduplicated": load.deduplicated}


_RAW_AGG = ("SELECT source_country AS source, target_country AS target, CAST(year AS INTEGER) "
            "AS year, count(*) AS n, sum(raw_goldstein) AS intensity FROM raw.events "
            "GROUP BY ALL")


def pipeline_warehouse(path: Path, fmt: str) -> tuple[pl.DataFrame, dict]:
    """The whole ``raw/events`` step: :func:`pipeline.lib.events.load.load_partition` streams
    the file into the Parquet store of a fresh warehouse (pandera per flush, the year's file,
    log and quarantine committed in one DuckDB transaction), then the aggregate runs in SQL
    on the ``raw.events`` view."""
    import tempfile
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        con, info = _load(path, fmt, tmp)
        try:
            agg = con.execute(_RAW_AGG).pl().cast(AGG_SCHEMA)
        finally:
            con.close()
    return agg, info


def pipeline_measures(path: Path, fmt: str) -> tuple[pl.DataFrame, dict]:
    """:func:`pipeline_warehouse` plus the derived event aggregates the indicators use
    (:mod:`pipeline.lib.measures.event_measures`: dyad-year and dyad-month measures and coverage,
    computed by DuckDB over the view): the step and its aggregates, for peak memory."""
    import tempfile

    from pipeline.lib.measures import event_measures as em
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        con, info = _load(path, fmt, tmp)
        try:
            sizes = {f"rows_{p}": em.event_aggregates(con, p).height for p in ("year", "month")}
            sizes["coverage_rows"] = em.event_coverage(con).height
            agg = con.execute(_RAW_AGG).pl().cast(AGG_SCHEMA)
        finally:
            con.close()
    return agg, info | sizes


def pipeline_duckdb_tables(path: Path, fmt: str) -> tuple[pl.DataFrame, dict]:
    """Alternative store, not the pipeline: the same engine, its flushes inserted into a
    DuckDB table (a staging table, autocommitted per flush, renamed in at the end: the
    store before the Parquet one), then the aggregate. For the store comparison."""
    import tempfile

    import duckdb

    from pipeline.lib.events import EVENT_COLUMNS, EventStream
    stream = EventStream(path, _cameo(), dataset=_dataset(fmt))
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp, \
            duckdb.connect(str(Path(tmp) / "bench.duckdb")) as con:
        con.execute("SET memory_limit = '512MB'")
        con.register("_t", pl.DataFrame(schema=EVENT_COLUMNS).to_arrow())
        con.execute("CREATE TABLE staging AS SELECT * FROM _t LIMIT 0")
        pending, rows = [], 0
        for batch in [*stream.batches(), None]:
            if batch is not None:
                pending.append(batch)
                rows += batch.height
            if pending and (batch is None or rows >= 4 * 122_880):
                con.register("_b", pl.concat(pending).to_arrow().to_reader())
                con.execute("INSERT INTO staging BY NAME SELECT * FROM _b")
                con.unregister("_b")
                pending, rows = [], 0
        end = stream.finish()
        con.execute("ALTER TABLE staging RENAME TO events")
        agg = con.execute(_RAW_AGG.replace("raw.events", "events")).pl().cast(AGG_SCHEMA)
    return agg, {"rows_read": end.rows_read, "quarantined": end.quarantine.height}


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
    "pipeline": "bench.engines:pipeline_stream",
    "pipeline_warehouse": "bench.engines:pipeline_warehouse",
    "pipeline_measures": "bench.engines:pipeline_measures",
    "pipeline_duckdb_tables": "bench.engines:pipeline_duckdb_tables",
    "polars_validated": "bench.engines:polars_validated",
    "duckdb_load": "bench.engines:duckdb_load",
    "duckdb_rejects": "bench.engines:duckdb_rejects",
}
RAW_ENGINES = ("duckdb", "polars")
BOUNDS = {"pipeline": "polars_validated", "pipeline_warehouse": "duckdb_load"}
# what a run without --engines times: raw engines, the bounds, the pipeline's two paths
DEFAULT_ENGINES = ("floor", "duckdb", "polars", "pandas", "polars_validated", "duckdb_load",
                   "pipeline", "pipeline_warehouse")
