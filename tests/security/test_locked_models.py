"""Model files that cannot run code (issue 25, section 2). Every model a stage or the
service loads is hashed and compared with the ``dvc.lock`` entry that names it before
it is read: a planted pickle that would write a marker file is refused unread, at the
service's startup and in the pipeline's own stages. And no model file is a pickle: a
skops file is built from trusted types only, so even a file whose hash was recorded
(a lock edited with it) cannot name a function to run."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from co2mix.core.errors import InputError
from co2mix.core.locked import NotLocked, checked_bytes
from co2mix.modeling.model_format import UntrustedModel, from_bytes, to_bytes
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
    manifest = [{"relpath": "strength/model.skops", "md5": hashlib.md5(good).hexdigest()}]
    digest = hashlib.md5(json.dumps(manifest).encode()).hexdigest()
    (cache / "files/md5" / digest[:2]).mkdir(parents=True)
    (cache / "files/md5" / digest[:2] / (digest[2:] + ".dir")).write_text(json.dumps(manifest))
    outs = {"data/models/poly2": digest + ".dir"}
    path = "data/models/poly2/strength/model.skops"
    assert checked_bytes(good, path, outs, cache) == good
    with pytest.raises(NotLocked, match=r"poly2/strength/model.skops: md5 .* is not the"):
        checked_bytes(b"something else", path, outs, cache)
    with pytest.raises(NotLocked, match=r"no dvc.lock entry records this file"):
        checked_bytes(good, "data/models/gp/strength/model.skops", outs, cache)


def test_a_tampered_champion_is_refused_at_startup_unread(reproduced_copy, tmp_path):
    project, _ = reproduced_copy
    marker = tmp_path / "pickle-ran"
    champion = project / "data/champions/strength_mpa.skops"
    champion.write_bytes(planted(marker))
    with pytest.raises(NotLocked, match=r"data/champions/strength_mpa.skops: md5 .* refused"):
        load_artifacts(project)
    result = run(["co2mix", "serve", "--root", str(project)], project, check=False)
    assert result.returncode == 2 and "refused unread" in result.stderr
    assert "Traceback" not in result.stderr
    assert not marker.exists()


def test_a_tampered_model_is_refused_by_the_pipelines_own_stages(reproduced_copy, tmp_path):
    project, _ = reproduced_copy
    marker = tmp_path / "pickle-ran"
    model = project / "data/models/poly2/strength_mpa/model.skops"
    model.write_bytes(planted(marker))
    result = run(["python", "stages/evaluate.py"], project, check=False)
    assert result.returncode == 2, result.stderr
    assert "data/models/poly2/strength_mpa/model.skops" in result.stderr
    assert "refused unread" in result.stderr and "Traceback" not in result.stderr
    assert not marker.exists()


def test_every_published_model_is_a_skops_file_that_round_trips(reproduced_copy):
    """The pipeline's model files are zips of a JSON schema (no pickle), rewritten
    canonically: loading one and writing it again gives the same bytes, and it predicts
    exactly what was published."""
    project, _ = reproduced_copy
    files = sorted((project / "data").glob("**/*.skops"))
    assert len(files) >= 8 and not list((project / "data").glob("**/*.joblib"))
    train = pd.read_parquet(project / "data/prepared/train.parquet")
    for path in files:
        raw = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            assert "schema.json" in archive.namelist()
            assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in archive.infolist())
        pipeline = from_bytes(raw, str(path))
        assert to_bytes(pipeline) == raw, path
        columns = list(pipeline.feature_names_in_)
        assert np.isfinite(pipeline.predict(train[columns].head(20))).all()


def test_a_model_file_naming_an_untrusted_type_is_refused_unbuilt():
    x = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    fitted = Pipeline(
        [("step", FunctionTransformer(func=os.system)), ("model", LinearRegression())]
    )
    fitted.named_steps["model"].fit(x, [1.0, 2.0, 3.0])
    raw = sio.dumps(fitted)
    with pytest.raises(UntrustedModel, match=r"bad.skops: names types .*system.*refused"):
        from_bytes(raw, "bad.skops")
    with pytest.raises(InputError, match=r"bad.skops: not a readable model file"):
        from_bytes(pickle.dumps(fitted), "bad.skops")
    with pytest.raises(InputError, match=r"bad.skops: expected a scikit-learn Pipeline"):
        from_bytes(sio.dumps(LinearRegression()), "bad.skops")
