//! Property tests: arbitrary JSON-ish bodies, query strings (tracking and
//! model registry) and artifact paths never produce a 5xx (or a panic) and never touch anything outside
//! the artifact root.

use axum::body::Body;
use axum::http::Method;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value};

use crate::common::*;

/// Field names the handlers know, so generated bodies reach validation
/// instead of being ignored wholesale.
const FIELDS: &[&str] = &[
    "run_id",
    "run_uuid",
    "experiment_id",
    "experiment_ids",
    "name",
    "new_name",
    "key",
    "value",
    "timestamp",
    "step",
    "start_time",
    "end_time",
    "status",
    "run_name",
    "user_id",
    "tags",
    "metrics",
    "params",
    "datasets",
    "dataset",
    "model_json",
    "max_results",
    "page_token",
    "filter",
    "order_by",
    "view_type",
    "run_view_type",
    "artifact_location",
    "metric_key",
    "path",
    "version",
    "alias",
    "source",
    "stage",
    "stages",
    "archive_existing_versions",
    "description",
    "run_link",
];

const POST_ENDPOINTS: &[&str] = &[
    "/experiments/create",
    "/experiments/search",
    "/experiments/update",
    "/experiments/set-experiment-tag",
    "/experiments/delete-experiment-tag",
    "/runs/create",
    "/runs/update",
    "/runs/search",
    "/runs/log-metric",
    "/runs/log-parameter",
    "/runs/set-tag",
    "/runs/delete-tag",
    "/runs/log-batch",
    "/runs/log-inputs",
    "/runs/log-model",
];

/// Model-registry writes, with the method MLflow routes them by.
const REGISTRY_WRITES: &[(&str, &str)] = &[
    ("POST", "/registered-models/create"),
    ("POST", "/registered-models/rename"),
    ("PATCH", "/registered-models/update"),
    ("DELETE", "/registered-models/delete"),
    ("POST", "/registered-models/get-latest-versions"),
    ("POST", "/registered-models/set-tag"),
    ("DELETE", "/registered-models/delete-tag"),
    ("POST", "/registered-models/alias"),
    ("DELETE", "/registered-models/alias"),
    ("POST", "/model-versions/create"),
    ("PATCH", "/model-versions/update"),
    ("POST", "/model-versions/transition-stage"),
    ("DELETE", "/model-versions/delete"),
    ("POST", "/model-versions/set-tag"),
    ("DELETE", "/model-versions/delete-tag"),
];

/// Model-registry reads.
const REGISTRY_READS: &[&str] = &[
    "/registered-models/get",
    "/registered-models/search",
    "/registered-models/get-latest-versions",
    "/registered-models/alias",
    "/model-versions/get",
    "/model-versions/search",
    "/model-versions/get-download-uri",
];

const GET_ENDPOINTS: &[&str] = &[
    "/experiments/get",
    "/experiments/get-by-name",
    "/experiments/search",
    "/runs/get",
    "/metrics/get-history",
    "/metrics/get-history-bulk-interval",
    "/artifacts/list",
];

fn leaf(ids: Vec<String>) -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,40}".prop_map(Value::from),
        prop_oneof![
            Just("NaN"),
            Just("Infinity"),
            Just("-Infinity"),
            Just(""),
            Just(".."),
            Just("../x"),
            Just("-1"),
            Just("0"),
            Just("9223372036854775807"),
            Just("99999999999999999999"),
            Just("FINISHED"),
            Just("ALL"),
            Just("eyJvZmZzZXQiOiAxfQ=="),
        ]
        .prop_map(Value::from),
        proptest::sample::select(ids).prop_map(Value::from),
    ]
}

fn json_value(ids: Vec<String>) -> impl Strategy<Value = Value> {
    leaf(ids).prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    proptest::sample::select(FIELDS).prop_map(str::to_owned),
                    inner
                ),
                0..5
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A body: mostly objects with known fields, sometimes any JSON, sometimes garbage.
fn body(ids: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        6 => proptest::collection::vec(
            (proptest::sample::select(FIELDS).prop_map(str::to_owned), json_value(ids.clone())),
            0..6
        )
        .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>()).to_string()),
        2 => json_value(ids).prop_map(|v| v.to_string()),
        1 => "\\PC{0,60}",
        1 => proptest::collection::vec(any::<u8>(), 0..60)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

/// Query strings from known fields and arbitrary (encoded or raw) values.
fn query(ids: Vec<String>) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        (
            proptest::sample::select(FIELDS),
            prop_oneof![
                "\\PC{0,30}".prop_map(|v| enc(&v)),
                "[a-zA-Z0-9%._~/-]{0,30}",
                proptest::sample::select(ids),
            ],
        ),
        0..6,
    )
    .prop_map(|kv| {
        kv.into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    })
}

/// Artifact path tails: arbitrary text percent-encoded per byte, plus raw
/// tricky fragments glued together.
fn artifact_path() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{1,40}".prop_map(|p| enc(&p)),
        proptest::collection::vec(
            prop_oneof![
                Just("..".to_owned()),
                Just(".".to_owned()),
                Just("%2e".to_owned()),
                Just("%2E%2e".to_owned()),
                Just("%2f".to_owned()),
                Just("%5c".to_owned()),
                Just("%25".to_owned()),
                Just("%252e".to_owned()),
                Just("%00".to_owned()),
                Just("C:".to_owned()),
                Just("/".to_owned()),
                Just("secret.txt".to_owned()),
                "[a-z0-9]{1,6}",
            ],
            1..8
        )
        .prop_map(|parts| parts.join("/")),
        proptest::collection::vec(
            prop_oneof![
                Just(".."),
                Just("%2e"),
                Just("%2f"),
                Just("%5c"),
                Just("%25"),
                Just("a"),
                Just("/"),
            ],
            1..10
        )
        .prop_map(|parts| parts.concat()),
    ]
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

