//! Bad input: every rejection is a 4xx with `{"error_code", "message"}` and
//! leaves stored data unchanged (checked by reading it back).

use axum::body::Body;
use axum::http::Method;
use serde_json::{Value, json};

use crate::common::*;

const UNKNOWN_RUN: &str = "0123456789abcdef0123456789abcdef";

/// A run with one param, tag and metric, plus a snapshot helper.
async fn fixture() -> (Server, String, String) {
    let s = Server::new();
    let exp = s.experiment("errors").await;
    let id = s.run(&exp).await;
    s.post(
        "/runs/log-batch",
        json!({"run_id": id, "params": [{"key": "p", "value": "1"}],
               "tags": [{"key": "t", "value": "1"}],
               "metrics": [{"key": "m", "value": 1.0, "timestamp": 1, "step": 0}]}),
    )
    .await
    .ok();
    (s, exp, id)
}

/// Everything observable about the fixture's run and experiment.
async fn snapshot(s: &Server, exp: &str, id: &str) -> Value {
    json!({
        "run": s.get_run(id).await,
        "history": s.history(id, "m").await,
        "experiment": s.get_experiment(exp).await,
        "experiments": s.post("/experiments/search", json!({"view_type": "ALL"})).await.ok(),
        "runs": s.post("/runs/search", json!({"experiment_ids": [exp, "0"], "run_view_type": "ALL"})).await.ok(),
    })
}

#[tokio::test]
async fn malformed_json_bodies() {
    let (s, exp, id) = fixture().await;
    let before = snapshot(&s, &exp, &id).await;
    for path in [
        "/experiments/create",
        "/runs/create",
        "/runs/log-metric",
        "/runs/log-batch",
        "/runs/log-parameter",
        "/runs/set-tag",
        "/runs/update",
        "/runs/search",
        "/experiments/search",
    ] {
        for body in [
            "{",
            "{\"run_id\": }",
            "not json",
            "[1, 2]",
            "\"just a string\"",
            "42",
            "null",
            "{\"a\": 1}}",
        ] {
            let resp = s.post_str(path, body).await;
            let msg = resp.invalid();
            assert!(!msg.is_empty(), "{path} {body}");
        }
    }
    assert_eq!(snapshot(&s, &exp, &id).await, before);
}

#[tokio::test]
async fn wrong_types_name_the_field() {
    let (s, exp, id) = fixture().await;
    let before = snapshot(&s, &exp, &id).await;
    let cases = [
        ("/experiments/create", json!({"name": 5})),
        ("/experiments/create", json!({"name": "x", "tags": "nope"})),
        (
            "/experiments/create",
            json!({"name": "x", "tags": [{"key": 1, "value": "v"}]}),
        ),
        ("/runs/create", json!({"experiment_id": 1})),
        ("/runs/create", json!({"start_time": "soon"})),
        ("/runs/create", json!({"start_time": 1.5})),
        (
            "/runs/log-metric",
            json!({"run_id": id, "key": "m", "value": "abc", "timestamp": 1}),
        ),
        (
            "/runs/log-metric",
            json!({"run_id": id, "key": "m", "value": true, "timestamp": 1}),
        ),
        (
            "/runs/log-metric",
            json!({"run_id": id, "key": "m", "value": 1, "timestamp": "later"}),
        ),
        (
            "/runs/log-metric",
            json!({"run_id": id, "key": "m", "value": 1, "timestamp": 1, "step": 0.5}),
        ),
        (
            "/runs/log-metric",
            json!({"run_id": id, "key": ["m"], "value": 1, "timestamp": 1}),
        ),
        (
            "/runs/log-metric",
            json!({"run_id": 7, "key": "m", "value": 1, "timestamp": 1}),
        ),
        (
            "/runs/log-batch",
            json!({"run_id": id, "metrics": {"key": "m"}}),
        ),
        (
            "/runs/log-batch",
            json!({"run_id": id, "metrics": [{"key": "m", "value": {}, "timestamp": 1}]}),
        ),
        (
            "/runs/log-batch",
            json!({"run_id": id, "params": [{"key": "q", "value": 3}]}),
        ),
        (
            "/runs/log-parameter",
            json!({"run_id": id, "key": "q", "value": 3}),
        ),
        (
            "/runs/set-tag",
            json!({"run_id": id, "key": "t", "value": false}),
        ),
        (
            "/runs/update",
            json!({"run_id": id, "end_time": "tomorrow"}),
        ),
        ("/runs/update", json!({"run_id": id, "status": {"x": 1}})),
        ("/runs/search", json!({"experiment_ids": "0"})),
        (
            "/runs/search",
            json!({"experiment_ids": [exp], "max_results": [1]}),
        ),
        ("/experiments/search", json!({"order_by": "name"})),
    ];
    for (path, body) in cases {
        let resp = s.post(path, body.clone()).await;
        let msg = resp.invalid();
        assert!(!msg.is_empty(), "{path} {body}");
    }
    // The message names the offending field.
    let msg = s
        .post(
            "/runs/log-metric",
            json!({"run_id": id, "key": "m", "value": 1, "timestamp": "later"}),
        )
        .await
        .invalid();
    assert!(msg.contains("timestamp"), "{msg}");
    let msg = s
        .post(
            "/runs/log-batch",
            json!({"run_id": id, "metrics": [{"key": "m", "value": {}, "timestamp": 1}]}),
        )
        .await
        .invalid();
    assert!(msg.contains("value"), "{msg}");
    assert_eq!(snapshot(&s, &exp, &id).await, before);
}

