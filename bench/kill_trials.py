"""Kill safety of ``pipeline run``: SIGKILL a materialization at random points, then verify.

One clean run of the selection gives the reference (duration ``D``, a content fingerprint of
every table, the files logged per table). Each trial then starts ``pipeline run --select ...
--force`` in a subprocess (its own session), SIGKILLs it after a delay drawn uniformly from
``[0, D)`` with a seeded RNG, and checks the warehouse:

- it opens (read-only, as a reader would, WAL replayed) and every table reads in full;
- no table is partial: each raw table's row count equals the sum of ``loaded`` in
  ``raw.ingest_log`` for it, every logged file reconciles read = loaded + quarantined +
  deduplicated, and ``raw.quarantine`` holds exactly ``quarantined`` rows per file;
- ``raw.ingest_log`` has one row per (table_name, source_file, partition_year), exactly the
  files of the clean run for every table that exists, and no row for a table that does not;
- every table present has the clean run's content (a killed run either committed a table
  whole, from the same input, or left the previous one);
- a rerun (``--force``) succeeds and produces tables identical to the clean run.

Trials alternate between a fresh warehouse (first run killed) and a copy of the clean one
(a run replacing existing tables killed). The fingerprint of a table is (column names and
types, row count, sum of DuckDB's 64-bit ``hash`` of every row as HUGEINT): order-independent,
sensitive to duplicated or missing rows. ``raw.ingest_log`` is compared without its volatile
columns (start, finish, run id, and ``code_version``, the git commit); ``meta.*`` (run bookkeeping) is compared as the latest data
version per asset.

Everything is written under ``--dir`` (default ``$TMPDIR/pipeline-bench/kill``)::

    uv run python bench/kill_trials.py --trials 20 --seed 1

The CLI is used as a black box: ``python -m pipeline.cli run`` with ``PIPELINE_WAREHOUSE``,
``PIPELINE_DERIVED``, ``PIPELINE_RAW_DIRS`` and ``DAGSTER_HOME`` set for the subprocess.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.lib.events.store import FULL as EVENTS
from pipeline.lib.events.store import partitions
from pipeline.lib.store.warehouse import visible_tables

REPO = Path(__file__).resolve().parents[1]
SHARED_RAW = (REPO.parent / "shared" / "data" / "raw").resolve()
SELECTION = ["raw/cow_system", "raw/cow_nmc", "raw/un_votes", "raw/un_rollcalls",
             "raw/cameo_codes", "raw/cow_alliances"]
# What the kill trials run: the six raw tables and every event year.
KILL_SELECTION = [*SELECTION, "raw/events"]
# Generated ICEWS files (rows per year) added to the shared mirror, so the event partitions,
# committed one year at a time, are a real part of the kill window.
EVENT_YEARS = {2016: 100_000, 2017: 100_000}
LOG_TABLES = {"raw.ingest_log", "raw.quarantine"}
# Differ between two runs of the same code on the same files: times, run id, and code_version,
# which is the git describe of HEAD ("0.1.0+g<commit>.dirty"), so a commit made by anyone
# between the clean run and a rerun changes it (meta.runs keeps a content hash of the code).
VOLATILE_LOG = ("started_at", "finished_at", "run_id", "code_version")
RUN_TIMEOUT = 300.0


# --------------------------------------------------------------------------- the raw mirror

def with_events(shared: Path, root: Path, years: dict[int, int] = EVENT_YEARS,
                seed: int = 1) -> Path:
    """A raw mirror under ``root``: every shared source folder (symlinked) plus one generated
    ICEWS file per year in ``icews/`` (``bench.generate``, clean rows)."""
    from bench.generate import generate

    raw = root / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for d in shared.iterdir():
        if d.is_dir() and not (raw / d.name).exists():
            (raw / d.name).symlink_to(d.resolve(), target_is_directory=True)
    (raw / "icews").mkdir(exist_ok=True)
    for year, rows in years.items():
        path = raw / "icews" / f"events.{year}.kill-trials-n{rows}.tab"
        if not path.exists():
            generate(path, rows, seed=seed + year, fmt="icews", year=year)
    return raw


# --------------------------------------------------------------------------- running the CLI

def cli_env(root: Path, raw: Path = SHARED_RAW, warehouse: Path | None = None) -> dict[str, str]:
    """Environment for a ``pipeline`` subprocess whose every output lives under ``root``."""
    env = dict(os.environ)
    env.update({
        "PIPELINE_WAREHOUSE": str(warehouse or root / "warehouse.duckdb"),
        "PIPELINE_DERIVED": str(root / "derived"),
        "PIPELINE_RAW_DIRS": str(raw),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "PYTHONUNBUFFERED": "1",
    })
    env.pop("PIPELINE_LOG_LEVEL", None)
    (root / "dagster_home").mkdir(parents=True, exist_ok=True)
    return env


@dataclass
class Proc:
    """A ``pipeline`` subprocess with its output going to files (never a pipe that can fill)."""

    popen: subprocess.Popen
    out: Path
    err: Path
    started: float

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stdout(self) -> str:
        return self.out.read_text(errors="replace")

    def stderr(self) -> str:
        return self.err.read_text(errors="replace")

    def wait(self, timeout: float) -> int:
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        """SIGKILL the subprocess's whole session (it was started in its own)."""
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=30)


