"""The closing summary, failure containment and --select, as pure functions over records."""

from __future__ import annotations

import pytest

from pipeline.lib.outputs import bibtex
from pipeline.lib.report import selection, summary
from pipeline.lib.report.summary import (
    FAILED,
    MATERIALIZED,
    SKIPPED,
    AssetResult,
    CheckResult,
    Notice,
    Report,
    TableRow,
)

# raw/a -> derived/x -> models/m; raw/b -> derived/x; raw/c -> derived/y
CHILDREN = {"raw/a": ("derived/x",), "raw/b": ("derived/x",), "raw/c": ("derived/y",),
            "derived/x": ("models/m",), "derived/y": (), "models/m": ()}
GRAPH = selection.AssetGraph((*CHILDREN, "raw/events"), {**CHILDREN, "raw/events": ()},
                             {"raw/events": tuple(str(y) for y in range(1995, 2021))})


def test_everything_downstream_of_a_failure_is_blocked_and_names_the_failure():
    """A failed asset blocks its descendants (each names the failure), nothing else."""
    got = summary.blocked(["raw/a"], CHILDREN)
    assert got == {"derived/x": ("raw/a",), "models/m": ("raw/a",)}
    both = summary.blocked(["raw/a", "raw/b"], CHILDREN)
    assert both["models/m"] == ("raw/a", "raw/b")
    assert summary.blocked([], CHILDREN) == {}


def test_failures_are_failed_steps_blocking_checks_and_under_strict_strict_notices():
    """A warn check never fails an asset; a blocking error check does; strict notices only
    under strict."""
    assets = [AssetResult("raw/a", FAILED, error="a.csv, line 1, column x: bad header")]
    checks = [CheckResult("raw/b", "schema", False, "ERROR", blocking=True, detail="3 failure cases"),
              CheckResult("raw/c", "ccodes_in_system", False, "WARN")]
    notices = [Notice("raw.c", "quarantine", "1 quarantined row", 1, strict=True, asset="raw/c")]
    loose = summary.failures(assets, checks, notices)
    assert loose == {"raw/a": "a.csv, line 1, column x: bad header",
                     "raw/b": "blocking check schema did not pass: 3 failure cases"}
    assert set(summary.failures(assets, checks, notices, strict=True)) == {"raw/a", "raw/b",
                                                                          "raw/c"}


def test_first_line_drops_the_exception_class_path():
    """The summary shows the message of the innermost error, its first line only."""
    text = ("pipeline.lib.ingest.rawio.InputError: /x/majors2016.csv, line 1, column styear: header "
            "lacks column 'styear'\nmore")
    assert summary.first_line(text) == ("/x/majors2016.csv, line 1, column styear: header lacks "
                                        "column 'styear'")
    assert summary.first_line("\n  plain message: with colon\n") == "plain message: with colon"
    assert summary.first_line("/x/a.csv: file is empty") == "/x/a.csv: file is empty"
    assert summary.first_line("raw.cow_nmc: 10 rows") == "raw.cow_nmc: 10 rows"


def test_check_detail_counts_rows_per_code_column():
    """ccodes_in_system's metadata becomes counts per column (578 rows each for COW alliances)."""
    meta = {"system_last_year": 2016, "ccode1_outside_system": 578, "ccode1_sample": "94/1908",
            "ccode2_outside_system": 578}
    assert summary.check_detail(meta) == ("578 rows (ccode1), 578 rows (ccode2) not in the COW "
                                          "system that year")
    assert summary.check_detail({"duplicate_keys": 2}) == "2 duplicate keys"


def report(**kw) -> Report:
    base = {"warehouse": "w.duckdb", "seconds": 1.0,
            "tables": [TableRow("derived.x", 10), TableRow("raw.a", 5, 1, 5, 0, 0)]}
    return Report(**(base | kw))


def test_summary_names_the_failure_its_message_once_and_what_it_blocked():
    """FAILED lists the error's first line and the assets not run; their tables are STALE."""
    rep = report(assets=[
        AssetResult("raw/a", FAILED, error="a.csv, line 1, column x: header lacks column 'x'"),
        AssetResult("raw/c", MATERIALIZED),
        AssetResult("derived/x", SKIPPED, blocked_by=("raw/a",))])
    text = summary.render(rep)
    assert text.count("header lacks column 'x'") == 1
    assert "FAILED 1:\n  raw/a: a.csv, line 1, column x: header lacks column 'x'" in text
    assert "not run because of it (previous tables kept, stale): derived/x" in text
    assert "STALE: not rebuilt, raw/a failed" in text
    assert "STALE: its asset failed" in text
    assert "materialized 1: raw/c" in text and text.rstrip().endswith("s")
    assert "result: FAILED" in text
    assert summary.verdict(rep)[0] is False


