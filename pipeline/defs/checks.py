"""One check factory for every table asset: raw, derived, events and models.

:func:`table_checks` declares a table's checks once (names below, spelled nowhere else):

- ``schema`` (blocking): the rows satisfy the pandera schema;
- ``unique_key`` (blocking): no two rows share the primary key;
- ``counts_reconcile`` (blocking, raw tables): for every file read = loaded + quarantined +
  deduplicated, and the table holds exactly the loaded rows (at least one);
- ``ccodes_in_system`` (a warning): rows whose COW code is not a system member that year
  (such rows are real, e.g. UN members before COW membership), counted per column;
- any check the asset evaluates itself (``extra``).

:meth:`TableChecks.write` validates the frame in memory first and writes it only if every
blocking check passed: a table that fails keeps its previous version in the warehouse, the
failed checks are recorded, the step fails and nothing downstream runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import dagster as dg
import polars as pl

from pipeline.defs.keys import SYSTEM, table_name
from pipeline.defs.metadata import frame_metadata
from pipeline.defs.resources import Warehouse
from pipeline.lib.ingest.membership import flag_non_members
from pipeline.lib.measures import codebook
from pipeline.lib.store import warehouse as wh
from pipeline.lib.store.validation import validate_frame

SCHEMA = "schema"
UNIQUE_KEY = "unique_key"
COUNTS = "counts_reconcile"
MEMBERS = "ccodes_in_system"
_SAMPLE = 10


@dataclass(frozen=True)
class TableChecks:
    """The checks of one table and how its asset writes it (see :func:`table_checks`)."""

    key: dg.AssetKey
    schema: object | None
    primary_key: tuple[str, ...]
    counts: bool = False
    members: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def table(self) -> str:
        return table_name(self.key)

    @property
    def specs(self) -> list[dg.AssetCheckSpec]:
        """The check specs the asset declares (``check_specs=``)."""
        out = []
        if self.schema is not None:
            name = getattr(self.schema, "__name__", None) or getattr(self.schema, "name", "")
            out.append(dg.AssetCheckSpec(SCHEMA, asset=self.key, blocking=True,
                                         description=f"Rows satisfy the pandera schema {name}."))
        out.append(dg.AssetCheckSpec(UNIQUE_KEY, asset=self.key, blocking=True,
                                     description=f"No two rows share the key "
                                                 f"{list(self.primary_key)}."))
        if self.counts:
            out.append(dg.AssetCheckSpec(
                COUNTS, asset=self.key, blocking=True,
                description="For every file: read = loaded + quarantined + deduplicated; the "
                            "table is not empty and holds exactly the loaded rows."))
        out += [dg.AssetCheckSpec(n, asset=self.key, blocking=True, description=d)
                for n, d in self.extra]
        return out

    @property
    def separate(self) -> list[dg.AssetChecksDefinition]:
        """Checks that run after the write, in their own step: the membership warning."""
        return [_members_check(self.key, self.members)] if self.members else []

    def evaluate(self, frame: pl.DataFrame,
                 files: Sequence[wh.FileIngest] = ()) -> list[dg.AssetCheckResult]:
        """The blocking checks but ``extra`` on ``frame``, before anything is written."""
        out = []
        if self.schema is not None:
            valid = validate_frame(frame, self.schema)
            out.append(dg.AssetCheckResult(check_name=SCHEMA, passed=valid["passed"],
                                           metadata=valid["metadata"]))
        out.append(_unique(frame, self.primary_key))
        if self.counts:
            out.append(_counts(frame, files))
        return out

    def write(self, context: dg.AssetExecutionContext, con, frame: pl.DataFrame, *,
              files: Sequence[wh.FileIngest] | None = None, metadata: dict | None = None,
              extra: Sequence[dg.AssetCheckResult] = ()) -> Iterator:
        """Validate, then replace the table (with its ingest log for raw tables) atomically.

        Yields the check results and the materialization; raises :class:`dagster.Failure`,
        after yielding the results, when a blocking check did not pass: the table is then not
        written and the previous one stays.
        """
        results = [*self.evaluate(frame, files or ()), *extra]
        failed = [r for r in results if not r.passed]
        if failed:
            yield from results
            raise dg.Failure(description=f"{self.table} not written: " + "; ".join(
                _why(r) for r in failed), metadata={"failed_checks": [r.check_name
                                                                       for r in failed]})
        schema, name = self.key.path
        wh.write_table(con, schema, name, frame, files=list(files) if files is not None else None,
                       run_id=context.run.run_id, code_version=code_version_of(context))
        meta = {**frame_metadata(frame, year_col="year"), **(metadata or {}),
                "dagster/table_name": self.table}
        if self.table in codebook.TABLES:
            meta["documented_columns"] = codebook.comment(con, codebook.TABLES[self.table])
        yield dg.MaterializeResult(metadata=meta, check_results=results)


def table_checks(key: dg.AssetKey, schema: object | None, primary_key: Sequence[str], *,
                 counts: bool = False, members: Sequence[str] = (),
                 extra: Sequence[tuple[str, str]] = ()) -> TableChecks:
    """The checks of the table behind ``key``: schema (when given), primary key, the ingest
    counts (``counts``, raw tables), COW membership of ``members`` (a warning) and ``extra``
    (name, description) checks the asset evaluates itself."""
    return TableChecks(key, schema, tuple(primary_key), counts, tuple(members), tuple(extra))


def derived_checks(key: dg.AssetKey) -> TableChecks:
    """A documented table's checks: schema and key from its codebook entry."""
    entry = codebook.TABLES[table_name(key)]
    return table_checks(key, entry.schema(), entry.key)


