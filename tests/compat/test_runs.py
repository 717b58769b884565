"""Runs, params, metrics, tags and log_batch through the official client."""

from __future__ import annotations

import math
import time

import mlflow
import pytest
from mlflow.entities import Metric, Param, RunStatus, RunTag, ViewType

from helpers import raises_mlflow

pytestmark = pytest.mark.usefixtures("cairn_server")


# ---------------------------------------------------------------- fluent API


def test_fluent_run_lifecycle(client, experiment_id):
    before = int(time.time() * 1000)
    with mlflow.start_run(experiment_id=experiment_id, run_name="fluent-1") as run:
        run_id = run.info.run_id
        assert run.info.status == "RUNNING"
        mlflow.log_param("maxDepth", 6)
        mlflow.log_params({"impurity": "gini", "maxBins": 32})
        mlflow.log_metric("acc", 0.5, step=0)
        mlflow.log_metric("acc", 0.75, step=1)
        mlflow.log_metrics({"loss": 1.25, "f1": 0.5})
        mlflow.set_tag("team", "vision")
        mlflow.set_tags({"kind": "tree", "version": "2"})
        assert mlflow.active_run().info.run_id == run_id
    assert mlflow.active_run() is None

    got = client.get_run(run_id)
    assert len(run_id) == 32 and all(c in "0123456789abcdef" for c in run_id)
    assert got.info.run_id == run_id
    assert got.info.experiment_id == experiment_id
    assert got.info.run_name == "fluent-1"
    assert got.info.status == "FINISHED"
    assert got.info.lifecycle_stage == "active"
    assert before - 5000 <= got.info.start_time <= got.info.end_time
    assert got.info.artifact_uri == f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"
    assert got.data.params == {"maxDepth": "6", "impurity": "gini", "maxBins": "32"}
    # data.metrics holds the latest value per key.
    assert got.data.metrics == {"acc": 0.75, "loss": 1.25, "f1": 0.5}
    tags = got.data.tags
    assert tags["team"] == "vision" and tags["kind"] == "tree" and tags["version"] == "2"
    assert tags["mlflow.runName"] == "fluent-1"
    # System tags the fluent API sets from its context.
    assert tags.get("mlflow.user")
    assert tags.get("mlflow.source.name")
    assert tags.get("mlflow.source.type") == "LOCAL"


def test_fluent_run_failure_marks_failed(client, experiment_id):
    with pytest.raises(ZeroDivisionError):
        with mlflow.start_run(experiment_id=experiment_id) as run:
            run_id = run.info.run_id
            1 / 0  # noqa: B018
    assert client.get_run(run_id).info.status == "FAILED"


def test_fluent_end_run_with_status(client, experiment_id):
    run = mlflow.start_run(experiment_id=experiment_id)
    mlflow.end_run(status="KILLED")
    got = client.get_run(run.info.run_id)
    assert got.info.status == "KILLED"
    assert got.info.end_time is not None and got.info.end_time >= got.info.start_time


def test_generated_run_name(client, experiment_id):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        pass
    got = client.get_run(run.info.run_id)
    assert got.info.run_name  # server or client generated a name
    assert got.data.tags["mlflow.runName"] == got.info.run_name


def test_resume_run_by_id(client, experiment_id):
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_metric("m", 1.0, step=0)
    with mlflow.start_run(run_id=run.info.run_id):
        mlflow.log_metric("m", 2.0, step=1)
    got = client.get_run(run.info.run_id)
    assert got.data.metrics["m"] == 2.0
    assert got.info.status == "FINISHED"


def test_nested_runs(client, experiment_id):
    # Children go to the *active* experiment (not the parent's), as in MLflow.
    mlflow.set_experiment(experiment_id=experiment_id)
    with mlflow.start_run(run_name="cv") as parent:
        child_ids = []
        for fold in range(3):
            with mlflow.start_run(run_name=f"fold-{fold}", nested=True) as child:
                mlflow.log_metric("acc", 0.8 + fold / 100)
                child_ids.append(child.info.run_id)
            assert mlflow.active_run().info.run_id == parent.info.run_id
        mlflow.log_metric("mean_acc", 0.81)
    parent_id = parent.info.run_id
    for cid in child_ids:
        child = client.get_run(cid)
        assert child.data.tags["mlflow.parentRunId"] == parent_id
        assert child.info.experiment_id == experiment_id
        assert child.info.status == "FINISHED"
    assert "mlflow.parentRunId" not in client.get_run(parent_id).data.tags
    # Starting a second top-level run while one is active needs nested=True.
    with mlflow.start_run(experiment_id=experiment_id):
        with pytest.raises(Exception, match="already active"):
            mlflow.start_run(experiment_id=experiment_id)


