"""The schemas of the records stages hand each other: truth.json and every metrics file.

``TypedDict`` s, so producers are checked by mypy and the JSON stays plain dicts with sorted
keys; :mod:`co2mix.core.records` validates every file against its schema when it is
written and when it is read.
"""

from __future__ import annotations

from typing import Literal, NotRequired

# pydantic validates TypedDicts only from typing_extensions on Python < 3.12
from typing_extensions import TypedDict

BatchName = Literal["reference", "current"]  # the two batches a dataset arrives in

# ------------------------------------------------------------------ truth.json


class FaultCells(TypedDict):
    column: str
    batch_ids: list[int]


class TamperedRun(TypedDict):
    column: str
    value: float
    hours: float
    start_batch_id: int
    batch_ids: list[int]


class DuplicateRows(TypedDict):
    batch_ids: list[int]


class FaultRecord(TypedDict):
    null: list[FaultCells]
    spike: list[FaultCells]
    tampered: list[TamperedRun]
    duplicate: DuplicateRows


class StuckSensor(TypedDict):
    kind: str
    column: str
    value: float
    start_batch_id: int
    batch_ids: list[int]


class ColumnChange(TypedDict):
    changed_rows: int
    mean_shift: NotRequired[float]
    mean_shift_sd: NotRequired[float | None]


class DriftDrivers(TypedDict):
    ambient_offset_c: float
    scm_tilt: float
    main_supplier_weakening: float
    new_supplier_share: NotRequired[float]  # new_supplier: share of a never-seen supplier


class DriftRecord(TypedDict):
    scenario: str
    magnitude: float
    drivers: DriftDrivers
    drifted_features: list[str]
    drifted_labels: list[str]
    columns: dict[str, ColumnChange]
    stuck_sensor: StuckSensor | None


class BatchTruth(TypedDict):
    faults: FaultRecord
    drift: DriftRecord | None


class TruthRecord(TypedDict):
    """What the simulator injected and drifted: the ground truth the checks are scored on."""

    seed: int
    targets: list[str]
    noise_sigma: dict[str, float]
    reference: BatchTruth
    current: BatchTruth


# ------------------------------------------------------------------ generate, check, prepare


class FaultCounts(TypedDict):
    null_cells: int
    spike_cells: int
    tampered_runs: int
    tampered_cells: int
    duplicate_rows: int


class BatchSummary(TypedDict):
    rows: int
    faults: FaultCounts
    mean_co2_kg_m3: float
    mean_strength_mpa: float


class GenerateMetrics(TypedDict):
    reference: BatchSummary
    current: BatchSummary
    scenario: str
    drifted_features: list[str]
    drifted_labels: list[str]


class IngestMetrics(TypedDict):
    """metrics/ingest.json: what a CSV source became (its rows per step and the split)."""

    file: str
    rows_read: int
    rows_removed_by_filter: dict[str, int]  # filter expression -> rows it removed
    rows: dict[str, int]  # reference (training side), current (test side)
    split: str
    groups: NotRequired[dict[str, int]]  # split: group: groups on each side
    numeric: list[str]
    categorical: dict[str, list[str]]  # column -> its levels (ordinal: in order)
    target_means: dict[str, float]


class DetectionScore(TypedDict):
    injected: int
    flagged: int
    true_positives: int
    precision: float | None
    recall: float | None


class DriftFound(TypedDict):
    drifted: list[str]
    found: list[str]
    missed: list[str]
    false_alarms: list[str]


class DriftScore(TypedDict):
    score: float
    method: str
    threshold: float
    drifted: bool


class MultivariateScore(TypedDict):
    score: float
    auc: float
    threshold: float
    drifted: bool


class Condition(TypedDict):
    group: str
    check: str
    condition: str
    passed: bool
    details: str


class CheckRows(TypedDict):
    reference: int
    current: int
    reference_checked: int
    current_checked: int


class CheckTruth(TypedDict):
    scenario: str | None
    features: DriftFound
    labels: DriftFound
    faults: dict[str, DetectionScore]


class OutlierRow(TypedDict):
    id: int
    score: float  # the isolation forest's: lower is stranger


class OutlierSummary(TypedDict):
    """Implausible rows by co2mix.data.outliers' rule, as check found them."""

    rule: str
    threshold: float
    reference_rows: int
    current_rows: int
    worst: list[OutlierRow]  # the current batch's strangest implausible rows


class CheckMetrics(TypedDict):
    drift_detected: bool
    integrity_ok: bool
    drifted_features: list[str]
    drifted_labels: list[str]
    feature_drift: dict[str, DriftScore]
    label_drift: dict[str, DriftScore]
    multivariate_drift: MultivariateScore
    integrity: dict[str, dict[str, float]]
    conditions: list[Condition]
    failed_conditions: list[str]  # "<check>: <condition>"
    rows: CheckRows
    new_levels: NotRequired[dict[str, dict[str, int]]]  # column -> level -> current rows
    outliers: NotRequired[OutlierSummary]
    truth: NotRequired[CheckTruth]


class FlaggedCells(TypedDict):
    stuck: int
    spike: int


class RowSets(TypedDict):
    train: int
    test: int
    fresh: int  # current-batch rows no model trained on: the fresh-data evaluation


