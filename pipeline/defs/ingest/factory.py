"""Build one ``raw/<table>`` asset and its blocking checks from each registry entry."""


from datetime import UTC, datetime

import dagster as dg

from pipeline.defs.meta import file_metadata, frame_metadata
from pipeline.defs.resources import Warehouse
from pipeline.lib import fetch, freshness
from pipeline.lib import warehouse as wh
from pipeline.lib.registry import RawTable
from pipeline.lib.validation import (
    ccode_columns,
    check_ccodes_in_system,
    check_key_unique,
    check_reconciles,
    check_schema,
)

CHECK_SCHEMA = "schema"
CHECK_KEY = "unique_key"
CHECK_COUNTS = "counts_reconcile"
CHECK_MEMBERS = "ccodes_in_system"
SYSTEM = dg.AssetKey(["raw", "cow_system"])
OWNERS = ["team:data-ingest"]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def build_raw_asset(spec: RawTable) -> dg.AssetsDefinition:
    key = dg.AssetKey(["raw", spec.name])
    src = spec.source
    # Hash of this module and the parser's module (and what they import): editing a parser
    # re-ingests its tables and nothing else (pipeline.lib.freshness).
    code = freshness.code_version(__name__, spec.parser.__module__)

    @dg.asset(
        key=key,
        group_name="ingest",
        kinds={"duckdb", "polars"},
        owners=OWNERS,
        code_version=code,
        description=(f"{spec.description} Source: {src.title} ({src.version}); "
                     f"{'required' if spec.is_required else 'optional'}; publisher {src.url}. "
                     f"Key: {', '.join(spec.key)}."),
        metadata={"source": src.name, "version": src.version, "publisher_url": src.url,
                  "key": list(spec.key), "required": spec.is_required,
                  "dagster/table_name": f"raw.{spec.name}"},
        tags={"source": src.name},
    )
    def _raw(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        try:  # data/raw, then the shared mirror, then (PIPELINE_ALLOW_DOWNLOAD=1) the publisher
            files = fetch.obtain(src, spec.patterns)
        except fetch.FetchError as err:
            raise dg.Failure(description=f"download of {src.name} failed: {err}") from err
        if not files:
            message = f"source missing: {src.where_to_get()}"
            if spec.is_required:
                raise dg.Failure(description=message)
            # An optional source that is absent: no table (downstream assets treat it as
            # unavailable), and the asset says so instead of failing the run.
            context.log.warning(message)
            wh.drop_table(warehouse.con, "raw", spec.name)
            return dg.MaterializeResult(metadata={"status": "missing", "message": message,
                                                  "dagster/row_count": 0},
                                        data_version=dg.DataVersion(freshness.raw_version(code, {})))
        started = _now()
        result = spec.parser(files[0])
        ingest = wh.FileIngest(src.name, files[0], result, started, _now())
        wh.write_table(warehouse.con, "raw", spec.name, result.frame, files=[ingest],
                       run_id=context.run.run_id)
        context.log.info(f"raw.{spec.name}: {result.loaded} rows from {files[0]}")
        return dg.MaterializeResult(
            metadata={"status": "loaded", **file_metadata(src, ingest),
                      **frame_metadata(result.frame)},
            data_version=dg.DataVersion(
                freshness.raw_version(code, {str(ingest.path): ingest.sha256})))

    return _raw


def _absent(warehouse: Warehouse, spec: RawTable) -> dg.AssetCheckResult | None:
    """An optional source that is not present has no table: its checks pass, saying so."""
    if spec.is_required or wh.table_exists(warehouse.con, "raw", spec.name):
        return None
    return dg.AssetCheckResult(passed=True, metadata={"skipped": "source missing, no table"})


def build_raw_checks(spec: RawTable) -> list[dg.AssetChecksDefinition]:
    key = dg.AssetKey(["raw", spec.name])

    @dg.asset_check(asset=key, name=CHECK_SCHEMA, blocking=True,
                    description=f"Rows of raw.{spec.name} satisfy the pandera schema "
                                f"{spec.schema.__name__}.")
    def _schema(warehouse: Warehouse) -> dg.AssetCheckResult:
        return _absent(warehouse, spec) or dg.AssetCheckResult(
            **check_schema(warehouse.con, "raw", spec.name, spec.schema))

    @dg.asset_check(asset=key, name=CHECK_KEY, blocking=True,
                    description=f"No two rows of raw.{spec.name} share the key {list(spec.key)}.")
    def _key(warehouse: Warehouse) -> dg.AssetCheckResult:
        return _absent(warehouse, spec) or dg.AssetCheckResult(
            **check_key_unique(warehouse.con, "raw", spec.name, spec.key))

    @dg.asset_check(asset=key, name=CHECK_COUNTS, blocking=True,
                    description="For every file: read = loaded + quarantined + deduplicated; the "
                                "table is not empty and holds exactly the loaded rows.")
    def _counts(warehouse: Warehouse) -> dg.AssetCheckResult:
        return _absent(warehouse, spec) or dg.AssetCheckResult(
            **check_reconciles(warehouse.con, "raw", spec.name))

    checks = [_schema, _key, _counts]
    cols = ccode_columns(list(spec.schema.to_schema().columns))
    if cols and spec.name != "cow_system":

        @dg.asset_check(asset=key, name=CHECK_MEMBERS, blocking=False, additional_deps=[SYSTEM],
                        description=f"Rows whose {cols} is not a COW system member that year "
                                    "(a warning: such rows are real, e.g. UN members before "
                                    "COW membership).")
        def _members(warehouse: Warehouse) -> dg.AssetCheckResult:
            return _absent(warehouse, spec) or dg.AssetCheckResult(
                severity=dg.AssetCheckSeverity.WARN,
                **check_ccodes_in_system(warehouse.con, "raw", spec.name, cols))

        checks.append(_members)
    return checks