def test_nested_runs_found_by_parent_tag(client, experiment_id):
    """Needs run search filtering."""
    mlflow.set_experiment(experiment_id=experiment_id)
    with mlflow.start_run() as parent:
        kids = set()
        for _ in range(2):
            with mlflow.start_run(nested=True) as child:
                kids.add(child.info.run_id)
    found = client.search_runs(
        [experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    assert {r.info.run_id for r in found} == kids
    top = client.search_runs([experiment_id], "tags.mlflow.parentRunId IS NULL")
    assert [r.info.run_id for r in top] == [parent.info.run_id]


def test_parent_run_id_argument(client, experiment_id):
    parent = client.create_run(experiment_id)
    with mlflow.start_run(experiment_id=experiment_id, parent_run_id=parent.info.run_id) as child:
        pass
    got = client.get_run(child.info.run_id)
    assert got.data.tags["mlflow.parentRunId"] == parent.info.run_id


# ------------------------------------------------------------- MlflowClient


def test_client_create_get_update(client, experiment_id):
    run = client.create_run(
        experiment_id, start_time=1_700_000_000_000, tags={"k": "v"}, run_name="client-run"
    )
    rid = run.info.run_id
    assert run.info.status == "RUNNING"
    assert run.info.start_time == 1_700_000_000_000
    assert run.info.run_name == "client-run"
    assert run.data.tags["k"] == "v"
    assert run.data.tags["mlflow.runName"] == "client-run"
    assert run.data.params == {} and run.data.metrics == {}

    client.update_run(rid, status="SCHEDULED", name="renamed")
    got = client.get_run(rid)
    assert got.info.status == "SCHEDULED"
    assert got.info.run_name == "renamed"
    assert got.data.tags["mlflow.runName"] == "renamed"

    client.set_terminated(rid, status="FINISHED", end_time=1_700_000_100_000)
    got = client.get_run(rid)
    assert got.info.status == "FINISHED"
    assert got.info.end_time == 1_700_000_100_000
    assert RunStatus.is_terminated(RunStatus.from_string(got.info.status))


def test_client_delete_restore(client, experiment_id):
    keep = client.create_run(experiment_id).info.run_id
    gone = client.create_run(experiment_id).info.run_id
    client.delete_run(gone)
    got = client.get_run(gone)  # deleted runs can still be read
    assert got.info.lifecycle_stage == "deleted"
    # Writes to a deleted run are rejected.
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.log_metric(gone, "m", 1.0)
    client.restore_run(gone)
    assert client.get_run(gone).info.lifecycle_stage == "active"
    assert client.get_run(keep).info.lifecycle_stage == "active"
    client.log_metric(gone, "m", 1.0)


def test_search_excludes_deleted_runs(client, experiment_id):
    """Needs run search view types."""
    keep = client.create_run(experiment_id).info.run_id
    gone = client.create_run(experiment_id).info.run_id
    client.delete_run(gone)
    active = [r.info.run_id for r in client.search_runs([experiment_id])]
    assert active == [keep]
    deleted = client.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)
    assert [r.info.run_id for r in deleted] == [gone]
    both = client.search_runs([experiment_id], run_view_type=ViewType.ALL)
    assert {r.info.run_id for r in both} == {keep, gone}


def test_unknown_run(client):
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.get_run("0" * 32)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.log_param("f" * 32, "a", "b")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.delete_run("a" * 32)


def test_create_run_in_unknown_experiment(client):
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.create_run("987654321")


# -------------------------------------------------------------------- params


def test_param_immutability(client, experiment_id):
    rid = client.create_run(experiment_id).info.run_id
    client.log_param(rid, "maxDepth", "6")
    client.log_param(rid, "maxDepth", "6")  # same value: no-op
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400, match="maxDepth"):
        client.log_param(rid, "maxDepth", "7")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.log_batch(rid, params=[Param("maxDepth", "8")])
    assert client.get_run(rid).data.params == {"maxDepth": "6"}


def test_param_values(client, experiment_id):
    rid = client.create_run(experiment_id).info.run_id
    client.log_param(rid, "empty", "")
    client.log_param(rid, "unicode", "ñandú — 深さ")
    client.log_param(rid, "long", "x" * 6000)
    params = client.get_run(rid).data.params
    assert params == {"empty": "", "unicode": "ñandú — 深さ", "long": "x" * 6000}


@pytest.mark.parametrize("bad_key", ["../escape", "a//b", "/abs", "bad\nkey", "x" * 251])
def test_bad_keys_rejected(client, experiment_id, bad_key):
    rid = client.create_run(experiment_id).info.run_id
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.log_param(rid, bad_key, "v")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.log_metric(rid, bad_key, 1.0)
    assert client.get_run(rid).data.params == {}


