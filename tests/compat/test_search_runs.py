"""``search_runs``: filters, OR/parentheses, order_by, max_results, page tokens.

Every test searches only its own experiment, so expected sets are exact.
"""

from __future__ import annotations

import pytest
from mlflow.entities import Metric, Param, RunTag

from helpers import raises_mlflow

pytestmark = pytest.mark.usefixtures("cairn_server")

# name -> (params, metrics, tags, start_time)
GRID = {
    "r1": ({"maxDepth": "6", "impurity": "gini"}, {"acc": 0.95, "loss": 0.20}, {"kind": "tree"}, 1),
    "r2": ({"maxDepth": "6", "impurity": "entropy"}, {"acc": 0.85, "loss": 0.40}, {"kind": "tree"}, 2),
    "r3": ({"maxDepth": "10", "impurity": "gini"}, {"acc": 0.91, "loss": 0.30}, {"kind": "forest"}, 3),
    "r4": ({"maxDepth": "4", "impurity": "gini"}, {"acc": 0.70}, {"kind": "forest"}, 4),
    "r5": ({"maxDepth": "8"}, {"loss": 0.90}, {}, 5),
}


@pytest.fixture
def grid(client, experiment_id):
    """Five runs with known params/metrics/tags; returns name -> run_id."""
    ids = {}
    for name, (params, metrics, tags, start) in GRID.items():
        run = client.create_run(experiment_id, run_name=name, start_time=1_700_000_000_000 + start)
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(k, v, 1, 0) for k, v in metrics.items()],
            params=[Param(k, v) for k, v in params.items()],
            tags=[RunTag(k, v) for k, v in tags.items()],
        )
        ids[name] = run.info.run_id
    return ids


def names(runs) -> list[str]:
    return [r.info.run_name for r in runs]


def search(client, experiment_id, filter_string="", **kw):
    return client.search_runs([experiment_id], filter_string, **kw)


def test_search_returns_full_runs(client, experiment_id, grid):
    runs = search(client, experiment_id)
    assert len(runs) == 5
    by_name = {r.info.run_name: r for r in runs}
    r1 = by_name["r1"]
    assert r1.info.run_id == grid["r1"]
    assert r1.data.params == {"maxDepth": "6", "impurity": "gini"}
    assert r1.data.metrics == {"acc": 0.95, "loss": 0.20}
    assert r1.data.tags["kind"] == "tree"
    assert r1.data.tags["mlflow.runName"] == "r1"


def test_default_order_is_start_time_desc(client, experiment_id, grid):
    assert names(search(client, experiment_id)) == ["r5", "r4", "r3", "r2", "r1"]


def test_filter_param_equals(client, experiment_id, grid):
    assert set(names(search(client, experiment_id, "params.maxDepth = '6'"))) == {"r1", "r2"}
    # Double-quoted values work too.
    assert set(names(search(client, experiment_id, 'params.maxDepth = "6"'))) == {"r1", "r2"}


def test_filter_metric_greater(client, experiment_id, grid):
    assert set(names(search(client, experiment_id, "metrics.acc > 0.9"))) == {"r1", "r3"}
    assert set(names(search(client, experiment_id, "metrics.acc <= 0.85"))) == {"r2", "r4"}


def test_filter_and(client, experiment_id, grid):
    got = search(client, experiment_id, "metrics.acc > 0.9 and params.impurity = 'gini'")
    assert set(names(got)) == {"r1", "r3"}
    got = search(client, experiment_id, "params.maxDepth = '6' AND metrics.loss < 0.3")
    assert names(got) == ["r1"]


def test_filter_or(client, experiment_id, grid):
    got = search(client, experiment_id, "params.maxDepth = '10' OR metrics.acc < 0.8")
    assert set(names(got)) == {"r3", "r4"}


def test_filter_parentheses(client, experiment_id, grid):
    got = search(
        client,
        experiment_id,
        "(params.maxDepth = '6' OR params.maxDepth = '10') AND metrics.acc > 0.9",
    )
    assert set(names(got)) == {"r1", "r3"}
    got = search(
        client,
        experiment_id,
        "params.maxDepth = '6' OR (params.maxDepth = '10' AND metrics.acc > 0.99)",
    )
    assert set(names(got)) == {"r1", "r2"}


