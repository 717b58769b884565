"""Experiments through ``MlflowClient`` and the fluent API."""

from __future__ import annotations

import time

import mlflow
import pytest
from mlflow.entities import ViewType

from helpers import raises_mlflow

pytestmark = pytest.mark.usefixtures("cairn_server")


def test_create_and_get(client, unique_name):
    name = unique_name()
    before = int(time.time() * 1000)
    exp_id = client.create_experiment(name, tags={"team": "vision", "owner": "ana"})
    assert exp_id.isdigit() and exp_id != "0"

    exp = client.get_experiment(exp_id)
    assert exp.experiment_id == exp_id
    assert exp.name == name
    assert exp.lifecycle_stage == "active"
    assert exp.tags == {"team": "vision", "owner": "ana"}
    assert exp.artifact_location == f"mlflow-artifacts:/{exp_id}"
    assert before - 5000 <= exp.creation_time <= int(time.time() * 1000) + 5000
    assert exp.last_update_time >= exp.creation_time


def test_default_experiment_exists(client):
    exp = client.get_experiment("0")
    assert exp.name == "Default"
    assert exp.lifecycle_stage == "active"


def test_get_by_name(client, unique_name):
    name = unique_name()
    exp_id = client.create_experiment(name)
    exp = client.get_experiment_by_name(name)
    assert exp is not None and exp.experiment_id == exp_id
    # The client maps RESOURCE_DOES_NOT_EXIST to None here.
    assert client.get_experiment_by_name(unique_name("missing")) is None


def test_get_unknown_experiment(client):
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.get_experiment("987654321")


def test_get_non_integer_experiment_id(client):
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.get_experiment("not-a-number")


def test_duplicate_name(client, unique_name):
    name = unique_name()
    client.create_experiment(name)
    with raises_mlflow("RESOURCE_ALREADY_EXISTS", 400):
        client.create_experiment(name)


def test_empty_name_rejected(client):
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.create_experiment("")


def test_fluent_set_experiment(cairn_server, unique_name):
    name = unique_name()
    exp = mlflow.set_experiment(name)  # creates it
    assert exp.name == name
    again = mlflow.set_experiment(name)  # finds it
    assert again.experiment_id == exp.experiment_id
    with mlflow.start_run() as run:
        assert run.info.experiment_id == exp.experiment_id


def test_rename(client, unique_name):
    old, new = unique_name(), unique_name()
    exp_id = client.create_experiment(old)
    client.rename_experiment(exp_id, new)
    assert client.get_experiment(exp_id).name == new
    assert client.get_experiment_by_name(new).experiment_id == exp_id
    assert client.get_experiment_by_name(old) is None


def test_rename_to_taken_name(client, unique_name):
    a, b = unique_name(), unique_name()
    client.create_experiment(a)
    b_id = client.create_experiment(b)
    # MLflow answers BAD_REQUEST (400) here (IntegrityError text), not
    # RESOURCE_ALREADY_EXISTS; either way a 400 and nothing changes.
    with pytest.raises(mlflow.MlflowException) as excinfo:
        client.rename_experiment(b_id, a)
    assert excinfo.value.get_http_status_code() == 400
    assert client.get_experiment(b_id).name == b


def test_delete_and_restore(client, unique_name):
    name = unique_name()
    exp_id = client.create_experiment(name)
    run = client.create_run(exp_id)

    client.delete_experiment(exp_id)
    exp = client.get_experiment(exp_id)
    assert exp.lifecycle_stage == "deleted"
    # Deleted experiments are still found by name, flagged deleted.
    assert client.get_experiment_by_name(name).lifecycle_stage == "deleted"
    # Their runs are soft-deleted with them.
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    # The name stays reserved.
    with raises_mlflow("RESOURCE_ALREADY_EXISTS", 400):
        client.create_experiment(name)
    # Deleting twice is an error.
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.delete_experiment(exp_id)

    client.restore_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "active"
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "active"
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.restore_experiment(exp_id)


