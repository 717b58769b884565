"""Artifacts through the ``mlflow-artifacts`` proxy, as the official client uses it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import mlflow
import pytest

from helpers import raises_mlflow

pytestmark = pytest.mark.usefixtures("cairn_server")


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)).replace(os.sep, "/"): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_log_artifact_list_download(client, experiment_id, tmp_path, cairn_server):
    rid = client.create_run(experiment_id).info.run_id
    src = tmp_path / "model.txt"
    src.write_text("weights: 1 2 3\n")
    client.log_artifact(rid, str(src))
    client.log_artifact(rid, str(src), artifact_path="nested/dir")

    files = {f.path: f for f in client.list_artifacts(rid)}
    assert set(files) == {"model.txt", "nested"}
    assert not files["model.txt"].is_dir and files["model.txt"].file_size == 15
    assert files["nested"].is_dir
    sub = client.list_artifacts(rid, "nested/dir")
    assert [(f.path, f.is_dir, f.file_size) for f in sub] == [("nested/dir/model.txt", False, 15)]

    out = tmp_path / "out"
    out.mkdir()
    local = client.download_artifacts(rid, "model.txt", str(out))
    assert Path(local).read_text() == "weights: 1 2 3\n"

    # The bytes are really where the proxy keeps them.
    stored = cairn_server.artifacts / experiment_id / rid / "artifacts" / "model.txt"
    assert stored.read_text() == "weights: 1 2 3\n"


def test_log_artifacts_directory_roundtrip(client, experiment_id, tmp_path):
    rid = client.create_run(experiment_id).info.run_id
    src = tmp_path / "data"
    (src / "sub").mkdir(parents=True)
    (src / "a.csv").write_text("x,y\n1,2\n")
    (src / "sub" / "b.bin").write_bytes(bytes(range(256)) * 64)
    (src / "sub" / "empty.txt").write_bytes(b"")
    (src / "ünï code.txt").write_text("spaces and unicode\n")
    client.log_artifacts(rid, str(src), artifact_path="data")

    top = client.list_artifacts(rid)
    assert [(f.path, f.is_dir) for f in top] == [("data", True)]
    listed = {f.path: f.file_size for f in client.list_artifacts(rid, "data")}
    assert listed == {
        "data/a.csv": 8,
        "data/sub": None,
        "data/ünï code.txt": 19,
    }

    out = tmp_path / "out"
    out.mkdir()
    local = Path(client.download_artifacts(rid, "data", str(out)))
    assert _tree(local) == _tree(src)

    # The artifacts module resolves runs:/ URIs (goes through logged-models/search).
    out2 = tmp_path / "out2"
    out2.mkdir()
    via_uri = mlflow.artifacts.download_artifacts(
        artifact_uri=f"runs:/{rid}/data/sub", dst_path=str(out2)
    )
    assert _tree(Path(via_uri)) == _tree(src / "sub")


def test_fluent_log_text_and_dict(client, experiment_id, tmp_path):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_text("hello cairn", "notes/readme.txt")
        mlflow.log_dict({"layers": [64, 32], "lr": 0.01}, "config.json")
        artifact_uri = mlflow.get_artifact_uri()
    rid = run.info.run_id
    assert artifact_uri == f"mlflow-artifacts:/{experiment_id}/{rid}/artifacts"
    assert {f.path for f in client.list_artifacts(rid)} == {"notes", "config.json"}
    text = mlflow.artifacts.load_text(f"runs:/{rid}/notes/readme.txt")
    assert text == "hello cairn"
    assert mlflow.artifacts.load_dict(f"runs:/{rid}/config.json") == {
        "layers": [64, 32],
        "lr": 0.01,
    }
    out = tmp_path / "o"
    out.mkdir()
    p = mlflow.artifacts.download_artifacts(
        run_id=rid, artifact_path="config.json", dst_path=str(out)
    )
    assert json.loads(Path(p).read_text())["lr"] == 0.01


def test_list_artifacts_empty_run(client, experiment_id):
    rid = client.create_run(experiment_id).info.run_id
    assert client.list_artifacts(rid) == []
    assert client.list_artifacts(rid, "no/such/dir") == []


def test_download_missing_artifact(client, experiment_id, tmp_path):
    rid = client.create_run(experiment_id).info.run_id
    with pytest.raises(Exception):
        client.download_artifacts(rid, "does-not-exist.txt", str(tmp_path))


def test_list_artifacts_unknown_run(client):
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.list_artifacts("c" * 32)


def test_larger_artifact(client, experiment_id, tmp_path):
    rid = client.create_run(experiment_id).info.run_id
    blob = os.urandom(3 * 1024 * 1024 + 17)
    src = tmp_path / "blob.bin"
    src.write_bytes(blob)
    client.log_artifact(rid, str(src))
    (f,) = client.list_artifacts(rid)
    assert f.file_size == len(blob)
    out = tmp_path / "dl"
    out.mkdir()
    assert Path(client.download_artifacts(rid, "blob.bin", str(out))).read_bytes() == blob