#[track_caller]
fn assert_no_server_error(resp: &Resp, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        !resp.status.is_server_error(),
        "{what}: {} {}",
        resp.status,
        resp.text()
    );
    Ok(())
}

#[test]
fn arbitrary_bodies_and_queries_never_cause_server_errors() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let s = Server::new();
    let (exp, run) = rt.block_on(async {
        let exp = s.experiment("fuzz").await;
        let run = s.run(&exp).await;
        (exp, run)
    });
    let ids = vec![exp, run, "0".to_owned()];
    let strategy = (
        proptest::sample::select(POST_ENDPOINTS),
        body(ids.clone()),
        proptest::sample::select(GET_ENDPOINTS),
        query(ids),
    );
    runner(192)
        .run(&strategy, |(post_path, body, get_path, query)| {
            rt.block_on(async {
                let resp = s
                    .raw(
                        Method::POST,
                        &format!("{API}{post_path}"),
                        Some("application/json"),
                        body.clone(),
                    )
                    .await;
                assert_no_server_error(&resp, &format!("POST {post_path} {body}"))?;
                if !resp.status.is_success() {
                    // Every rejection carries MLflow's error body.
                    let v: Value = serde_json::from_slice(&resp.bytes)
                        .map_err(|e| TestCaseError::fail(format!("non-JSON error: {e}")))?;
                    prop_assert!(v["error_code"].is_string() && v["message"].is_string());
                }
                let uri = format!("{API}{get_path}?{query}");
                let Ok(request) = axum::http::Request::get(&uri).body(Body::empty()) else {
                    return Ok(()); // not a valid URI at all: never reaches us
                };
                let resp = s.send(request).await;
                assert_no_server_error(&resp, &format!("GET {uri}"))?;
                Ok(())
            })
        })
        .unwrap();
}

#[test]
fn arbitrary_registry_requests_never_cause_server_errors() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let s = Server::new();
    let run = rt.block_on(async {
        let run = s.run("0").await;
        s.post(
            "/registered-models/create",
            serde_json::json!({"name": "m"}),
        )
        .await
        .ok();
        s.post(
            "/model-versions/create",
            serde_json::json!({"name": "m", "source": "s3://b/m"}),
        )
        .await
        .ok();
        run
    });
    let ids = vec![
        "m".to_owned(),
        "1".to_owned(),
        "champ".to_owned(),
        "Production".to_owned(),
        format!("runs:/{run}/model"),
        run,
    ];
    let strategy = (
        proptest::sample::select(REGISTRY_WRITES),
        body(ids.clone()),
        proptest::sample::select(REGISTRY_READS),
        query(ids),
    );
    runner(192)
        .run(&strategy, |((method, path), body, get_path, query)| {
            rt.block_on(async {
                let method = Method::from_bytes(method.as_bytes()).expect("method");
                let resp = s
                    .raw(
                        method.clone(),
                        &format!("{API}{path}"),
                        Some("application/json"),
                        body.clone(),
                    )
                    .await;
                assert_no_server_error(&resp, &format!("{method} {path} {body}"))?;
                if !resp.status.is_success() {
                    let v: Value = serde_json::from_slice(&resp.bytes)
                        .map_err(|e| TestCaseError::fail(format!("non-JSON error: {e}")))?;
                    prop_assert!(v["error_code"].is_string() && v["message"].is_string());
                }
                let uri = format!("{API}{get_path}?{query}");
                let Ok(request) = axum::http::Request::get(&uri).body(Body::empty()) else {
                    return Ok(());
                };
                let resp = s.send(request).await;
                assert_no_server_error(&resp, &format!("GET {uri}"))?;
                Ok(())
            })
        })
        .unwrap();
}

#[test]
fn arbitrary_artifact_paths_never_escape_or_fail_the_server() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let s = Server::new();
    std::fs::write(s.dir().join("secret.txt"), b"TOP SECRET").unwrap();
    let run = rt.block_on(async { s.run("0").await });
    runner(256)
        .run(&artifact_path(), |path| {
            rt.block_on(async {
                let proxied = format!("{PROXY}/{path}");
                let listed = format!("{PROXY}?path={path}");
                let run_list = format!("{API}/artifacts/list?run_id={run}&path={path}");
                let ui_get = format!("/get-artifact?run_uuid={run}&path={path}");
                for (method, uri) in [
                    (Method::PUT, &proxied),
                    (Method::GET, &proxied),
                    (Method::DELETE, &proxied),
                    (Method::GET, &listed),
                    (Method::GET, &run_list),
                    (Method::GET, &ui_get),
                ] {
                    let Ok(request) = axum::http::Request::builder()
                        .method(method.clone())
                        .uri(uri.as_str())
                        .body(Body::from("payload"))
                    else {
                        continue;
                    };
                    let resp = s.send(request).await;
                    assert_no_server_error(&resp, &format!("{method} {uri}"))?;
                    prop_assert!(!resp.text().contains("TOP SECRET"), "{method} {uri} leaked");
                }
                // Nothing was created next to the artifact root.
                let mut top: Vec<String> = std::fs::read_dir(s.dir())
                    .unwrap()
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .filter(|n| !n.starts_with("mlflow.db"))
                    .collect();
                top.sort();
                prop_assert_eq!(top, ["artifacts", "secret.txt"]);
                prop_assert_eq!(
                    std::fs::read(s.dir().join("secret.txt")).unwrap(),
                    b"TOP SECRET"
                );
                Ok(())
            })
        })
        .unwrap();
}
