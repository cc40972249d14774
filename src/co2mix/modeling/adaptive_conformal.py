"""Adaptive conformal inference (Gibbs and Candes, 2021): the level each interval of the
daily backtest is built at, moved by how often the earlier intervals missed.

Split conformal (the residuals of every earlier origin, one fixed quantile) covers as
promised when the residuals to come are like the ones before. A plant's heating energy
is not: its errors grow as the season turns, and the summer's residuals, most of the
expanding window in autumn, make November's intervals too narrow (measured on the
committed backtest: 66.7 % of heating energy's days inside the 80 % interval). Adaptive
conformal keeps, per level, a miss rate ``alpha_t`` to aim at: after an origin's days
are known, ``alpha_t += step x (alpha - the share of its working days missed)``, so a
week of misses widens the next origin's interval and a week of hits narrows it. It is
the update of MAPIE's ``TimeSeriesRegressor.adapt_conformal_inference`` (clipped to
[0, 1] alike), taken once per origin with the origin's miss rate, because the plant
learns a week's outcome only after the week; ``step`` 0 is plain split conformal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


def level_key(level: float) -> str:
    """A level's name in columns and records: 0.8 -> '80'."""
    return f"{round(level * 100)}"


@dataclass
class AdaptiveLevels:
    """Per nominal level, the miss rate the next interval aims at."""

    step: float  # gamma: how far one origin's excess misses move the level
    alphas: dict[float, float] = field(default_factory=dict)  # nominal level -> alpha_t

    @classmethod
    def start(cls, levels: list[float], step: float) -> AdaptiveLevels:
        return cls(step, {level: 1.0 - level for level in levels})

    def used(self, residual_count: int) -> list[float]:
        """The level each nominal level's interval is built at now. An ``alpha_t`` below
        what ``residual_count`` residuals resolve (2 / (n + 1)) asks for an infinite
        interval; it gets the widest finite one, the residuals' whole range (at
        2.5 / (n + 1) the conformal ranks are 1 and n, clear of rounding)."""
        widest = 2.5 / (residual_count + 1)
        return [1.0 - min(max(alpha, widest), 1.0) for alpha in self.alphas.values()]

    def learn(self, known: pd.DataFrame) -> None:
        """Move every level by the misses of ``known``: one origin's working days with
        their bounds (``lo80``, ``hi80``, ...) and what actually came."""
        if known.empty:
            return
        for level, alpha in self.alphas.items():
            key = level_key(level)
            inside = (known["actual"] >= known[f"lo{key}"]) & (known["actual"] <= known[f"hi{key}"])
            missed = 1.0 - float(inside.mean())
            nominal = 1.0 - level
            self.alphas[level] = float(np.clip(alpha + self.step * (nominal - missed), 0.0, 1.0))

    def record(self) -> dict[str, float]:
        """The levels aimed at now (1 - alpha_t), by nominal level's name."""
        return {level_key(level): round(1.0 - alpha, 6) for level, alpha in self.alphas.items()}