def start_cli(args: list[str], env: dict[str, str], logs: Path, name: str) -> Proc:
    logs.mkdir(parents=True, exist_ok=True)
    out, err = logs / f"{name}.out", logs / f"{name}.err"
    with out.open("w") as fo, err.open("w") as fe:
        popen = subprocess.Popen([sys.executable, "-m", "pipeline.cli", *args], cwd=REPO,
                                 env=env, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL,
                                 start_new_session=True)
    return Proc(popen, out, err, time.perf_counter())


def run_args(select: list[str]) -> list[str]:
    return ["run", "--select", *select, "--force", "--no-progress"]


def run_cli(args: list[str], env: dict[str, str], logs: Path, name: str,
            timeout: float = RUN_TIMEOUT) -> tuple[int, float, Proc]:
    """Run to completion (killed after ``timeout``): (exit code, seconds, process)."""
    p = start_cli(args, env, logs, name)
    rc = p.wait(timeout)
    return rc, time.perf_counter() - p.started, p


# --------------------------------------------------------------------------- the file lock

def lock_holder(path: Path) -> tuple[str, int] | None:
    """('write'|'read', pid) of a POSIX lock another process holds on ``path``, else None.

    Uses ``fcntl(F_GETLK)``, which only asks and never takes the lock, so polling it cannot
    make the run being watched fail to open the warehouse (a probing ``duckdb.connect`` can).
    DuckDB locks the whole file: F_WRLCK for a read-write connection, F_RDLCK for read-only.
    Linux layout of ``struct flock``; raises NotImplementedError elsewhere.
    """
    if not sys.platform.startswith("linux"):
        raise NotImplementedError("lock_holder reads struct flock with the Linux layout")
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fmt = "hhqqi4x"
        got = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack(fmt, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0))
        kind, _, _, _, pid = struct.unpack(fmt, got)
    finally:
        os.close(fd)  # we hold no lock, so closing releases nothing of anyone's
    if kind == fcntl.F_UNLCK:
        return None
    return ("write" if kind == fcntl.F_WRLCK else "read"), pid


# --------------------------------------------------------------------------- inspecting

def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What a user sees (a partitioned table's view, not its partition or staging tables)."""
    return visible_tables(con)


def _q(full: str) -> str:
    schema, table = full.split(".")
    return f'"{schema}"."{table}"'


def fingerprint(con: duckdb.DuckDBPyConnection, full: str, year: int | None = None) -> tuple:
    """(columns with types, row count, order-independent content hash) of one table, or of
    one partition year of it."""
    cols = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND "
        "table_name = ? ORDER BY column_index", full.split(".")).fetchall()
    if full == "raw.ingest_log":
        cols = [c for c in cols if c[0] not in VOLATILE_LOG]
    names = ", ".join(f'"{c}"' for c, _ in cols)
    where = "" if year is None else f" WHERE partition_year = {int(year)}"
    n, h = con.execute(f"SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM "
                       f"(SELECT {names} FROM {_q(full)}{where}) t").fetchone()
    return tuple(cols), n, str(h)


