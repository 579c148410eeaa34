"""The one resource: the DuckDB warehouse, held open for the whole run.

Holding the connection for the run makes DuckDB's file lock a run-level lock: a second,
concurrent run fails at start with a clear message instead of interleaving writes. Runs,
versions and check outcomes are Dagster's records (``$DAGSTER_HOME``); the warehouse holds
tables and, per loaded file, ``raw.ingest_log``.
"""

from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from pipeline.lib.store import warehouse


class Warehouse(dg.ConfigurableResource):
    """Embedded DuckDB file (``PIPELINE_WAREHOUSE``, default data/derived/warehouse.duckdb)."""

    path: str | None = None
    _con: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._con = warehouse.connect(Path(self.path) if self.path else None)
        warehouse.ensure_schemas(self._con)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise RuntimeError("warehouse connection used outside a run")
        return self._con


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"warehouse": Warehouse()})