class BatchCleaning(TypedDict):
    rows_in: int
    duplicates_dropped: int
    flagged_cells: FlaggedCells
    null_cells_in: int
    detection: NotRequired[dict[str, DetectionScore]]
    rows_dropped_without_fault: NotRequired[int]


class PrepareMetrics(TypedDict):
    use: str
    split: str
    batches: dict[str, BatchCleaning]
    imputed_cells: RowSets
    rows_out: RowSets
    fresh: str  # where the fresh rows come from
    outliers_dropped: NotRequired[dict[str, int]]  # by batch, prepare.outliers: drop


# ------------------------------------------------------------------ train, evaluate


class FitInfo(TypedDict):
    """What fitting a model reports: its validation score and, for a search, its result."""

    validation_rmse: float | None  # None when the model failed
    validation: NotRequired[str]  # how it was validated, when not one random split
    failed: NotRequired[str]  # why: e.g. validation predictions that are not finite
    train_rmse: NotRequired[float]
    best_params: NotRequired[dict[str, float | int]]
    trials: NotRequired[int]  # completed
    trials_pruned: NotRequired[int]
    trials_requested: NotRequired[int]
    engine: NotRequired[str]  # "dask" when train.engine trained it on a cluster


class TrainMetrics(FitInfo):
    target: str
    model: str
    features: list[str]
    rows: int


class FreshScores(TypedDict):
    """A model on the fresh rows (the current batch no model trained on)."""

    rows: int
    rmse: float
    mae: float
    bias: float  # mean of actual - predicted: negative when the model over-predicts
    rmse_over_sigma: NotRequired[float]
    degradation: NotRequired[float]  # fresh RMSE / test RMSE: 1 when as good as on test


class SliceScores(TypedDict):
    """A model's test scores on the test rows of one ``evaluate.slices`` query."""

    rows: int
    rmse: float
    mae: float
    r2: float | None  # None for a one-row slice


class CrossValidatedScores(TypedDict):
    """A model, its hyper-parameters as trained, refit and scored on K folds of all rows
    (train and test), grouped or ordered in time as the split (``evaluate.cv_folds``)."""

    folds: int
    validation: str  # how the folds were made: "5 folds grouped by mix"
    rmse_mean: float
    rmse_std: float  # across the folds: how much one split's score may differ
    r2_mean: float
    rmse_folds: list[float]


class ModelScores(TypedDict):
    rmse: float
    mae: float
    r2: float
    mape: float
    rmse_over_sigma: NotRequired[float]  # only where the noise floor is known (truth.json)
    robustness: NotRequired[dict[str, float]]
    fresh: NotRequired[FreshScores]  # absent when there are no fresh rows
    slices: NotRequired[dict[str, SliceScores]]  # evaluate.slices, when declared
    cv: NotRequired[CrossValidatedScores]  # evaluate.cv_folds, when not 0


class NotScored(TypedDict):
    """Rows a model could not score, and why (a level it never saw in training)."""

    rows: int
    reason: str


class TargetEvaluation(TypedDict):
    sigma: float | None
    champion: str
    champion_by: NotRequired[str]  # the score that picked it, when not the test RMSE
    models: dict[str, ModelScores]
    champion_importance: dict[str, float]
    fresh_rows_scored: NotRequired[int]
    failed: NotRequired[dict[str, str]]  # model -> why it is not scored, champion or published
    fresh_not_scored: NotRequired[NotScored]


EvaluateMetrics = dict[str, TargetEvaluation]  # by target


class LatestScores(TypedDict):
    """A champion on the held-out latest fresh rows."""

    rmse: float
    bias: float  # mean of actual - predicted
    rmse_over_sigma: NotRequired[float]
    not_scored: NotRequired[NotScored]  # latest rows with a level this model never saw


class ConformalInterval(TypedDict):
    """A split-conformal prediction interval: prediction +- half_width, and its coverage
    measured on rows it was not calibrated on."""

    level: float  # nominal coverage
    half_width: float
    calibration_rows: int
    evaluation_rows: int
    coverage: float  # share of the evaluation rows inside their interval
    calibrated_on: str


class RefreshTarget(TypedDict):
    """The retraining decision for one target, and what it is measured by."""

    champion: str
    policy: str
    decision: Literal["reference", "refreshed"]
    reason: str
    adaptation_rows: int
    latest_rows: int
    degradation_on_adaptation: NotRequired[float]  # champion's RMSE there / its test RMSE
    reference: NotRequired[LatestScores]  # the reference-trained champion, latest rows
    refreshed: NotRequired[LatestScores]  # the refreshed champion, the same rows
    interval: NotRequired[ConformalInterval]  # the published champion's


RefreshMetrics = dict[str, RefreshTarget]  # by target


class Unsupported(TypedDict):
    unsupported: str  # why the model has no per-feature contributions


# One explained test row: {<data.id_column>: its id, "prediction", "constant",
# "contributions": {feature: share}}; keyed by the dataset's own id column, so its shape
# is a mapping rather than a TypedDict.
ExplainedRow = dict[str, int | str | float | dict[str, float]]
Explanations = dict[str, dict[str, list[ExplainedRow] | Unsupported]]  # target -> model
