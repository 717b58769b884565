"""The model registry through the official client: ``mlflow.register_model``
from a logged run, ``MlflowClient`` model and version calls, aliases, stage
transitions, searches with filters and paging, and MLflow's error codes.

Registered models are global (not per experiment), so every test uses model
names with its own unique prefix and filters its searches by it.
"""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest
from mlflow.entities.model_registry import ModelVersion, RegisteredModel

from helpers import raises_mlflow

pytestmark = pytest.mark.usefixtures("cairn_server")


def _logged_model_run(client, experiment_id, tmp_path) -> str:
    """A run with a minimal model directory (an MLmodel file) at ``model/``."""
    run = client.create_run(experiment_id)
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "MLmodel").write_text("artifact_path: model\nflavors: {}\n")
    client.log_artifacts(run.info.run_id, str(model_dir), artifact_path="model")
    client.set_terminated(run.info.run_id)
    return run.info.run_id


def test_register_model_from_run_versions_increment(client, experiment_id, tmp_path, unique_name):
    name = unique_name("reg")
    run_id = _logged_model_run(client, experiment_id, tmp_path)
    mv1 = mlflow.register_model(f"runs:/{run_id}/model", name)
    assert isinstance(mv1, ModelVersion)
    assert (mv1.name, mv1.version, mv1.run_id) == (name, "1", run_id)
    assert mv1.status == "READY"
    assert mv1.current_stage == "None"
    # The client resolves the runs:/ URI to the run's artifact location.
    assert mv1.source.endswith(f"{run_id}/artifacts/model")
    mv2 = mlflow.register_model(f"runs:/{run_id}/model", name)
    assert mv2.version == "2"

    model = client.get_registered_model(name)
    assert isinstance(model, RegisteredModel)
    assert [v.version for v in model.latest_versions] == ["2"]
    assert client.get_model_version(name, "1").run_id == run_id
    assert client.get_model_version_download_uri(name, "1") == mv1.source


def test_create_get_update_rename_delete(client, unique_name):
    name = unique_name("crud")
    created = client.create_registered_model(name, tags={"team": "risk"}, description="first")
    assert created.name == name
    assert created.tags == {"team": "risk"}
    assert created.description == "first"
    client.update_registered_model(name, description="second")
    assert client.get_registered_model(name).description == "second"

    v = client.create_model_version(name, "s3://bucket/m", tags={"k": "v"}, description="d")
    assert v.version == "1" and v.tags == {"k": "v"} and v.description == "d"
    client.update_model_version(name, "1", description="changed")
    assert client.get_model_version(name, "1").description == "changed"

    new_name = unique_name("crud-renamed")
    client.rename_registered_model(name, new_name)
    assert client.get_registered_model(new_name).name == new_name
    assert client.get_model_version(new_name, "1").source == "s3://bucket/m"
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.get_registered_model(name)

    client.delete_model_version(new_name, "1")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.get_model_version(new_name, "1")
    assert client.create_model_version(new_name, "s3://bucket/m2").version == "2"
    client.delete_registered_model(new_name)
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.get_registered_model(new_name)


def test_tags(client, unique_name):
    name = unique_name("tags")
    client.create_registered_model(name)
    client.create_model_version(name, "s3://b/m")
    client.set_registered_model_tag(name, "stage", "dev")
    client.set_model_version_tag(name, "1", "validated", "yes")
    assert client.get_registered_model(name).tags == {"stage": "dev"}
    assert client.get_model_version(name, "1").tags == {"validated": "yes"}
    client.delete_registered_model_tag(name, "stage")
    client.delete_model_version_tag(name, "1", "validated")
    assert client.get_registered_model(name).tags == {}
    assert client.get_model_version(name, "1").tags == {}


def test_aliases(client, unique_name):
    name = unique_name("alias")
    client.create_registered_model(name)
    for i in range(3):
        client.create_model_version(name, f"s3://b/{i}")
    client.set_registered_model_alias(name, "champion", "1")
    client.set_registered_model_alias(name, "challenger", "2")
    assert client.get_model_version_by_alias(name, "champion").version == "1"
    # Setting an existing alias moves it.
    client.set_registered_model_alias(name, "champion", "3")
    mv = client.get_model_version_by_alias(name, "champion")
    assert mv.version == "3" and mv.aliases == ["champion"]
    assert client.get_registered_model(name).aliases == {"champion": "3", "challenger": "2"}
    client.delete_registered_model_alias(name, "challenger")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.get_model_version_by_alias(name, "challenger")
    # Deleting a version drops the aliases that point at it.
    client.delete_model_version(name, "3")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.get_model_version_by_alias(name, "champion")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.set_registered_model_alias(name, "latest", "1")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.set_registered_model_alias(name, "v2", "1")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.get_model_version_by_alias(unique_name("ghost"), "champion")
    client.set_registered_model_alias(name, "prod", "2")
    assert client.get_model_version_by_alias(name, "prod").source == "s3://b/1"


