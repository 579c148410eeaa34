"""Event data: every format read by one engine into ``raw.events``, stored as Parquet.

Layers, each importing only those before it:

- :mod:`.layout` and :mod:`.formats` (what a format declares), :mod:`.registry` (the list of
  formats), :mod:`.schema` (``raw.events`` columns, key, pandera schema), :mod:`.rules` (the
  row rules as Polars expressions);
- :mod:`.blocks` (bytes to blocks of lines), :mod:`.lines` (checked text rows),
  :mod:`.values` (typed, checked rows), :mod:`.dedupe`, :mod:`.partition` (the partition-year
  rule), :mod:`.engine` (the stream, and :func:`collect`);
- :mod:`.discover` (which files belong to which year), :mod:`.store` (the Parquet partition
  store behind the ``raw.events`` view), :mod:`.load` (one year of files into the store).
"""

from .engine import EventStream, collect
from .registry import DATASETS, EVENT_SOURCES, FORMATS
from .schema import EVENT_COLUMNS, EVENT_KEY, EventsSchema

parse_event_file = collect

__all__ = ["DATASETS", "EVENT_COLUMNS", "EVENT_KEY", "EVENT_SOURCES", "FORMATS", "EventStream",
           "EventsSchema", "collect", "parse_event_file"]
