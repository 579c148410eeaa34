"""Where the pipeline's event ingestion spends its time: stage timings of ``parse_event_file``.

The stage functions the parser calls are wrapped (in their modules' namespaces, for this
process only) with a timer that records inclusive and exclusive seconds and the peak RSS
reached inside the stage, then ``parse_event_file`` runs once, followed by the asset's schema
validation (``validate_frame(frame, EventsSchema)``) and the dyad-year aggregate. Polars and
DuckDB work is native, so a stage timer says more than cProfile here; ``--cprofile`` adds the
top Python functions anyway.

Usage::

    uv run python bench/profile_pipeline.py --rows 1000000        # generated file, cached
    uv run python bench/profile_pipeline.py --file path/to/events.2018.x.tab
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import polars as pl

from bench.engines import CAMEO_CSV
from pipeline.lib import crosswalk, ingest
from pipeline.lib.sources import events, gdelt, icews
from pipeline.lib.sources.cameo import parse_cameo_codes
from pipeline.lib.validation import validate_frame

STAGES = [  # (module, attribute, label)
    (ingest, "read_bytes", "read bytes (+gunzip)"),
    (ingest, "decode", "decode UTF-8 (+ per-line retry)"),
    (ingest, "_lines", "split lines (str.split -> frame)"),
    (ingest, "_split_plain_lines", "split fields (count tabs, split_exact)"),
    (icews, "read_table_text", "read_table_text (rest: header, bad-line filter)"),
    (gdelt, "read_table_text", "read_table_text (rest: header, bad-line filter)"),
    (icews, "coerce", "coerce (NA, casts, domain checks, quarantine)"),
    (gdelt, "coerce", "coerce (NA, casts, domain checks, quarantine)"),
    (crosswalk, "attach_ccode", "crosswalk (name -> ccode, x2)"),
    (events, "dedupe_events", "dedupe (unique on all columns + key conflicts)"),
    (events, "with_raw", "quarantine raw text rebuild"),
    (events, "_unmatched", "unmatched-country counts"),
    (icews, "build_events", "build_events (rest: CAMEO join, flags, derived cols, casts)"),
    (gdelt, "build_events", "build_events (rest: CAMEO join, flags, derived cols, casts)"),
]


class Timer:
    """Inclusive/exclusive seconds and peak RSS per label, nesting-aware."""

    def __init__(self) -> None:
        self.incl: dict[str, float] = {}
        self.excl: dict[str, float] = {}
        self.rss: dict[str, float] = {}
        self.stack: list[float] = []  # child time accumulated per open frame

    def wrap(self, label: str, fn):
        def timed(*args, **kwargs):
            self.stack.append(0.0)
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                dt = time.perf_counter() - t
                child = self.stack.pop()
                self.incl[label] = self.incl.get(label, 0.0) + dt
                self.excl[label] = self.excl.get(label, 0.0) + dt - child
                self.rss[label] = max(self.rss.get(label, 0.0), _rss_mb())
                if self.stack:
                    self.stack[-1] += dt
        return timed

    def run(self, label: str, fn, *args):
        return self.wrap(label, fn)(*args)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def profile(path: Path, use_cprofile: bool = False) -> str:
    timer = Timer()
    for mod, attr, label in STAGES:
        setattr(mod, attr, timer.wrap(label, getattr(mod, attr)))
    cameo = timer.run("CAMEO table (parse_cameo_codes)", lambda: parse_cameo_codes(CAMEO_CSV).frame)
    prof = cProfile.Profile() if use_cprofile else None
    t0 = time.perf_counter()
    if prof:
        prof.enable()
    result = timer.run("parse_event_file (total)", events.parse_event_file, path, cameo)
    if prof:
        prof.disable()
    parse_s = time.perf_counter() - t0
    agg = timer.run("dyad-year aggregate", lambda: result.frame.group_by(
        "source_country", "target_country", "year").agg(pl.len(), pl.col("raw_goldstein").sum()))
    timer.run("validation (EventsSchema via pandera; asset check)",
              validate_frame, result.frame, events.EventsSchema)
    lines = [(f"file: `{path.name}` ({path.stat().st_size / 1e6:,.0f} MB), rows read "
              f"{result.rows_read:,}, loaded {result.loaded:,}, quarantined "
              f"{result.quarantine.height:,}, deduplicated {result.deduplicated:,}; "
              f"{agg.height:,} dyad-years"), "",
             "| stage | exclusive s | share of parse | peak RSS so far MB |",
             "|---|---:|---:|---:|"]
    order = [label for _, _, label in STAGES] + [
        "CAMEO table (parse_cameo_codes)", "parse_event_file (total)", "dyad-year aggregate",
        "validation (EventsSchema via pandera; asset check)"]
    seen = set()
    for label in order:
        if label in seen or label not in timer.excl:
            continue
        seen.add(label)
        ex = timer.excl[label]
        if label == "parse_event_file (total)":
            lines.append(f"| detect format + glue (rest of parse_event_file) | {ex:.2f} | "
                         f"{ex / parse_s:.0%} | {timer.rss[label]:,.0f} |")
            lines.append(f"| **parse_event_file total** | **{parse_s:.2f}** | 100% | "
                         f"{timer.rss[label]:,.0f} |")
            continue
        share = f"{ex / parse_s:.0%}" if label not in order[-3:] else "(outside)"
        lines.append(f"| {label} | {ex:.2f} | {share} | {timer.rss[label]:,.0f} |")
    out = "\n".join(lines)
    if prof:
        stats = pstats.Stats(prof).sort_stats("tottime")
        import io
        buf = io.StringIO()
        stats.stream = buf
        stats.print_stats(15)
        out += "\n\n```\n" + buf.getvalue() + "```"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--file", type=Path)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--format", choices=["icews", "gdelt"], default="icews")
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--cprofile", action="store_true")
    a = ap.parse_args()
    path = a.file
    if path is None:
        from bench.generate import default_dir, ensure
        path = ensure(a.rows, a.seed, a.format, a.dir or default_dir())
    print(profile(path, a.cprofile))


if __name__ == "__main__":
    main()