def _units(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, int | None]]:
    """What commits as a whole -> (table, partition year): a plain table is one unit, the
    partitioned ``raw.events`` (a view over one file per dataset and year) one unit per
    year, named ``raw.events[year]``. A run commits years one by one, so a kill may leave
    some years new and others as they were; each year must still be whole."""
    out: dict[str, tuple[str, int | None]] = {}
    for t in _tables(con):
        years = partitions(con) if t == EVENTS else {}
        if years:
            out |= {f"{t}[{y}]": (t, y) for y in years}
        else:
            out[t] = (t, None)
    return out


def fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """Fingerprint of every unit (:func:`_units`) outside ``meta`` (reading each in full)."""
    return {u: fingerprint(con, *where) for u, where in _units(con).items()
            if not u.startswith("meta.")}


def latest_versions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Latest materialized data version per asset key (and partition) from ``meta.runs``."""
    if "meta.runs" not in _tables(con):
        return {}
    return dict(con.execute(
        "SELECT asset_key || coalesce('[' || partition || ']', ''), data_version "
        "FROM meta.runs WHERE status = 'materialized' "
        "QUALIFY row_number() OVER (PARTITION BY asset_key, partition "
        "ORDER BY finished_at DESC, recorded_at DESC) = 1").fetchall())


def logged_files(con: duckdb.DuckDBPyConnection) -> dict[str, set[tuple[str, int | None]]]:
    """Files in ``raw.ingest_log`` per unit (:func:`_units`: a partition of a partitioned
    table is its own unit, ``schema.table[year]``)."""
    out: dict[str, set] = {}
    partitioned = bool(partitions(con))
    for table, f, year in con.execute(
            "SELECT table_name, source_file, partition_year FROM raw.ingest_log").fetchall():
        unit = f"{table}[{year}]" if year is not None and partitioned and table == EVENTS \
            else table
        out.setdefault(unit, set()).add((f, year))
    return out


@dataclass
class Snapshot:
    """What a warehouse holds: fingerprints, logged files, latest data versions."""

    tables: dict[str, tuple]
    files: dict[str, set]
    versions: dict[str, str]


def snapshot(path: Path) -> Snapshot:
    con = duckdb.connect(str(path), read_only=True)
    try:
        has_log = "raw.ingest_log" in _tables(con)
        return Snapshot(fingerprints(con), logged_files(con) if has_log else {},
                        latest_versions(con))
    finally:
        con.close()


def integrity_problems(path: Path, reference: Snapshot | None = None) -> list[str]:
    """Everything wrong with the warehouse at ``path`` (empty list: intact).

    Without ``reference`` the structural checks only; with it, also: the files of every table
    are the reference's, and every table present has the reference's content.
    """
    if not path.exists():
        return []  # killed before the warehouse was created: nothing to be partial
    try:
        con = duckdb.connect(str(path), read_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to open is the finding
        return [f"warehouse does not open: {type(exc).__name__}: {exc}"]
    problems: list[str] = []
    try:
        tables = _tables(con)
        data = [t for t in tables if t.startswith("raw.") and t not in LOG_TABLES]
        if "raw.ingest_log" not in tables:
            return [f"raw tables without raw.ingest_log: {data}"] if data else []
        log = con.execute(
            "SELECT table_name, source_file, partition_year, rows_read, loaded, quarantined, "
            "deduplicated FROM raw.ingest_log").fetchall()
        seen: dict[tuple, int] = {}
        for t, f, y, read, loaded, quar, dedup in log:
            seen[(t, f, y)] = seen.get((t, f, y), 0) + 1
            if read != loaded + quar + dedup:
                problems.append(f"{t} {f} [{y}]: read {read} != loaded {loaded} + quarantined "
                                f"{quar} + deduplicated {dedup}")
        problems += [f"ingest_log row doubled {n}x: {k}" for k, n in seen.items() if n > 1]
        logged = {t for t, *_ in log}
        problems += [f"ingest_log rows for a table that does not exist: {t}"
                     for t in sorted(logged - set(tables))]
        problems += [f"table without ingest_log rows: {t}" for t in sorted(set(data) - logged)]
        counts = dict(con.execute("SELECT table_name, sum(loaded) FROM raw.ingest_log "
                                  "GROUP BY ALL").fetchall())
        for t in data:
            n = con.execute(f"SELECT count(*) FROM {_q(t)}").fetchone()[0]
            if t in counts and n != counts[t]:
                problems.append(f"partial table {t}: {n} rows, ingest_log says {counts[t]}")
        if "raw.quarantine" in tables:
            quarantined = con.execute(
                "SELECT l.table_name, l.source_file, l.partition_year, l.quarantined, "
                "count(q.table_name) FROM raw.ingest_log l LEFT JOIN raw.quarantine q ON "
                "q.table_name = l.table_name AND q.source_file = l.source_file AND "
                "q.partition_year IS NOT DISTINCT FROM l.partition_year GROUP BY ALL").fetchall()
            problems += [f"{t} {f} [{y}]: {n} quarantine rows, ingest_log says {want}"
                         for t, f, y, want, n in quarantined if n != want]
            orphans = con.execute(
                "SELECT DISTINCT table_name, source_file FROM raw.quarantine q WHERE NOT EXISTS "
                "(SELECT 1 FROM raw.ingest_log l WHERE l.table_name = q.table_name AND "
                "l.source_file = q.source_file)").fetchall()
            problems += [f"quarantine rows of an unlogged file: {o}" for o in orphans]
        current = fingerprints(con)  # reads every table in full: block checksums verified
        if reference is not None:
            now = logged_files(con)
            for t in sorted(set(data) | set(now)):
                if now.get(t, set()) != reference.files.get(t, set()):
                    problems.append(f"{t}: files logged {sorted(now.get(t, set()))} != clean "
                                    f"run's {sorted(reference.files.get(t, set()))}")
            for t, fp in current.items():
                if t in LOG_TABLES:
                    continue  # compared per table above; after a kill it is a mix of runs
                if t not in reference.tables:
                    problems.append(f"table not in the clean run: {t}")
                elif fp != reference.tables[t]:
                    problems.append(f"{t} differs from the clean run: {fp[1:]} != "
                                    f"{reference.tables[t][1:]}")
    except Exception as exc:  # noqa: BLE001 - a table that cannot be read is the finding
        problems.append(f"reading the warehouse failed: {type(exc).__name__}: {exc}")
    finally:
        con.close()
    return problems


def differences(clean: Snapshot, other: Snapshot) -> list[str]:
    """Tables (and latest data versions) of ``other`` that differ from the clean run's."""
    out = []
    for t in sorted(set(clean.tables) | set(other.tables)):
        a, b = clean.tables.get(t), other.tables.get(t)
        if a != b:
            out.append(f"{t}: clean {a and a[1:]} vs rerun {b and b[1:]}")
    for k in sorted(set(clean.versions) | set(other.versions)):
        if clean.versions.get(k) != other.versions.get(k):
            out.append(f"meta.runs data_version of {k}: clean {clean.versions.get(k)} vs "
                       f"rerun {other.versions.get(k)}")
    return out