#[tokio::test]
async fn missing_required_fields() {
    let (s, exp, id) = fixture().await;
    let before = snapshot(&s, &exp, &id).await;
    let cases = [
        ("/experiments/create", json!({}), "name"),
        ("/experiments/create", json!({"name": ""}), "name"),
        (
            "/experiments/update",
            json!({"new_name": "x"}),
            "experiment_id",
        ),
        (
            "/experiments/set-experiment-tag",
            json!({"experiment_id": exp, "value": "v"}),
            "key",
        ),
        (
            "/experiments/set-experiment-tag",
            json!({"experiment_id": exp, "key": "k"}),
            "value",
        ),
        (
            "/experiments/delete-experiment-tag",
            json!({"experiment_id": exp}),
            "key",
        ),
        (
            "/runs/log-metric",
            json!({"run_id": id, "value": 1, "timestamp": 1}),
            "key",
        ),
        (
            "/runs/log-metric",
            json!({"run_id": id, "key": "m", "timestamp": 1}),
            "value",
        ),
        (
            "/runs/log-metric",
            json!({"run_id": id, "key": "m", "value": 1}),
            "timestamp",
        ),
        (
            "/runs/log-metric",
            json!({"key": "m", "value": 1, "timestamp": 1}),
            "run_id",
        ),
        (
            "/runs/log-parameter",
            json!({"run_id": id, "value": "1"}),
            "key",
        ),
        (
            "/runs/log-parameter",
            json!({"run_id": id, "key": "q"}),
            "value",
        ),
        ("/runs/set-tag", json!({"run_id": id, "value": "1"}), "key"),
        ("/runs/delete-tag", json!({"run_id": id}), "key"),
        ("/runs/delete", json!({}), "run_id"),
        ("/runs/restore", json!({}), "run_id"),
        ("/runs/update", json!({"status": "FINISHED"}), "run_id"),
        ("/runs/log-batch", json!({"metrics": []}), "run_id"),
        (
            "/runs/log-batch",
            json!({"run_id": id, "metrics": [{"value": 1, "timestamp": 1}]}),
            "key",
        ),
        (
            "/runs/log-batch",
            json!({"run_id": id, "metrics": [{"key": "m", "timestamp": 1}]}),
            "value",
        ),
        (
            "/runs/log-batch",
            json!({"run_id": id, "metrics": [{"key": "m", "value": 1}]}),
            "timestamp",
        ),
        (
            "/runs/log-batch",
            json!({"run_id": id, "params": [{"value": "1"}]}),
            "key",
        ),
        ("/runs/log-inputs", json!({"datasets": []}), "run_id"),
        ("/runs/log-model", json!({"model_json": "{}"}), "run_id"),
    ];
    for (path, body, field) in cases {
        let msg = s.post(path, body.clone()).await.invalid();
        assert!(msg.contains(field), "{path} {body}: {msg}");
    }
    assert_eq!(snapshot(&s, &exp, &id).await, before);
}