# ------------------------------------------------------------------- metrics


def test_metric_history_with_steps(client, experiment_id):
    rid = client.create_run(experiment_id).info.run_id
    t0 = 1_700_000_000_000
    for step in range(10):
        client.log_metric(rid, "loss", 1.0 / (step + 1), timestamp=t0 + step, step=step)
    client.log_metric(rid, "acc", 0.25, timestamp=t0, step=5)
    history = client.get_metric_history(rid, "loss")
    assert [m.step for m in history] == list(range(10))
    assert [m.value for m in history] == [1.0 / (s + 1) for s in range(10)]
    assert [m.timestamp for m in history] == [t0 + s for s in range(10)]
    assert all(m.key == "loss" for m in history)
    assert client.get_run(rid).data.metrics == {"loss": 0.1, "acc": 0.25}
    assert client.get_metric_history(rid, "never-logged") == []


def test_latest_metric_is_max_step_not_last_logged(client, experiment_id):
    rid = client.create_run(experiment_id).info.run_id
    client.log_metric(rid, "m", 5.0, timestamp=100, step=5)
    client.log_metric(rid, "m", 1.0, timestamp=200, step=1)  # older step, logged later
    assert client.get_run(rid).data.metrics["m"] == 5.0
    history = client.get_metric_history(rid, "m")
    assert sorted((m.step, m.value) for m in history) == [(1, 1.0), (5, 5.0)]


def test_metric_history_large(client, experiment_id):
    """More points than one log_batch call and than one history page would hold."""
    rid = client.create_run(experiment_id).info.run_id
    n = 3000
    metrics = [Metric("curve", float(i) * 0.5, 1_700_000_000_000 + i, i) for i in range(n)]
    client.log_batch(rid, metrics=metrics)  # client splits into 1000-metric calls
    history = client.get_metric_history(rid, "curve")
    assert len(history) == n
    assert [m.step for m in history] == list(range(n))
    assert history[-1].value == (n - 1) * 0.5


def test_nan_and_infinity(client, experiment_id):
    rid = client.create_run(experiment_id).info.run_id
    client.log_metric(rid, "nan", float("nan"), step=0)
    client.log_metric(rid, "pinf", float("inf"), step=0)
    client.log_metric(rid, "ninf", float("-inf"), step=0)
    client.log_batch(
        rid,
        metrics=[
            Metric("batch_nan", float("nan"), 1, 0),
            Metric("batch_inf", float("inf"), 1, 0),
        ],
    )
    metrics = client.get_run(rid).data.metrics
    assert math.isnan(metrics["nan"])
    assert math.isnan(metrics["batch_nan"])
    # MLflow clamps +-inf to +-1.7976931348623157e308 in its SQL store; accept
    # either the true infinity or that clamp, but the sign must survive.
    for key, sign in [("pinf", 1), ("ninf", -1), ("batch_inf", 1)]:
        v = metrics[key]
        assert v == sign * math.inf or v == sign * 1.7976931348623157e308, (key, v)
    (h,) = client.get_metric_history(rid, "nan")
    assert math.isnan(h.value)


def test_metric_values_roundtrip_exactly(client, experiment_id):
    rid = client.create_run(experiment_id).info.run_id
    values = [0.1, 1 / 3, -2.5e-300, 1e300, 123456789.123456789, 0.0, -0.0, 2**53 + 1.0]
    client.log_batch(rid, metrics=[Metric(f"v{i}", v, 1, 0) for i, v in enumerate(values)])
    got = client.get_run(rid).data.metrics
    assert [got[f"v{i}"] for i in range(len(values))] == values


def test_large_int64_values(client, experiment_id):
    rid = client.create_run(experiment_id).info.run_id
    big_ts = 2**53 + 7  # beyond double precision: must travel as an exact int64
    big_step = 2**40 + 3
    client.log_metric(rid, "m", 1.0, timestamp=big_ts, step=big_step)
    (h,) = client.get_metric_history(rid, "m")
    assert h.timestamp == big_ts
    assert h.step == big_step


def test_negative_timestamp_rejected(client, experiment_id):
    rid = client.create_run(experiment_id).info.run_id
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.log_metric(rid, "m", 1.0, timestamp=-5)


# ----------------------------------------------------------------- log_batch


