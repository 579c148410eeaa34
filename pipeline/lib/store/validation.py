"""Validation of a frame against its pandera schema, before anything is written.

:func:`validate_frame` returns ``{"passed": bool, "metadata": {...}}``; the check factory
(``pipeline/defs/checks.py``) turns it into the blocking ``schema`` check of every table.
"""

from __future__ import annotations

import pandera.errors as pa_errors
import polars as pl

_SAMPLE = 20


def validate_frame(frame: pl.DataFrame, schema: type) -> dict:
    """Validate eagerly (``lazy=True`` collects every failure, on the data, not a plan)."""
    try:
        schema.validate(frame, lazy=True)
    except pa_errors.SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases if isinstance(cases, pl.DataFrame) else pl.from_pandas(cases)
        first = cases.row(0, named=True) if cases.height else {}
        return {"passed": False, "metadata": {
            "rows": frame.height, "failure_cases": cases.height,
            "first_failure": (f"column {first.get('column')!r} fails {first.get('check')} "
                              f"(e.g. {first.get('failure_case')})"),
            "failure_sample": str(cases.head(_SAMPLE))}}
    except pa_errors.SchemaError as exc:
        return {"passed": False, "metadata": {"rows": frame.height, "error": str(exc)[:2000],
                                              "first_failure": str(exc).splitlines()[0][:300]}}
    return {"passed": True, "metadata": {"rows": frame.height, "schema": getattr(schema, "__name__", None) or schema.name}}


def ccode_columns(columns: list[str]) -> list[str]:
    """The COW-code columns of a table that also has a ``year`` (what membership can check)."""
    if "year" not in columns:
        return []
    return [c for c in ("ccode", "ccode1", "ccode2", "source_ccode", "target_ccode")
            if c in columns]
