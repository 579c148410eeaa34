"""Where the ``raw/events`` step spends its time: the event engine's stages, one after another.

The stages the asset runs in a pipeline of threads are run here in sequence on every block of
one file, each timed on its own (wall and this process's CPU seconds): reading the blocks,
the line stage (``lines.LineReader``), the value stage (``values.Typer``: lookups, rules,
crosswalk), the rest of a block's processing (quarantine rows, output columns, unmatched
counts), the duplicate-ID bitset, pandera per flush, and writing the Parquet row groups.
Polars, DuckDB and pyarrow work is native, so a stage timer says more than cProfile here.

Usage::

    uv run python bench/profile_pipeline.py --rows 1000000        # generated file, cached
    uv run python bench/profile_pipeline.py --file path/to/events.2018.x.tab
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import polars as pl

from bench.engines import CAMEO_CSV
from pipeline.lib.events import EventsSchema, EventStream
from pipeline.lib.events import load as event_load
from pipeline.lib.events.lines import LineReader
from pipeline.lib.events.store import PartFile
from pipeline.lib.ingest.sources.cameo import parse_cameo_codes
from pipeline.lib.store.validation import validate_frame


class Stages:
    """Wall and CPU seconds per stage label."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def run(self, label: str, fn, *args):
        w, c = time.perf_counter(), time.process_time()
        out = fn(*args)
        self.wall[label] = self.wall.get(label, 0.0) + time.perf_counter() - w
        self.cpu[label] = self.cpu.get(label, 0.0) + time.process_time() - c
        return out


def profile(path: Path) -> Stages:
    cameo = parse_cameo_codes(CAMEO_CSV).frame
    st = Stages()
    stream = EventStream(path, cameo)
    reader = LineReader(stream.fl.names, stream.lay.sep, stream.label, stream.lay.quoted)
    it = stream._blocks()
    pending: list[pl.DataFrame] = []
    with tempfile.TemporaryDirectory() as tmp:
        part = PartFile(Path(tmp), stream.dataset, 2018)
        while (blk := st.run("read blocks (bytes, CR/LF)", next, it, None)) is not None:
            rows, q = st.run("lines (strict read, field counts, UTF-8)", stream._lines,
                             reader, blk)
            st.run("values (lookups, rules, crosswalk)", stream.typer, rows)
            done = st.run("values again, with the block's output columns and quarantine",
                          stream._process, blk, rows, q)
            ok = st.run("duplicate-ID bitset", stream._ids.split, done.ok)
            pending.append(ok)
            if sum(f.height for f in pending) >= event_load.FLUSH_ROWS:
                frame = pl.concat(pending)
                pending = []
                st.run("pandera per flush", validate_frame, frame, EventsSchema)
                st.run("parquet row groups (zstd)", part.write, frame)
        if pending:
            frame = pl.concat(pending)
            st.run("pandera per flush", validate_frame, frame, EventsSchema)
            st.run("parquet row groups (zstd)", part.write, frame)
        st.run("parquet close, sync, rename", part.close)
    # the engine's _process includes the value stage: report its own part only
    label = "values again, with the block's output columns and quarantine"
    for d in (st.wall, st.cpu):
        d["output columns, quarantine rows (rest of a block)"] = (
            d.pop(label) - d["values (lookups, rules, crosswalk)"])
    return st


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--file", type=Path, default=None)
    a = ap.parse_args()
    if a.file is None:
        from bench.generate import default_dir, ensure
        a.file = ensure(a.rows, a.seed, "icews", default_dir())
    st = profile(a.file)
    total = sum(st.wall.values())
    print(f"`{a.file.name}`, stages run in sequence (the asset overlaps them on threads)\n")
    print("| stage | wall s | CPU s | share of wall |\n|---|---:|---:|---:|")
    for k, v in st.wall.items():
        print(f"| {k} | {v:.2f} | {st.cpu[k]:.2f} | {v / total:.0%} |")
    print(f"| **total** | **{total:.2f}** | **{sum(st.cpu.values()):.2f}** | 100% |")


if __name__ == "__main__":
    main()
