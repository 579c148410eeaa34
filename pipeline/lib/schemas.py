"""pandera schemas of the derived tables, generated from the codebook (the raw ones live beside
their parsers). Strict: a column the codebook does not describe, or a described column that is
missing, fails the table's blocking check."""

from __future__ import annotations

from pipeline.lib.codebook import TABLES

STATE_YEAR = TABLES["derived.state_year"].schema()
UN_AGREEMENT = TABLES["derived.un_agreement"].schema()
EVENT_COVERAGE = TABLES["derived.event_coverage"].schema()
EVENT_DYAD_YEAR = TABLES["derived.event_dyad_year"].schema()
EVENT_DYAD_MONTH = TABLES["derived.event_dyad_month"].schema()
DYAD_YEAR = TABLES["derived.dyad_year"].schema()
ALLIANCE_PANEL = TABLES["derived.alliance_panel"].schema()
CASE_SERIES = TABLES["derived.case_series"].schema()
