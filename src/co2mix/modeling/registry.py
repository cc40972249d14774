"""The registry's mechanism: a name maps to a factory and the typed options it takes.

The catalogue of models is :mod:`co2mix.modeling.models`; this module is what every
entry is built from. Every model is a scikit-learn Pipeline whose first step one-hot
encodes the categorical features (and scales, where the model needs it), so evaluation
and explanations treat all models alike. A model's options (``train.<model>`` in
params.yaml) are validated once into its own :class:`Options` subclass, and that typed
object is what the factory receives (``FitSpec[LinearOptions]``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.metrics import root_mean_squared_error
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from co2mix.core.errors import InputError, ParamsError
from co2mix.core.params import RowStructure
from co2mix.core.params_file import params_error
from co2mix.core.schemas import FitInfo
from co2mix.modeling.folds import Fold, describe_folds, validation_folds


class Options(BaseModel):
    """A model's params block (``train.<model>``): strict, no unknown keys."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


OptionsT = TypeVar("OptionsT", bound=Options)
OptionsT_co = TypeVar("OptionsT_co", bound=Options, covariant=True)


@dataclass(frozen=True)
class FitSpec(Generic[OptionsT_co]):
    """What every factory gets besides the data: a ``FitSpec[LinearOptions]`` is a
    ``FitSpec[Options]`` too (read-only, so covariant), for helpers any model can use."""

    features: list[str]
    categorical: list[str]
    seed: int
    validation_fraction: float
    options: OptionsT_co
    ordinal: Mapping[str, list[str]] = field(default_factory=dict)  # categorical with an order
    target_transform: str | None = None  # "log": fit on log(y), predict on y's scale
    progress: bool = True  # a search's progress bar (off while fits run side by side)
    # how the rows hang together: every validation split follows it (co2mix.modeling.folds)
    structure: RowStructure = field(default_factory=lambda: RowStructure("random"))
    cv_folds: int = 1  # train.cv_folds: the folds a search scores each trial on
    labels: pd.Series | None = None  # the training rows' group or time (bound by with_rows)

    def with_rows(self, frame: pd.DataFrame) -> FitSpec[OptionsT_co]:
        """This spec knowing the group or time of ``frame``'s rows (by its index)."""
        column = self.structure.column
        if self.structure.kind == "random" or column is None:
            return self
        if not frame.index.is_unique:
            raise ValueError("training rows need a unique index to be split by group or time")
        return replace(self, labels=frame[column])

    def validation_name(self, count: int = 1) -> str:
        """How validation splits these rows, for the metrics: "5 folds grouped by mix"."""
        return describe_folds(self.structure, count, self.validation_fraction)

    def folds(self, x: pd.DataFrame, count: int = 1) -> list[Fold]:
        """``count`` (fitting, validation) splits of ``x``'s rows by position: one holding
        out ``validation_fraction`` when 1 (:func:`co2mix.modeling.folds.validation_folds`)."""
        return validation_folds(
            self.structure, self.labels, x.index, count, self.validation_fraction, self.seed
        )


@dataclass
class Fitted:
    pipeline: Pipeline
    info: FitInfo


Factory = Callable[[FitSpec[OptionsT], pd.DataFrame, pd.Series], Fitted]


@dataclass(frozen=True)
class Entry(Generic[OptionsT]):
    factory: Factory[OptionsT]
    options: type[OptionsT]

    def validate(self, block: Mapping[str, object], key: str) -> OptionsT:
        """The block as this entry's typed options; errors name ``key`` (``train.xgboost``)."""
        try:
            return self.options.model_validate(dict(block))
        except ValidationError as exc:
            raise params_error(exc, "params.yaml", prefix=key) from None


REGISTRY: dict[str, Entry[Any]] = {}


def register(
    name: str, options: type[OptionsT]
) -> Callable[[Factory[OptionsT]], Factory[OptionsT]]:
    """Decorator: make ``factory`` available as ``name`` in ``train.models``."""

    def add(factory: Factory[OptionsT]) -> Factory[OptionsT]:
        REGISTRY[name] = Entry(factory, options)
        return factory

    return add


def entry(name: str) -> Entry[Any]:
    if name not in REGISTRY:
        raise ParamsError(
            f"params.yaml: train.models: unknown model {name!r}; registered: {sorted(REGISTRY)}"
        )
    return REGISTRY[name]


