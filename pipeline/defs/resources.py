"""The one resource: the DuckDB warehouse, held open for the whole run, which also records it.

Holding the connection for the run makes DuckDB's file lock a run-level lock: a second,
concurrent run fails at start with a clear message instead of interleaving writes.

When the run's steps are done (teardown), the resource writes one ``meta.runs`` row per
materialization (and per planned asset that failed or was skipped) in its own transaction,
after every asset's own transaction has committed; see :mod:`pipeline.lib.runs`. Recording is
bookkeeping: if it fails, the run does not, and the assets merely look stale next time.
"""


from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from pipeline.lib import freshness, runs, warehouse
from pipeline.lib.paths import warehouse_path

_EVENTS = {dg.DagsterEventType.ASSET_MATERIALIZATION, dg.DagsterEventType.STEP_START,
           dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED}
FILES_OF_RUN = ("SELECT source_file, sha256 FROM raw.ingest_log WHERE table_name = ? "
                "AND partition_year IS NOT DISTINCT FROM ? AND run_id = ?")


class Warehouse(dg.ConfigurableResource):
    """Embedded DuckDB file (``PIPELINE_WAREHOUSE``, default data/derived/warehouse.duckdb)."""

    path: str | None = None
    _con: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._con = warehouse.connect(Path(self.path) if self.path else None)
        warehouse.ensure_schemas(self._con)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._con is None:
            return
        try:
            if context.instance is not None and context.run_id:
                runs.record(self._con, run_records(context.instance, context.run_id, self._con))
        except Exception as exc:  # noqa: BLE001 - bookkeeping must never fail the run
            if context.log:
                context.log.warning(f"meta.runs not written for this run: {exc}")
        finally:
            self._con.close()
            self._con = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise RuntimeError("warehouse connection used outside a run")
        return self._con

    @property
    def location(self) -> str:
        return str(self.path or warehouse_path())


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None)


def _current(latest: dict) -> dict[str, str]:
    """Current data version per asset key (a partitioned asset: its non-empty partitions)."""
    out, parts = {}, {}
    for (key, part), rec in latest.items():
        if part is None:
            out[key] = rec["data_version"]
        elif rec["input_versions"]:
            parts.setdefault(key, {})[part] = rec["data_version"]
    out.update({k: freshness.partitioned_version(v) for k, v in parts.items()})
    return out


def run_records(instance: dg.DagsterInstance, run_id: str,
                con: duckdb.DuckDBPyConnection) -> list[dict]:
    """One row per materialization of the run, with code, data and input versions."""
    logs = [e for e in instance.all_logs(run_id) if e.dagster_event_type in _EVENTS]
    if not any(e.dagster_event_type in (dg.DagsterEventType.ASSET_MATERIALIZATION,
                                         dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
               for e in logs):
        return []
    from pipeline.definitions import defs  # the graph; modules are already imported in a run
    from pipeline.defs.meta import freshness_nodes

    nodes = {n.key: n for n in freshness_nodes(defs().resolve_asset_graph())}
    latest = runs.latest(con)
    started = {e.step_key: _utc(e.timestamp) for e in logs
               if e.dagster_event_type == dg.DagsterEventType.STEP_START}
    failed = {e.step_key for e in logs if e.dagster_event_type == dg.DagsterEventType.STEP_FAILURE}
    rows, done = [], set()
    for e in logs:
        ev = e.dagster_event
        if e.dagster_event_type != dg.DagsterEventType.ASSET_MATERIALIZATION:
            continue
        mat = ev.event_specific_data.materialization
        key, part = mat.asset_key.to_user_string(), mat.partition
        node = nodes.get(key)
        if node is None:
            continue
        if node.files is not None or node.partitioned:
            year = int(part) if part is not None else None
            inputs = dict(con.execute(FILES_OF_RUN, [node.table, year, run_id]).fetchall())
            version = freshness.raw_version(node.code, inputs)
        else:
            current = _current(latest)
            inputs = {p: current.get(p, "") for p in node.parents}
            version = freshness.derived_version(node.code, inputs)
        row = {"run_id": run_id, "asset_key": key, "partition": part, "status": "materialized",
               "started_at": started.get(e.step_key), "finished_at": _utc(e.timestamp),
               "code_version": node.code, "data_version": version, "input_versions": inputs,
               "table_name": node.table if warehouse.table_exists(con, *node.table.split("."))
               else None}
        rows.append(row)
        latest[(key, part)] = row
        done.add(key)
    for e in logs:
        if e.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED:
            key = e.dagster_event.event_specific_data.asset_key.to_user_string()
            if key in nodes and key not in done:
                done.add(key)
                rows.append({"run_id": run_id, "asset_key": key, "partition": None,
                             "status": "failed" if e.step_key in failed else "skipped",
                             "started_at": started.get(e.step_key),
                             "code_version": nodes[key].code})
    return rows


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"warehouse": Warehouse()})
