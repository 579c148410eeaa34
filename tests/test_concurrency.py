"""Two processes, one warehouse: the second run and a reader fail at once, clearly; the first is intact.

Run A is the real CLI in a subprocess (six raw tables, ``--force``). The test waits until A
holds DuckDB's write lock on the file, asking the kernel with ``fcntl(F_GETLK)`` rather than
by connecting, because a probing connection would itself take a lock and could make A fail.
While A holds it: ``pipeline run`` (run B) exits 3 within seconds, naming the warehouse and
saying it is in use; a read-only open through :func:`pipeline.lib.store.warehouse.connect` raises
:class:`WarehouseBusyError`. DuckDB does NOT allow a read-only connection from another
process while a writer holds the file: the bare ``duckdb.connect(path, read_only=True)``
raises ``duckdb.IOException`` ("Could not set lock on file ... Conflicting lock is held in
... (PID n)"). So nobody can read the warehouse during a run, not even the UI or a notebook.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from bench.kill_trials import (
    SELECTION,
    cli_env,
    integrity_problems,
    lock_holder,
    run_args,
    run_cli,
    snapshot,
    start_cli,
)
from pipeline.lib.store import warehouse as wh

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the lock probe reads Linux's struct flock")

HOLD_TIMEOUT = 120.0  # A's start-up (Dagster, definitions, plan) until it opens the file
B_TIMEOUT = 60.0      # B must fail in seconds; a B that is not refused would run everything


@pytest.fixture(scope="module")
def run_a(raw, tmp_path_factory):
    """Run A started in a subprocess, returned once it holds the warehouse's write lock.

    One run A serves both tests (each takes well under a second of A's ~10 s of writing):
    the reader test first, then run B, which also waits for A to finish and checks it.
    """
    root = tmp_path_factory.mktemp("concurrency")
    env = cli_env(root, raw)
    path = Path(env["PIPELINE_WAREHOUSE"])
    a = start_cli(run_args(SELECTION), env, root / "logs", "run_a")
    deadline = time.monotonic() + HOLD_TIMEOUT
    try:
        while (holder := lock_holder(path)) != ("write", a.pid):
            assert a.popen.poll() is None, (
                f"A ended (exit {a.popen.returncode}) before holding the warehouse:\n"
                f"{a.stderr()[-2000:]}")
            assert time.monotonic() < deadline, f"A never held the warehouse (lock: {holder})"
            time.sleep(0.05)
        yield a, env, path
    finally:
        if a.popen.poll() is None:
            a.kill()


@pytest.mark.timeout(200)
def test_reader_during_a_run_gets_a_clear_busy_error(run_a):
    """While A writes, read-only opens fail: WarehouseBusyError via connect, IOException raw."""
    a, _, path = run_a
    with pytest.raises(wh.WarehouseBusyError) as info:
        wh.connect(path, read_only=True)
    message = str(info.value)
    assert str(path) in message and "in use by another process" in message
    assert f"PID {a.pid}" in message  # DuckDB names the holder; the wrapper keeps its words
    with pytest.raises(duckdb.IOException, match="Could not set lock on file"):
        duckdb.connect(str(path), read_only=True)
    assert lock_holder(path) == ("write", a.pid)  # the checks above ran while A held the file


@pytest.mark.timeout(400)
def test_second_run_fails_at_once_and_first_completes_intact(run_a):
    """B exits 3 in seconds naming the warehouse 'in use'; A succeeds; the warehouse is intact."""
    a, env, path = run_a
    rc, secs, b = run_cli(["run", "--no-progress"], env, path.parent / "logs", "run_b",
                          timeout=B_TIMEOUT)
    still = lock_holder(path)
    assert rc == 3, f"B exited {rc} after {secs:.1f}s:\n{b.stderr()[-2000:]}"
    assert still == ("write", a.pid), "A no longer held the file when B ended: no overlap"
    assert secs < 30, f"B took {secs:.1f}s to give up"
    err = b.stderr()
    assert f"the warehouse {path} is in use by another process" in err
    assert err.startswith("error: ") and "Traceback" not in err
    assert b.stdout() == ""
    assert a.wait(300) == 0, a.stderr()[-3000:]
    assert "materialized 6:" in a.stdout()
    assert integrity_problems(path) == []  # also opens read-only: readers get in again
    snap = snapshot(path)
    for key in SELECTION:
        table = f"raw.{key.split('/')[1]}"
        assert snap.tables[table][1] > 0 and len(snap.files[table]) == 1
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as inst:  # A's record of its run
        for key in SELECTION:
            tags = inst.get_latest_materialization_event(dg.AssetKey.from_user_string(key)).tags
            assert len(tags["dagster/data_version"]) == 64, key