def refuse_unknown(encoder: OneHotEncoder | OrdinalEncoder, x: Any) -> None:
    """Raise naming the column, the value and the known levels when ``x`` has a category
    the encoder never saw (scikit-learn's own message names only a column number)."""
    names = list(getattr(encoder, "feature_names_in_", range(len(encoder.categories_))))
    frame = x if isinstance(x, pd.DataFrame) else pd.DataFrame(np.asarray(x, dtype=object))
    for i, (name, levels) in enumerate(zip(names, encoder.categories_, strict=True)):
        refuse_unknown_values(name, frame.iloc[:, i], levels)


def refuse_unknown_values(name: Any, values: Any, levels: Any) -> None:
    """Raise naming ``name``, the first of ``values`` not in ``levels`` and the levels:
    the one check behind the encoders and the optimizer's compiled one-hot."""
    values = np.asarray(values, dtype=object)
    unknown = ~np.isin(values, np.asarray(levels, dtype=object))
    if unknown.any():
        raise ValueError(
            f"column {name!r}: unknown category {values[unknown][0]!r}; the model "
            f"knows {list(levels)}"
        )


def unseen_levels(pipeline: Pipeline, frame: pd.DataFrame) -> tuple[np.ndarray, str]:
    """Which rows of ``frame`` the pipeline can score (every categorical value is a level
    its encoders learnt), and a reason naming the levels of the others ("" when none):
    a new supplier's batches are counted and named, not a traceback."""
    scorable = np.ones(len(frame), dtype=bool)
    reasons = []
    prep = pipeline.steps[0][1]
    for _, encoder, columns in getattr(prep, "transformers_", []):
        if not isinstance(encoder, OneHotEncoder | OrdinalEncoder):
            continue
        for column, levels in zip(columns, encoder.categories_, strict=True):
            values = frame[column].astype(object)
            unknown = ~values.isin(list(levels)).to_numpy()
            if unknown.any():
                counts = values[unknown].value_counts().sort_index()
                named = ", ".join(f"{level!r} ({n} rows)" for level, n in counts.items())
                reasons.append(f"{column}: {named} never seen in training")
                scorable &= ~unknown
    return scorable, "; ".join(reasons)


class KnownCategories(OneHotEncoder):
    """One-hot encoding that refuses a category it never saw, naming column and value."""

    def transform(self, X: Any) -> Any:
        refuse_unknown(self, X)
        return super().transform(X)


class KnownLevels(OrdinalEncoder):
    """Ordinal codes that refuse a level outside the declared order, naming it."""

    def transform(self, X: Any) -> Any:
        refuse_unknown(self, X)
        return super().transform(X)


def preprocessor(
    spec: FitSpec[Options], scale: bool, drop_first: bool = True, ordinal_codes: bool = False
) -> ColumnTransformer:
    """One-hot categorical features (dropping one level for linear models); scale numbers.

    Ordinal features (``data.ordinal``) are one-hot over their declared levels, or with
    ``ordinal_codes`` (trees) one column of codes in their order, which a split can cut
    between "VS1 and better" and the rest. A category the model never saw (or a level
    outside the declared order) is refused at predict time naming the column and the
    value, never guessed.
    """
    numeric = [c for c in spec.features if c not in spec.categorical]
    nominal = [c for c in spec.features if c in spec.categorical and c not in spec.ordinal]
    ordered = [c for c in spec.features if c in spec.ordinal]
    levels = [list(spec.ordinal[c]) for c in ordered]
    drop = "first" if drop_first else None
    encoder = KnownCategories(drop=drop, sparse_output=False)
    ordinal_encoder: OneHotEncoder | OrdinalEncoder = (
        KnownLevels(categories=levels, dtype=float)
        if ordinal_codes
        else KnownCategories(categories=levels, drop=drop, sparse_output=False)
    )
    return ColumnTransformer(
        [("numeric", StandardScaler() if scale else "passthrough", numeric)]
        + ([("categorical", encoder, nominal)] if nominal else [])
        + ([("ordinal", ordinal_encoder, ordered)] if ordered else []),
        verbose_feature_names_out=False,
    )


LOG_TARGET_MARGIN = 0.5  # BoundedLogTarget: the widening, a share of the log range


