"""Cross-column row rules: rows failing a rule on several typed columns go to quarantine,
each under the first rule it fails (the per-column rules are :func:`.contract.coerce`'s)."""

from __future__ import annotations

import polars as pl

from pipeline.lib.store.results import quarantine_rows


def quarantine_rules(frame: pl.DataFrame, rules: list[tuple[str, pl.Expr, pl.Expr]],
                     source_file: str, raw: pl.Expr) -> tuple[pl.DataFrame, list[pl.DataFrame]]:
    """Move rows that fail a cross-column rule to quarantine, each under the first it fails.

    ``rules`` are ``(column, fails, reason)``: ``fails`` is a boolean expression on ``frame``
    (NULL counts as passing), ``reason`` a text expression, ``raw`` the row's text. Returns the
    passing rows and one quarantine frame per rule (WEIS and the rivalries use it).
    """
    quarantines = []
    for column, fails, reason in rules:
        fails = fails.fill_null(False)
        quarantines.append(quarantine_rows(frame.filter(fails), source_file, column, reason,
                                           raw))
        frame = frame.filter(~fails)
    return frame, quarantines