#[tokio::test]
async fn post_without_json_content_type_is_refused() {
    let (s, exp, id) = fixture().await;
    let before = snapshot(&s, &exp, &id).await;
    let body = json!({"run_id": id, "key": "m", "value": 5, "timestamp": 9, "step": 9}).to_string();
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let resp = s
            .raw(
                Method::POST,
                &format!("{API}/runs/log-metric"),
                ct,
                body.clone(),
            )
            .await;
        let msg = resp.invalid();
        assert!(msg.contains("Content-Type"), "{msg}");
        let resp = s
            .raw(
                Method::POST,
                &format!("{API}/experiments/create"),
                ct,
                json!({"name": "ct"}).to_string(),
            )
            .await;
        resp.invalid();
    }
    // A charset parameter is fine.
    let resp = s
        .raw(
            Method::POST,
            &format!("{API}/runs/set-tag"),
            Some("application/json; charset=utf-8"),
            json!({"run_id": id, "key": "ct", "value": "ok"}).to_string(),
        )
        .await;
    resp.ok();
    s.post("/runs/delete-tag", json!({"run_id": id, "key": "ct"}))
        .await
        .ok();
    assert_eq!(snapshot(&s, &exp, &id).await, before);
}

#[tokio::test]
async fn unknown_ids_are_resource_does_not_exist() {
    let (s, exp, id) = fixture().await;
    let before = snapshot(&s, &exp, &id).await;
    let run_cases = [
        (
            "/runs/log-metric",
            json!({"run_id": UNKNOWN_RUN, "key": "m", "value": 1, "timestamp": 1}),
        ),
        (
            "/runs/log-parameter",
            json!({"run_id": UNKNOWN_RUN, "key": "p", "value": "1"}),
        ),
        (
            "/runs/set-tag",
            json!({"run_id": UNKNOWN_RUN, "key": "t", "value": "1"}),
        ),
        (
            "/runs/delete-tag",
            json!({"run_id": UNKNOWN_RUN, "key": "t"}),
        ),
        (
            "/runs/log-batch",
            json!({"run_id": UNKNOWN_RUN, "params": [{"key": "p", "value": "1"}]}),
        ),
        (
            "/runs/update",
            json!({"run_id": UNKNOWN_RUN, "status": "FINISHED"}),
        ),
        ("/runs/delete", json!({"run_id": UNKNOWN_RUN})),
        ("/runs/restore", json!({"run_id": UNKNOWN_RUN})),
        ("/runs/log-inputs", json!({"run_id": UNKNOWN_RUN})),
        ("/experiments/delete", json!({"experiment_id": "31337"})),
        ("/experiments/restore", json!({"experiment_id": "31337"})),
        (
            "/experiments/update",
            json!({"experiment_id": "31337", "new_name": "x"}),
        ),
        (
            "/experiments/set-experiment-tag",
            json!({"experiment_id": "31337", "key": "k", "value": "v"}),
        ),
        (
            "/experiments/delete-experiment-tag",
            json!({"experiment_id": "31337", "key": "k"}),
        ),
        ("/runs/create", json!({"experiment_id": "31337"})),
    ];
    for (path, body) in run_cases {
        s.post(path, body).await.not_found();
    }
    for uri in [
        format!("/runs/get?run_id={UNKNOWN_RUN}"),
        "/experiments/get?experiment_id=31337".to_owned(),
        "/experiments/get-by-name?experiment_name=ghost".to_owned(),
        format!("/metrics/get-history?run_id={UNKNOWN_RUN}&metric_key=m"),
        format!("/artifacts/list?run_id={UNKNOWN_RUN}"),
    ] {
        s.get(&uri).await.not_found();
    }
    // Malformed run ids are INVALID_PARAMETER_VALUE, not 404.
    for bad in ["", "-abc", "a b", "../x", "a/b", &"a".repeat(300)] {
        s.post(
            "/runs/log-metric",
            json!({"run_id": bad, "key": "m", "value": 1, "timestamp": 1}),
        )
        .await
        .invalid();
    }
    assert_eq!(snapshot(&s, &exp, &id).await, before);
}

