"""Listen to a run's Dagster events: progress bar, log file, console lines and the records.

:class:`RunLog` is registered as an event listener on every Dagster run of a ``pipeline run``
(``instance.add_event_listener``). For each event it

- writes one line to the log file (``<derived>/logs/run-<UTC time>.log``), and for a failed
  step the whole error chain with its tracebacks; Python warnings raised during the run go
  there too (``logging.captureWarnings``), not to the console;
- advances the progress bar, or (without one) echoes log messages at or above the console
  level as single lines: a failed step is one line, its message is printed once, in the
  closing summary;
- collects the structured records :mod:`pipeline.lib.report.summary` takes: materializations,
  failures with the first line of their innermost error, check outcomes with counts, and the
  assets' warnings with how often each asset warned.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

from pipeline.lib.report import health, summary
from pipeline.lib.report.summary import (
    FAILED,
    MATERIALIZED,
    AssetResult,
    CheckResult,
    Notice,
    check_detail,
    first_line,
)
from pipeline.lib.store import warehouse
from pipeline.lib.store.paths import raw_dirs, warehouse_path

_NOISE = ("Not executing.",)  # Dagster's per-step notes on steps skipped after a failure


def _key(step_key: str | None) -> str | None:
    return step_key.replace("__", "/", 1) if step_key else None


def _innermost(error):
    while error is not None and error.cause is not None:
        error = error.cause
    return error


def _plain(value):
    return getattr(value, "value", value)


class RunLog:
    """Event listener for the Dagster runs of one ``pipeline run``."""

    def __init__(self, path: Path | None, *, bar: bool = False, echo_level: int = logging.ERROR):
        from tqdm import tqdm

        self.path = path
        self.echo_level = echo_level
        self.bar = tqdm(total=0, unit="asset", desc="run", file=sys.stderr, dynamic_ncols=True,
                        disable=None if bar else True)
        self.planned: dict[str, str] = {}   # step key -> asset key
        self.check_steps: dict[str, tuple[str, str]] = {}  # step key -> (asset key, check)
        self.materialized: list[tuple[str, str | None]] = []
        self.failed: dict[str, str] = {}    # asset key -> first line of the error
        self.checks: list[CheckResult] = []
        self.warnings: dict[str, list[str]] = {}  # asset key -> warning messages
        self._fh = None
        self._handler: logging.Handler | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
            self._handler = logging.StreamHandler(self._fh)
            self._handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s "
                                                         "%(message)s"))
            logging.captureWarnings(True)
            logging.getLogger("py.warnings").addHandler(self._handler)
            logging.getLogger("py.warnings").propagate = False

    # -- events -------------------------------------------------------------------------------

    def __call__(self, entry) -> None:
        ev = entry.dagster_event
        kind = ev.event_type_value if ev is not None else None
        text = entry.user_message or entry.message or ""
        self._write(entry, kind, text)
        if kind == "ASSET_MATERIALIZATION_PLANNED":
            self.planned[entry.step_key] = ev.event_specific_data.asset_key.to_user_string()
            subset = getattr(ev.event_specific_data, "partitions_subset", None)
            self.bar.total += len(subset) if subset is not None else 1
            self.bar.refresh()
        elif kind == "ASSET_CHECK_EVALUATION_PLANNED":
            data = ev.event_specific_data
            self.check_steps[entry.step_key] = (data.asset_key.to_user_string(), data.check_name)
        elif kind == "STEP_START":
            self.bar.set_description(entry.step_key or "run")
        elif kind == "ASSET_MATERIALIZATION":
            mat = ev.event_specific_data.materialization
            self.materialized.append((mat.asset_key.to_user_string(), mat.partition))
            self.bar.update(1)
        elif kind == "ASSET_CHECK_EVALUATION":
            self._check(ev.event_specific_data)
        elif kind == "STEP_FAILURE":
            err = _innermost(ev.event_specific_data.error)
            message = first_line(err.message if err is not None else text)
            key = self._failed_step(entry.step_key, message)
            self._echo(logging.ERROR, f"FAILED {key} (the message is in the closing summary, "
                                      f"the traceback in {self.path or 'the Dagster log'})")
            return
        if ev is None and entry.level >= logging.WARNING and not text.endswith(_NOISE):
            key = _key(entry.step_key)
            if key and entry.level == logging.WARNING:
                self.warnings.setdefault(key, []).append(first_line(text))
        if ev is None and not text.endswith(_NOISE):
            self._echo(entry.level, f"{_key(entry.step_key) or 'run'}: {first_line(text)}")

    def _failed_step(self, step_key: str | None, message: str) -> str:
        """Record a failed step against its asset. A blocking check that did not pass is
        already in :attr:`checks`; a check step of its own (not the asset's) that crashed
        fails its asset."""
        if step_key in self.check_steps and step_key not in self.planned:
            key, name = self.check_steps[step_key]
            if not any(c.asset == key and c.name == name for c in self.checks):
                self.failed.setdefault(key, f"check {name} could not run: {message}")
            return key
        key = self.planned.get(step_key) or _key(step_key) or "run"
        self.failed.setdefault(key, message)
        return key

    def _check(self, data) -> None:
        meta = {k: _plain(v) for k, v in (data.metadata or {}).items()}
        severity = getattr(data.severity, "value", str(data.severity))
        self.checks.append(CheckResult(
            data.asset_key.to_user_string(), data.check_name, bool(data.passed), severity,
            bool(data.blocking), check_detail(meta)))
        failed = sum(not c.passed for c in self.checks)
        self.bar.set_postfix(checks=len(self.checks), failed=failed)

    def _write(self, entry, kind: str | None, text: str) -> None:
        if self._fh is None:
            return
        when = datetime.fromtimestamp(entry.timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")
        level = logging.getLevelName(entry.level)
        self._fh.write(f"{when} {level} {entry.run_id[:8]} {entry.step_key or '-'} "
                       f"{kind or 'LOG'} {text}\n")
        if kind == "STEP_FAILURE":
            self._fh.write(entry.dagster_event.event_specific_data.error.to_string() + "\n")
        self._fh.flush()

    def _echo(self, level: int, line: str) -> None:
        if level < self.echo_level:
            return
        if self.bar.disable:
            print(line, file=sys.stderr)
        else:
            self.bar.write(line, file=sys.stderr)

    # -- records ------------------------------------------------------------------------------

    def assets(self) -> list[AssetResult]:
        """Materializations (per partition) and failures, in event order."""
        out = [AssetResult(k, MATERIALIZED, p) for k, p in self.materialized]
        out += [AssetResult(k, FAILED, error=e) for k, e in self.failed.items()]
        return out

    def notices(self) -> list[Notice]:
        """The assets' own warnings (``context.log.warning``), one notice per asset."""
        out = []
        for key, messages in self.warnings.items():
            n = len(messages)
            lead = messages[0] if n == 1 else f"{n} warnings, first: {messages[0]}"
            out.append(Notice(key, "log", lead, count=n))
        return out

    def close(self) -> None:
        self.bar.set_description("run")
        self.bar.close()
        if self._handler is not None:
            logging.getLogger("py.warnings").removeHandler(self._handler)
            logging.getLogger("py.warnings").propagate = True
            logging.captureWarnings(False)
        if self._fh is not None:
            self._fh.close()
            self._fh = None


# -- the closing summary ----------------------------------------------------------------------

def strict_notices() -> list[summary.Notice]:
    """The warehouse's quarantine and checksum-drift warnings (what ``--strict`` fails on)."""
    from pipeline.lib.catalog.sources import all_sources

    path = warehouse_path()
    if not path.is_file():
        return []
    con = warehouse.connect(path, read_only=True)
    try:
        return health.strict_notices(con, all_sources())
    finally:
        con.close()


def registry_records(con) -> dict:
    """What the summary needs from the registry (importing it costs ~2 s, mostly pandera):
    the collapse notes of raw tables and the registry's warnings (checksum drift of the loaded
    files, mixed releases, unread files). Kept in the stamp of each complete run
    (:mod:`pipeline.unchanged`), so an unchanged rerun, where neither the files nor the code
    changed, reads them back."""
    from pipeline.lib.catalog.sources import RAW_TABLES, all_sources

    sources = all_sources()
    notices = (health.drift_notices(con, sources) if con is not None else [])
    notices += health.release_notices(RAW_TABLES) + health.unread_notices(sources, raw_dirs())
    return {"collapse": {f"raw.{t.name}": t.collapse for t in RAW_TABLES if t.collapse},
            "notices": [n.__dict__ for n in notices]}


_ORDER = {"quarantine": 0, "sha256": 1, "check": 2, "release": 3, "unread": 4, "log": 5}


def report(seconds: float, outcome) -> summary.Report:
    """The records of the closing summary: this run's, and the warehouse's standing ones."""
    path = warehouse_path()
    rep = summary.Report(str(path), seconds, assets=outcome.assets, checks=outcome.checks,
                         up_to_date=outcome.up_to_date, strict=outcome.strict, log=outcome.log,
                         run_ok=outcome.ok)
    standing: list[summary.Notice] = []
    if Path(path).is_file():
        con = warehouse.connect(path, read_only=True)
        try:
            registry = outcome.registry or registry_records(con)
            rep.tables = health.table_rows(con, registry["collapse"])
            standing += health.quarantine_notices(con)
        finally:
            con.close()
    else:
        registry = registry_records(None)
    standing += health.check_notices(outcome.standing)
    standing += [summary.Notice(**n) for n in registry["notices"]]
    rep.notices = sorted(standing, key=lambda n: _ORDER.get(n.kind, 9)) + outcome.notices
    return rep


def summary_text(seconds: float, outcome) -> tuple[bool, str]:
    """(the run succeeded, the closing summary a user reads)."""
    rep = report(seconds, outcome)
    return summary.verdict(rep)[0], summary.render(rep)