# --------------------------------------------------------------------------- trials

@dataclass
class Reference:
    seconds: float
    snapshot: Snapshot
    path: Path


def clean_run(root: Path, select: list[str], raw: Path = SHARED_RAW) -> Reference:
    """One uninterrupted run into a fresh warehouse: the reference for every trial."""
    env = cli_env(root, raw)
    rc, secs, p = run_cli(run_args(select), env, root / "logs", "clean")
    if rc != 0:
        raise RuntimeError(f"clean run failed (exit {rc}):\n{p.stderr()[-3000:]}")
    path = Path(env["PIPELINE_WAREHOUSE"])
    return Reference(secs, snapshot(path), path)


@dataclass
class Kill:
    """One kill: when, what the process had done, and what the warehouse looked like."""

    delay: float
    exit_code: int | None
    killed: bool
    tables_after: int
    wal: bool
    committed: int  # ingest_log rows (tables) the killed run committed before it died
    computed: int   # assets whose rows the killed run had logged (computed, maybe not committed)
    problems: list[str] = field(default_factory=list)


def kill_once(env: dict[str, str], select: list[str], delay: float, logs: Path, name: str,
              reference: Snapshot | None) -> Kill:
    """Start a run, SIGKILL it after ``delay`` seconds (if still running), inspect."""
    path = Path(env["PIPELINE_WAREHOUSE"])
    before = _run_ids(path)
    p = start_cli(run_args(select), env, logs, name)
    try:
        rc = p.popen.wait(timeout=delay)
        killed = False
    except subprocess.TimeoutExpired:
        p.kill()
        rc, killed = None, True
    wal = Path(str(path) + ".wal").exists()
    problems = integrity_problems(path, reference)
    if not killed and rc != 0:
        problems.append(f"run exited {rc} before the kill:\n{p.stderr()[-2000:]}")
    tables = committed = 0
    if path.exists() and not any(x.startswith("warehouse does not open") for x in problems):
        con = duckdb.connect(str(path), read_only=True)
        tables = len([t for t in _tables(con) if t.startswith("raw.") and t not in LOG_TABLES])
        con.close()
        committed = sum(n for r, n in _run_ids(path).items() if r not in before)
    computed = sum(" rows from " in line for line in p.stderr().splitlines())
    return Kill(delay, rc, killed, tables, wal, committed, computed, problems)