#[tokio::test]
async fn keys_and_values_over_limits_and_bad_characters() {
    let (s, exp, id) = fixture().await;
    let before = snapshot(&s, &exp, &id).await;
    let long_key = "k".repeat(251);
    let bad_keys = [
        long_key.as_str(),
        "",
        "a\\b",
        "a%b",
        "a\nb",
        "semi;colon",
        "quote'",
        "/abs",
        "../up",
        "a//b",
        "a/",
        "a/./b",
        ".",
        "..",
        "emoji🙂",
    ];
    for key in bad_keys {
        s.post(
            "/runs/log-metric",
            json!({"run_id": id, "key": key, "value": 1, "timestamp": 1}),
        )
        .await
        .invalid();
        s.post(
            "/runs/log-parameter",
            json!({"run_id": id, "key": key, "value": "1"}),
        )
        .await
        .invalid();
        s.post(
            "/runs/set-tag",
            json!({"run_id": id, "key": key, "value": "1"}),
        )
        .await
        .invalid();
        s.post(
            "/runs/log-batch",
            json!({"run_id": id, "metrics": [{"key": key, "value": 1, "timestamp": 1}]}),
        )
        .await
        .invalid();
        s.post(
            "/experiments/set-experiment-tag",
            json!({"experiment_id": exp, "key": key, "value": "v"}),
        )
        .await
        .invalid();
        s.post(
            "/runs/create",
            json!({"experiment_id": exp, "tags": [{"key": key, "value": "v"}]}),
        )
        .await
        .invalid();
    }
    // The 250-character boundary is allowed (then cleaned up).
    let ok_key = "k".repeat(250);
    s.post(
        "/runs/set-tag",
        json!({"run_id": id, "key": ok_key, "value": "v"}),
    )
    .await
    .ok();
    s.post("/runs/delete-tag", json!({"run_id": id, "key": ok_key}))
        .await
        .ok();
    // Experiment names: at most 500 characters, not blank.
    s.post("/experiments/create", json!({"name": "n".repeat(501)}))
        .await
        .invalid();
    s.post("/experiments/create", json!({"name": "   "}))
        .await
        .invalid();
    s.post(
        "/experiments/update",
        json!({"experiment_id": exp, "new_name": "n".repeat(501)}),
    )
    .await
    .invalid();
    s.post(
        "/experiments/create",
        json!({"name": "runs-loc", "artifact_location": "runs:/abc/x"}),
    )
    .await
    .invalid();
    // Run names: at most 250.
    s.post(
        "/runs/update",
        json!({"run_id": id, "run_name": "r".repeat(251)}),
    )
    .await
    .invalid();
    assert_eq!(snapshot(&s, &exp, &id).await, before);
}

#[tokio::test]
async fn oversized_and_conflicting_batches() {
    let (s, exp, id) = fixture().await;
    let elsewhere = s.experiment("elsewhere").await;
    let other = s.run(&elsewhere).await;
    let before = snapshot(&s, &exp, &id).await;
    let metrics = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| json!({"key": "bulk", "value": i, "timestamp": 1, "step": i}))
            .collect()
    };
    let params = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| json!({"key": format!("bp{i}"), "value": "v"}))
            .collect()
    };
    let tags = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| json!({"key": format!("bt{i}"), "value": "v"}))
            .collect()
    };
    let cases = [
        json!({"run_id": id, "metrics": metrics(1001)}),
        json!({"run_id": id, "params": params(101)}),
        json!({"run_id": id, "tags": tags(101)}),
        // 901 + 100 = 1001 entities in total.
        json!({"run_id": id, "metrics": metrics(901), "params": params(100)}),
        json!({"run_id": id, "params": [{"key": "dup", "value": "1"}, {"key": "dup", "value": "1"}]}),
        json!({"run_id": id, "params": [{"key": "dup", "value": "1"}, {"key": "dup", "value": "2"}]}),
        // One bad metric poisons the whole batch.
        json!({"run_id": id, "metrics": [{"key": "ok", "value": 1, "timestamp": 1},
                                         {"key": "bad", "value": 1, "timestamp": -1}]}),
        json!({"run_id": id, "params": [{"key": "p", "value": "changed"}],
               "metrics": [{"key": "ok", "value": 1, "timestamp": 1}]}),
    ];
    for body in cases {
        let msg = s.post("/runs/log-batch", body).await.invalid();
        assert!(!msg.is_empty());
    }
    let msg = s
        .post(
            "/runs/log-batch",
            json!({"run_id": id, "params": [{"key": "dup", "value": "1"}, {"key": "dup", "value": "2"}]}),
        )
        .await
        .invalid();
    assert!(msg.contains("Duplicate"), "{msg}");
    // The limits themselves are accepted (on another run, to keep the snapshot).
    s.post(
        "/runs/log-batch",
        json!({"run_id": other, "metrics": metrics(900), "params": params(100)}),
    )
    .await
    .ok();
    assert_eq!(snapshot(&s, &exp, &id).await, before);
}

