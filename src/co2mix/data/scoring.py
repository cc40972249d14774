"""Scoring detections against truth.json: what was injected, what was found.

Faults are scored per kind, as cells ``(batch_id, column)`` (nulls, spikes, stuck
readings) or rows (duplicates). A tampered run and a scenario's stuck sensor are the
same kind to a detector: readings that repeat instead of measuring.
"""

from __future__ import annotations

import pandas as pd

from co2mix.core.schemas import BatchTruth, DetectionScore, DriftFound

Cell = tuple[int, str]


def injected_faults(batch_truth: BatchTruth) -> dict[str, set[Cell]]:
    """Per kind, the cells (or duplicated batch ids) truth.json lists for one batch."""
    faults = batch_truth["faults"]
    cells: dict[str, set[Cell]] = {"null": set(), "spike": set(), "stuck": set()}
    for kind in ("null", "spike"):
        for entry in faults[kind]:
            cells[kind].update((int(b), entry["column"]) for b in entry["batch_ids"])
    for run in faults["tampered"]:
        cells["stuck"].update((int(b), run["column"]) for b in run["batch_ids"])
    drift = batch_truth["drift"]
    stuck = drift["stuck_sensor"] if drift else None
    if stuck:
        cells["stuck"].update((int(b), stuck["column"]) for b in stuck["batch_ids"])
    return cells


def injected_duplicates(batch_truth: BatchTruth) -> set[int]:
    """The batch ids truth.json says were logged twice."""
    return {int(b) for b in batch_truth["faults"]["duplicate"]["batch_ids"]}


def flagged_cells(flags: pd.DataFrame, batch_ids: pd.Series) -> set[Cell]:
    """The (batch_id, column) pairs a detector's boolean mask marks."""
    cells: set[Cell] = set()
    ids = batch_ids.to_numpy()
    for column in flags.columns:
        cells.update((int(b), column) for b in ids[flags[column].to_numpy()])
    return cells


def detection_score(
    flagged: set[Cell] | set[int],
    injected: set[Cell] | set[int],
    scope: set[Cell] | None = None,
) -> DetectionScore:
    """Precision and recall of ``flagged`` against ``injected``.

    ``scope`` limits the injected set to what the detector could see (e.g. the
    columns it scans); precision is null when nothing was flagged, recall when
    nothing was injected.
    """
    if scope is not None:
        injected = injected & scope
    hits = len(flagged & injected)
    return {
        "injected": len(injected),
        "flagged": len(flagged),
        "true_positives": hits,
        "precision": round(hits / len(flagged), 6) if flagged else None,
        "recall": round(hits / len(injected), 6) if injected else None,
    }


def fault_scores(
    batch_truth: BatchTruth,
    ids: pd.Series,
    duplicated_ids: set[int],
    flags: dict[str, pd.DataFrame],
) -> dict[str, DetectionScore]:
    """Scores of the duplicate detector and of each cell detector in ``flags`` (by kind).

    Cells are scored within the columns the detectors scan, on the rows in ``ids``.
    """
    injected = injected_faults(batch_truth)
    columns = next(iter(flags.values())).columns if flags else []
    scope = {(int(b), c) for b in ids for c in columns}
    scores = {"duplicate": detection_score(duplicated_ids, injected_duplicates(batch_truth))}
    for kind, mask in flags.items():
        scores[kind] = detection_score(flagged_cells(mask, ids), injected[kind], scope)
    return scores


def drift_score(flagged: list[str], truth_drifted: list[str], compared: list[str]) -> DriftFound:
    """Drifted columns found, missed, and false alarms among the ``compared`` columns."""
    truth = set(truth_drifted) & set(compared)
    found = set(flagged)
    return {
        "drifted": sorted(truth),
        "found": sorted(found & truth),
        "missed": sorted(truth - found),
        "false_alarms": sorted(found - truth),
    }
