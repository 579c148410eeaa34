"""The cells of a regression table: one precision per coefficient row (rescaled rows of tiny
coefficients), stars, statistics, SE-type and fixed-effect rows, and column ranges."""

from __future__ import annotations

import math
import re

SUPERSCRIPT = {3: "⁻³", 6: "⁻⁶", 9: "⁻⁹"}


def missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def stars_for(p: float | None, stars: tuple[float, ...]) -> str:
    return "" if missing(p) else "*" * sum(p < t for t in stars)


def row_format(magnitudes: list[float | None]) -> tuple[int, int]:
    """(power, decimals) of a coefficient row from each cell's max(|estimate|, |SE|): scale by
    10^power (a multiple of 3) when the row's largest magnitude is below 0.01; then use the
    decimals that give the largest three significant digits and every cell at least two, so
    a row has one precision and no estimate collapses to zero."""
    finite = [abs(v) for v in magnitudes if not missing(v) and v != 0]
    m = max(finite, default=1.0)
    power = 0
    while m * 10**power < 0.01 and power < 9:
        power += 3

    def decimals(v: float, digits: int) -> int:
        return digits - 1 - math.floor(math.log10(v * 10**power))

    need = max([decimals(m, 3), *(decimals(v, 2) for v in finite)])
    return power, min(max(need, 1), 6)


def fixed(x: float | None, power: int, decimals: int) -> str:
    if missing(x):
        return ""
    s = f"{x * 10**power:.{decimals}f}"
    return s[1:] if re.fullmatch(r"-0\.?0*", s) else s


def stat_cell(value: str | None, kind: str) -> str:
    if value is None or str(value).strip().lower() in {"", "nan", "none", "null"}:
        return ""
    if kind in ("text", "raw"):
        return str(value)
    x = float(value)
    return f"{round(x):,}" if kind == "int" else f"{x:,.{3 if kind == 'r2' else 1}f}"


def se_cell(value: str | None) -> str:
    """The SE-type row's short form; the notes keep the full text."""
    text = (value or "").split(";")[0]
    two = re.match(r"Two-way clustered by (.+) and (.+)", text)
    if two:
        return f"Two-way ({two[1]} × {two[2]})"
    one = re.match(r"Clustered by (\w[\w ]*?)(?: \(k = [\d,]+\))?$", text)
    return f"Clustered ({one[1]})" if one else ("HC1" if "HC1" in text else text)


def fe_list(value: str | None) -> list[str]:
    if not value or value.strip().lower() in {"none", "nan", "no"}:
        return []
    parts = value.split(";") if ";" in value else value.split(",")
    return [p.strip()[:1].upper() + p.strip()[1:] for p in parts if p.strip()]


def column_ranges(idx: list[int]) -> str:
    """Column numbers as ranges: [0, 1, 2, 4] -> "(1)–(3), (5)"."""
    runs: list[list[int]] = []
    for i in idx:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return ", ".join(f"({r[0] + 1})" + (f"–({r[-1] + 1})" if len(r) > 1 else "") for r in runs)
