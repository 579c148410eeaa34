"""Romano-Wolf adjusted p-values across each declared robustness family (METHODS §7).

Every model with ``robustness_family = "<name>"`` (in any file) contributes its key term. The
fitted models store their bootstrap inputs (:class:`.bootstrap.BootInput`, long form) so the
family can be adjusted after all files are fitted, with one set of multipliers per family
(seeded by ``RW_SEED`` and the family name) shared by every model through the cluster labels.
"""

from __future__ import annotations

import zlib

import polars as pl

from pipeline.lib.regressions.bootstrap import BootInput, romano_wolf
from pipeline.lib.regressions.wild import WILD_SEED

RW_REPS = 9_999
RW_SEED = WILD_SEED
FAMILY_SCHEMA = {"model": pl.Utf8, "term": pl.Utf8, "robustness_family": pl.Utf8,
                 "p_value_boot": pl.Float64, "p_value_rw": pl.Float64}


def family_seed(family: str, seed: int = RW_SEED) -> int:
    """A reproducible seed per family (the documented seed plus a CRC of its name)."""
    return seed + zlib.crc32(family.encode())


def family_pvalues(boot: pl.DataFrame, families: dict[str, str], reps: int = RW_REPS,
                   seed: int = RW_SEED) -> pl.DataFrame:
    """Bootstrap and Romano-Wolf p-values of each family's key terms.

    Parameters
    ----------
    boot
        Stacked :meth:`BootInput.to_frame` rows (model, term, cluster, psi, k_row, c, estimate).
    families
        model -> robustness family; models absent here are ignored.
    """
    rows = []
    for fam in sorted(set(families.values())):
        members = [m for m, f in families.items() if f == fam]
        parts = boot.filter(pl.col("model").is_in(members)).partition_by("model", as_dict=True)
        inputs = {key[0]: BootInput.from_frame(part) for key, part in parts.items()}
        if not inputs:
            continue
        terms = {key[0]: part["term"][0] for key, part in parts.items()}
        res = romano_wolf(inputs, reps, family_seed(fam, seed))
        rows.append(res.with_columns(pl.col("model").replace_strict(terms).alias("term"),
                                     pl.lit(fam).alias("robustness_family")))
    if not rows:
        return pl.DataFrame(schema=FAMILY_SCHEMA)
    return pl.concat(rows).select(list(FAMILY_SCHEMA)).cast(FAMILY_SCHEMA)


def with_family_pvalues(coefs: pl.DataFrame, adjusted: pl.DataFrame) -> pl.DataFrame:
    """Fill ``p_value_rw`` (and ``p_value_boot``) on the key-term rows of ``coefs``."""
    base = coefs.drop([c for c in ("p_value_rw", "p_value_boot") if c in coefs.columns])
    return base.join(adjusted.select("model", "term", "p_value_boot", "p_value_rw"),
                     on=["model", "term"], how="left")