def test_rename_deleted_experiment_fails(client, unique_name):
    name = unique_name()
    exp_id = client.create_experiment(name)
    client.delete_experiment(exp_id)
    # MLflow answers INVALID_STATE with HTTP 500, which the official client
    # retries until it reports "too many 500 error responses". Cairn treats it
    # as the client error it is: 400 INVALID_PARAMETER_VALUE, no retries.
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.rename_experiment(exp_id, unique_name())
    assert client.get_experiment(exp_id).name == name


def test_create_run_in_deleted_experiment(client, unique_name):
    exp_id = client.create_experiment(unique_name())
    client.delete_experiment(exp_id)
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.create_run(exp_id)


def test_experiment_tags(client, unique_name):
    exp_id = client.create_experiment(unique_name())
    client.set_experiment_tag(exp_id, "stage", "dev")
    client.set_experiment_tag(exp_id, "stage", "prod")  # upsert
    client.set_experiment_tag(exp_id, "mlflow.note.content", "# notes\nline 2")
    assert client.get_experiment(exp_id).tags == {
        "stage": "prod",
        "mlflow.note.content": "# notes\nline 2",
    }
    client.delete_experiment_tag(exp_id, "stage")
    assert client.get_experiment(exp_id).tags == {"mlflow.note.content": "# notes\nline 2"}
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.delete_experiment_tag(exp_id, "stage")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.set_experiment_tag("987654321", "k", "v")


def test_search_experiments_sees_new_experiment(client, unique_name):
    name = unique_name()
    exp_id = client.create_experiment(name)
    found = {e.experiment_id: e for e in client.search_experiments(max_results=50000)}
    assert exp_id in found and found[exp_id].name == name
    assert "0" in found


def test_search_experiments_default_order(client, unique_name):
    ids = [client.create_experiment(unique_name()) for _ in range(3)]
    listed = [e.experiment_id for e in client.search_experiments(max_results=50000)]
    # Default order is creation_time DESC, experiment_id ASC.
    positions = [listed.index(i) for i in ids]
    assert positions == sorted(positions, reverse=True)


def test_search_experiments_pagination(client, unique_name):
    for _ in range(3):
        client.create_experiment(unique_name())
    all_ids = [e.experiment_id for e in client.search_experiments(max_results=50000)]
    seen, token = [], None
    while True:
        page = client.search_experiments(max_results=2, page_token=token)
        assert len(page) <= 2
        seen.extend(e.experiment_id for e in page)
        token = page.token
        if not token:
            break
    assert seen == all_ids


def test_search_experiments_filter_by_name(client, unique_name):
    prefix = unique_name("filt")
    ids = {client.create_experiment(f"{prefix}-{i}") for i in range(3)}
    client.create_experiment(unique_name("other"))
    found = client.search_experiments(filter_string=f"name LIKE '{prefix}-%'")
    assert {e.experiment_id for e in found} == ids
    ordered = client.search_experiments(
        filter_string=f"name LIKE '{prefix}-%'", order_by=["name DESC"]
    )
    assert [e.name for e in ordered] == [f"{prefix}-2", f"{prefix}-1", f"{prefix}-0"]


def test_search_experiments_filter_by_tag(client, unique_name):
    marker = unique_name("tag")
    tagged = client.create_experiment(unique_name(), tags={"marker": marker})
    client.create_experiment(unique_name(), tags={"marker": "other"})
    found = client.search_experiments(filter_string=f"tags.marker = '{marker}'")
    assert [e.experiment_id for e in found] == [tagged]


def test_search_experiments_view_type(client, unique_name):
    live = client.create_experiment(unique_name())
    gone = client.create_experiment(unique_name())
    client.delete_experiment(gone)
    active = {e.experiment_id for e in client.search_experiments(view_type=ViewType.ACTIVE_ONLY)}
    deleted = {e.experiment_id for e in client.search_experiments(view_type=ViewType.DELETED_ONLY)}
    every = {e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)}
    assert live in active and gone not in active
    assert gone in deleted and live not in deleted
    assert {live, gone} <= every