def code_version_of(context: dg.AssetExecutionContext) -> str:
    """The code version Dagster records for the asset being materialized."""
    key = context.asset_key
    return context.assets_def.code_versions_by_key.get(key) or ""


def _why(result: dg.AssetCheckResult) -> str:
    meta = {k: getattr(v, "value", v) for k, v in (result.metadata or {}).items()}
    detail = meta.get("first_failure") or meta.get("error") or ""
    counts = ", ".join(f"{meta[k]} {k.replace('_', ' ')}" for k in
                       ("failure_cases", "duplicate_keys") if meta.get(k))
    return f"check {result.check_name} failed" + (f": {detail}" if detail else "") + (
        f" ({counts})" if counts else "")


def _unique(frame: pl.DataFrame, key: tuple[str, ...]) -> dg.AssetCheckResult:
    dups = frame.group_by(list(key)).len().filter(pl.col("len") > 1)
    meta = {"key": list(key), "duplicate_keys": dups.height}
    if dups.height:
        meta["duplicate_sample"] = str(dups.sort("len", descending=True).head(_SAMPLE))
    return dg.AssetCheckResult(check_name=UNIQUE_KEY, passed=dups.height == 0, metadata=meta)


def _counts(frame: pl.DataFrame, files: Sequence[wh.FileIngest]) -> dg.AssetCheckResult:
    results = [f.result for f in files]
    bad = [str(f.path) for f, r in zip(files, results, strict=True)
           if r.rows_read != r.loaded + r.quarantine.height + r.deduplicated]
    loaded = sum(r.loaded for r in results)
    meta = {"files": len(results), "rows_read": sum(r.rows_read for r in results),
            "loaded": loaded, "table_rows": frame.height,
            "quarantined": sum(r.quarantine.height for r in results),
            "deduplicated": sum(r.deduplicated for r in results)}
    if bad:
        meta["unreconciled_files"] = ", ".join(bad)
    passed = not bad and loaded == frame.height > 0 and bool(results)
    return dg.AssetCheckResult(check_name=COUNTS, passed=passed, metadata=meta)


def _members_check(key: dg.AssetKey, columns: tuple[str, ...]) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=key, name=MEMBERS, blocking=False, additional_deps=[SYSTEM],
                    description=f"Rows whose {list(columns)} is not a COW system member that "
                                "year (a warning: such rows are real, e.g. UN members before "
                                "COW membership).")
    def _check(warehouse: Warehouse) -> dg.AssetCheckResult:
        con = warehouse.con
        if not wh.table_exists(con, *key.path):  # an optional source that is not present
            return dg.AssetCheckResult(passed=True, severity=dg.AssetCheckSeverity.WARN,
                                       metadata={"skipped": "source missing, no table"})
        system = (wh.read_table(con, *SYSTEM.path) if wh.table_exists(con, *SYSTEM.path)
                  else None)
        frame = con.execute(f"SELECT {', '.join(columns)}, year FROM "
                            f"{wh.qualified(*key.path)}").pl()
        return _members(frame, columns, system)

    return _check


def _members(frame: pl.DataFrame, columns: tuple[str, ...],
             system: pl.DataFrame | None) -> dg.AssetCheckResult:
    """Rows per column whose code is not a system member in the row's year (a warning)."""
    warn = dg.AssetCheckSeverity.WARN
    if system is None:
        return dg.AssetCheckResult(passed=False, severity=warn,
                                   metadata={"error": "raw.cow_system is not loaded"})
    meta: dict = {"system_last_year": int(system["year"].max())}
    total = 0
    for col in columns:
        _, outside = flag_non_members(frame.select(col, "year"), system, col, "year")
        meta[f"{col}_outside_system"] = outside.height
        if outside.height:
            meta[f"{col}_sample"] = "; ".join(outside["reason"].unique(maintain_order=True)
                                              .head(_SAMPLE).to_list())
        total += outside.height
    return dg.AssetCheckResult(passed=total == 0, severity=warn, metadata=meta)