def test_stage_transitions_and_latest_versions(client, unique_name):
    name = unique_name("stages")
    client.create_registered_model(name)
    for i in range(3):
        client.create_model_version(name, f"s3://b/{i}")
    mv = client.transition_model_version_stage(name, "1", "production")
    assert mv.current_stage == "Production"
    client.transition_model_version_stage(name, "2", "Staging")
    latest = {v.current_stage: v.version for v in client.get_latest_versions(name)}
    assert latest == {"None": "3", "Staging": "2", "Production": "1"}
    assert [v.version for v in client.get_latest_versions(name, stages=["Production"])] == ["1"]
    client.transition_model_version_stage(name, "3", "Production", archive_existing_versions=True)
    assert client.get_model_version(name, "1").current_stage == "Archived"
    assert client.get_model_version(name, "2").current_stage == "Staging"
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.transition_model_version_stage(name, "1", "Retired")


def test_search_registered_models_filters_and_pages(client, unique_name):
    prefix = unique_name("search")
    names = [f"{prefix}-{i}" for i in range(5)]
    for n in names:
        client.create_registered_model(n)
    client.set_registered_model_tag(names[1], "team", "growth")

    found = client.search_registered_models(filter_string=f"name LIKE '{prefix}-%'")
    assert [m.name for m in found] == names
    upper = prefix.upper()
    found = client.search_registered_models(filter_string=f"name ILIKE '{upper}-%'")
    assert len(found) == 5
    assert [m.name for m in client.search_registered_models(f"name = '{names[2]}'")] == [names[2]]
    found = client.search_registered_models(
        f"name LIKE '{prefix}-%' AND name != '{names[0]}'"
    )
    assert len(found) == 4
    found = client.search_registered_models(f"name LIKE '{prefix}-%' AND tags.team = 'growth'")
    assert [m.name for m in found] == [names[1]]
    desc = client.search_registered_models(
        f"name LIKE '{prefix}-%'", order_by=["name DESC"]
    )
    assert [m.name for m in desc] == names[::-1]

    page1 = client.search_registered_models(f"name LIKE '{prefix}-%'", max_results=2)
    assert [m.name for m in page1] == names[:2] and page1.token
    page2 = client.search_registered_models(
        f"name LIKE '{prefix}-%'", max_results=2, page_token=page1.token
    )
    page3 = client.search_registered_models(
        f"name LIKE '{prefix}-%'", max_results=2, page_token=page2.token
    )
    assert [m.name for m in page2] + [m.name for m in page3] == names[2:]
    assert not page3.token
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_registered_models(max_results=1001)
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_registered_models("run_id = 'x'")


def test_search_model_versions(client, experiment_id, tmp_path, unique_name):
    name = unique_name("mvsearch")
    run_id = _logged_model_run(client, experiment_id, tmp_path)
    for _ in range(3):
        mlflow.register_model(f"runs:/{run_id}/model", name)
    client.set_model_version_tag(name, "2", "ok", "yes")

    found = client.search_model_versions(f"name = '{name}'")
    assert [v.version for v in found] == ["3", "2", "1"]
    found = client.search_model_versions(f"run_id = '{run_id}'")
    assert {v.version for v in found} == {"1", "2", "3"}
    found = client.search_model_versions(f"name = '{name}' AND tags.ok = 'yes'")
    assert [v.version for v in found] == ["2"]
    found = client.search_model_versions(
        f"name = '{name}' AND version_number >= 2", order_by=["version_number ASC"]
    )
    assert [v.version for v in found] == ["2", "3"]
    found = client.search_model_versions(f"name = '{name}' AND source_path LIKE '%/model'")
    assert len(found) == 3
    page = client.search_model_versions(f"name = '{name}'", max_results=2)
    assert [v.version for v in page] == ["3", "2"] and page.token
    rest = client.search_model_versions(f"name = '{name}'", max_results=2, page_token=page.token)
    assert [v.version for v in rest] == ["1"] and not rest.token
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_model_versions("stage = 'None'")


def test_error_cases(client, experiment_id, unique_name):
    name = unique_name("errors")
    client.create_registered_model(name)
    with raises_mlflow("RESOURCE_ALREADY_EXISTS", 400):
        client.create_registered_model(name)
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.create_registered_model("bad/name")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.create_model_version(unique_name("ghost"), "s3://b/m")
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.get_model_version(name, "one")
    with raises_mlflow("RESOURCE_DOES_NOT_EXIST", 404):
        client.get_model_version(name, "1")
    run = client.create_run(experiment_id)
    other = client.create_run(experiment_id)
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.create_model_version(
            name, f"runs:/{run.info.run_id}/model", run_id=other.info.run_id
        )
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.create_model_version(name, "s3://b/../etc")
    # None of the failures created a version.
    assert client.create_model_version(name, "s3://b/m").version == "1"


def test_models_uris_download_the_registered_files(client, experiment_id, tmp_path, unique_name):
    name = unique_name("uri")
    run_id = _logged_model_run(client, experiment_id, tmp_path)
    mlflow.register_model(f"runs:/{run_id}/model", name)
    client.set_registered_model_alias(name, "champion", "1")
    for uri in (f"models:/{name}/1", f"models:/{name}@champion", f"models:/{name}/latest"):
        dst = tmp_path / uri.replace("/", "_").replace(":", "_").replace("@", "_")
        local = mlflow.artifacts.download_artifacts(uri, dst_path=str(dst))
        assert "flavors" in (Path(local) / "MLmodel").read_text(), uri
