"""Time event-file ingestion + directed dyad-year aggregation across engines, on one file.

For each ``--rows`` size, the file ``generate.py`` makes for (rows, seed, format) is generated
once and cached in ``--dir``. Then, ``--reps`` times and interleaved (the engine order rotates
every repetition so none always runs first on a cold cache), every engine runs in a fresh
Python subprocess:

- ``floor``: read the bytes (64 MiB blocks), nothing else;
- ``duckdb``: ``read_csv`` + GROUP BY source country, target country, year;
- ``polars``: ``scan_csv`` + ``group_by``, streaming collect;
- ``pandas``: C-engine ``read_csv`` of 4 columns + ``groupby``;
- ``polars_validated`` and ``duckdb_load``: the bounds (see ``bench/README.md``);
- ``pipeline``: the event engine (``pipeline.lib.events.EventStream``: line checks, typing,
  CAMEO rules, crosswalk, dedupe, quarantine) + the same aggregate;
- ``pipeline_warehouse``: the whole ``raw/events`` step into the Parquet store, + the
  aggregate in SQL;
- any ``--engine NAME=module:function`` (a faster pipeline path, say), same contract
  (``bench/engines.py``).

Time is measured inside the worker around the engine call (interpreter start-up and module
imports excluded). Peak RSS is the worker's own ``VmHWM`` (``/proc/self/status``, read at
its end). ``getrusage(RUSAGE_CHILDREN)`` reports the largest child so far, not this one, and
even the per-child ``ru_maxrss`` from ``os.wait4`` (also recorded, as ``maxrss_mb``) is
floored at the parent's own peak, because Linux carries the pre-exec high-water mark over
``exec``: after the parent generated a file (~1 GB), every child "peaked" at >= 1.1 GB.
Every engine's aggregate is checked against DuckDB's (keys and counts exact; sums within
1e-6 relative, as float sums depend on the order of addition).

Usage::

    uv run python bench/ingest_bench.py --rows 1000000 10000000 --reps 3
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import engines as E

TOL = 1e-6


def _resolve(spec: str):
    module, func = spec.split(":")
    return getattr(importlib.import_module(module), func)


def worker(name: str, spec: str, path: Path, fmt: str, out: Path) -> None:
    """Run one engine once; print ``{"seconds": ..., "info": ...}`` as the last stdout line."""
    fn = _resolve(spec)
    for mod in E.IMPORTS.get(fn.__name__, []):
        importlib.import_module(mod)
    t0 = time.perf_counter()
    res = fn(path, fmt)
    seconds = time.perf_counter() - t0
    frame, info = res if isinstance(res, tuple) else (res, {})
    if frame is not None:
        frame.write_parquet(out)
    print(json.dumps({"engine": name, "seconds": seconds, "info": info, "hwm_mb": _vm_hwm_mb(),
                      "groups": None if frame is None else frame.height}))


def _vm_hwm_mb() -> float:
    """This process's peak RSS (VmHWM). Unlike ``ru_maxrss`` it starts afresh at exec."""
    with open("/proc/self/status") as fh:
        kb = next(int(ln.split()[1]) for ln in fh if ln.startswith("VmHWM:"))
    return kb / 1024


