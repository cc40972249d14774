"""Model files that cannot run code unchecked (issue 25, section 2): every model a stage
or the service loads is hashed and compared with the ``dvc.lock`` entry that names it
before it is unpickled. A planted pickle that would write a marker file is refused
unread, at the service's startup and in the pipeline's own stages."""

from __future__ import annotations

import hashlib
import json
import pickle

import pytest

from co2mix.core.locked import NotLocked, checked_bytes
from co2mix.serving.artifacts import load_artifacts
from tests.helpers import run


class Planted:
    """A pickle whose loading writes ``marker``: what a tampered model file can do."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def planted(marker) -> bytes:
    return pickle.dumps(Planted(str(marker)))


def test_only_the_bytes_the_lock_records_pass(tmp_path):
    cache = tmp_path / "cache"
    good = b"the model the pipeline wrote"
    manifest = [{"relpath": "strength/model.joblib", "md5": hashlib.md5(good).hexdigest()}]
    digest = hashlib.md5(json.dumps(manifest).encode()).hexdigest()
    (cache / "files/md5" / digest[:2]).mkdir(parents=True)
    (cache / "files/md5" / digest[:2] / (digest[2:] + ".dir")).write_text(json.dumps(manifest))
    outs = {"data/models/poly2": digest + ".dir"}
    path = "data/models/poly2/strength/model.joblib"
    assert checked_bytes(good, path, outs, cache) == good
    with pytest.raises(NotLocked, match=r"poly2/strength/model.joblib: md5 .* is not the"):
        checked_bytes(b"something else", path, outs, cache)
    with pytest.raises(NotLocked, match=r"no dvc.lock entry records this file"):
        checked_bytes(good, "data/models/gp/strength/model.joblib", outs, cache)


def test_a_tampered_champion_is_refused_at_startup_unread(reproduced_copy, tmp_path):
    project, _ = reproduced_copy
    marker = tmp_path / "pickle-ran"
    champion = project / "data/champions/strength_mpa.joblib"
    champion.write_bytes(planted(marker))
    with pytest.raises(NotLocked, match=r"data/champions/strength_mpa.joblib: md5 .* refused"):
        load_artifacts(project)
    result = run(["co2mix", "serve", "--root", str(project)], project, check=False)
    assert result.returncode == 2 and "refused unread" in result.stderr
    assert "Traceback" not in result.stderr
    assert not marker.exists()


def test_a_tampered_model_is_refused_by_the_pipelines_own_stages(reproduced_copy, tmp_path):
    project, _ = reproduced_copy
    marker = tmp_path / "pickle-ran"
    model = project / "data/models/poly2/strength_mpa/model.joblib"
    model.write_bytes(planted(marker))
    result = run(["python", "stages/evaluate.py"], project, check=False)
    assert result.returncode == 2, result.stderr
    assert "data/models/poly2/strength_mpa/model.joblib" in result.stderr
    assert "refused unread" in result.stderr and "Traceback" not in result.stderr
    assert not marker.exists()
