"""Fuzzed input: 10,000+ seeded mutated lines per event format; the engine never crashes or
hangs, and every line ends loaded, deduplicated or quarantined with its true line number
(``bench/fuzz.py`` holds the generator and the check; it runs more lines from the shell)."""

from __future__ import annotations

import polars as pl
import pytest

from bench.fuzz import FORMATS, KINDS, check, fuzz_file
from pipeline.lib.ingest.sources.cameo import parse_cameo_codes


@pytest.fixture(scope="module")
def cameo(raw) -> pl.DataFrame:
    """The CAMEO code table from the shared sample."""
    return parse_cameo_codes(raw / "icews_sample" / "cameo-codes.csv").frame


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_mutated_line_is_loaded_deduplicated_or_quarantined_at_its_line(cameo, tmp_path,
                                                                              fmt):
    """Truncations, extra and missing separators, bad UTF-8, NUL bytes, 100 kB fields, CRLF
    and CR line ends, duplicated IDs, out-of-range dates and ``13y`` codes (seed 20261127,
    1 MiB blocks): the reader finishes, counts reconcile, and each known fate is met."""
    fz = fuzz_file(fmt, 10_000, seed=20261127, directory=tmp_path)
    assert sum(fz.kinds.values()) >= 10_000
    assert set(fz.kinds) == set(KINDS)
    assert check(fz, cameo, block_bytes=1 << 20) == []


def test_cutting_undecodable_lines_out_of_a_block_keeps_every_other_line_byte_for_byte():
    """without_lines (the spans between dropped lines, joined) equals joining every kept
    line with its LF, on seeded random blocks with and without a final LF."""
    import random

    import numpy as np

    from pipeline.lib.events.blocks import Block
    from pipeline.lib.events.lines import without_lines

    rng = random.Random(7)
    for _ in range(500):
        lines = [bytes(rng.choice(b"ab\t\xc3") for _ in range(rng.randint(0, 6)))
                 for _ in range(rng.randint(1, 30))]
        data = b"\n".join(lines) + (b"\n" if rng.random() < 0.7 else b"")
        starts, ends = Block(data, 1, "x").bounds()
        drop = np.array(sorted(rng.sample(range(len(starts)), rng.randint(0, len(starts)))),
                        dtype=np.int64)
        keep = np.setdiff1d(np.arange(len(starts)), drop)
        want = b"".join(data[s:e + 1] for s, e in zip(starts[keep], ends[keep]))
        assert without_lines(data, starts, ends, drop) == want
