"""One ``raw/<table>`` asset per registry entry (see pipeline.lib.catalog.sources), with its observed
input file (``files/<table>``) and its checks."""

from pipeline.defs.ingest.factory import build_raw_asset, build_raw_files, raw_checks
from pipeline.lib.catalog.sources import RAW_TABLES

RAW_FILES = [build_raw_files(t) for t in RAW_TABLES]
RAW_ASSETS = [build_raw_asset(t) for t in RAW_TABLES]
RAW_CHECKS = [c for t in RAW_TABLES for c in raw_checks(t).separate]