def test_filter_tags_and_attributes(client, experiment_id, grid):
    assert set(names(search(client, experiment_id, "tags.kind = 'forest'"))) == {"r3", "r4"}
    assert names(search(client, experiment_id, "attributes.run_name = 'r2'")) == ["r2"]
    assert names(search(client, experiment_id, "tags.`mlflow.runName` = 'r4'")) == ["r4"]
    assert set(names(search(client, experiment_id, "params.impurity LIKE 'gin%'"))) == {
        "r1",
        "r3",
        "r4",
    }
    assert set(names(search(client, experiment_id, "params.impurity IS NULL"))) == {"r5"}
    got = search(client, experiment_id, f"attributes.run_id IN ('{grid['r1']}', '{grid['r5']}')")
    assert set(names(got)) == {"r1", "r5"}
    got = search(client, experiment_id, "attributes.start_time > 1700000000003")
    assert set(names(got)) == {"r4", "r5"}


def test_missing_metric_does_not_match(client, experiment_id, grid):
    # r5 has no acc; r4 has no loss.
    assert "r5" not in names(search(client, experiment_id, "metrics.acc < 100"))
    assert "r4" not in names(search(client, experiment_id, "metrics.loss >= 0"))


def test_order_by_metric(client, experiment_id, grid):
    got = search(client, experiment_id, order_by=["metrics.acc DESC"])
    # Runs without the metric sort last in both directions.
    assert names(got) == ["r1", "r3", "r2", "r4", "r5"]
    got = search(client, experiment_id, order_by=["metrics.acc ASC"])
    assert names(got) == ["r4", "r2", "r3", "r1", "r5"]


def test_order_by_param_then_start_time(client, experiment_id, grid):
    # Params sort as strings: '10' < '4' < '6' < '8'.
    got = search(client, experiment_id, order_by=["params.maxDepth ASC", "attributes.start_time DESC"])
    assert names(got) == ["r3", "r4", "r2", "r1", "r5"]


def test_filter_and_order(client, experiment_id, grid):
    got = search(client, experiment_id, "metrics.acc > 0.8", order_by=["metrics.loss DESC"])
    assert names(got) == ["r2", "r3", "r1"]


def test_max_results_and_page_tokens(client, experiment_id, grid):
    first = search(client, experiment_id, max_results=2)
    assert names(first) == ["r5", "r4"]
    assert first.token
    second = search(client, experiment_id, max_results=2, page_token=first.token)
    assert names(second) == ["r3", "r2"]
    assert second.token
    third = search(client, experiment_id, max_results=2, page_token=second.token)
    assert names(third) == ["r1"]
    assert not third.token
    exact = search(client, experiment_id, max_results=5)
    assert len(exact) == 5 and not exact.token


def test_page_tokens_with_filter_and_order(client, experiment_id, grid):
    order = ["metrics.acc DESC"]
    first = search(client, experiment_id, "metrics.acc > 0", max_results=3, order_by=order)
    assert names(first) == ["r1", "r3", "r2"] and first.token
    rest = search(
        client, experiment_id, "metrics.acc > 0", max_results=3, order_by=order, page_token=first.token
    )
    assert names(rest) == ["r4"] and not rest.token


def test_search_several_experiments(client, unique_name):
    a = client.create_experiment(unique_name())
    b = client.create_experiment(unique_name())
    ra = client.create_run(a).info.run_id
    rb = client.create_run(b).info.run_id
    got = {r.info.run_id for r in client.search_runs([a, b])}
    assert got == {ra, rb}


@pytest.mark.parametrize(
    "bad",
    [
        "params.maxDepth = 6",  # param compared with a number
        "metrics.acc > 'x'",  # metric compared with a string
        "metrics.acc >",
        "foo.bar = 'x'",
        "params.a = 'x' AND",
        "(params.a = 'x'",
    ],
)
def test_invalid_filter(client, experiment_id, bad):
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_runs([experiment_id], bad)


def test_invalid_order_by(client, experiment_id):
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_runs([experiment_id], order_by=["metrics.acc SIDEWAYS"])


def test_invalid_page_token(client, experiment_id):
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_runs([experiment_id], page_token="not-a-token!")


def test_max_results_limit(client, experiment_id):
    assert len(client.search_runs([experiment_id], max_results=50000)) == 0
    with raises_mlflow("INVALID_PARAMETER_VALUE", 400):
        client.search_runs([experiment_id], max_results=50001)