def test_log_batch(client, experiment_id):
    rid = client.create_run(experiment_id).info.run_id
    client.log_batch(
        rid,
        metrics=[Metric("m1", 0.1 * s, 1000 + s, s) for s in range(5)]
        + [Metric("m2", 42.0, 1000, 0)],
        params=[Param("p1", "a"), Param("p2", "b")],
        tags=[RunTag("t1", "x"), RunTag("mlflow.note.content", "hello")],
    )
    run = client.get_run(rid)
    assert run.data.params == {"p1": "a", "p2": "b"}
    assert run.data.metrics == {"m1": 0.1 * 4, "m2": 42.0}
    assert run.data.tags["t1"] == "x"
    assert run.data.tags["mlflow.note.content"] == "hello"
    assert len(client.get_metric_history(rid, "m1")) == 5


def test_log_batch_many_params_is_split_by_client(client, experiment_id):
    rid = client.create_run(experiment_id).info.run_id
    params = [Param(f"p{i:03d}", str(i)) for i in range(250)]  # > 100 per request
    client.log_batch(rid, params=params)
    assert client.get_run(rid).data.params == {p.key: p.value for p in params}


def test_log_batch_duplicate_metrics_ignored(client, experiment_id):
    rid = client.create_run(experiment_id).info.run_id
    m = Metric("dup", 1.0, 10, 0)
    client.log_batch(rid, metrics=[m])
    client.log_batch(rid, metrics=[m])
    assert len(client.get_metric_history(rid, "dup")) == 1


def test_log_batch_unknown_run(client):
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.log_batch("b" * 32, metrics=[Metric("m", 1.0, 1, 0)])


def test_log_batch_bad_key_leaves_data_unchanged(client, experiment_id):
    rid = client.create_run(experiment_id).info.run_id
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.log_batch(
            rid,
            metrics=[Metric("good", 1.0, 1, 0), Metric("../bad", 1.0, 1, 0)],
            params=[Param("p", "v")],
        )
    run = client.get_run(rid)
    assert run.data.metrics == {}
    assert run.data.params == {}


# ---------------------------------------------------------------------- tags


def test_tags_set_and_delete(client, experiment_id):
    rid = client.create_run(experiment_id).info.run_id
    client.set_tag(rid, "color", "red")
    client.set_tag(rid, "color", "blue")  # upsert
    client.set_tag(rid, "empty", "")
    tags = client.get_run(rid).data.tags
    assert tags["color"] == "blue" and tags["empty"] == ""
    client.delete_tag(rid, "color")
    assert "color" not in client.get_run(rid).data.tags
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.delete_tag(rid, "color")


def test_set_run_name_tag_renames_run(client, experiment_id):
    rid = client.create_run(experiment_id, run_name="before").info.run_id
    client.set_tag(rid, "mlflow.runName", "after")
    assert client.get_run(rid).info.run_name == "after"


def test_long_tag_value(client, experiment_id):
    rid = client.create_run(experiment_id).info.run_id
    client.set_tag(rid, "long", "y" * 8000)
    assert client.get_run(rid).data.tags["long"] == "y" * 8000


# ------------------------------------------------------------------- inputs


def test_log_inputs_entities(client, experiment_id):
    from mlflow.entities import Dataset, DatasetInput, InputTag

    rid = client.create_run(experiment_id).info.run_id
    ds = Dataset(
        name="iris",
        digest="abc123",
        source_type="http",
        source='{"url": "https://example.com/iris.csv"}',
        schema='{"mlflow_colspec": []}',
        profile='{"num_rows": 150}',
    )
    client.log_inputs(
        rid, datasets=[DatasetInput(ds, tags=[InputTag("mlflow.data.context", "training")])]
    )
    inputs = client.get_run(rid).inputs.dataset_inputs
    assert len(inputs) == 1
    got = inputs[0]
    assert got.dataset.name == "iris"
    assert got.dataset.digest == "abc123"
    assert got.dataset.source_type == "http"
    assert got.dataset.source == '{"url": "https://example.com/iris.csv"}'
    assert got.dataset.profile == '{"num_rows": 150}'
    assert [(t.key, t.value) for t in got.tags] == [("mlflow.data.context", "training")]


def test_fluent_log_input_dataset(client, experiment_id):
    # mlflow.data.* datasets need numpy (mlflow.types.Schema); mlflow-skinny
    # does not install it, so requirements.txt pins it next to the client.
    from mlflow.data.http_dataset_source import HTTPDatasetSource
    from mlflow.data.meta_dataset import MetaDataset

    ds = MetaDataset(HTTPDatasetSource("https://example.com/train.csv"), name="train")
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_input(ds, context="training")
    (inp,) = client.get_run(run.info.run_id).inputs.dataset_inputs
    assert inp.dataset.name == "train"
    assert inp.dataset.digest == ds.digest
    assert {t.key: t.value for t in inp.tags}["mlflow.data.context"] == "training"
