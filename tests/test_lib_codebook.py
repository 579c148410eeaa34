"""The codebook: one description per derived column drives schemas, comments and the docs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipeline.lib.measures import codebook
from pipeline.lib.measures.codebook import Entry, Table
from pipeline.lib.store.paths import REPO_ROOT
from pipeline.lib.store.validation import validate_frame

TOY = Table("derived.toy", "A toy table.", ("ccode", "year"), (
    Entry("ccode", "COW code", pl.Int32),
    Entry("year", "Year", pl.Int32),
    Entry("si_{m}_{f}", "Gap of {m_label} in the {f_label}", pl.Float64, "share",
          sign="positive = under-recognised",
          vars={"m": {"a": "measure A", "b": "measure B"}, "f": {"global": "global field"}}),
))


def test_templates_expand_to_one_documented_column_per_combination():
    """si_{m}_{f} with two measures and one field gives two columns with rendered texts."""
    cols = TOY.columns()
    assert list(cols) == ["ccode", "year", "si_a_global", "si_b_global"]
    assert cols["si_b_global"]["description"] == "Gap of measure B in the global field"
    assert cols["si_b_global"]["sign"] == "positive = under-recognised"


def test_schema_is_strict_both_ways():
    """An undocumented column and a missing documented column both fail validation."""
    ok = pl.DataFrame({"ccode": [2], "year": [2000], "si_a_global": [0.1], "si_b_global": [0.2]},
                      schema_overrides={"ccode": pl.Int32, "year": pl.Int32})
    assert validate_frame(ok, TOY.schema())["passed"]
    assert not validate_frame(ok.with_columns(pl.lit(1).alias("extra")), TOY.schema())["passed"]
    assert not validate_frame(ok.drop("si_b_global"), TOY.schema())["passed"]


def test_comment_on_sets_table_and_column_comments_with_quotes_escaped():
    """COMMENT ON writes the table description and one line per present column."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA derived")
    con.execute("CREATE TABLE derived.toy (ccode INTEGER, year INTEGER, si_a_global DOUBLE)")
    table = Table("derived.toy", "J's table.", TOY.key, TOY.entries)
    assert codebook.comment(con, table) == 3
    got = dict(con.execute("SELECT column_name, comment FROM duckdb_columns() "
                           "WHERE table_name = 'toy'").fetchall())
    assert got["si_a_global"] == ("Gap of measure A in the global field. unit: share. "
                                  "sign: positive = under-recognised.")
    assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'toy'"
                       ).fetchone()[0] == "J's table."


@pytest.mark.parametrize("name", list(codebook.TABLES))
def test_every_table_documents_every_column_once_and_names_no_sql_keyword(name):
    """No duplicate names, a description for every column, no reserved SQL keyword."""
    reserved = {r[0] for r in duckdb.execute(
        "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'"
    ).fetchall()}
    cols = codebook.TABLES[name].columns()
    assert cols and all(doc["description"] for doc in cols.values())
    assert not set(cols) & reserved


def test_docs_codebook_is_the_generated_one():
    """docs/codebook.md equals what the codebook generates (run `pipeline codebook`)."""
    path = Path(REPO_ROOT) / codebook.DOC_PATH
    assert path.read_text() == codebook.document()
