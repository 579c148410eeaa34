"""Panels out: a derived table, filtered, to Parquet, CSV, Stata and R, read back and compared."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyreadr
import pytest

from pipeline import cli
from pipeline.lib.measures.codebook import TABLES
from pipeline.lib.outputs import panel_export as pe


@pytest.fixture(scope="module")
def con(built_warehouse):
    """Read-only connection to the session's warehouse built from the real data."""
    _, path = built_warehouse
    connection = duckdb.connect(str(path), read_only=True)
    yield connection
    connection.close()


def test_filters_keep_the_years_codes_and_chosen_columns_with_the_key(con):
    """ROK rows of 2000-2005 with two columns (the key added first)."""
    got = pe.read_panel(con, "derived.alliance_panel", years=(2000, 2005), ccodes=[732],
                        columns=["un_oppose_rel", "si_pct_de_indegree_global_l1"])
    assert got.columns == ["junior", "senior", "year", "un_oppose_rel",
                           "si_pct_de_indegree_global_l1"]
    assert got["year"].min() >= 2000 and got["year"].max() <= 2005
    assert ((got["junior"] == 732) | (got["senior"] == 732)).all() and got.height > 0
    with pytest.raises(ValueError, match="no column 'nope'"):
        pe.read_panel(con, "derived.alliance_panel", columns=["nope"])
    with pytest.raises(ValueError, match="unknown table"):
        pe.read_panel(con, "derived.nothing")


def test_every_format_reads_back_with_the_same_values_and_stata_labels(con, tmp_path):
    """Parquet, CSV, .dta (pandas read_stata, labels from the codebook) and .rds (pyreadr)
    hold the same values; long names are shortened for Stata and mapped in columns.csv."""
    frame = pe.read_panel(con, "derived.alliance_panel", years=(1990, 2000), ccodes=[732])
    paths = pe.write_panel(frame, "derived.alliance_panel", tmp_path / "rok")
    key = "un_oppose_rel"
    want = frame[key].to_numpy().astype(float)
    assert np.allclose(pl.read_parquet(paths["parquet"])[key].to_numpy().astype(float), want,
                       equal_nan=True)
    assert np.allclose(pl.read_csv(paths["csv"])[key].to_numpy().astype(float), want,
                       equal_nan=True)
    names = pe.stata_names(frame.columns)
    dta = pd.read_stata(paths["dta"])
    assert np.allclose(dta[names[key]].to_numpy(dtype=float), want, equal_nan=True)
    labels = pd.io.stata.StataReader(paths["dta"]).variable_labels()
    assert labels[names[key]] == TABLES["derived.alliance_panel"].columns()[key][
        "description"][:80]
    rds = pyreadr.read_r(str(paths["rds"]))[None]
    assert np.allclose(rds[key].to_numpy(dtype=float), want, equal_nan=True)
    assert rds["principal_patron"].isin([0, 1]).all()  # booleans as 0/1
    mapping = pl.read_csv(paths["columns"])
    assert mapping.height == frame.width and (mapping["stata_name"].str.len_chars() <= 32).all()


def test_stata_names_are_short_unique_and_deterministic():
    """Names over 32 characters are cut, and a clash gets a numbered suffix."""
    cols = ["a" * 40, "a" * 35, "ok_name", "bad-char"]
    got = pe.stata_names(cols)
    assert got == {"a" * 40: "a" * 32, "a" * 35: "a" * 30 + "_1", "ok_name": "ok_name",
                   "bad-char": "bad_char"}


def test_export_panel_command_writes_the_files(built_warehouse, tmp_path, monkeypatch, capsys):
    """`pipeline export-panel state_year --years 2000 2001 --ccodes 2 --out ...` writes all."""
    _, path = built_warehouse
    monkeypatch.setenv("PIPELINE_WAREHOUSE", str(path))
    out = tmp_path / "usa"
    rc = cli.main(["export-panel", "state_year", "--years", "2000", "2001", "--ccodes", "2",
                   "--out", str(out)])
    assert rc == cli.EXIT_OK and "2 rows" in capsys.readouterr().out
    assert pd.read_stata(out.with_suffix(".dta"))["ccode"].tolist() == [2, 2]
    assert cli.main(["export-panel", "nothing", "--out", str(out)]) == cli.EXIT_USAGE
