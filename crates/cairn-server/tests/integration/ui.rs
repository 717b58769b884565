//! The UI's routes driven through `app()` with `oneshot`: static pages and
//! the page-data endpoints under `/ajax-api/2.0/cairn/`. Data is created
//! through the MLflow REST API, as a client would.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cairn_server::{AppState, Settings, app};
use cairn_store::{SqliteStore, StoreOptions};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

struct Env {
    app: Router,
    _dir: tempfile::TempDir,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("db.sqlite"), StoreOptions::default()).unwrap();
    let state = AppState::new(Arc::new(store), None, Settings::default());
    Env {
        app: app(state),
        _dir: dir,
    }
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, body, headers)
}

async fn get(app: &Router, uri: &str) -> (StatusCode, Value) {
    let (s, b, _) = send(app, Request::get(uri).body(Body::empty()).unwrap()).await;
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

async fn post(app: &Router, path: &str, body: Value) -> Value {
    let req = Request::post(format!("/api/2.0/mlflow/{path}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let (s, b, _) = send(app, req).await;
    let v: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
    assert_eq!(s, StatusCode::OK, "{path}: {v}");
    v
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn experiment(app: &Router, name: &str) -> String {
    post(app, "experiments/create", json!({"name": name})).await["experiment_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn run(app: &Router, exp: &str, name: &str, parent: Option<&str>, start: i64) -> String {
    let mut tags = vec![json!({"key": "mlflow.runName", "value": name})];
    if let Some(p) = parent {
        tags.push(json!({"key": "mlflow.parentRunId", "value": p}));
    }
    post(
        app,
        "runs/create",
        json!({"experiment_id": exp, "run_name": name, "start_time": start, "tags": tags}),
    )
    .await["run"]["info"]["run_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn log(app: &Router, run: &str, params: &[(&str, String)], metrics: &[(&str, f64, i64)]) {
    let params: Vec<Value> = params
        .iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect();
    let metrics: Vec<Value> = metrics
        .iter()
        .map(|(k, v, s)| json!({"key": k, "value": v, "timestamp": 1_000 + s, "step": s}))
        .collect();
    post(
        app,
        "runs/log-batch",
        json!({"run_id": run, "params": params, "metrics": metrics}),
    )
    .await;
}

#[tokio::test]
async fn index_and_assets_are_served_with_cache_headers() {
    let e = env();
    let (s, body, h) = send(&e.app, Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("/static/app.js"));
    assert!(
        h[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let etag = h[header::ETAG].clone();
    let (s, _, _) = send(
        &e.app,
        Request::get("/")
            .header(header::IF_NONE_MATCH, etag)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    for (path, ct) in [
        ("echarts-6.1.0.min.js", "text/javascript"),
        ("uPlot-1.6.32.iife.min.js", "text/javascript"),
        ("uPlot-1.6.32.min.css", "text/css"),
    ] {
        let (s, _, h) = send(
            &e.app,
            Request::get(format!("/static/vendor/{path}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert!(
            h[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        assert!(h[header::CONTENT_TYPE].to_str().unwrap().starts_with(ct));
    }
    for p in [
        "app.js",
        "pages/runs.js",
        "pages/tuning.js",
        "pages/models.js",
        "pages/model.js",
        "pages/model-version.js",
        "pages/registry-util.js",
        "style.css",
    ] {
        let (s, _, _) = send(
            &e.app,
            Request::get(format!("/static/{p}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{p}");
    }
    let (s, _, _) = send(
        &e.app,
        Request::get("/static/nope.js").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn experiments_list_has_run_counts_and_search() {
    let e = env();
    let a = experiment(&e.app, "alpha-cv").await;
    let b = experiment(&e.app, "beta").await;
    for i in 0..3 {
        run(&e.app, &a, &format!("r{i}"), None, 1_000 + i).await;
    }
    let (s, v) = get(&e.app, "/ajax-api/2.0/cairn/experiments").await;
    assert_eq!(s, StatusCode::OK);
    let list = v["experiments"].as_array().unwrap();
    let find = |id: &str| list.iter().find(|x| x["id"] == id).unwrap().clone();
    assert_eq!(find(&a)["runs"], 3);
    assert_eq!(find(&a)["last_run_start"], 1_002);
    assert_eq!(find(&b)["runs"], 0);
    let (_, v) = get(&e.app, "/ajax-api/2.0/cairn/experiments?q=ALPHA").await;
    let names: Vec<&str> = v["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["alpha-cv"]);
    // a quote in the search cannot break the filter
    let (s, _) = get(&e.app, "/ajax-api/2.0/cairn/experiments?q=a'b").await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn runs_table_sorts_filters_pages_and_counts_children() {
    let e = env();
    let exp = experiment(&e.app, "cv").await;
    let parent = run(&e.app, &exp, "cv-parent", None, 100).await;
    let mut kids = Vec::new();
    for d in 0..5 {
        let id = run(&e.app, &exp, &format!("depth={d}"), Some(&parent), 200 + d).await;
        log(
            &e.app,
            &id,
            &[("maxDepth", d.to_string())],
            &[("acc", 0.5 + d as f64 / 10.0, 0)],
        )
        .await;
        kids.push(id);
    }
    let base = format!("/ajax-api/2.0/cairn/runs?experiment_id={exp}");
    // default order: start_time DESC
    let (s, v) = get(&e.app, &base).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[5]["id"], parent.as_str());
    assert_eq!(rows[5]["children"], 5);
    assert_eq!(rows[0]["parent"], parent.as_str());
    assert_eq!(rows[0]["params"]["maxDepth"], "4");
    assert_eq!(v["columns"]["metrics"], json!(["acc"]));
    assert!(v["server_ms"].as_f64().is_some());
    // server-side sort by a metric, ascending
    let (_, v) = get(
        &e.app,
        &format!("{base}&order_by={}", enc("metrics.`acc` ASC")),
    )
    .await;
    let accs: Vec<f64> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["metrics"]["acc"].as_f64())
        .collect();
    assert_eq!(accs, vec![0.5, 0.6, 0.7, 0.8, 0.9]);
    // OR and parentheses
    let f = enc("(params.maxDepth = '1' or params.maxDepth = '3') and metrics.acc > 0");
    let (_, v) = get(&e.app, &format!("{base}&filter={f}")).await;
    assert_eq!(v["rows"].as_array().unwrap().len(), 2);
    // paging by offset
    let (_, v) = get(&e.app, &format!("{base}&limit=4")).await;
    assert_eq!(v["rows"].as_array().unwrap().len(), 4);
    assert_eq!(v["next_offset"], 4);
    let (_, v) = get(&e.app, &format!("{base}&limit=4&offset=4")).await;
    assert_eq!(v["rows"].as_array().unwrap().len(), 2);
    assert!(v["next_offset"].is_null());
    // children of one parent, as the tree's expander asks
    let f = enc(&format!("tags.`mlflow.parentRunId` = '{parent}'"));
    let (_, v) = get(&e.app, &format!("{base}&filter={f}")).await;
    assert_eq!(v["rows"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn nested_pages_bring_their_missing_ancestors() {
    let e = env();
    let exp = experiment(&e.app, "tree").await;
    let root = run(&e.app, &exp, "cv", None, 100).await;
    let mid = run(&e.app, &exp, "fold", Some(&root), 150).await;
    let leaf = run(&e.app, &exp, "trial", Some(&mid), 300).await;
    let lone = run(&e.app, &exp, "lone", None, 200).await;
    // An orphan whose parent tag names no run: stays at the top level.
    let orphan = run(
        &e.app,
        &exp,
        "orphan",
        Some("0123456789abcdef0123456789abcdef"),
        50,
    )
    .await;
    let base = format!("/ajax-api/2.0/cairn/runs?experiment_id={exp}&nest=1");
    // Newest first: page 1 holds only the grandchild; its chain comes along.
    let (s, v) = get(&e.app, &format!("{base}&limit=1")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["rows"][0]["id"], leaf.as_str());
    let mut parents: Vec<&str> = v["parents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    parents.sort();
    let mut want = vec![root.as_str(), mid.as_str()];
    want.sort();
    assert_eq!(parents, want);
    let by_id = |id: &str| {
        v["parents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id(&root)["children"], 1);
    assert_eq!(by_id(&mid)["parent"], root.as_str());
    // A filter that matches only the leaf still brings its ancestors.
    let (_, v) = get(
        &e.app,
        &format!("{base}&filter={}", enc("attributes.run_name = 'trial'")),
    )
    .await;
    assert_eq!(v["rows"].as_array().unwrap().len(), 1);
    assert_eq!(v["parents"].as_array().unwrap().len(), 2);
    // Ancestors already on the page are not repeated; the orphan has none.
    let (_, v) = get(&e.app, &base).await;
    assert_eq!(v["rows"].as_array().unwrap().len(), 5);
    assert_eq!(v["parents"], json!([]));
    let (_, v) = get(&e.app, &format!("{base}&offset=4")).await;
    assert_eq!(v["rows"][0]["id"], orphan.as_str());
    assert_eq!(v["parents"], json!([]));
    // Without nest=1 nothing extra is read.
    let (_, v) = get(
        &e.app,
        &format!("/ajax-api/2.0/cairn/runs?experiment_id={exp}&limit=1"),
    )
    .await;
    assert_eq!(v["parents"], json!([]));
    let _ = lone;
}

#[tokio::test]
async fn runs_table_sorts_by_duration_on_the_server() {
    let e = env();
    let exp = experiment(&e.app, "durations").await;
    let mut ids = Vec::new();
    for (i, secs) in [5i64, 1, 9].iter().enumerate() {
        let id = run(&e.app, &exp, &format!("r{i}"), None, 1_000).await;
        post(
            &e.app,
            "runs/update",
            json!({"run_id": id, "status": "FINISHED", "end_time": 1_000 + secs * 1000}),
        )
        .await;
        ids.push(id);
    }
    let running = run(&e.app, &exp, "still running", None, 2_000).await;
    let order = |v: &Value| -> Vec<String> {
        v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let base = format!("/ajax-api/2.0/cairn/runs?experiment_id={exp}&order_by=");
    let (s, v) = get(
        &e.app,
        &format!("{base}{}", enc("attributes.duration DESC")),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        order(&v),
        vec![
            ids[2].clone(),
            ids[0].clone(),
            ids[1].clone(),
            running.clone()
        ]
    );
    let (_, v) = get(&e.app, &format!("{base}{}", enc("attributes.duration ASC"))).await;
    assert_eq!(
        order(&v),
        vec![ids[1].clone(), ids[0].clone(), ids[2].clone(), running]
    );
}

#[tokio::test]
async fn runs_table_reports_filter_syntax_errors_with_token_and_position() {
    let e = env();
    let exp = experiment(&e.app, "x").await;
    let (s, v) = get(
        &e.app,
        &format!(
            "/ajax-api/2.0/cairn/runs?experiment_id={exp}&filter={}",
            enc("metrics.acc >> 1")
        ),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error_code"], "INVALID_PARAMETER_VALUE");
    let msg = v["message"].as_str().unwrap();
    assert!(msg.contains("position"), "{msg}");
    let (s, _) = get(&e.app, "/ajax-api/2.0/cairn/runs").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = get(&e.app, "/ajax-api/2.0/cairn/runs?experiment_id=abc").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn metric_series_is_downsampled_keeping_spikes() {
    let e = env();
    let exp = experiment(&e.app, "long").await;
    let id = run(&e.app, &exp, "long", None, 1).await;
    let n = 20_000i64;
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let metrics: Vec<(&str, f64, i64)> = chunk
            .iter()
            .map(|&s| {
                let v = if s == 12_345 { 100.0 } else { (s % 7) as f64 };
                ("loss", v, s)
            })
            .collect();
        log(&e.app, &id, &[], &metrics).await;
    }
    let (s, v) = get(
        &e.app,
        &format!("/ajax-api/2.0/cairn/metric-series?run_ids={id}&key=loss&buckets=200"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let series = &v["series"][0];
    assert_eq!(series["total_points"], n);
    let pts = series["points"].as_array().unwrap();
    assert!(pts.len() <= 400 && pts.len() >= 200, "{}", pts.len());
    assert!(pts.iter().any(|p| p[0] == 12_345.0 && p[1] == 100.0));
    // time axis works too, and bad input is a 400
    let (s, v) = get(
        &e.app,
        &format!("/ajax-api/2.0/cairn/metric-series?run_ids={id}&key=loss&x=time&buckets=50"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["series"][0]["points"].as_array().unwrap().len() <= 100);
    let (s, _) = get(&e.app, "/ajax-api/2.0/cairn/metric-series?key=loss").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = get(
        &e.app,
        &format!("/ajax-api/2.0/cairn/metric-series?run_ids={id}&key=loss&x=banana"),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn long_metric_series_read_the_write_time_block_extremes() {
    let e = env();
    let exp = experiment(&e.app, "longer").await;
    let id = run(&e.app, &exp, "long", None, 1).await;
    let n = 120_000i64;
    let f = |s: i64| match s {
        77_777 => 500.0,
        3_001 => -400.0,
        _ => ((s * 31) % 97) as f64 / 97.0,
    };
    // Batches arrive out of step order: block extremes must not care.
    let mut steps: Vec<i64> = (0..n).collect();
    steps.rotate_left(50_000);
    for chunk in steps.chunks(1000) {
        let metrics: Vec<(&str, f64, i64)> = chunk.iter().map(|&s| ("loss", f(s), s)).collect();
        log(&e.app, &id, &[], &metrics).await;
    }
    // Re-logging a batch (exact duplicates) must not inflate the count.
    let again: Vec<(&str, f64, i64)> = (0..1000).map(|s| ("loss", f(s), s)).collect();
    log(&e.app, &id, &[], &again).await;

    let url = |buckets: usize, x: &str| {
        format!("/ajax-api/2.0/cairn/metric-series?run_ids={id}&key=loss&buckets={buckets}&x={x}")
    };
    // 469 blocks of 256 steps >= 2 per bucket: the summary is used.
    let (s, v) = get(&e.app, &url(100, "step")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let series = &v["series"][0];
    assert_eq!(series["summarized"], true);
    assert_eq!(series["total_points"], n);
    assert_eq!(series["first_time"], 1_000);
    let pts = series["points"].as_array().unwrap();
    assert!((100..=200).contains(&pts.len()), "{}", pts.len());
    assert!(pts.iter().any(|p| p[0] == 77_777.0 && p[1] == 500.0));
    assert!(pts.iter().any(|p| p[0] == 3_001.0 && p[1] == -400.0));
    for p in pts {
        let (x, y) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
        assert_eq!(y, f(x as i64), "({x}, {y}) is not a history point");
    }
    assert!(pts.windows(2).all(|w| w[0][0].as_f64() <= w[1][0].as_f64()));
    // Time axis (timestamp = 1000 + step here) from the same summary.
    let (_, v) = get(&e.app, &url(100, "time")).await;
    let pts = v["series"][0]["points"].as_array().unwrap();
    assert!(pts.iter().any(|p| p[0] == 78_777.0 && p[1] == 500.0));
    // A finer chart than the summary can serve reads every point.
    let (_, v) = get(&e.app, &url(1000, "step")).await;
    let series = &v["series"][0];
    assert_eq!(series["summarized"], false);
    assert_eq!(series["total_points"], n);
    let pts = series["points"].as_array().unwrap();
    assert!((1000..=2000).contains(&pts.len()), "{}", pts.len());
    assert!(pts.iter().any(|p| p[0] == 77_777.0 && p[1] == 500.0));
}

#[tokio::test]
async fn tuning_data_has_history_best_and_importance() {
    let e = env();
    let exp = experiment(&e.app, "hpo").await;
    let parent = run(&e.app, &exp, "search", None, 1).await;
    let mut seed = 7u64;
    let mut rnd = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    for t in 0..30 {
        let (lr, noise) = (rnd(), rnd());
        let kind = if t % 2 == 0 { "a" } else { "b" };
        let id = run(&e.app, &exp, &format!("trial {t}"), Some(&parent), 10 + t).await;
        let loss = (lr - 0.3).powi(2) * 10.0 + 0.01 * noise;
        log(
            &e.app,
            &id,
            &[
                ("lr", lr.to_string()),
                ("noise", noise.to_string()),
                ("kind", kind.into()),
            ],
            &[("loss", loss, 0), ("other", 1.0, 0)],
        )
        .await;
    }
    let (s, v) = get(
        &e.app,
        &format!("/ajax-api/2.0/cairn/tuning?run_id={parent}"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["metric"], "loss");
    assert_eq!(v["trials"].as_array().unwrap().len(), 30);
    let hist = v["history"].as_array().unwrap();
    assert_eq!(hist.len(), 30);
    let bests: Vec<f64> = hist.iter().map(|p| p["best"].as_f64().unwrap()).collect();
    assert!(bests.windows(2).all(|w| w[1] <= w[0]));
    assert_eq!(v["best"]["value"].as_f64().unwrap(), *bests.last().unwrap());
    assert_eq!(v["importance"][0]["param"], "lr", "{}", v["importance"]);
    let (_, v) = get(
        &e.app,
        &format!("/ajax-api/2.0/cairn/tuning?run_id={parent}&metric=loss&direction=max"),
    )
    .await;
    let bests: Vec<f64> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["best"].as_f64().unwrap())
        .collect();
    assert!(bests.windows(2).all(|w| w[1] >= w[0]));
    let (s, _) = get(&e.app, "/ajax-api/2.0/cairn/tuning?run_id=nope").await;
    assert!(s.is_client_error());
}
