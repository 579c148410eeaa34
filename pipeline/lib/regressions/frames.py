"""From a warehouse panel to the estimation frame of one :class:`ModelSpec` (METHODS §7).

Order of operations: undirected dyad id -> lags (within the directed pair, previous calendar
year only) -> sample filter -> derived variables, interaction products and product fixed
effects -> drop rows with a NULL outcome or a non-positive weight -> time since the last event
-> listwise deletion of NULL/NaN in every model variable.
"""

from __future__ import annotations

import polars as pl

from pipeline.lib.regressions.errors import ModelError
from pipeline.lib.regressions.specs import ALLIANCE_TYPES, ModelSpec, fe_column

TIME_COL = "year"
DYAD = "dyad"
# The capability-ratio column the asymmetry threshold k applies to, per panel.
RATIO = {"derived.alliance_panel": "cinc_ratio_p_over_j", "derived.dyad_year": "cinc_ratio_2_over_1"}
OFFSET = "log_exposure"

# Identifiers cannot be bound as parameters; they are checked against this query first.
COLUMNS_SQL = (
    "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?"
)


def _built(spec: ModelSpec) -> set[str]:
    products = {fe_column(fe) for fe in spec.fixed_effects if "^" in fe}
    return ({f"{v}_l1" for v in spec.lags} | set(spec.derive) | set(spec.time_terms) | {DYAD}
            | set(spec.interaction_terms) | products)


def panel_columns(spec: ModelSpec) -> list[str]:
    """Panel (or joined) columns the model reads, excluding those it builds itself."""
    s = spec.sample
    wanted = [
        *spec.keys,
        spec.dependent,
        *spec.regressors,
        *(p for fe in spec.fixed_effects for p in fe.split("^")),
        *spec.cluster,
        *(v for v in [spec.weights, spec.exposure] if v),
        *spec.lags,
        *(d.of for d in spec.derive.values()),
        *s.require,
        *s.min,
    ]
    if s.k is not None:
        wanted.append(RATIO[spec.panel])
    if s.alliance:
        wanted.append(ALLIANCE_TYPES.get(s.alliance, "alliance_level"))
    built = _built(spec)
    out = [c for c in wanted if c not in built or c in spec.lags]
    return list(dict.fromkeys(out))


def load_frame(spec: ModelSpec, con) -> pl.DataFrame:
    """Read the columns a model needs from ``spec.panel`` (plus any ``join``) with DuckDB.

    Raises :class:`ModelError` when a column is neither in the panel nor built by the spec.
    """
    schema, table = spec.panel.split(".")
    have = {r[0] for r in con.execute(COLUMNS_SQL, [schema, table]).fetchall()}
    join = spec.join
    joined: list[str] = list(join.columns) if join else []
    if join:
        j_schema, j_table = join.table.split(".")
        j_have = {r[0] for r in con.execute(COLUMNS_SQL, [j_schema, j_table]).fetchall()}
        missing = [c for c in [*joined, join.right] if c not in j_have]
        if missing:
            raise ModelError(spec.name, f"columns {missing} not in {join.table}")
    need = [c for c in panel_columns(spec) if c not in joined]
    missing = [c for c in need if c not in have]
    if missing:
        raise ModelError(
            spec.name,
            f"columns {missing} not in {spec.panel} and not built by the spec (lags/derive)",
        )
    select = ", ".join(f'p."{c}"' for c in need)
    sql = f"SELECT {select}"
    if join:
        sql += "".join(f', j."{c}"' for c in joined)
        sql += (
            f" FROM {spec.panel} p LEFT JOIN {join.table} j "
            f'ON j."{join.right}" = p."{join.left}" AND j.year = p.year'
        )
    else:
        sql += f" FROM {spec.panel} p"
    params: list[int] = []
    if spec.sample.years and not spec.lags:
        sql += " WHERE p.year BETWEEN ? AND ?"
        params = list(spec.sample.years)
    elif spec.sample.years:  # keep the year before the window so lags exist in its first year
        sql += " WHERE p.year BETWEEN ? AND ?"
        params = [spec.sample.years[0] - 1, spec.sample.years[1]]
    return con.execute(sql, params).pl()


def _dyad(a: str, b: str) -> pl.Expr:
    """Undirected dyad id: min(a, b) * 10_000 + max(a, b)."""
    lo, hi = pl.min_horizontal(a, b).cast(pl.Int64), pl.max_horizontal(a, b).cast(pl.Int64)
    return (lo * 10_000 + hi).alias(DYAD)


def _lag(col: str, a: str, b: str) -> pl.Expr:
    """Value in the previous calendar year of the same directed pair; NULL across gaps."""
    prev_year = pl.col(TIME_COL).shift(1).over([a, b], order_by=TIME_COL)
    return (
        pl.when(prev_year == pl.col(TIME_COL) - 1)
        .then(pl.col(col).shift(1).over([a, b], order_by=TIME_COL))
        .alias(f"{col}_l1")
    )