def run_one(name: str, spec: str, path: Path, fmt: str, out: Path,
            timeout: float | None) -> dict:
    """Run ``worker`` in a fresh interpreter; add its own peak RSS (MB) from ``wait4``."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name, "--spec", spec,
           "--file", str(path), "--format", fmt, "--out", str(out)]
    err = out.with_suffix(".stderr")
    with open(err, "w") as errfh:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errfh, text=True,
                                env={**os.environ, "PYTHONPATH": str(REPO)})
        timer = threading.Timer(timeout, proc.kill) if timeout else None
        if timer:
            timer.start()
        # read stdout, then reap with wait4 (not communicate/wait) to get this child's rusage
        stdout = proc.stdout.read()
        _, status, ru = os.wait4(proc.pid, 0)
        if timer:
            timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = err.read_text()
    rec = {"engine": name, "maxrss_mb": ru.ru_maxrss / 1024, "ok_exit": proc.returncode == 0}
    if proc.returncode != 0:
        rec.update(seconds=float("nan"), rss_mb=rec["maxrss_mb"],
                   error=stderr.strip().splitlines()[-1:] or ["?"])
        return rec
    rec.update(json.loads(stdout.strip().splitlines()[-1]))
    rec["rss_mb"] = rec["hwm_mb"]
    return rec


def compare(ref_path: Path, other_path: Path) -> str:
    """'ok' when both aggregates have the same keys and counts and sums within TOL (rel)."""
    import polars as pl
    a, b = pl.read_parquet(ref_path), pl.read_parquet(other_path)
    j = a.join(b, on=E.KEYS, how="full", nulls_equal=True, coalesce=True, suffix="_b")
    bad = j.filter(
        pl.col("n").is_null() | pl.col("n_b").is_null() | (pl.col("n") != pl.col("n_b"))
        | ((pl.col("intensity") - pl.col("intensity_b")).abs()
           > TOL * pl.max_horizontal(pl.lit(1.0), pl.col("intensity").abs())))
    if bad.height == 0 and a.height == b.height:
        return "ok"
    return f"MISMATCH: {bad.height} of {j.height} groups differ"


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    cpu = next((ln.split(":", 1)[1].strip() for ln in cpuinfo
                if ln.startswith("model name")), platform.processor())
    mem = next((int(ln.split()[1]) / 1024 ** 2 for ln in meminfo
                if ln.startswith("MemTotal")), float("nan"))
    import duckdb
    import pandas
    import polars
    return {"nproc": os.cpu_count(), "cpu": cpu, "mem_gb": round(mem, 1),
            "python": platform.python_version(), "duckdb": duckdb.__version__,
            "polars": polars.__version__, "pandas": pandas.__version__}


def table(results: list[dict], rows: int, path: Path) -> str:
    """Markdown table of medians, ratios and peak RSS for one size."""
    by: dict[str, list[dict]] = {}
    for r in results:
        by.setdefault(r["engine"], []).append(r)
    med = {e: statistics.median([r["seconds"] for r in rs]) for e, rs in by.items()}
    raw = [med[e] for e in E.RAW_ENGINES if e in med and med[e] == med[e]]
    fastest = min(raw) if raw else float("nan")
    pandas_s = med.get("pandas", float("nan"))
    valid, load = med.get("polars_validated", float("nan")), med.get("duckdb_load", float("nan"))
    mb = path.stat().st_size / 1e6
    lines = [f"**{rows:,} rows** ({mb:,.0f} MB, `{path.name}`)", "",
             ("| engine | median s | min–max s | × fastest raw | × pandas | × polars_validated "
              "| × duckdb_load | M rows/s | peak RSS MB | check |"),
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for e, rs in by.items():
        secs = [r["seconds"] for r in rs]
        checks = {r.get("check", "-") for r in rs}
        lines.append(
            f"| {e} | {med[e]:.2f} | {min(secs):.2f}–{max(secs):.2f} | "
            f"{med[e] / fastest:.2f} | {med[e] / pandas_s:.2f} | {med[e] / valid:.2f} | "
            f"{med[e] / load:.2f} | "
            f"{rows / med[e] / 1e6:.2f} | {max(r['rss_mb'] for r in rs):,.0f} | "
            f"{', '.join(sorted(checks))} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--format", choices=["icews", "gdelt"], default="icews")
    ap.add_argument("--dir", type=Path, default=None,
                    help="file cache (default $TMPDIR/pipeline-bench)")
    ap.add_argument("--engines", nargs="+", default=list(E.DEFAULT_ENGINES),
                    help=f"engines to run, in this order (default: {' '.join(E.DEFAULT_ENGINES)};"
                         f" also: {' '.join(sorted(set(E.ENGINES) - set(E.DEFAULT_ENGINES)))})")
    ap.add_argument("--engine", action="append", default=[], metavar="NAME=MODULE:FUNC",
                    help="add or replace an engine, e.g. pipeline_fast=bench.x:fast")
    ap.add_argument("--skip-above", action="append", default=[], metavar="ENGINE=ROWS",
                    help="skip ENGINE on files with more than ROWS rows")
    ap.add_argument("--timeout", type=float, default=None)
    ap.add_argument("--json", type=Path, default=None, help="also write all runs here")
    # worker mode (internal)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    ap.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        worker(a.worker, a.spec, a.file, a.format, a.out)
        return

    from bench.generate import ensure

    specs = dict(E.ENGINES)
    names = list(a.engines)
    for item in a.engine:
        n, spec = item.split("=", 1)
        specs[n] = spec
        if n not in names:
            names.append(n)
    if a.dir is None:
        from bench.generate import default_dir
        a.dir = default_dir()
    skip = {k: int(v) for k, v in (s.split("=") for s in a.skip_above)}
    info = machine()
    print(f"# machine: {info}", flush=True)
    print(f"# command: {' '.join([Path(sys.executable).name, *sys.argv])}", flush=True)
    report, everything = [], []
    for rows in a.rows:
        t = time.perf_counter()
        path = ensure(rows, a.seed, a.format, a.dir)
        print(f"# file {path} ready ({time.perf_counter() - t:.1f} s)", flush=True)
        run = [n for n in names if rows <= skip.get(n, rows)]
        outs = a.dir / "agg"
        outs.mkdir(exist_ok=True)
        results = []
        for rep in range(a.reps):
            order = run[rep % len(run):] + run[:rep % len(run)]
            for n in order:
                out = outs / f"{path.stem}.{n}.rep{rep}.parquet"
                out.unlink(missing_ok=True)
                rec = run_one(n, specs[n], path, a.format, out, a.timeout)
                rec.update(rows=rows, rep=rep)
                results.append(rec)
                print(f"  rep {rep} {n:>10}: {rec['seconds']:7.2f} s  "
                      f"RSS {rec['rss_mb']:7.0f} MB {rec.get('error', '')}", flush=True)
            ref = outs / f"{path.stem}.duckdb.rep{rep}.parquet"
            for rec in results:
                out = outs / f"{path.stem}.{rec['engine']}.rep{rep}.parquet"
                if rec["rep"] == rep and rec["engine"] != "floor" and "check" not in rec:
                    rec["check"] = (compare(ref, out) if ref.exists() and out.exists()
                                    else "not checked")
        report.append(table(results, rows, path))
        print(report[-1], flush=True)
        everything.extend(results)
    print("\n\n".join(report))
    if a.json:
        a.json.write_text(json.dumps({"machine": info, "argv": sys.argv, "runs": everything},
                                     indent=1, default=str))


if __name__ == "__main__":
    main()