def _run_ids(path: Path) -> dict[str | None, int]:
    """ingest_log rows per run id (empty when there is no log yet)."""
    if not path.exists():
        return {}
    con = duckdb.connect(str(path), read_only=True)
    try:
        if "raw.ingest_log" not in _tables(con):
            return {}
        return dict(con.execute("SELECT run_id, count(*) FROM raw.ingest_log GROUP BY ALL")
                    .fetchall())
    finally:
        con.close()


@dataclass
class Trial:
    index: int
    start: str  # "fresh" or "clean copy"
    kills: list[Kill]
    rerun_exit: int
    rerun_seconds: float
    rerun_problems: list[str]
    identical: bool
    diffs: list[str]


def copy_warehouse(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)
    if Path(str(src) + ".wal").exists():
        shutil.copy2(str(src) + ".wal", str(dst) + ".wal")


def trial(root: Path, ref: Reference, select: list[str], delays: list[float], *,
          from_clean: bool, index: int = 0, raw: Path = SHARED_RAW) -> Trial:
    """Kill one run after each of ``delays`` (chained on one warehouse), then rerun and compare."""
    env = cli_env(root, raw)
    path = Path(env["PIPELINE_WAREHOUSE"])
    if from_clean:
        copy_warehouse(ref.path, path)
    logs = root / "logs"
    kills = [kill_once(env, select, d, logs, f"kill{i}", ref.snapshot)
             for i, d in enumerate(delays)]
    rc, secs, p = run_cli(run_args(select), env, logs, "rerun")
    problems = integrity_problems(path, ref.snapshot)
    if rc != 0:
        problems.append(f"rerun exited {rc}:\n{p.stderr()[-2000:]}")
    diffs = differences(ref.snapshot, snapshot(path)) if rc == 0 else ["rerun failed"]
    return Trial(index, "clean copy" if from_clean else "fresh", kills, rc, secs, problems,
                 not diffs, diffs)