class BoundedLogTarget(TransformedTargetRegressor):
    """A regressor fitted on log(y) whose predictions are held, before ``exp``, within the
    training rows' log range widened by ``margin`` of its width on each side.

    Why: ``exp`` turns any extrapolation into an explosion. On the full diamonds file
    poly2 predicted a log price of ~1000 for a few stones with 30-60 mm dimensions (an
    overflow to infinity), and the linear model $11.5 million of MAE. Held within the
    widened range, the worst a model can say is ``exp(high + margin x width)`` (for
    diamonds' $326-$18,823: about $143,000), and a bad model shows up as a bad score,
    not as infinity."""

    def __init__(self, regressor: Any = None, margin: float = LOG_TARGET_MARGIN) -> None:
        super().__init__(regressor=regressor, func=np.log, inverse_func=np.exp, check_inverse=False)
        self.margin = margin

    def fit(self, X: Any, y: Any, **fit_params: Any) -> BoundedLogTarget:
        logged = np.log(np.asarray(y, dtype=float))
        low, high = float(logged.min()), float(logged.max())
        pad = self.margin * (high - low)
        self.log_bounds_ = (low - pad, high + pad)
        super().fit(X, y, **fit_params)
        return self

    def predict(self, X: Any, **predict_params: Any) -> np.ndarray:
        logged = np.asarray(self.regressor_.predict(X, **predict_params), dtype=float)
        return np.exp(np.clip(logged.ravel(), *self.log_bounds_))


def on_target_scale(spec: FitSpec[Options], model: Any) -> Any:
    """``model`` fitted on the transformed target (``target_transform: log``), predicting on
    the original scale: errors, champions and explanations are in the target's own units."""
    if spec.target_transform != "log":
        return model
    return BoundedLogTarget(regressor=model)


def validation_split(
    spec: FitSpec[Options], x: pd.DataFrame, y: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """The fitting and validation rows of the single split (grouped or ordered in time as
    the dataset's rows are; for random rows exactly ``train_test_split``'s)."""
    [(fit, val)] = spec.folds(x)
    return x.iloc[fit], x.iloc[val], y.iloc[fit], y.iloc[val]


def fit_with_validation(
    spec: FitSpec[Options],
    pipeline: Pipeline,
    x: pd.DataFrame,
    y: pd.Series,
    before_refit: Callable[[Pipeline], None] | None = None,
    before_fit: Callable[[Pipeline, pd.DataFrame], None] | None = None,
) -> Fitted:
    """Score on a held-out validation split, then refit on all training rows;
    ``before_fit`` sets up each fit for the rows it is about to see (poly2's penalty
    folds), ``before_refit`` may carry what the first fit learnt into the refit (a kernel)."""
    x_fit, x_val, y_fit, y_val = validation_split(spec, x, y)
    if before_fit is not None:
        before_fit(pipeline, x_fit)
    pipeline.fit(x_fit, y_fit)
    predicted = pipeline.predict(x_val)
    finite = np.isfinite(predicted)
    if before_refit is not None:
        before_refit(pipeline)
    if before_fit is not None:
        before_fit(pipeline, x)
    pipeline.fit(x, y)
    if not finite.all():  # kept and reported: evaluate then keeps it from being published
        failed = (
            f"predictions on {int((~finite).sum())} of {len(finite)} validation rows are not finite"
        )
        return Fitted(pipeline, {"validation_rmse": None, "failed": failed})
    score = root_mean_squared_error(y_val, predicted)
    info: FitInfo = {"validation_rmse": round(float(score), 6)}
    if spec.structure.kind != "random":
        info["validation"] = spec.validation_name()
    return Fitted(pipeline, info)


def final_estimator(pipeline: Pipeline) -> Any:
    """The pipeline's fitted model, inside its target transform if it has one."""
    model = pipeline.steps[-1][1]
    return model.regressor_ if isinstance(model, TransformedTargetRegressor) else model


ROWS_PER_FEATURE = 2  # fewer rows than this per feature (and MIN_ROWS) cannot be learnt
MIN_ROWS = 20  # honestly from, with a validation split taken out of them


def refuse_too_few_rows(
    rows: int, spec: FitSpec[Options], target: str, model: str, source: str
) -> None:
    """Fewer rows with a target value than a model with these features learns from
    (both engines)."""
    needed = max(MIN_ROWS, ROWS_PER_FEATURE * (len(spec.features) + 1))
    if rows < needed:
        raise InputError(
            f"{source}: {rows} rows with a {target} value; {model} needs at least {needed} "
            f"to learn {len(spec.features)} features and hold out a validation split"
        )