def test_quarantine_warns_and_fails_only_under_strict():
    """A quarantine notice is a WARN line marked [fails --strict]; strict turns it into FAILED."""
    q = Notice("raw.a", "quarantine", "1 quarantined row; first: a.csv, line 3, column m: "
               "month outside 1-12: '13'; see them: SELECT * FROM raw.quarantine WHERE "
               "table_name = 'raw.a'", 1, strict=True, asset="raw/a")
    loose = report(notices=[q])
    assert summary.verdict(loose) == (True, [])
    text = summary.render(loose)
    assert "WARN  raw.a: 1 quarantined row; first: a.csv, line 3" in text
    assert "[fails --strict]" in text and "result: ok" in text
    strict = report(notices=[q], strict=True)
    ok, reasons = summary.verdict(strict)
    assert not ok and reasons[0].startswith("raw/a: --strict: 1 quarantined row")
    assert "FAILED 1:" in summary.render(strict)


def test_selection_accepts_dotted_slashed_downstream_and_partition_terms():
    """raw.a == raw/a; raw/a+ adds its descendants; raw/events[2018] selects one year."""
    assert selection.resolve(["raw.a"], GRAPH).keys == {"raw/a"}
    assert selection.resolve([" raw/a "], GRAPH).keys == {"raw/a"}
    assert selection.resolve(["raw/a+"], GRAPH).keys == {"raw/a", "derived/x", "models/m"}
    part = selection.resolve(["raw/events[2018]", "raw/events[2019]"], GRAPH)
    assert part.keys == {"raw/events"} and part.partitions == {"raw/events": {"2018", "2019"}}


@pytest.mark.parametrize("term, words", [
    ("raw/events[1700]", "has no partition '1700'"),
    ("raw/a[2018]", "raw/a is not partitioned"),
    ("raw/events[2018", "unknown asset key"),
])
def test_selection_rejects_bad_partitions_and_malformed_terms(term, words):
    """A partition outside the graph, of an unpartitioned asset, or a malformed term fails."""
    with pytest.raises(selection.UnknownAssetError, match=words.replace("[", r"\[")):
        selection.resolve([term], GRAPH)


def test_a_mistyped_key_gets_a_did_you_mean():
    """raw/cow_nmx suggests raw/cow_nmc; a far-off key suggests nothing."""
    graph = selection.AssetGraph(("raw/cow_nmc", "raw/cow_mids", "raw/un_votes"))
    with pytest.raises(selection.UnknownAssetError, match="did you mean raw/cow_nmc"):
        selection.resolve(["raw.cow_nmx"], graph)
    assert selection.suggest("raw/zzzz", list(graph.keys)) == []


def test_the_cached_graph_is_used_only_while_the_code_is_unchanged(tmp_path, monkeypatch):
    """save_graph then cached_graph round-trips; a different code hash makes it None."""
    path = tmp_path / "asset_graph.json"
    selection.save_graph(GRAPH, path)
    assert selection.cached_graph(path) == GRAPH
    monkeypatch.setattr(selection, "project_code_hash", lambda: "changed")
    assert selection.cached_graph(path) is None


def test_bibtex_merge_keeps_each_key_once_and_only_standard_types():
    """A key cited by two sources is printed once; @data becomes @misc."""
    a = "@misc{k1,\n  title = {A}\n}\n@data{k2,\n  title = {B}}"
    b = "@article{k2,\n  title = {B again}\n}"
    seen: set[str] = set()
    first = bibtex.merge([a], seen)
    assert [k for k, _ in first] == ["k1", "k2"] and first[1][1].startswith("@misc{k2,")
    assert bibtex.merge([b], seen) == []


def test_rows_a_parser_merges_by_design_are_labelled_a_collapse_not_lost(tmp_path):
    """raw.weis_codes counts 102,185 event rows into 64 codes: the summary row says the
    'deduplicated' rows are merged repeats (from the registry's collapse note), while a table
    without a collapse note keeps its plain counts."""
    from pipeline.lib.catalog.sources import raw_table
    from pipeline.lib.report import health
    from pipeline.lib.store import warehouse as wh

    collapse = {f"raw.{n}": raw_table(n).collapse for n in ("weis_codes", "weis_events")
                if raw_table(n).collapse}
    assert list(collapse) == ["raw.weis_codes"]
    con = wh.connect(tmp_path / "w.duckdb")
    wh.ensure_schemas(con)
    for name, n in (("weis_codes", 64), ("cow_nmc", 3)):
        con.execute(f"CREATE TABLE raw.{name} AS SELECT range AS i FROM range({n})")
    for table, read, loaded, dedup in (("raw.weis_codes", 108263, 64, 108199),
                                       ("raw.cow_nmc", 4, 3, 1)):
        con.execute("INSERT INTO raw.ingest_log BY NAME SELECT ? AS table_name, 's' AS source, "
                    "'f' AS source_file, 'x' AS sha256, 1 AS bytes, ? AS rows_read, "
                    "? AS loaded, 0 AS quarantined, ? AS deduplicated, now() AS started_at, "
                    "now() AS finished_at, '' AS code_version", [table, read, loaded, dedup])
    rows = {r.name: r for r in health.table_rows(con, collapse)}
    assert "merged repeats, not lost rows" in rows["raw.weis_codes"].note
    assert "108,263 -> 64" in rows["raw.weis_codes"].note
    assert rows["raw.cow_nmc"].note == ""
