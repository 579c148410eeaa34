"""The reading contract: typed columns, quarantined rows with line and reason, clear file errors."""

from __future__ import annotations

import gzip
import zipfile

import polars as pl
import pytest

from pipeline.lib.ingest.contract import Col, read_csv_typed
from pipeline.lib.ingest.rawio import InputError
from pipeline.lib.ingest.text import read_table_text

COLS = [Col("ccode", pl.Int32, required=True), Col("year", pl.Int16),
        Col("level", pl.Int8, check=lambda e: e.is_in([0, 1, 2, 3, 9]), reason="not a DR code"),
        Col("code", pl.Utf8, na=("", "NA"))]


def _write(tmp_path, name, text: str | bytes):
    p = tmp_path / name
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return p


def test_values_cast_and_bad_rows_are_quarantined_with_line_and_reason(tmp_path):
    """A bad integer and an out-of-domain code go to quarantine naming line and column."""
    p = _write(tmp_path, "a.csv", "ccode,year,level,code\n2,1990,3,010\nx,1990,1,02\n"
                                  "20,1995,7,03\n40,-9,9,NA\n")
    r = read_csv_typed(p, COLS)
    assert r.rows_read == 4 and r.loaded == 2 and r.quarantine.height == 2
    q = r.quarantine.select("line", "column").rows()
    assert q == [(3, "ccode"), (4, "level")]
    assert "not a DR code" in r.quarantine["reason"][1]
    assert r.frame["code"].to_list() == ["010", None]  # leading zero kept, NA -> NULL
    assert r.frame["year"].to_list() == [1990, None]  # -9 -> NULL


def test_exact_duplicates_are_removed_and_counted(tmp_path):
    """Identical rows load once; the rest count as deduplicated so the counts reconcile."""
    p = _write(tmp_path, "d.csv", "ccode,year,level,code\n2,1990,3,01\n2,1990,3,01\n2,1990,3,01\n")
    r = read_csv_typed(p, COLS)
    assert (r.loaded, r.deduplicated, r.rows_read) == (1, 2, 3)


def test_wrong_field_count_is_quarantined_not_padded(tmp_path):
    """A truncated line and a line with an extra field are quarantined, not silently filled."""
    p = _write(tmp_path, "t.csv", "ccode,year,level,code\n2,1990,3,01\n2,1990\n2,1990,3,01,x\n")
    r = read_csv_typed(p, COLS)
    assert r.loaded == 1
    assert r.quarantine["line"].to_list() == [3, 4]
    assert r.quarantine["reason"].str.contains("expected 4 fields").all()


def test_bare_cr_line_endings_are_read_as_lines(tmp_path):
    """Old-Mac CR line endings (as in COW country codes) are normalised."""
    p = _write(tmp_path, "cr.csv", "ccode,year,level,code\r2,1990,3,01\r20,1991,2,02\r")
    assert read_csv_typed(p, COLS).loaded == 2


def test_non_utf8_line_is_quarantined_with_its_byte_column(tmp_path):
    """Invalid UTF-8 on one line quarantines that line only and names the byte offset."""
    p = _write(tmp_path, "u.csv", b"ccode,year,level,code\n2,1990,3,01\n2,19\xff0,3,01\n")
    r = read_csv_typed(p, COLS)
    assert r.loaded == 1 and r.quarantine["line"].to_list() == [3]
    assert r.quarantine["column"][0] == "byte 5"


def test_quoted_fields_with_delimiters_and_escaped_quotes(tmp_path):
    """Quoted commas and doubled quotes (the UN file's `"0\\""""`) are read as one field."""
    p = _write(tmp_path, "q.csv", 'ccode,year,level,code\n2,1990,3,"a,b"\n2,1991,3,"0\\"""\n')
    r = read_csv_typed(p, COLS)
    assert r.frame["code"].to_list() == ["a,b", '0\\"']


@pytest.mark.parametrize("content, match, line", [
    ("", "file is empty", 1),
    ("ccode;year;level;code\n2;1990;3;01\n", "wrong delimiter", 1),
    ("ccode,yr,level,code\n2,1990,3,01\n", "header lacks column 'year'", 1),
])
def test_unreadable_files_raise_errors_naming_file_and_line(tmp_path, content, match, line):
    """Empty file, wrong delimiter and wrong header raise InputError with file and line."""
    p = _write(tmp_path, "bad.csv", content)
    with pytest.raises(InputError, match=match) as exc:
        read_csv_typed(p, COLS)
    assert exc.value.line == line and "bad.csv" in str(exc.value)


def test_truncated_gzip_raises_a_clear_error(tmp_path):
    """A gzip cut in the middle is reported as corrupt, not read partially."""
    blob = gzip.compress(("ccode,year,level,code\n" + "2,1990,3,01\n" * 5000).encode())
    p = _write(tmp_path, "cut.csv.gz", blob[: len(blob) // 2])
    with pytest.raises(InputError, match="truncated gzip"):
        read_csv_typed(p, COLS)


def test_zip_member_escaping_the_archive_is_refused(tmp_path):
    """A zip whose member path contains ../ is rejected before anything is read."""
    p = tmp_path / "evil.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("../../etc/data.csv", "ccode,year,level,code\n2,1990,3,01\n")
    with pytest.raises(InputError, match="unsafe member path"):
        read_table_text(p, sep=",", expected=["ccode"])


def test_zip_with_one_csv_member_is_read(tmp_path):
    """A publisher zip with one CSV member reads like the CSV itself."""
    p = tmp_path / "ok.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("dir/data.csv", "ccode,year,level,code\n2,1990,3,01\n")
    assert read_csv_typed(p, COLS).loaded == 1
