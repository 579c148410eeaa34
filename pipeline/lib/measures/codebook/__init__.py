"""The codebook of the derived tables: descriptions, units, sources, coverage and signs that
drive the pandera schemas (the tables' blocking checks), the DuckDB ``COMMENT ON`` of every
table and column, and ``docs/codebook.md`` (``pipeline codebook``)."""

from pipeline.lib.measures.codebook.core import Entry, Table, comment, markdown
from pipeline.lib.measures.codebook.dyads import DYAD_YEAR
from pipeline.lib.measures.codebook.events import EVENT_COVERAGE, EVENT_DYAD_MONTH, EVENT_DYAD_YEAR
from pipeline.lib.measures.codebook.panel import ALLIANCE_PANEL, CASE_SERIES
from pipeline.lib.measures.codebook.states import REF_COUNTRIES, STATE_YEAR, UN_AGREEMENT

TABLES: dict[str, Table] = {t.name: t for t in (
    REF_COUNTRIES, STATE_YEAR, UN_AGREEMENT, EVENT_COVERAGE, EVENT_DYAD_YEAR, EVENT_DYAD_MONTH, DYAD_YEAR,
    ALLIANCE_PANEL, CASE_SERIES)}

__all__ = ["DOC_PATH", "TABLES", "Entry", "Table", "comment", "document", "markdown"]

INTRO = """Every column of the derived tables, generated from `pipeline/lib/measures/codebook/` (the same
entries drive the pandera schemas and the DuckDB comments: `SELECT comment FROM
duckdb_columns() WHERE table_name = 'alliance_panel'`). Regenerate with
`uv run pipeline codebook`. Country names: join `ref.countries` on the COW code. METHODS
section numbers refer to `../shared/METHODS.md`."""
DOC_PATH = "docs/codebook.md"


def document() -> str:
    """The text of ``docs/codebook.md``."""
    return markdown(list(TABLES.values()), INTRO)
