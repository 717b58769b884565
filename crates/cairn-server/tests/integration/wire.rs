//! Wire details: service endpoints, int64 handling, empty-field omission,
//! error-body shape.

use axum::http::header;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn health_and_version_are_plain_text() {
    let s = Server::new();
    let health = s.get_at("/health").await;
    assert_eq!(health.status.as_u16(), 200);
    assert_eq!(health.text(), "OK");
    let version = s.get_at("/version").await;
    assert_eq!(version.status.as_u16(), 200);
    assert_eq!(version.text(), "3.17.2");
}

#[tokio::test]
async fn server_info_and_logged_models_search() {
    let s = Server::new();
    for prefix in ["/api", "/ajax-api"] {
        let info = s
            .get_at(&format!("{prefix}/3.0/mlflow/server-info"))
            .await
            .ok();
        assert_eq!(info["store_type"], json!("SqlStore"));
        assert_eq!(info["workspaces_enabled"], json!(false));
        assert_eq!(info["multipart_uploads_enabled"], json!(false));
        let models = s
            .post_at(
                &format!("{prefix}/2.0/mlflow/logged-models/search"),
                &json!({"experiment_ids": ["0"], "max_results": 10}),
            )
            .await
            .ok();
        assert_eq!(models, json!({"models": []}));
    }
}

#[tokio::test]
async fn responses_are_json() {
    let s = Server::new();
    let resp = s.get("/experiments/get?experiment_id=0").await;
    assert!(
        resp.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
}

#[tokio::test]
async fn int64_fields_are_numbers_and_exact() {
    let s = Server::new();
    // 2^53 + 1 does not survive a float round trip; it must survive ours.
    let big: i64 = 9_007_199_254_740_993;
    let run = s
        .post("/runs/create", json!({"start_time": big.to_string()}))
        .await
        .ok()["run"]
        .clone();
    assert_eq!(run["info"]["start_time"].as_i64(), Some(big));
    let id = run["info"]["run_id"].as_str().unwrap().to_owned();
    s.post(
        "/runs/log-metric",
        json!({"run_id": id, "key": "m", "value": 1, "timestamp": big, "step": i64::MAX}),
    )
    .await
    .ok();
    let h = s.history(&id, "m").await;
    assert_eq!(h[0]["timestamp"].as_i64(), Some(big));
    assert_eq!(h[0]["step"].as_i64(), Some(i64::MAX));
    let resp = s
        .post("/runs/update", json!({"run_id": id, "end_time": big + 1}))
        .await
        .ok();
    assert_eq!(resp["run_info"]["end_time"].as_i64(), Some(big + 1));
    // Out-of-range int64s are refused, not wrapped.
    s.post(
        "/runs/log-metric",
        json!({"run_id": id, "key": "m", "value": 1, "timestamp": "9223372036854775808"}),
    )
    .await
    .invalid();
    s.post(
        "/runs/log-metric",
        json!({"run_id": id, "key": "m", "value": 1, "timestamp": 18_446_744_073_709_551_615_u64}),
    )
    .await
    .invalid();
}

#[tokio::test]
async fn empty_lists_and_unset_fields_are_omitted() {
    let s = Server::new();
    let id = s.run("0").await;
    // Empty responses are {}.
    assert_eq!(
        s.post(
            "/runs/log-metric",
            json!({"run_id": id, "key": "m", "value": 1, "timestamp": 1})
        )
        .await
        .ok(),
        json!({})
    );
    let run = s.get_run(&id).await;
    assert!(run["data"].get("params").is_none());
    assert!(run["info"].get("end_time").is_none());
    assert_eq!(run["inputs"], json!({}));
    // A search with no results is {}.
    let empty = s.experiment("empty").await;
    assert_eq!(
        s.post("/runs/search", json!({"experiment_ids": [empty]}))
            .await
            .ok(),
        json!({})
    );
}

#[tokio::test]
async fn metric_values_are_plain_numbers_when_finite() {
    let s = Server::new();
    let id = s.run("0").await;
    s.log_metric(&id, "m", json!(0.1), 1, 0).await;
    s.log_metric(&id, "z", json!(-0.0), 1, 0).await;
    s.log_metric(&id, "i", json!(3), 1, 0).await;
    let run = s.get_run(&id).await;
    assert_eq!(latest(&run, "m").unwrap()["value"], json!(0.1));
    assert_eq!(latest(&run, "i").unwrap()["value"], json!(3.0));
    assert!(latest(&run, "z").unwrap()["value"].is_f64());
}