def summarize(ref: Reference, trials: list[Trial]) -> str:
    kills = [k for t in trials for k in t.kills]
    lines = [f"clean run: {ref.seconds:.1f} s, tables {len(ref.snapshot.tables)}",
             (f"{'trial':>5s} {'start':10s} {'kill at':>8s} {'killed':>6s} {'computed':>8s} "
              f"{'committed':>9s} {'raw tables':>10s} {'wal':>4s} {'rerun':>6s} "
              f"{'identical':>9s} problems")]
    for t in trials:
        for k in t.kills:
            lines.append(
                f"{t.index:5d} {t.start:10s} {k.delay:7.2f}s {'yes' if k.killed else 'no':>6s} "
                f"{k.computed:8d} {k.committed:9d} {k.tables_after:10d} {'yes' if k.wal else 'no':>4s} {t.rerun_exit:6d} "
                f"{'yes' if t.identical else 'NO':>9s} {len(k.problems) + len(t.rerun_problems)}")
    corrupt = [(t.index, p) for t in trials for k in t.kills for p in k.problems]
    corrupt += [(t.index, p) for t in trials for p in t.rerun_problems]
    corrupt += [(t.index, d) for t in trials for d in t.diffs]
    delays = sorted(k.delay for k in kills)
    lines += [
        (f"trials: {len(trials)} ({sum(k.killed for k in kills)} killed mid-run, "
         f"{sum(not k.killed for k in kills)} finished before the kill)"),
        "kill times (s): " + ", ".join(f"{d:.2f}" for d in delays),
        (f"kills that left a WAL file: {sum(k.wal for k in kills)}; kills after the run had "
         f"committed some but not all tables: "
         f"{sum(0 < k.committed < sum(map(len, ref.snapshot.files.values())) for k in kills)}"),
        ("all reruns identical to the clean run: "
         + ("yes" if all(t.identical for t in trials) else "NO")),
        f"corruption or partial tables: {'none' if not corrupt else len(corrupt)}",
    ]
    lines += [f"  trial {i}: {p}" for i, p in corrupt]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--select", nargs="+", default=KILL_SELECTION)
    ap.add_argument("--raw", type=Path, default=SHARED_RAW)
    ap.add_argument("--event-rows", type=int, default=EVENT_YEARS[2017],
                    help="rows of each generated ICEWS year added to --raw (0: none)")
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "pipeline-bench"
                    / "kill")
    ap.add_argument("--json", type=Path, default=None, help="write every trial as JSON")
    ap.add_argument("--keep", action="store_true", help="keep each trial's warehouse and logs")
    a = ap.parse_args(argv)
    rng = random.Random(a.seed)
    shutil.rmtree(a.dir, ignore_errors=True)
    if a.event_rows:
        a.raw = with_events(a.raw, a.dir, dict.fromkeys(EVENT_YEARS, a.event_rows))
    ref = clean_run(a.dir / "clean", a.select, a.raw)
    print(f"clean run: {ref.seconds:.1f} s", flush=True)
    trials = []
    for i in range(a.trials):
        root = a.dir / f"trial{i:02d}"
        delay = rng.uniform(0, ref.seconds)
        t = trial(root, ref, a.select, [delay], from_clean=bool(i % 2), index=i, raw=a.raw)
        trials.append(t)
        k = t.kills[0]
        print(f"trial {i}: {t.start}, kill at {delay:.2f}s (killed={k.killed}, computed "
              f"{k.computed}, committed {k.committed}, raw tables left {k.tables_after}, "
              f"wal={k.wal}), problems {len(k.problems)}, rerun "
              f"{t.rerun_exit} in {t.rerun_seconds:.1f}s, identical={t.identical}", flush=True)
        ok = t.identical and not k.problems and not t.rerun_problems
        if ok and not a.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(summarize(ref, trials))
    if a.json:
        a.json.write_text(json.dumps([t.__dict__ | {"kills": [k.__dict__ for k in t.kills]}
                                      for t in trials], indent=1, default=str))
    bad = any(not t.identical or t.rerun_problems or any(k.problems for k in t.kills)
              for t in trials)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