#[tokio::test]
async fn negative_timestamps_are_refused() {
    let (s, exp, id) = fixture().await;
    let before = snapshot(&s, &exp, &id).await;
    s.post(
        "/runs/log-metric",
        json!({"run_id": id, "key": "m", "value": 1, "timestamp": -1}),
    )
    .await
    .invalid();
    s.post(
        "/runs/log-batch",
        json!({"run_id": id, "metrics": [{"key": "m", "value": 1, "timestamp": -1}]}),
    )
    .await
    .invalid();
    s.post(
        "/runs/create",
        json!({"experiment_id": exp, "start_time": -1}),
    )
    .await
    .invalid();
    assert_eq!(snapshot(&s, &exp, &id).await, before);
}

#[tokio::test]
async fn invalid_search_parameters() {
    let (s, exp, id) = fixture().await;
    let before = snapshot(&s, &exp, &id).await;
    for bad in [
        json!(0),
        json!(-1),
        json!(50_001),
        json!(1e10),
        json!("ten"),
    ] {
        s.post(
            "/runs/search",
            json!({"experiment_ids": [exp], "max_results": bad}),
        )
        .await
        .invalid();
        s.post("/experiments/search", json!({"max_results": bad}))
            .await
            .invalid();
    }
    for token in [
        "%%%",
        "e30=",
        "eyJvZmZzZXQiOiAiYSJ9",
        "eyJvZmZzZXQiOiAxfQ==garbage",
        "////",
    ] {
        s.post(
            "/runs/search",
            json!({"experiment_ids": [exp], "page_token": token}),
        )
        .await
        .invalid();
        s.post("/experiments/search", json!({"page_token": token}))
            .await
            .invalid();
        s.get(&format!(
            "/metrics/get-history?run_id={id}&metric_key=m&page_token={}",
            enc(token)
        ))
        .await
        .invalid();
    }
    assert_eq!(snapshot(&s, &exp, &id).await, before);
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let s = Server::new();
    s.get("/runs/nope").await.err(404, "ENDPOINT_NOT_FOUND");
    s.get_at("/api/2.0/other")
        .await
        .err(404, "ENDPOINT_NOT_FOUND");
    let resp = s
        .raw(
            Method::DELETE,
            &format!("{API}/runs/create"),
            None,
            Body::empty(),
        )
        .await;
    assert_eq!(resp.status.as_u16(), 405);
    let resp = s.get("/runs/log-metric").await;
    assert_eq!(resp.status.as_u16(), 405);
}

#[tokio::test]
async fn bodiless_post_uses_the_query_string() {
    let (s, _exp, id) = fixture().await;
    // An empty POST body falls back to query parameters (and still validates).
    let resp = s
        .raw(
            Method::POST,
            &format!("{API}/runs/delete-tag?run_id={id}&key=t"),
            None,
            Body::empty(),
        )
        .await;
    resp.ok();
    assert_eq!(tag(&s.get_run(&id).await, "t"), None);
    let resp = s
        .raw(
            Method::POST,
            &format!("{API}/runs/delete-tag"),
            None,
            Body::empty(),
        )
        .await;
    resp.invalid();
}
