"""The closing summary of a run, from structured records any orchestrator can produce.

Nothing here knows Dagster or DuckDB: an orchestrator (today :mod:`pipeline.runner`, fed by
Dagster's events and the warehouse) describes what happened as

- :class:`AssetResult`: an asset key, its status (materialized, failed, skipped because an
  upstream asset failed), the first line of its error and the failed assets that blocked it;
- :class:`CheckResult`: a check's asset, name, outcome, severity, whether it blocks, and a
  short detail with counts;
- :class:`Notice`: a warning about a table or source (quarantined rows, a file whose sha256
  differs from the registry, files no parser reads, log warnings with their count), flagged
  ``strict`` when ``pipeline run --strict`` must treat it as a failure;
- :class:`TableRow`: a table's row counts and whether it is stale after this run,

and gets back the assets that must not run (:func:`blocked`), the verdict (:func:`verdict`)
and the text a user reads (:func:`render`). Failure containment is a graph rule: nothing
downstream of a failed asset is materialized in the same run; its previous table stays and
is reported stale.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

MATERIALIZED, FAILED, SKIPPED = "materialized", "failed", "skipped"
_BLOCKING_SEVERITY = "ERROR"
_INGEST_WIDTH = 46  # the files, read, quarantined and deduplicated columns
_CLASS_PREFIX = re.compile(r"^(?:[a-z_]\w*\.)+[A-Z]\w*: ")  # "pipeline.lib.ingest.rawio.InputError: "


@dataclass(frozen=True)
class AssetResult:
    """What happened to one asset (or one partition of it) in a run."""

    key: str                          # "raw/cow_nmc"
    status: str                       # MATERIALIZED | FAILED | SKIPPED
    partition: str | None = None
    error: str | None = None          # first line of the error (FAILED)
    blocked_by: tuple[str, ...] = ()  # SKIPPED: the failed upstream assets


@dataclass(frozen=True)
class CheckResult:
    """One evaluated check; ``detail`` carries its counts (``578 rows (ccode1)``)."""

    asset: str
    name: str
    passed: bool
    severity: str = _BLOCKING_SEVERITY  # ERROR | WARN
    blocking: bool = False
    detail: str = ""


@dataclass(frozen=True)
class Notice:
    """A warning a user must see; ``strict`` ones fail a ``--strict`` run."""

    subject: str           # asset key, table or source folder
    kind: str              # quarantine | sha256 | unread | log | check | release
    message: str
    count: int | None = None
    strict: bool = False
    asset: str | None = None  # the asset a strict notice makes fail (for containment)


@dataclass(frozen=True)
class TableRow:
    """A table as the summary lists it (ingest counts only for raw tables)."""

    name: str
    rows: int
    files: int | None = None
    read: int | None = None
    quarantined: int | None = None
    deduplicated: int | None = None
    note: str = ""


@dataclass
class Report:
    """Everything the closing summary shows."""

    warehouse: str
    seconds: float
    tables: list[TableRow] = field(default_factory=list)
    assets: list[AssetResult] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    up_to_date: bool = False
    strict: bool = False
    log: str | None = None
    run_ok: bool = True  # the orchestrator's own verdict on its runs (e.g. a resource failed)


# -- containment ------------------------------------------------------------------------------

def downstream(roots: Iterable[str], children: Mapping[str, Iterable[str]]) -> set[str]:
    """Every key reachable from ``roots`` through ``children`` (the roots excluded)."""
    seen: set[str] = set()
    frontier = set(roots)
    while frontier:
        frontier = {c for k in frontier for c in children.get(k, ())} - seen
        seen |= frontier
    return seen


def blocked(failed: Iterable[str], children: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    """Each asset downstream of a failed one, with the failed assets it descends from.

    An asset downstream of a failure must not be materialized in that run: its inputs are
    either missing or the stale tables the failed asset did not replace.
    """
    failed = sorted(set(failed))
    out: dict[str, list[str]] = {}
    for f in failed:
        for k in downstream([f], children):
            out.setdefault(k, []).append(f)
    return {k: tuple(v) for k, v in out.items() if k not in failed}


def failures(assets: Iterable[AssetResult], checks: Iterable[CheckResult],
             notices: Iterable[Notice] = (), *, strict: bool = False) -> dict[str, str]:
    """Failed asset -> why: a failed step, a blocking check that did not pass, and under
    ``strict`` a strict notice (quarantined rows, checksum drift) on the asset."""
    out: dict[str, str] = {}
    for a in assets:
        if a.status == FAILED:
            out.setdefault(a.key, a.error or "failed")
    for c in checks:
        if not c.passed and c.blocking and c.severity == _BLOCKING_SEVERITY:
            out.setdefault(c.asset, f"blocking check {c.name} did not pass"
                           + (f": {c.detail}" if c.detail else ""))
    if strict:
        for n in notices:
            if n.strict and n.asset:
                out.setdefault(n.asset, f"--strict: {n.message}")
    return out


def first_line(text: str | None) -> str:
    """The first non-empty line of an error message, without a ``module.Class: `` prefix."""
    for line in (text or "").splitlines():
        line = line.strip()
        if line:
            return _CLASS_PREFIX.sub("", line, count=1)
    return ""


def check_detail(metadata: Mapping[str, object]) -> str:
    """Counts from a check's metadata: rows outside the system per column, failure cases,
    duplicate keys."""
    parts = []
    outside = [f"{v:,} rows ({k.removesuffix('_outside_system')})" for k, v in metadata.items()
               if k.endswith("_outside_system") and isinstance(v, int) and v]
    if outside:
        parts.append(", ".join(outside) + " not in the COW system that year")
    for k, label in (("failure_cases", "failure cases"), ("duplicate_keys", "duplicate keys")):
        v = metadata.get(k)
        if isinstance(v, int) and v:
            parts.append(f"{v:,} {label}")
    return ", ".join(parts)


# -- verdict and text ---------------------------------------------------------------------------

def verdict(report: Report) -> tuple[bool, list[str]]:
    """Whether the run succeeded, and why not (one reason per line)."""
    failed = failures(report.assets, report.checks, report.notices, strict=report.strict)
    reasons = [f"{k}: {why}" for k, why in sorted(failed.items())]
    if report.strict:
        reasons += [f"--strict: {n.subject}: {n.message}" for n in report.notices
                    if n.strict and not n.asset]
    if not report.run_ok and not reasons:
        reasons.append("a run failed; the log names the step")
    return not reasons, reasons


def _table_line(t: TableRow, stale: dict[str, str]) -> str:
    line = f"{t.name:40s} {t.rows:>10,d}"
    if t.files is not None:
        line += (f"  {t.files:5d}  {t.read or 0:>10,d}  {t.quarantined or 0:>11,d}"
                 f"  {t.deduplicated or 0:>12,d}")
    notes = [t.note] if t.note else []
    if t.name in stale:
        notes.append(f"STALE: {stale[t.name]}")
    if notes and t.files is None:
        line += " " * _INGEST_WIDTH
    return line + ("  " + "; ".join(notes) if notes else "")


def _stale_tables(report: Report) -> dict[str, str]:
    """Table name -> why it is stale: its asset failed, or was not run because of a failure."""
    out = {}
    for a in report.assets:
        table = a.key.replace("/", ".")
        if a.status == FAILED:
            out[table] = "its asset failed; the previous table is kept"
        elif a.status == SKIPPED:
            out[table] = f"not rebuilt, {', '.join(a.blocked_by) or 'an upstream asset'} failed"
    return out


def _failure_lines(report: Report) -> list[str]:
    failed = failures(report.assets, report.checks, report.notices, strict=report.strict)
    if not failed:
        return []
    skipped: dict[str, list[str]] = {}
    for a in report.assets:
        if a.status == SKIPPED:
            for b in a.blocked_by or ("?",):
                skipped.setdefault(b, []).append(a.key)
    lines = [f"FAILED {len(failed)}:"]
    for key, why in sorted(failed.items()):
        lines.append(f"  {key}: {why}")
        if skipped.get(key):
            lines.append(f"    not run because of it (previous tables kept, stale): "
                         f"{', '.join(sorted(set(skipped[key])))}")
    return lines


def _notice_line(n: Notice, strict: bool) -> str:
    flag = "  [fails --strict]" if n.strict and not strict else ""
    return f"  WARN  {n.subject}: {n.message}{flag}"


def render(report: Report) -> str:
    """The closing summary: tables, what ran, failures with what they blocked, checks,
    warnings (with counts), where the log is, the verdict and the time."""
    lines = [f"warehouse: {report.warehouse}"]
    if report.tables:
        lines.append(f"{'table':40s} {'rows':>10s}  files        read  quarantined  deduplicated")
        stale = _stale_tables(report)
        lines.extend(_table_line(t, stale) for t in report.tables)
    if report.up_to_date:
        lines.append("up to date: no raw file, code or table changed since the last run; "
                     "nothing materialized (pipeline run --force redoes everything)")
    else:
        done = sorted({a.key if a.partition is None else f"{a.key}[{a.partition}]"
                       for a in report.assets if a.status == MATERIALIZED})
        lines.append(f"materialized {len(done)}: {', '.join(done) or 'nothing'}")
    failure_lines = _failure_lines(report)
    lines.extend(failure_lines)
    bad = [c for c in report.checks if not c.passed]
    lines.append(f"checks: {len(report.checks) - len(bad)} passed, {len(bad)} did not pass")
    lines.extend(f"  {c.severity:5s} {c.asset}: {c.name}" + (f": {c.detail}" if c.detail else "")
                 for c in bad if c.severity == _BLOCKING_SEVERITY)
    if report.notices:
        lines.append(f"warnings: {len(report.notices)}")
        lines.extend(_notice_line(n, report.strict) for n in report.notices)
    if report.log:
        lines.append(f"log: {report.log} (every event, with tracebacks)")
    ok, reasons = verdict(report)
    if ok:
        lines.append("result: ok")
    elif failure_lines:
        lines.append(f"result: FAILED ({len(reasons)} failure(s), listed above)")
    else:
        lines.append("result: FAILED: " + "; ".join(reasons))
    lines.append(f"done in {report.seconds:.1f} s")
    return "\n".join(lines)
