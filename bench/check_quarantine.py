"""Reliability: the pipeline quarantines exactly the lines ``generate.py`` corrupted.

Generates (or reuses) a file with ``--corrupt-share``, parses it and the clean file of the same
rows with ``parse_event_file`` (the event engine run to the end), interleaved ``--reps``
times, and joins the quarantine to the ``.corrupt.csv`` sidecar on the physical line number.

Usage::

    uv run python bench/check_quarantine.py --rows 100000 --corrupt-share 0.01 --format icews
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import polars as pl

from bench.engines import CAMEO_CSV
from bench.generate import default_dir, ensure
from pipeline.lib.events import parse_event_file
from pipeline.lib.ingest.sources.cameo import parse_cameo_codes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--format", choices=["icews", "gdelt"], default="icews")
    ap.add_argument("--corrupt-share", type=float, default=0.01)
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--reps", type=int, default=1)
    a = ap.parse_args()
    path = ensure(a.rows, a.seed, a.format, a.dir or default_dir(), corrupt_share=a.corrupt_share)
    side = pl.read_csv(path.with_name(path.name + ".corrupt.csv"))
    cameo = parse_cameo_codes(CAMEO_CSV).frame
    clean = ensure(a.rows, a.seed, a.format, a.dir or default_dir())
    parse_event_file(clean, cameo)  # warm-up: first-call set-up and page cache
    for rep in range(a.reps):
        t = time.perf_counter()
        rc = parse_event_file(clean, cameo)
        t_clean = time.perf_counter() - t
        t = time.perf_counter()
        r = parse_event_file(path, cameo)
        t_corrupt = time.perf_counter() - t
        print(f"run {rep + 1}: parse_event_file seconds: clean {t_clean:.2f} "
              f"({rc.loaded:,} loaded), corrupted {t_corrupt:.2f} "
              f"({t_corrupt / t_clean:.2f}x)", flush=True)
    q = r.quarantine.select("line", pl.col("column").alias("q_column"), "reason")
    j = side.join(q, on="line", how="full", coalesce=True)
    missed = j.filter(pl.col("reason").is_null())
    extra = j.filter(pl.col("kind").is_null())
    print(f"{path.name}: read {r.rows_read:,}, loaded {r.loaded:,}, quarantined "
          f"{r.quarantine.height:,}, deduplicated {r.deduplicated:,}; corrupted {side.height:,}")
    print(j.group_by("kind").agg(pl.len().alias("n"), pl.col("reason").first().alias("example"))
          .sort("kind"))
    print(f"corrupted but not quarantined: {missed.height}; quarantined but not corrupted: "
          f"{extra.height}")
    return int(missed.height > 0 or extra.height > 0)


if __name__ == "__main__":
    raise SystemExit(main())
