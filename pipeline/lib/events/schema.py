"""``raw.events``: its columns, its key and its pandera schema (one row per event)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
from pandera.polars import PolarsData

from pipeline.lib.ingest.sources.cameo import CAMEO_CODE_PATTERN, ROOTS, root_code

from .registry import DATASETS

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
_ID = r"^(" + "|".join(DATASETS) + r"):\S+$"


class EventRowsSchema(pa.DataFrameModel):
    """The rules every ``raw.events`` row keeps on its own (what a batch is validated by
    while a partition is written; the key is checked over the partition in SQL)."""

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

    @pa.dataframe_check
    def year_is_event_year(cls, data: PolarsData) -> pl.LazyFrame:
        """``year`` is the calendar year of ``event_date``."""
        return data.lazyframe.select(pl.col("year") == pl.col("event_date").dt.year())

    @pa.dataframe_check
    def root_is_code_prefix(cls, data: PolarsData) -> pl.LazyFrame:
        """``root_code`` is the first two digits of ``cameo_code``."""
        return data.lazyframe.select(pl.col("root_code") == root_code(pl.col("cameo_code")))


class EventsSchema(EventRowsSchema):
    """``raw.events``: one row per (dataset, event_id, event_date), CAMEO-weighted."""

    class Config:
        strict = True
        unique = ["dataset", "event_id", "event_date"]  # noqa: RUF012 - EVENT_KEY, pandera style
