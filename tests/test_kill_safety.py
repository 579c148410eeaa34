"""Kill safety: SIGKILL `pipeline run` at random points; the warehouse stays whole and reruns clean.

The run is the real CLI in a subprocess on the real data (a selection of six raw tables and
``raw/events``, with ``--force`` so every run rewrites them); two generated ICEWS years of
100,000 rows join the shared event samples, so the event partitions, committed one year at a
time, are a real part of the kill window. Delays are drawn uniformly from [0, D) with a seeded
RNG, D being the duration of a clean run of the same selection, stratified: kill i falls
uniformly in the i-th third of [0, D), so the kills spread over start-up and writing, and the
last one always lands in the last third, where the tables (1 M rows of un_votes among them)
are written and committed. The kills are chained on one warehouse that starts as a copy of
the clean one, so each kill lands on tables that already exist (the replacing write is the
one that must not lose the old table), and later kills land on whatever the earlier ones
left. ``bench/kill_trials.py --trials 20`` is the long version (independent trials, delays
uniform over [0, D), half of them killing a first run into a fresh warehouse).
"""

from __future__ import annotations

import os
import random
import sys

import pytest

from bench.kill_trials import (
    KILL_SELECTION,
    clean_run,
    differences,
    integrity_problems,
    snapshot,
    trial,
    with_events,
)

SEED = int(os.environ.get("KILL_TRIALS_SEED", "20240917"))
TRIALS = 3

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


@pytest.fixture(scope="module")
def mirror(raw, tmp_path_factory):
    """The shared sources plus the generated ICEWS years."""
    return with_events(raw, tmp_path_factory.mktemp("mirror"))


@pytest.fixture(scope="module")
def reference(mirror, tmp_path_factory):
    """One clean run of the selection: duration, table fingerprints, files per table."""
    return clean_run(tmp_path_factory.mktemp("clean"), KILL_SELECTION, mirror)


def test_clean_run_is_intact_and_covers_the_selection(reference):
    """The clean run itself passes every integrity check and holds the selected tables, with
    one unit per event year (generated 2016 and 2017 with the GDELT sample, ICEWS 2018)."""
    assert integrity_problems(reference.path, reference.snapshot) == []
    tables = reference.snapshot.tables
    assert {f"raw.{k.split('/')[1]}" for k in KILL_SELECTION} - {"raw.events"} <= set(tables)
    assert tables["raw.un_votes"][1] == 1_066_613
    assert tables["raw.un_rollcalls"][1] == 5_429
    assert (tables["raw.events[2016]"][1], tables["raw.events[2018]"][1]) == (100_000, 3_705)
    assert tables["raw.events[2017]"][1] == 100_000 + 50
    files = reference.snapshot.files
    assert [len(files[f"raw.events[{y}]"]) for y in (2016, 2017, 2018)] == [1, 2, 1]
    assert all(len(f) == 1 for t, f in files.items() if not t.startswith("raw.events"))
    assert differences(reference.snapshot, snapshot(reference.path)) == []


@pytest.mark.timeout(900)
def test_sigkill_at_random_points_leaves_no_partial_table(mirror, reference, tmp_path):
    """Three SIGKILLs at seeded random times: warehouse opens, nothing partial, rerun identical."""
    rng = random.Random(SEED)
    delays = [rng.uniform(i, i + 1) * reference.seconds / TRIALS for i in range(TRIALS)]
    t = trial(tmp_path, reference, KILL_SELECTION, delays, from_clean=True, raw=mirror)
    where = f"seed {SEED}, clean run {reference.seconds:.1f} s, kills at " + ", ".join(
        f"{k.delay:.2f}s (killed={k.killed})" for k in t.kills)
    for k in t.kills:
        assert k.problems == [], f"after the kill at {k.delay:.2f}s ({where}): {k.problems}"
    assert t.rerun_exit == 0, f"rerun failed ({where}): {t.rerun_problems}"
    assert t.rerun_problems == [], where
    assert t.identical, f"rerun differs from the clean run ({where}): {t.diffs}"
