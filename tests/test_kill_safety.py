"""Kill safety: SIGKILL `pipeline run` at random points; the warehouse stays whole and reruns clean.

The run is the real CLI in a subprocess on the real data (a selection of six raw tables, with
``--force`` so every run rewrites them). Delays are drawn uniformly from [0, D) with a seeded
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

from bench.kill_trials import SELECTION, clean_run, differences, integrity_problems, snapshot, trial

SEED = int(os.environ.get("KILL_TRIALS_SEED", "20240917"))
TRIALS = 3

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


@pytest.fixture(scope="module")
def reference(raw, tmp_path_factory):
    """One clean run of the selection: duration, table fingerprints, files per table."""
    return clean_run(tmp_path_factory.mktemp("clean"), SELECTION, raw)


def test_clean_run_is_intact_and_covers_the_selection(reference):
    """The clean run itself passes every integrity check and holds the six selected tables."""
    assert integrity_problems(reference.path, reference.snapshot) == []
    raw_tables = {t for t in reference.snapshot.tables if t.startswith("raw.")}
    assert {f"raw.{k.split('/')[1]}" for k in SELECTION} <= raw_tables
    assert reference.snapshot.tables["raw.un_votes"][1] == 1_066_613
    assert reference.snapshot.tables["raw.un_rollcalls"][1] == 5_429
    assert all(len(files) == 1 for t, files in reference.snapshot.files.items())
    assert differences(reference.snapshot, snapshot(reference.path)) == []


@pytest.mark.timeout(900)
def test_sigkill_at_random_points_leaves_no_partial_table(raw, reference, tmp_path):
    """Three SIGKILLs at seeded random times: warehouse opens, nothing partial, rerun identical."""
    rng = random.Random(SEED)
    delays = [rng.uniform(i, i + 1) * reference.seconds / TRIALS for i in range(TRIALS)]
    t = trial(tmp_path, reference, SELECTION, delays, from_clean=True, raw=raw)
    where = f"seed {SEED}, clean run {reference.seconds:.1f} s, kills at " + ", ".join(
        f"{k.delay:.2f}s (killed={k.killed})" for k in t.kills)
    for k in t.kills:
        assert k.problems == [], f"after the kill at {k.delay:.2f}s ({where}): {k.problems}"
    assert t.rerun_exit == 0, f"rerun failed ({where}): {t.rerun_problems}"
    assert t.rerun_problems == [], where
    assert t.identical, f"rerun differs from the clean run ({where}): {t.diffs}"
