"""CAMEO code table: helpers, the cp1252 fixture, and the shipped tables."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline.lib.ingest.sources.cameo import (
    CAMEO_CODE_PATTERN,
    CameoCodes,
    parse_cameo_codes,
    phoenix_quad_class,
    quad_class,
    root_code,
)

FIXTURE = Path(__file__).parent / "data" / "cameo" / "cameo_small.csv"
# Goldstein root weights listed in METHODS §5.2.
ROOT_WEIGHTS = {"01": 0, "02": 3, "03": 4, "04": 1, "05": 3.5, "06": 6, "07": 7, "08": 5,
                "09": -2, "10": -5, "11": -2, "12": -4, "13": -6, "14": -6.5, "15": -7.2,
                "16": -4, "17": -7, "18": -9, "19": -10, "20": -10}


@pytest.fixture(scope="module")
def codes(raw):
    """The shipped cameo-codes.csv, parsed once."""
    return parse_cameo_codes(raw / "icews_sample" / "cameo-codes.csv")


def test_code_pattern_accepts_two_to_four_digits_with_a_root_from_01_to_20():
    """Valid: 01, 0211, 20, 138; invalid: 00, 21, 1, 13y, 01234."""
    s = pl.Series(["01", "0211", "20", "138", "00", "21", "1", "13y", "01234"])
    assert s.str.contains(CAMEO_CODE_PATTERN).to_list() == [True] * 4 + [False] * 5


def test_root_and_both_quad_conventions_follow_the_mapping_tables():
    """Roots give ICEWS classes 1-4 and Phoenix 0-4, with 16 verbal conflict in Phoenix."""
    f = pl.DataFrame({"code": ["010", "0211", "057", "163", "145", "20", "13y"]})
    out = f.with_columns(root_code(pl.col("code")).alias("root")).with_columns(
        quad_class(pl.col("root")).alias("q"), phoenix_quad_class(pl.col("root")).alias("p"))
    assert out["root"].to_list() == ["01", "02", "05", "16", "14", "20", None]
    assert out["q"].to_list() == [1, 1, 1, 4, 4, 4, None]
    assert out["p"].to_list() == [0, 0, 1, 3, 4, 4, None]
    assert out["q"].dtype == pl.Int8


def test_fixture_quarantines_bad_code_bad_weight_and_wrong_root_with_physical_lines():
    """`13y`, Goldstein 42 and root 06 for 051 quarantine; a quoted newline shifts lines."""
    r = parse_cameo_codes(FIXTURE)
    assert (r.rows_read, r.loaded, r.quarantine.height) == (8, 5, 3)
    q = dict(zip(r.quarantine["line"], r.quarantine["reason"]))
    assert q == {6: "not a CAMEO code (2-4 digits, root 01-20): '13y'",
                 7: "Goldstein weight outside [-10, 10]: '42'",
                 10: "root_code '06' is not the root of code '051'"}


def test_minus_nine_is_a_goldstein_weight_not_a_missing_value():
    """Code 180 keeps Goldstein -9.0 (the -9 missing code must not apply here)."""
    f = parse_cameo_codes(FIXTURE).frame
    assert f.filter(pl.col("code") == "180")["goldstein"].item() == -9.0


def test_cp1252_text_quoted_commas_and_na_decode_faithfully():
    """Quoted commas stay in the text; NA becomes NULL; leading zeros survive."""
    f = parse_cameo_codes(FIXTURE).frame
    assert f["code"].to_list() == ["01", "010", "0211", "16", "180"]
    assert f.filter(pl.col("code") == "010")["description"].item().startswith(
        "All public statements, verbally")
    assert f.filter(pl.col("code") == "01")["description"].item() is None


def test_shipped_table_has_312_codes_by_digit_count(codes):
    """20 two-digit, 147 three-digit and 145 four-digit codes, none quarantined."""
    assert codes.loaded == 312 and codes.quarantine.height == 0
    assert codes.notes == {"codes_2_digit": 20, "codes_3_digit": 147, "codes_4_digit": 145}
    CameoCodes.validate(codes.frame, lazy=True)


def test_shipped_root_weights_match_methods(codes):
    """Each root's own Goldstein weight equals the METHODS §5.2 list."""
    roots = codes.frame.filter(pl.col("code").str.len_chars() == 2)
    assert dict(zip(roots["code"], roots["goldstein"])) == ROOT_WEIGHTS


def test_goldstein_mappings_agree_with_cameo_codes_on_all_312_codes(raw, codes):
    """The package's goldstein_mappings has the same codes, names and weights."""
    g = parse_cameo_codes(raw / "icews_sample" / "goldstein_mappings.csv.gz").frame
    both = codes.frame.join(g, on="code", how="full", coalesce=False, suffix="_g")
    assert both.height == 312
    assert both.filter(pl.col("code").is_null() | pl.col("code_g").is_null()).height == 0
    assert (both["goldstein"] == both["goldstein_g"]).all()
    assert (both["name"] == both["name_g"]).all()