def _derive(fn: str, of: str) -> pl.Expr:
    x = pl.col(of).cast(pl.Float64)
    return {
        "log": pl.when(x > 0).then(x.log()),
        "log1p": pl.when(x > -1).then(x.log1p()),
        "gt0": (x > 0).cast(pl.Float64),
        # 1 - a 0/1 flag (NULL stays NULL): codes a moderator so that an interaction model's
        # main effect is the effect where the flag holds (e.g. under shared threat).
        "not": pl.when(x.is_not_null()).then((x == 0).cast(pl.Float64)),
    }[fn]


def _sample_filter(spec: ModelSpec) -> pl.Expr:
    s = spec.sample
    cond = pl.lit(True)
    if s.years:
        cond &= pl.col(TIME_COL).is_between(*s.years)
    if s.cases:
        cond &= pl.col(DYAD).is_in([lo * 10_000 + hi for lo, hi in s.cases])
    if s.alliance == "any":
        cond &= pl.col("alliance_level") > 0
    elif s.alliance:
        cond &= pl.col(ALLIANCE_TYPES[s.alliance]) == 1
    for flag in s.require:
        cond &= pl.col(flag).cast(pl.Boolean).fill_null(False)
    if s.k is not None:
        cond &= pl.col(RATIO[spec.panel]) >= s.k
    for col, v in s.min.items():
        cond &= pl.col(col) >= v
    return cond


def _time_since(df: pl.DataFrame, outcome: str, out: str = "t_since") -> pl.DataFrame:
    """Add t, t², t³: years since the dyad's last event (Carter & Signorino 2010).

    A spell starts in the first observed year or the year after an event; t counts years
    since the spell start, so the year after an event (or the first year) has t = 0.
    """
    spell = pl.col(outcome).cum_sum().shift(1, fill_value=0).over(DYAD, order_by=TIME_COL)
    t = (pl.col(TIME_COL) - pl.col(TIME_COL).min().over([DYAD, "_spell"])).cast(pl.Float64)
    return (
        df.with_columns(spell.alias("_spell"))
        .with_columns(t.alias(out), (t**2).alias(f"{out}2"), (t**3).alias(f"{out}3"))
        .drop("_spell")
    )


def model_variables(spec: ModelSpec) -> list[str]:
    cols = [spec.dependent, *spec.regressors, *spec.fe_columns, *spec.cluster]
    if spec.weights:
        cols.append(spec.weights)
    if spec.exposure:
        cols.append(OFFSET)
    return list(dict.fromkeys(cols))


def _products(spec: ModelSpec) -> list[pl.Expr]:
    """Interaction columns ``x:z`` = x·z and product fixed effects ``a^b`` as dense ids."""
    out = [pl.col(a).cast(pl.Float64).mul(pl.col(b).cast(pl.Float64)).alias(f"{a}:{b}")
           for a, b in spec.interactions]
    out += [pl.struct(fe.split("^")).rank("dense").cast(pl.Int64).alias(fe_column(fe))
            for fe in spec.fixed_effects if "^" in fe]
    return out


def prepare(spec: ModelSpec, frame: pl.DataFrame) -> pl.DataFrame:
    """Build the estimation frame: lags, sample, derived terms, time since, listwise deletion.

    Raises :class:`ModelError` if a model variable is missing from ``frame``.
    """
    a, b, _ = spec.keys
    floats = [c for c, t in frame.schema.items() if t.is_float()]
    df = frame.with_columns(pl.col(floats).fill_nan(None), _dyad(a, b))
    if spec.lags:
        df = df.with_columns(_lag(v, a, b) for v in spec.lags)
    absent = [
        c
        for c in model_variables(spec) + list(spec.sample.require)
        if c not in df.columns and c not in _built(spec) and c != OFFSET
    ]
    absent += [
        d.of for d in spec.derive.values() if d.of not in df.columns and d.of not in spec.derive
    ]
    absent += [p for fe in spec.fixed_effects for p in fe.split("^") if p not in df.columns]
    if absent:
        raise ModelError(
            spec.name,
            f"variables {absent} not in the panel and not built by "
            "the spec (a *_l1 variable needs a `lags` entry)",
        )
    df = df.filter(_sample_filter(spec))
    for new, d in spec.derive.items():
        df = df.with_columns(_derive(d.fn, d.of).alias(new))
    if spec.exposure:
        df = df.with_columns(_derive("log", spec.exposure).alias(OFFSET))
    df = df.filter(pl.col(spec.dependent).is_not_null())
    if spec.weights:  # a zero or missing weight (e.g. no roll call) carries no information
        df = df.filter(pl.col(spec.weights) > 0)
    df = df.with_columns(_products(spec))
    if spec.time_since == "cubic":
        df = _time_since(df, spec.dependent)
    return df.drop_nulls(model_variables(spec)).sort([DYAD, a, TIME_COL])
