"""The `pipeline` command: run, sources, cite, export and fetch, with clear exit codes."""

from __future__ import annotations

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
    err = capsys.readouterr().err
    assert "unknown asset key 'raw/nope'" in err and "raw/cow_nmc" in err


def test_sources_lists_found_files_with_sha256(env, capsys):
    """`pipeline sources` reports each required source as found, with its sha256."""
    assert cli.main(["sources"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "[ok] cow_nmc" in out and "sha256=" in out


def test_cite_prints_versions_and_bibtex(env, capsys):
    """`pipeline cite` prints source, version and full sha256 per file, then BibTeX."""
    from pipeline.lib.catalog.sources import all_sources
    from pipeline.lib.store.provenance import sha256_file

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


def test_export_without_a_warehouse_is_a_usage_error(env, capsys):
    """`pipeline export` before any run exits 2 and says to run the pipeline first."""
    assert cli.main(["export"]) == cli.EXIT_USAGE
    assert "run `pipeline run` first" in capsys.readouterr().err


def test_export_rewrites_tables_and_figures_from_the_warehouse(built_warehouse, tmp_path,
                                                              monkeypatch, capsys):
    """`pipeline export --out DIR` writes every table format and figure from a built warehouse."""
    _, path = built_warehouse
    monkeypatch.setenv("PIPELINE_WAREHOUSE", str(path))
    out = tmp_path / "x"
    assert cli.main(["export", "--out", str(out)]) == cli.EXIT_OK
    assert "exported to" in capsys.readouterr().out
    for name in ("tables/primary.tex", "tables/primary.md", "tables/robustness.md",
                 "figures/case_us_rok.pdf", "PROVENANCE.json"):
        assert (out / name).stat().st_size > 0, name


def test_fetch_dry_run_of_unknown_source_is_a_usage_error(env, capsys):
    """`pipeline fetch --source nope` exits 2 and lists the known sources."""
    assert cli.main(["fetch", "--dry-run", "--source", "nope"]) == cli.EXIT_USAGE
    assert "known:" in capsys.readouterr().err


def test_cite_all_is_bibtex_that_a_parser_accepts_with_unique_keys(env, capsys):
    """`pipeline cite --all > refs.bib` parses (pybtex rejects a key defined twice), with
    standard entry types only; boschee2015icews, cited by two sources, is defined once."""
    from pybtex.database import parse_string

    from pipeline.lib.outputs.bibtex import STANDARD_TYPES

    assert cli.main(["cite", "--all"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    entries = parse_string(out, "bibtex").entries
    assert len(entries) >= 20 and out.count("{boschee2015icews,") == 1
    assert {e.type for e in entries.values()} <= STANDARD_TYPES
    assert "% also cites boschee2015icews (entry printed above)" in out


def test_export_help_names_the_directory_it_writes(capsys, monkeypatch):
    """`pipeline export --help` names $PIPELINE_DERIVED, the directory export really uses."""
    with pytest.raises(SystemExit):
        cli.main(["export", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "default: $PIPELINE_DERIVED, i.e. data/derived" in out and "exports" not in out
