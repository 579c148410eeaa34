"""The `pipeline` command: run, sources, cite, export and fetch, with clear exit codes."""

from __future__ import annotations

import sys
import types

import pytest

from pipeline import cli


@pytest.fixture
def env(raw, warehouse, monkeypatch):
    """The real raw data, a tmp warehouse and an ephemeral Dagster instance."""
    monkeypatch.setenv("PIPELINE_RAW_DIRS", str(raw))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return warehouse


@pytest.mark.parametrize("command", ["run", "sources", "cite", "export", "fetch"])
def test_help_explains_each_command(command, capsys):
    """`pipeline <command> --help` exits 0 and prints a usage line."""
    with pytest.raises(SystemExit) as exc:
        cli.main([command, "--help"])
    assert exc.value.code == 0
    assert f"pipeline {command}" in capsys.readouterr().out


def test_top_level_help_lists_exit_codes(capsys):
    """`pipeline --help` names every command and the exit codes."""
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert all(c in out for c in ["run", "sources", "fetch", "cite", "export", "Exit codes"])


def test_run_selection_then_rerun_then_force(env, capsys):
    """A selected asset is materialized, is fresh on rerun, and is redone with --force."""
    args = ["run", "--select", "raw/cow_majors", "--no-progress"]
    assert cli.main(args) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "raw.cow_majors" in out and "materialized 1: raw/cow_majors" in out
    assert "checks: 3 passed, 0 did not pass" in out
    assert cli.main(args) == cli.EXIT_OK
    assert "materialized 0: nothing" in capsys.readouterr().out
    assert cli.main([*args, "--force"]) == cli.EXIT_OK
    assert "materialized 1: raw/cow_majors" in capsys.readouterr().out


def test_run_unknown_asset_is_a_usage_error(env, capsys):
    """An unknown --select key exits 2 and says which keys exist."""
    assert cli.main(["run", "--select", "raw/nope", "--no-progress"]) == cli.EXIT_USAGE
    assert "unknown asset keys" in capsys.readouterr().err


def test_sources_lists_found_files_with_sha256(env, capsys):
    """`pipeline sources` reports each required source as found, with its sha256."""
    assert cli.main(["sources"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "[ok] cow_nmc" in out and "sha256=" in out


def test_cite_prints_versions_and_bibtex(env, capsys):
    """`pipeline cite` prints source, version and full sha256 per file, then BibTeX."""
    from pipeline.lib.catalog import all_sources
    from pipeline.lib.provenance import sha256_file

    assert cli.main(["cite"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    nmc = next(s for s in all_sources() if s.name == "cow_nmc")
    path = nmc.find()[0]
    assert "% cow_nmc" in out and nmc.version in out
    assert sha256_file(path) in out
    assert "@" in out and "% Versions" in out


def test_cite_versions_only_has_no_bibtex(env, capsys):
    """`pipeline cite --versions` prints the version table and no BibTeX."""
    assert cli.main(["cite", "--versions"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "sha256" in out and "@" not in out


def test_export_without_exporter_says_nothing_to_export(env, monkeypatch, capsys):
    """Without pipeline.lib.exports.export_all, `pipeline export` exits 2 with a message."""
    monkeypatch.setitem(sys.modules, "pipeline.lib.exports", types.ModuleType("exports"))
    assert cli.main(["export"]) == cli.EXIT_USAGE
    assert "nothing to export yet" in capsys.readouterr().err


def test_export_calls_export_all_with_the_warehouse(env, tmp_path, monkeypatch, capsys):
    """`pipeline export --out DIR` calls export_all(con, DIR) and lists what it wrote."""
    from pipeline.lib import warehouse as wh

    wh.connect(env).close()
    calls = []

    def export_all(con, out_dir):
        calls.append(con.execute("SELECT 1").fetchone()[0])
        return [out_dir / "table1.tex"]

    fake = types.ModuleType("exports")
    fake.export_all = export_all
    monkeypatch.setitem(sys.modules, "pipeline.lib.exports", fake)
    assert cli.main(["export", "--out", str(tmp_path / "x")]) == cli.EXIT_OK
    assert calls == [1]
    assert "table1.tex" in capsys.readouterr().out


def test_fetch_dry_run_of_unknown_source_is_a_usage_error(env, capsys):
    """`pipeline fetch --source nope` exits 2 and lists the known sources."""
    assert cli.main(["fetch", "--dry-run", "--source", "nope"]) == cli.EXIT_USAGE
    assert "known:" in capsys.readouterr().err
