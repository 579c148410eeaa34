"""One ``raw/<table>`` asset with blocking checks per registry entry (see pipeline.lib.catalog)."""

import dagster as dg

from pipeline.defs.ingest.factory import build_raw_asset, build_raw_checks
from pipeline.lib.catalog import RAW_TABLES


@dg.definitions
def raw_tables() -> dg.Definitions:
    return dg.Definitions(
        assets=[build_raw_asset(t) for t in RAW_TABLES],
        asset_checks=[c for t in RAW_TABLES for c in build_raw_checks(t)],
    )
