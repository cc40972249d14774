"""The plant's product catalogue: a dozen recipe families and batch-to-batch dosing noise.

Real plants do not draw mixes from independent uniforms: they produce a few designed
recipes, and every batch deviates from its recipe by the scales' dosing error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from co2mix.physics.truth import DESIGNED_COLUMNS, FINE_AGG, fine_agg_kg

# name, binder kg/m3, slag share, fly ash share, w/b, superplasticizer kg/m3, coarse kg/m3, weight
_FAMILIES = [
    ("C25-CEMI", 300, 0.00, 0.00, 0.60, 0.0, 1050, 0.08),
    ("C30-CEMI", 340, 0.00, 0.00, 0.52, 0.8, 1030, 0.14),
    ("C35-CEMI", 380, 0.00, 0.00, 0.46, 1.5, 1010, 0.14),
    ("C40-CEMI", 420, 0.00, 0.00, 0.42, 2.5, 1000, 0.08),
    ("C50-CEMI", 480, 0.00, 0.00, 0.36, 4.0, 980, 0.04),
    ("C30-S30", 350, 0.30, 0.00, 0.50, 1.0, 1030, 0.10),
    ("C35-S40", 380, 0.40, 0.00, 0.45, 1.8, 1010, 0.08),
    ("C30-S50", 380, 0.50, 0.00, 0.45, 2.0, 1010, 0.06),
    ("C25-S60", 380, 0.60, 0.00, 0.48, 2.0, 1000, 0.04),
    ("C30-F20", 360, 0.00, 0.20, 0.50, 1.2, 1020, 0.10),
    ("C25-F30", 380, 0.00, 0.30, 0.48, 1.5, 1000, 0.06),
    ("C35-S25F15", 400, 0.25, 0.15, 0.43, 2.2, 990, 0.08),
]


def recipe_table() -> pd.DataFrame:
    """The recipe families with their designed masses (kg/m3) and production weight."""
    rows = []
    for name, binder, slag, fly_ash, wb, sp, coarse, weight in _FAMILIES:
        rows.append(
            {
                "recipe": name,
                "cement": binder * (1.0 - slag - fly_ash),
                "slag": binder * slag,
                "fly_ash": binder * fly_ash,
                "water": binder * wb,
                "superplasticizer": sp,
                "coarse_agg": float(coarse),
                "weight": weight,
                "scm_share": slag + fly_ash,
            }
        )
    table = pd.DataFrame(rows)
    table["weight"] /= table["weight"].sum()
    return table


def recipe_weights(table: pd.DataFrame, scm_tilt: float = 0.0) -> np.ndarray:
    """Production weights, optionally tilted towards high-SCM recipes (exp(tilt * share))."""
    weights = table["weight"].to_numpy() * np.exp(scm_tilt * table["scm_share"].to_numpy())
    return weights / weights.sum()


def sample_mixes(
    rng: np.random.Generator, n: int, weights: np.ndarray, dosing_cv: float
) -> pd.DataFrame:
    """Draw ``n`` batches: a recipe per batch, each dosed mass off by ``dosing_cv``.

    Fine aggregate is not dosed independently: it fills the rest of the cubic metre.
    """
    table = recipe_table()
    family = rng.choice(len(table), size=n, p=weights)
    noise = rng.normal(0.0, dosing_cv, size=(n, len(DESIGNED_COLUMNS)))
    designed = table.loc[family, list(DESIGNED_COLUMNS)].to_numpy()
    masses = np.maximum(designed * (1.0 + noise), 0.0)
    mixes = pd.DataFrame(masses, columns=list(DESIGNED_COLUMNS))
    mixes.insert(0, "recipe", pd.Categorical.from_codes(family, categories=table["recipe"]))
    mixes[FINE_AGG] = fine_agg_kg(mixes)
    return mixes
