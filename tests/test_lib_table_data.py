"""Plain data tables (case tables): four formats, escaped LaTeX that compiles, provenance."""

from __future__ import annotations

import os
import shutil
import subprocess

import polars as pl
import pytest

from pipeline.lib.outputs.table_data import cells, write_data_table

PROV = {"code": "0.1.0+gabc123def456", "date": "2026-11-30", "files": {"weis": "fedcba987654"}}
FRAME = pl.DataFrame({"year": [1966, 1967], "share": [0.35714, None], "n": [28, 18],
                      "threat": [True, False], "text": ["J→P & 5%", "|θJ − θP|"]})
HEADS = {"year": "Year", "share": "WEIS defiance share", "n": "WEIS events J→P",
         "threat": "Shared threat (b)", "text": "Note_1"}


def test_cells_format_floats_booleans_and_nulls():
    """Floats to three decimals, True as 'yes', False and NULL blank."""
    assert cells(FRAME) == [["1966", "0.357", "28", "yes", "J→P & 5%"],
                            ["1967", "", "18", "", "|θJ − θP|"]]


def test_every_format_is_written_with_caption_notes_and_provenance(tmp_path):
    """CSV keeps the values; Markdown, HTML and LaTeX carry headings, notes and provenance."""
    paths = write_data_table(FRAME, HEADS, "US–France: WEIS", ["A note."], PROV, tmp_path, "t")
    assert pl.read_csv(paths["csv"])["share"][0] == pytest.approx(0.35714)
    md = paths["md"].read_text()
    assert "| Year | WEIS defiance share |" in md and "*Notes:* A note." in md
    assert "code 0.1.0+gabc123def456" in md and "weis" in paths["html"].read_text()
    tex = paths["tex"].read_text()
    assert r"J$\rightarrow$P \& 5\%" in tex and r"Note\_1" in tex and r"\toprule" in tex


def test_standalone_data_table_compiles(tmp_path):
    """The standalone LaTeX of a data table compiles to a PDF with pdflatex or tectonic."""
    engine = shutil.which("pdflatex") or shutil.which("tectonic")
    if engine is None:
        pytest.skip("neither pdflatex nor tectonic is on PATH; structural LaTeX checks still ran")
    src = write_data_table(FRAME, HEADS, "US–France", ["n."], PROV, tmp_path, "t")["standalone"]
    cmd = ([engine, "-interaction=nonstopmode", "-halt-on-error", src.name]
           if engine.endswith("pdflatex") else [engine, src.name])
    env = {**os.environ, "TEXMFVAR": str(tmp_path / "texmf-var")}
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env=env, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:]
