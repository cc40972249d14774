"""The published champions on a chunk of batch records: prediction and conformal interval
per target, all records at once (the pipelines' compiled transforms, as the service's
predict uses them), and per-feature contributions when asked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import norm

from co2mix.feed.messages import BatchRecord
from co2mix.serving.artifacts import Artifacts
from co2mix.serving.service import array_final, array_transform, explainer_for


class Scorer:
    def __init__(self, art: Artifacts, contributions: bool = False):
        self.features = art.features
        self.targets = list(art.champions)
        self.transforms = {t: array_transform(m.pipeline) for t, m in art.champions.items()}
        self.finals = {t: array_final(m.pipeline) for t, m in art.champions.items()}
        explainers = (
            {t: explainer_for(m.pipeline, lookup=False) for t, m in art.champions.items()}
            if contributions
            else {}
        )
        self.explainers = {t: e for t, e in explainers.items() if e is not None}
        self.half_widths: dict[str, float | None] = {}
        self.residual_sd: dict[str, float | None] = {}
        for target, model in art.champions.items():
            band = model.interval
            ok = band is not None and np.isfinite(band["half_width"])
            width = float(band["half_width"]) if band is not None and ok else None
            self.half_widths[target] = width
            # the interval's half width is z_{(1+level)/2} residual sds (conformal, so
            # read back as the sd a normal residual would need for that coverage)
            level = band["level"] if band is not None else 0.9
            self.residual_sd[target] = width / float(norm.ppf(0.5 + level / 2)) if width else None

    def score(self, records: Sequence[BatchRecord]) -> dict[str, dict[str, Any]]:
        """Per target: ``predicted``, ``low``, ``high`` arrays in ``records``' order (bounds
        None without an interval) and ``contributions`` (a list of dicts) when asked."""
        columns = {f: np.array([getattr(r, f) for r in records]) for f in self.features}
        out: dict[str, dict[str, Any]] = {}
        for target in self.targets:
            prepared = self.transforms[target](columns)
            explainer = self.explainers.get(target)
            shares = None
            if explainer is None:
                predicted = self.finals[target](prepared)
            else:
                shares, constant = explainer(prepared, approximate=True)
                predicted = shares.sum(axis=1) + constant
            width = self.half_widths[target]
            out[target] = {
                "predicted": predicted,
                "low": predicted - width if width is not None else None,
                "high": predicted + width if width is not None else None,
                "contributions": None
                if shares is None or explainer is None
                else [
                    {f: round(float(v), 4) for f, v in zip(explainer.features, row, strict=True)}
                    for row in shares
                ],
            }
        return out
