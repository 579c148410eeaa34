"""Build one ``raw/<table>`` asset, its observed input and its checks per registry entry."""


from datetime import UTC, datetime

import dagster as dg

from pipeline.defs import keys
from pipeline.defs.automation import observe_condition
from pipeline.defs.checks import TableChecks, table_checks
from pipeline.defs.metadata import file_metadata
from pipeline.defs.resources import Warehouse
from pipeline.defs.versions import code_version
from pipeline.lib.catalog import fetch
from pipeline.lib.ingest.registry import RawTable
from pipeline.lib.store import warehouse as wh
from pipeline.lib.store.provenance import files_version
from pipeline.lib.store.validation import ccode_columns

OWNERS = ["team:data-ingest"]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def raw_checks(spec: RawTable) -> TableChecks:
    """Schema, key and ingest counts (blocking); COW membership of its codes (a warning)."""
    cols = ccode_columns(list(spec.schema.to_schema().columns))
    return table_checks(keys.raw(spec.name), spec.schema, spec.key, counts=True,
                        members=cols if keys.raw(spec.name) != keys.SYSTEM else ())


def build_raw_files(spec: RawTable) -> dg.AssetsDefinition:
    """``files/<table>``: the file ``raw/<table>`` reads; its data version is its sha256."""
    src = spec.source

    @dg.observable_source_asset(
        key=keys.files(spec.name), group_name="ingest", automation_condition=observe_condition(),
        description=f"The file raw.{spec.name} reads ({' or '.join(spec.patterns or src.patterns)}"
                    f" in {src.name}/); observing it records its sha256 as the data version.")
    def _files() -> dg.ObserveResult:
        found = src.find(spec.patterns)
        return dg.ObserveResult(data_version=dg.DataVersion(files_version(found[:1])),
                                metadata={"file": str(found[0]) if found else "missing"})

    return _files


def build_raw_asset(spec: RawTable) -> dg.AssetsDefinition:
    key = keys.raw(spec.name)
    src = spec.source
    checks = raw_checks(spec)

    @dg.asset(
        key=key,
        deps=[keys.files(spec.name)],
        group_name="ingest",
        kinds={"duckdb", "polars"},
        owners=OWNERS,
        # editing a parser re-ingests its tables and nothing else
        code_version=code_version(__name__, spec.parser.__module__),
        check_specs=checks.specs,
        description=(f"{spec.description} Source: {src.title} ({src.version}); "
                     f"{'required' if spec.is_required else 'optional'}; publisher {src.url}. "
                     f"Key: {', '.join(spec.key)}."),
        metadata={"source": src.name, "version": src.version, "publisher_url": src.url,
                  "key": list(spec.key), "required": spec.is_required,
                  "dagster/table_name": f"raw.{spec.name}"},
        tags={"source": src.name},
    )
    def _raw(context: dg.AssetExecutionContext, warehouse: Warehouse):
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
            yield dg.MaterializeResult(
                metadata={"status": "missing", "message": message, "dagster/row_count": 0},
                check_results=[dg.AssetCheckResult(check_name=c.name, passed=True,
                                                   metadata={"skipped": "source missing"})
                               for c in checks.specs])
            return
        started = _now()
        result = spec.parser(files[0])
        ingest = wh.FileIngest(src.name, files[0], result, started, _now())
        context.log.info(f"raw.{spec.name}: {result.loaded} rows from {files[0]}")
        yield from checks.write(context, warehouse.con, result.frame, files=[ingest],
                                metadata={"status": "loaded", **file_metadata(src, ingest)})

    return _raw
