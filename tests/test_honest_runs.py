"""Honest runs on a copy of the built warehouse: a failure is named once and contained,
quarantine and checksum drift are warned about (and fail --strict), standing warnings
survive a no-change rerun, and --select takes the keys the summary prints.

Each test copies the session's warehouse and links the real raw folders into tmp_path; the
folder a test breaks is a writable copy. Nothing under the shared data is touched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeline import cli, records
from pipeline.lib.store import warehouse as wh
from pipeline.lib.store.paths import REPO_ROOT

FIXTURES = Path(__file__).parent / "data"


def _downstream(key: str) -> list[str]:
    """Every asset downstream of ``key`` in the definitions' asset graph, sorted."""
    import dagster as dg

    from pipeline.definitions import defs

    graph = defs().resolve_asset_graph()
    below = (dg.AssetSelection.assets(dg.AssetKey(key.split("/")))
             .downstream(include_self=False).resolve(graph))
    return sorted("/".join(k.path) for k in below if k in graph.materializable_asset_keys)


MAJORS_DOWNSTREAM = _downstream("raw/cow_majors")


@pytest.fixture
def copied(built_warehouse, raw, tmp_path, monkeypatch) -> Path:
    """tmp_path/raw links every real source folder; tmp_path/derived holds a copy of the
    built warehouse, of its Dagster instance (the record of runs and versions) and of the
    graph cache."""
    ok, path = built_warehouse
    assert ok
    derived = tmp_path / "derived"
    derived.mkdir()
    shutil.copyfile(path, derived / "warehouse.duckdb")
    shutil.copyfile(path.parent / "asset_graph.json", derived / "asset_graph.json")
    shutil.copytree(path.parent / "dagster_home", derived / "dagster_home")
    (tmp_path / "raw").mkdir()
    for folder in raw.iterdir():
        (tmp_path / "raw" / folder.name).symlink_to(folder)
    monkeypatch.setenv("PIPELINE_RAW_DIRS", str(tmp_path / "raw"))
    monkeypatch.setenv("PIPELINE_DERIVED", str(derived))
    monkeypatch.setenv("PIPELINE_WAREHOUSE", str(derived / "warehouse.duckdb"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("PIPELINE_STRICT", raising=False)
    return tmp_path


def own(root: Path, folder: str) -> Path:
    """Replace the link to a real source folder by a writable copy of it."""
    link = root / "raw" / folder
    real = link.resolve()
    link.unlink()
    shutil.copytree(real, link, copy_function=shutil.copyfile)
    for d, _, _ in os.walk(link):
        os.chmod(d, 0o755)
    return link


def edit(path: Path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert data.count(old) == 1, old
    path.write_bytes(data.replace(old, new))


def fingerprints(tables: list[str]) -> dict[str, tuple]:
    """Row count and a hash of every row, per table (equal iff the table was not rewritten)."""
    con = wh.connect(read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*), sum(hash(x)) FROM {t} x").fetchone()
                for t in tables}
    finally:
        con.close()


def latest_runs(keys: list[str]) -> dict[str, str]:
    """The run of each asset's latest materialization, as Dagster recorded it."""
    import dagster as dg

    with records.instance() as inst:
        return {k: inst.get_latest_materialization_event(dg.AssetKey.from_user_string(k)).run_id
                for k in keys}


def run(capsys, *args: str) -> tuple[int, str, str]:
    rc = cli.main(["run", "--no-progress", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def failed_block(out: str, key: str) -> tuple[str, list[str]]:
    """The error line of ``key`` in the FAILED block and the assets it blocked."""
    m = re.search(rf"^  {re.escape(key)}: (.*)\n    not run because of it \(previous tables "
                  r"kept, stale\): (.*)$", out, re.MULTILINE)
    assert m, out
    return m[1], m[2].split(", ")


def test_a_broken_header_fails_once_loudly_and_nothing_downstream_is_rebuilt(copied, capsys):
    """majors2016.csv with a renamed header column: exit 1; the summary names the file, line
    and column once and the ten assets not run; their tables are untouched and marked stale;
    the traceback is in the log file, not on the console."""
    majors = own(copied, "cow_state_system") / "majors2016.csv"
    edit(majors, b"stateabb,ccode,styear,", b"stateabb,ccode,startyear,")
    tables = [k.replace("/", ".") for k in MAJORS_DOWNSTREAM[:3]] + ["models.coefficients",
                                                                     "raw.cow_majors"]
    records = latest_runs([*MAJORS_DOWNSTREAM, "raw/cow_majors"])
    before = fingerprints(tables)

    rc, out, err = run(capsys)

    assert rc == cli.EXIT_FAILED
    error, blocked = failed_block(out, "raw/cow_majors")
    assert error.startswith(f"{majors}, line 1, column styear: header lacks column 'styear'")
    assert blocked == MAJORS_DOWNSTREAM
    assert (out + err).count("header lacks column 'styear'") == 1
    assert "Traceback" not in err and "Stack Trace" not in out + err
    assert "derived.alliance_panel" in out and "STALE: not rebuilt, raw/cow_majors failed" in out
    assert "materialized 0: nothing" in out and "result: FAILED" in out
    log = Path(re.search(r"^log: (\S+)", out, re.MULTILINE)[1])
    assert "Stack Trace" in log.read_text() and "InputError" in log.read_text()
    assert fingerprints(tables) == before
    assert latest_runs([*MAJORS_DOWNSTREAM, "raw/cow_majors"]) == records


def test_a_rejected_atop_file_blocks_its_downstream_selected_with_plus(copied, capsys):
    """An ATOP-like file lacking stateB, selected as raw.atop_alliances+ (it and everything
    downstream): exit 1, the summary names the file and column, dyad_year and the panel are
    not run and keep their tables."""
    atop = copied / "raw" / "atop"
    atop.mkdir()
    text = (FIXTURES / "cow" / "atop5_1ddyr.csv").read_text()
    (atop / "atop5_1ddyr.csv").write_text(text.replace(",stateB,", ",state_b,", 1))
    tables = ["derived.dyad_year", "derived.alliance_panel"]
    before = fingerprints(tables)

    rc, out, _ = run(capsys, "--select", "raw.atop_alliances+")

    assert rc == cli.EXIT_FAILED
    error, blocked = failed_block(out, "raw/atop_alliances")
    assert "atop5_1ddyr.csv, line 1, column stateB: header lacks column 'stateB'" in error
    assert {"derived/dyad_year", "derived/alliance_panel", "models/coefficients"} <= set(blocked)
    assert fingerprints(tables) == before


def test_quarantined_rows_warn_with_count_reason_and_query_and_fail_strict(copied, capsys):
    """A garbled Germany row in majors2016.csv: a --select run exits 0 with a WARN line giving
    the count, the first reason and the query; --strict fails and runs nothing downstream."""
    majors = own(copied, "cow_state_system") / "majors2016.csv"
    edit(majors, b"GMY,255,1816,1,1,1918", b"GMY,255,1816,13,1,1918")

    rc, out, _ = run(capsys, "--select", "raw.cow_majors")

    assert rc == cli.EXIT_OK, out
    query = "SELECT * FROM raw.quarantine WHERE table_name = 'raw.cow_majors'"
    assert (f"  WARN  raw.cow_majors: 1 quarantined row; first: majors2016.csv, line 6, column "
            f"stmonth: month outside 1-12: '13'; see them: {query}  [fails --strict]") in out
    assert "  WARN  cow_state_system: majors2016.csv (loaded into raw.cow_majors) has sha256" in out
    con = wh.connect(read_only=True)
    assert con.execute(query).fetchall()[0][3:5] == (6, "stmonth")
    con.close()
    before = fingerprints(["derived.state_year"])

    rc, out, _ = run(capsys, "--strict")

    assert rc == cli.EXIT_FAILED
    error, blocked = failed_block(out, "raw/cow_majors")
    assert error.startswith("--strict: 1 quarantined row; first: majors2016.csv, line 6")
    assert "derived/state_year" in blocked
    assert fingerprints(["derived.state_year"]) == before


def test_a_no_change_rerun_keeps_the_standing_warnings_and_strict_fails_on_them(
        copied, capsys, monkeypatch):
    """A garbled states2016.csv row (a table nothing reads): the run warns; the next run is a
    no-change rerun that lists the quarantine, the checksum drift and the 578-row
    ccodes_in_system warning again; PIPELINE_STRICT=1 makes that rerun fail."""
    states = own(copied, "cow_state_system") / "states2016.csv"
    edit(states, b"CAN,20,Canada,1920,1,10,", b"CAN,20,Canada,1920,1,99,")
    rc, out, _ = run(capsys)
    assert rc == cli.EXIT_OK and "materialized 1: raw/cow_states" in out

    rc, out, _ = run(capsys)

    assert rc == cli.EXIT_OK and "up to date" in out
    assert "WARN  raw.cow_states: 1 quarantined row; first: states2016.csv, line 3, column " \
           "stday: day outside 1-31: '99'" in out
    assert "WARN  cow_state_system: states2016.csv (loaded into raw.cow_states) has sha256" in out
    assert ("WARN  raw/cow_alliances: check ccodes_in_system did not pass: 578 rows (ccode1), "
            "578 rows (ccode2)") in out
    monkeypatch.setenv("PIPELINE_STRICT", "1")
    rc, out, _ = run(capsys)
    assert rc == cli.EXIT_FAILED and "up to date" in out and "result: FAILED" in out
    assert cli.main(["sources"]) == cli.EXIT_OK
    sources = capsys.readouterr().out
    assert "[WARN] cow_state_system" in sources and "[ok] cow_state_system" not in sources
    assert "states2016.csv  sha256=" in sources and "DIFFERS from the registry" in sources


def test_one_partition_is_selected_by_key_and_year(copied, capsys):
    """raw/events[2018] with --force redoes that year only."""
    rc, out, _ = run(capsys, "--select", "raw/events[2018]", "--force")
    assert rc == cli.EXIT_OK
    assert "materialized 1: raw/events[2018]" in out


def test_a_mistyped_key_fails_before_dagster_loads_with_a_suggestion(copied, capsys):
    """With the graph of the last run cached, raw.cow_nmx exits 2 in a fresh process, says
    "did you mean raw/cow_nmc" and never imports dagster."""
    assert (copied / "derived" / "asset_graph.json").is_file()
    code = textwrap.dedent("""
        import sys, time
        t0 = time.perf_counter()
        from pipeline import cli
        rc = cli.main(["run", "--select", "raw.cow_nmx"])
        print(rc, "dagster" in sys.modules, round(time.perf_counter() - t0, 2))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO_ROOT, env=os.environ.copy(), timeout=120, check=False)
    rc, loaded, seconds = proc.stdout.split()
    assert (rc, loaded) == ("2", "False"), proc.stderr
    assert float(seconds) < 10
    assert "did you mean raw/cow_nmc" in proc.stderr
