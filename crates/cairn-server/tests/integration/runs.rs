//! `runs/*`: create, get, update, delete/restore, search paging, log-metric,
//! log-parameter, set-tag, delete-tag, log-batch, log-inputs, log-model.

use serde_json::{Value, json};

use crate::common::*;

fn run_ids(body: &Value) -> Vec<String> {
    body.get("runs")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|r| r["info"]["run_id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn create_run_has_exact_shape() {
    let s = Server::new();
    let exp = s.experiment("shape").await;
    let resp = s
        .post(
            "/runs/create",
            json!({"experiment_id": exp, "start_time": 1_700_000_000_000_i64, "user_id": "ada"}),
        )
        .await
        .ok();
    let run = &resp["run"];
    let info = &run["info"];
    let id = info["run_id"].as_str().unwrap();
    assert_eq!(id.len(), 32);
    assert!(
        id.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert_eq!(info["run_uuid"], info["run_id"]);
    assert_eq!(info["experiment_id"], json!(exp));
    assert_eq!(info["user_id"], json!("ada"));
    assert_eq!(info["status"], json!("RUNNING"));
    assert_eq!(info["start_time"], json!(1_700_000_000_000_i64));
    assert!(info.get("end_time").is_none(), "unset end_time omitted");
    assert_eq!(info["lifecycle_stage"], json!("active"));
    assert_eq!(
        info["artifact_uri"],
        json!(format!("mlflow-artifacts:/{exp}/{id}/artifacts"))
    );
    // Generated name: adjective-noun-NNN, mirrored in mlflow.runName.
    let name = info["run_name"].as_str().unwrap();
    let parts: Vec<&str> = name.split('-').collect();
    assert_eq!(parts.len(), 3, "{name}");
    assert!(parts[2].parse::<u16>().unwrap() < 1000);
    assert_eq!(tag(run, "mlflow.runName").as_deref(), Some(name));
    // Only the runName tag: no metrics or params keys; inputs is {}.
    assert_eq!(
        run["data"],
        json!({"tags": [{"key": "mlflow.runName", "value": name}]})
    );
    assert_eq!(run["inputs"], json!({}));
    // runs/get returns the same run.
    assert_eq!(s.get_run(id).await, *run);
    // And accepts the legacy run_uuid, also both at once (the Python client).
    let by_uuid = s.get(&format!("/runs/get?run_uuid={id}")).await.ok();
    assert_eq!(by_uuid["run"], *run);
    let both = s
        .get(&format!("/runs/get?run_uuid={id}&run_id={id}"))
        .await
        .ok();
    assert_eq!(both["run"], *run);
}

#[tokio::test]
async fn create_run_defaults_and_names() {
    let s = Server::new();
    // No experiment id: the Default experiment; no start_time: 0.
    let run = s.post("/runs/create", json!({})).await.ok()["run"].clone();
    assert_eq!(run["info"]["experiment_id"], json!("0"));
    assert_eq!(run["info"]["start_time"], json!(0));
    // run_name given: used and mirrored.
    let named = s
        .post("/runs/create", json!({"run_name": "my run"}))
        .await
        .ok()["run"]
        .clone();
    assert_eq!(named["info"]["run_name"], json!("my run"));
    assert_eq!(tag(&named, "mlflow.runName").as_deref(), Some("my run"));
    // Name only in the tag: adopted as run_name.
    let tagged = s
        .post(
            "/runs/create",
            json!({"tags": [{"key": "mlflow.runName", "value": "from tag"},
                            {"key": "mlflow.user", "value": "grace"},
                            {"key": "mlflow.source.name", "value": "train.py"}]}),
        )
        .await
        .ok()["run"]
        .clone();
    assert_eq!(tagged["info"]["run_name"], json!("from tag"));
    // user_id falls back to the mlflow.user tag.
    assert_eq!(tagged["info"]["user_id"], json!("grace"));
    assert_eq!(
        tag(&tagged, "mlflow.source.name").as_deref(),
        Some("train.py")
    );
    // Both given and different: refused.
    s.post(
        "/runs/create",
        json!({"run_name": "a", "tags": [{"key": "mlflow.runName", "value": "b"}]}),
    )
    .await
    .invalid();
    // Both given and equal: fine.
    s.post(
        "/runs/create",
        json!({"run_name": "a", "tags": [{"key": "mlflow.runName", "value": "a"}]}),
    )
    .await
    .ok();
    // Nested runs keep the parent tag.
    let parent = s.run("0").await;
    let child = s
        .post(
            "/runs/create",
            json!({"tags": [{"key": "mlflow.parentRunId", "value": parent}]}),
        )
        .await
        .ok()["run"]
        .clone();
    assert_eq!(tag(&child, "mlflow.parentRunId"), Some(parent));
}

#[tokio::test]
async fn create_run_errors() {
    let s = Server::new();
    s.post("/runs/create", json!({"experiment_id": "404"}))
        .await
        .not_found();
    s.post("/runs/create", json!({"experiment_id": "x"}))
        .await
        .invalid();
    s.post("/runs/create", json!({"start_time": -5}))
        .await
        .invalid();
    s.post("/runs/create", json!({"run_name": "n".repeat(251)}))
        .await
        .invalid();
    s.get("/runs/get?run_id=0123456789abcdef0123456789abcdef")
        .await
        .not_found();
    s.get("/runs/get").await.invalid();
}

#[tokio::test]
async fn update_run_status_end_time_and_name() {
    let s = Server::new();
    let id = s.run("0").await;
    let resp = s
        .post(
            "/runs/update",
            json!({"run_id": id, "status": "FINISHED", "end_time": 1_700_000_001_000_i64}),
        )
        .await
        .ok();
    let info = &resp["run_info"];
    assert_eq!(resp.as_object().unwrap().len(), 1);
    assert_eq!(info["status"], json!("FINISHED"));
    assert_eq!(info["end_time"], json!(1_700_000_001_000_i64));
    assert_eq!(info["run_id"], json!(id));
    assert_eq!(info["run_uuid"], json!(id));

    // run_uuid alone works; renaming rewrites the mlflow.runName tag.
    let resp = s
        .post(
            "/runs/update",
            json!({"run_uuid": id, "run_name": "renamed"}),
        )
        .await
        .ok();
    assert_eq!(resp["run_info"]["run_name"], json!("renamed"));
    assert_eq!(resp["run_info"]["status"], json!("FINISHED"), "untouched");
    let run = s.get_run(&id).await;
    assert_eq!(tag(&run, "mlflow.runName").as_deref(), Some("renamed"));

    // Status by protobuf number.
    let resp = s
        .post("/runs/update", json!({"run_id": id, "status": 4}))
        .await
        .ok();
    assert_eq!(resp["run_info"]["status"], json!("FAILED"));
    // Bad status: refused, nothing changed.
    s.post("/runs/update", json!({"run_id": id, "status": "DONE"}))
        .await
        .invalid();
    assert_eq!(s.get_run(&id).await["info"]["status"], json!("FAILED"));
    // Setting the runName tag renames the run too.
    s.post(
        "/runs/set-tag",
        json!({"run_id": id, "key": "mlflow.runName", "value": "via tag"}),
    )
    .await
    .ok();
    assert_eq!(s.get_run(&id).await["info"]["run_name"], json!("via tag"));
    s.post(
        "/runs/update",
        json!({"run_id": "0123456789abcdef0123456789abcdef", "status": "FINISHED"}),
    )
    .await
    .not_found();
}

#[tokio::test]
async fn delete_and_restore_run() {
    let s = Server::new();
    let id = s.run("0").await;
    assert_eq!(
        s.post("/runs/delete", json!({"run_id": id})).await.ok(),
        json!({})
    );
    assert_eq!(
        s.get_run(&id).await["info"]["lifecycle_stage"],
        json!("deleted")
    );
    // Idempotent.
    s.post("/runs/delete", json!({"run_id": id})).await.ok();
    assert_eq!(
        s.post("/runs/restore", json!({"run_id": id})).await.ok(),
        json!({})
    );
    assert_eq!(
        s.get_run(&id).await["info"]["lifecycle_stage"],
        json!("active")
    );
    let unknown = "0123456789abcdef0123456789abcdef";
    s.post("/runs/delete", json!({"run_id": unknown}))
        .await
        .not_found();
    s.post("/runs/restore", json!({"run_id": unknown}))
        .await
        .not_found();
}

#[tokio::test]
async fn writes_to_deleted_runs_are_rejected_and_change_nothing() {
    let s = Server::new();
    let id = s.run("0").await;
    s.post(
        "/runs/log-batch",
        json!({"run_id": id, "params": [{"key": "p", "value": "1"}],
               "tags": [{"key": "t", "value": "1"}],
               "metrics": [{"key": "m", "value": 1.0, "timestamp": 1, "step": 0}]}),
    )
    .await
    .ok();
    s.post("/runs/delete", json!({"run_id": id})).await.ok();
    let before = s.get_run(&id).await;

    let attempts = [
        (
            "/runs/log-metric",
            json!({"run_id": id, "key": "m", "value": 2.0, "timestamp": 2, "step": 1}),
        ),
        (
            "/runs/log-parameter",
            json!({"run_id": id, "key": "q", "value": "2"}),
        ),
        (
            "/runs/set-tag",
            json!({"run_id": id, "key": "t", "value": "2"}),
        ),
        ("/runs/delete-tag", json!({"run_id": id, "key": "t"})),
        (
            "/runs/log-batch",
            json!({"run_id": id, "metrics": [{"key": "m", "value": 3.0, "timestamp": 3}]}),
        ),
        ("/runs/log-batch", json!({"run_id": id})),
        ("/runs/update", json!({"run_id": id, "status": "FINISHED"})),
        (
            "/runs/log-inputs",
            json!({"run_id": id, "datasets": [{"dataset": {"name": "d", "digest": "x", "source_type": "local", "source": "{}"}}]}),
        ),
    ];
    for (path, body) in attempts {
        let resp = s.post(path, body).await;
        resp.invalid();
    }
    assert_eq!(s.get_run(&id).await, before);
    assert_eq!(s.history(&id, "m").await.len(), 1);
}

#[tokio::test]
async fn params_are_immutable() {
    let s = Server::new();
    let id = s.run("0").await;
    let log = |v: &str| json!({"run_id": id, "key": "lr", "value": v});
    assert_eq!(
        s.post("/runs/log-parameter", log("0.1")).await.ok(),
        json!({})
    );
    // Same value again: fine.
    s.post("/runs/log-parameter", log("0.1")).await.ok();
    // A different value: 400 and nothing changed.
    let msg = s.post("/runs/log-parameter", log("0.2")).await.invalid();
    assert!(
        msg.contains("Changing param values is not allowed"),
        "{msg}"
    );
    assert_eq!(params(&s.get_run(&id).await), [("lr".into(), "0.1".into())]);
    // Via log-batch: the whole batch fails, including its other entries.
    s.post(
        "/runs/log-batch",
        json!({"run_id": id,
               "params": [{"key": "new", "value": "x"}, {"key": "lr", "value": "0.3"}],
               "metrics": [{"key": "m", "value": 1, "timestamp": 1}],
               "tags": [{"key": "t", "value": "v"}]}),
    )
    .await
    .invalid();
    let run = s.get_run(&id).await;
    assert_eq!(params(&run), [("lr".into(), "0.1".into())]);
    assert!(run["data"].get("metrics").is_none());
    assert_eq!(tag(&run, "t"), None);
    // Empty values are allowed; run_uuid works for log-parameter.
    s.post(
        "/runs/log-parameter",
        json!({"run_uuid": id, "key": "empty", "value": ""}),
    )
    .await
    .ok();
    assert!(params(&s.get_run(&id).await).contains(&("empty".into(), "".into())));
}

#[tokio::test]
async fn long_param_and_tag_values_are_truncated() {
    let s = Server::new();
    let id = s.run("0").await;
    s.post(
        "/runs/log-parameter",
        json!({"run_id": id, "key": "long", "value": "é".repeat(7000)}),
    )
    .await
    .ok();
    s.post(
        "/runs/set-tag",
        json!({"run_id": id, "key": "long", "value": "x".repeat(9000)}),
    )
    .await
    .ok();
    let run = s.get_run(&id).await;
    let p = params(&run);
    assert_eq!(p[0].1.chars().count(), 6000);
    assert_eq!(tag(&run, "long").unwrap().len(), 8000);
}

#[tokio::test]
async fn tags_set_overwrite_delete() {
    let s = Server::new();
    let id = s.run("0").await;
    let set = |k: &str, v: &str| json!({"run_id": id, "key": k, "value": v});
    assert_eq!(s.post("/runs/set-tag", set("a", "1")).await.ok(), json!({}));
    s.post("/runs/set-tag", set("a", "2")).await.ok();
    s.post("/runs/set-tag", set("mlflow.note.content", "# hi"))
        .await
        .ok();
    let run = s.get_run(&id).await;
    assert_eq!(tag(&run, "a").as_deref(), Some("2"));
    assert_eq!(tag(&run, "mlflow.note.content").as_deref(), Some("# hi"));
    assert_eq!(
        s.post("/runs/delete-tag", json!({"run_id": id, "key": "a"}))
            .await
            .ok(),
        json!({})
    );
    assert_eq!(tag(&s.get_run(&id).await, "a"), None);
    s.post("/runs/delete-tag", json!({"run_id": id, "key": "a"}))
        .await
        .not_found();
    s.post(
        "/runs/delete-tag",
        json!({"run_id": "0123456789abcdef0123456789abcdef", "key": "a"}),
    )
    .await
    .not_found();
    s.post("/runs/set-tag", json!({"run_id": id, "key": "k"}))
        .await
        .invalid();
}

#[tokio::test]
async fn log_batch_writes_everything() {
    let s = Server::new();
    let id = s.run("0").await;
    let metrics: Vec<Value> = (0..1000)
        .map(|i| json!({"key": "loss", "value": 1.0 / (i as f64 + 1.0), "timestamp": 1000 + i, "step": i}))
        .collect();
    assert_eq!(
        s.post("/runs/log-batch", json!({"run_id": id, "metrics": metrics}))
            .await
            .ok(),
        json!({})
    );
    let params: Vec<Value> = (0..100)
        .map(|i| json!({"key": format!("p{i}"), "value": i.to_string()}))
        .collect();
    let tags: Vec<Value> = (0..100)
        .map(|i| json!({"key": format!("t{i}"), "value": "v"}))
        .collect();
    s.post(
        "/runs/log-batch",
        json!({"run_id": id, "params": params, "tags": tags}),
    )
    .await
    .ok();
    let run = s.get_run(&id).await;
    assert_eq!(crate::common::params(&run).len(), 100);
    assert_eq!(run["data"]["tags"].as_array().unwrap().len(), 101);
    let loss = latest(&run, "loss").unwrap();
    assert_eq!(loss["step"], json!(999));
    assert_eq!(s.history(&id, "loss").await.len(), 1000);
    // An empty batch on a live run is fine; on an unknown run it is 404.
    s.post("/runs/log-batch", json!({"run_id": id})).await.ok();
    s.post(
        "/runs/log-batch",
        json!({"run_id": "0123456789abcdef0123456789abcdef"}),
    )
    .await
    .not_found();
}

#[tokio::test]
async fn log_inputs_records_datasets() {
    let s = Server::new();
    let id = s.run("0").await;
    let ds = json!({"tags": [{"key": "mlflow.data.context", "value": "training"}],
                    "dataset": {"name": "iris", "digest": "abc123", "source_type": "local",
                                "source": "{\"uri\": \"/data/iris.csv\"}",
                                "schema": "{}", "profile": "{\"rows\": 150}"}});
    assert_eq!(
        s.post(
            "/runs/log-inputs",
            json!({"run_id": id, "datasets": [ds.clone()]})
        )
        .await
        .ok(),
        json!({})
    );
    // Logging the same dataset twice is ignored.
    s.post(
        "/runs/log-inputs",
        json!({"run_id": id, "datasets": [ds.clone()]}),
    )
    .await
    .ok();
    let run = s.get_run(&id).await;
    assert_eq!(run["inputs"], json!({"dataset_inputs": [ds]}));
    // Validation.
    let bad = |d: Value| json!({"run_id": id, "datasets": [{"dataset": d}]});
    s.post(
        "/runs/log-inputs",
        bad(json!({"name": "x", "digest": "d".repeat(37), "source_type": "local", "source": ""})),
    )
    .await
    .invalid();
    s.post(
        "/runs/log-inputs",
        bad(json!({"digest": "d", "source_type": "local", "source": ""})),
    )
    .await
    .invalid();
    s.post(
        "/runs/log-inputs",
        json!({"run_id": id, "datasets": [{"tags": []}]}),
    )
    .await
    .invalid();
    s.post(
        "/runs/log-inputs",
        json!({"run_id": "0123456789abcdef0123456789abcdef", "datasets": []}),
    )
    .await
    .not_found();
    assert_eq!(
        s.get_run(&id).await["inputs"]["dataset_inputs"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn log_model_appends_to_history_tag() {
    let s = Server::new();
    let id = s.run("0").await;
    let model = |path: &str| {
        json!({"artifact_path": path, "flavors": {"python_function": {}},
               "utc_time_created": "2024-01-01 00:00:00.000000", "run_id": id})
        .to_string()
    };
    assert_eq!(
        s.post(
            "/runs/log-model",
            json!({"run_id": id, "model_json": model("m1")})
        )
        .await
        .ok(),
        json!({})
    );
    s.post(
        "/runs/log-model",
        json!({"run_id": id, "model_json": model("m2")}),
    )
    .await
    .ok();
    let history: Value =
        serde_json::from_str(&tag(&s.get_run(&id).await, "mlflow.log-model.history").unwrap())
            .unwrap();
    let paths: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["artifact_path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["m1", "m2"]);
    s.post("/runs/log-model", json!({"run_id": id, "model_json": "{}"}))
        .await
        .invalid();
    s.post(
        "/runs/log-model",
        json!({"run_id": id, "model_json": "not json"}),
    )
    .await
    .invalid();
    s.post("/runs/log-model", json!({"run_id": id}))
        .await
        .invalid();
    s.post(
        "/runs/log-model",
        json!({"run_id": "0123456789abcdef0123456789abcdef", "model_json": model("m3")}),
    )
    .await
    .not_found();
}

#[tokio::test]
async fn search_default_order_and_paging() {
    let s = Server::new();
    let exp = s.experiment("search").await;
    // Distinct start times plus ties (ties break by run_id ascending).
    let mut expected: Vec<(i64, String)> = Vec::new();
    for t in [5_i64, 1, 3, 3, 3, 9, 0] {
        let run = s.run_at(&exp, t).await;
        expected.push((t, run["info"]["run_id"].as_str().unwrap().to_owned()));
    }
    expected.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();

    let all = s
        .post("/runs/search", json!({"experiment_ids": [exp]}))
        .await
        .ok();
    assert_eq!(run_ids(&all), expected);
    assert!(all.get("next_page_token").is_none());

    for page_size in [1_usize, 2, 3, 7, 8] {
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({"experiment_ids": [exp], "max_results": page_size});
            if let Some(t) = &token {
                body["page_token"] = json!(t);
            }
            let page = s.post("/runs/search", body).await.ok();
            let ids = run_ids(&page);
            assert!(ids.len() <= page_size);
            seen.extend(ids);
            match page.get("next_page_token") {
                Some(t) => token = Some(t.as_str().unwrap().to_owned()),
                None => break,
            }
        }
        assert_eq!(seen, expected, "page size {page_size}");
    }
    // Exactly max_results left: no token on the last page.
    let page = s
        .post(
            "/runs/search",
            json!({"experiment_ids": [exp], "max_results": 7}),
        )
        .await
        .ok();
    assert!(page.get("next_page_token").is_none());
}

#[tokio::test]
async fn search_experiment_ids_and_view_type() {
    let s = Server::new();
    let a = s.experiment("a").await;
    let b = s.experiment("b").await;
    let ra = s.run(&a).await;
    let rb = s.run(&b).await;
    let rb_deleted = s.run(&b).await;
    s.post("/runs/delete", json!({"run_id": rb_deleted}))
        .await
        .ok();
    let srv = &s;
    let search = move |body: Value| async move {
        let mut ids = run_ids(&srv.post("/runs/search", body).await.ok());
        ids.sort();
        ids
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(search(json!({"experiment_ids": [a]})).await, [ra.as_str()]);
    assert_eq!(search(json!({"experiment_ids": [b]})).await, [rb.as_str()]);
    assert_eq!(
        search(json!({"experiment_ids": [a, b]})).await,
        sorted(vec![ra.clone(), rb.clone()])
    );
    assert_eq!(
        search(json!({"experiment_ids": [b], "run_view_type": "DELETED_ONLY"})).await,
        [rb_deleted.as_str()]
    );
    assert_eq!(
        search(json!({"experiment_ids": [a, b], "run_view_type": "ALL"})).await,
        sorted(vec![ra.clone(), rb.clone(), rb_deleted.clone()])
    );
    assert_eq!(
        search(json!({"experiment_ids": [b], "run_view_type": 1})).await,
        [rb.as_str()]
    );
    // No experiments: no runs, empty body.
    assert_eq!(s.post("/runs/search", json!({})).await.ok(), json!({}));
    // Unknown experiment id: no runs.
    assert_eq!(
        s.post("/runs/search", json!({"experiment_ids": ["777"]}))
            .await
            .ok(),
        json!({})
    );
    s.post("/runs/search", json!({"experiment_ids": ["abc"]}))
        .await
        .invalid();
    s.post(
        "/runs/search",
        json!({"experiment_ids": [a], "run_view_type": "NOPE"}),
    )
    .await
    .invalid();
}

#[tokio::test]
async fn search_returns_full_runs() {
    let s = Server::new();
    let exp = s.experiment("full").await;
    let id = s.run(&exp).await;
    s.post(
        "/runs/log-batch",
        json!({"run_id": id, "params": [{"key": "p", "value": "v"}],
               "metrics": [{"key": "m", "value": 0.5, "timestamp": 7, "step": 2}]}),
    )
    .await
    .ok();
    let page = s
        .post("/runs/search", json!({"experiment_ids": [exp]}))
        .await
        .ok();
    assert_eq!(page["runs"][0], s.get_run(&id).await);
}

#[tokio::test]
async fn search_max_results_and_token_bounds() {
    let s = Server::new();
    s.post(
        "/runs/search",
        json!({"experiment_ids": ["0"], "max_results": 50_000}),
    )
    .await
    .ok();
    for bad in [json!(0), json!(-3), json!(50_001), json!("x")] {
        s.post(
            "/runs/search",
            json!({"experiment_ids": ["0"], "max_results": bad}),
        )
        .await
        .invalid();
    }
    for bad in [
        "!!!",
        "bm90IGpzb24=",
        "eyJvZmZzZXQiOiAtMX0=",
        "eyJ4IjogMX0=",
    ] {
        s.post(
            "/runs/search",
            json!({"experiment_ids": ["0"], "page_token": bad}),
        )
        .await
        .invalid();
    }
    // runs/search is POST only.
    let resp = s.get("/runs/search?experiment_ids=0").await;
    assert_eq!(resp.status.as_u16(), 405);
}

#[tokio::test]
async fn ajax_prefix_serves_run_endpoints() {
    let s = Server::new();
    let run = s
        .post_at(
            &format!("{AJAX}/runs/create"),
            &json!({"experiment_id": "0"}),
        )
        .await
        .ok()["run"]
        .clone();
    let id = run["info"]["run_id"].as_str().unwrap().to_owned();
    s.post_at(
        &format!("{AJAX}/runs/log-metric"),
        &json!({"run_id": id, "key": "m", "value": 1, "timestamp": 1}),
    )
    .await
    .ok();
    let got = s.get_at(&format!("{AJAX}/runs/get?run_id={id}")).await.ok();
    assert_eq!(latest(&got["run"], "m").unwrap()["value"], json!(1.0));
    let found = s
        .post_at(
            &format!("{AJAX}/runs/search"),
            &json!({"experiment_ids": ["0"]}),
        )
        .await
        .ok();
    assert_eq!(run_ids(&found), [id]);
}

#[tokio::test]
async fn long_log_model_history_keeps_the_newest_entries_as_valid_json() {
    let s = Server::new();
    let id = s.run("0").await;
    for i in 0..60 {
        let model = json!({"artifact_path": format!("model-{i}"), "flavors": {"python_function": {"loader": "x".repeat(100)}},
                           "utc_time_created": "2024-01-01 00:00:00.000000", "run_id": id})
        .to_string();
        s.post(
            "/runs/log-model",
            json!({"run_id": id, "model_json": model}),
        )
        .await
        .ok();
    }
    let text = tag(&s.get_run(&id).await, "mlflow.log-model.history").unwrap();
    assert!(text.chars().count() <= 8000);
    let history: Value = serde_json::from_str(&text).expect("history stays valid JSON");
    let paths: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["artifact_path"].as_str().unwrap())
        .collect();
    assert!(paths.len() > 10 && paths.len() < 60, "{}", paths.len());
    assert_eq!(
        *paths.last().unwrap(),
        "model-59",
        "the newest model is kept"
    );
}

/// A search ordered by a metric (served by walking the metric's index)
/// through the HTTP surface: runs with a value in order (ties by start_time
/// DESC, then run_id), then NaN, then runs without the metric; AND and OR
/// filters; every page size with page tokens; and each returned run whole,
/// exactly as `runs/get` returns it (awkward params, tags and datasets
/// included).
#[tokio::test]
async fn search_by_metric_orders_filters_pages_and_returns_whole_runs() {
    let s = Server::new();
    let exp = s.experiment("by-metric").await;
    // (start_time, metric value or None, param p)
    let specs: &[(i64, Option<Value>, &str)] = &[
        (10, Some(json!(0.5)), "a"),
        (20, Some(json!(0.5)), "a"),
        (20, Some(json!(0.5)), "a"),
        (20, Some(json!(0.5)), "b"),
        (5, Some(json!(2.0)), "a"),
        (6, Some(json!(-1.0)), "b"),
        (7, Some(json!("NaN")), "a"),
        (8, Some(json!("NaN")), "a"),
        (9, None, "a"),
        (9, None, "b"),
        (3, Some(json!("Infinity")), "a"),
        (4, Some(json!("-Infinity")), "a"),
        (2, Some(json!(0.0)), "a"),
        (1, Some(json!(1e300)), "b"),
    ];
    // (class: 0 value / 1 NaN / 2 missing, value, start_time, run_id, p)
    type Row<'a> = (u8, f64, i64, String, &'a str);
    let mut runs: Vec<Row<'_>> = Vec::new();
    for (i, (start, value, p)) in specs.iter().enumerate() {
        let id = s.run_at(&exp, *start).await["info"]["run_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut batch = json!({"run_id": id,
            "params": [{"key": "p", "value": p}, {"key": "sp ace/ü", "value": format!("ünï \"q\" \u{1}\n{i}")}],
            "tags": [{"key": "t", "value": "</tag> \\ \t"}]});
        if let Some(v) = value {
            batch["metrics"] = json!([{"key": "m", "value": v, "timestamp": i, "step": 1},
                                      {"key": "other", "value": i, "timestamp": 0}]);
        }
        s.post("/runs/log-batch", batch).await.ok();
        if i == 0 {
            let ds = json!({"tags": [{"key": "mlflow.data.context", "value": "train"}],
                            "dataset": {"name": "d\"s", "digest": "x1", "source_type": "local",
                                        "source": "{}"}});
            s.post("/runs/log-inputs", json!({"run_id": id, "datasets": [ds]}))
                .await
                .ok();
        }
        let (class, v) = match value.as_ref().map(|v| v.as_f64()) {
            None => (2, 0.0),
            Some(None) => match value.as_ref().and_then(Value::as_str) {
                Some("NaN") => (1, 0.0),
                Some("Infinity") => (0, f64::INFINITY),
                _ => (0, f64::NEG_INFINITY),
            },
            Some(Some(v)) => (0, v),
        };
        runs.push((class, v, *start, id, p));
    }
    let expected = |descending: bool, keep: &dyn Fn(&Row<'_>) -> bool| {
        let mut want: Vec<_> = runs.iter().filter(|r| keep(r)).cloned().collect();
        want.sort_by(|a, b| {
            let by_value = a.1.partial_cmp(&b.1).unwrap();
            a.0.cmp(&b.0)
                .then(if descending {
                    by_value.reverse()
                } else {
                    by_value
                })
                .then(b.2.cmp(&a.2))
                .then(a.3.cmp(&b.3))
        });
        want.into_iter().map(|r| r.3).collect::<Vec<String>>()
    };
    let cases: Vec<(&str, bool, Vec<String>)> = vec![
        ("", true, expected(true, &|_| true)),
        ("", false, expected(false, &|_| true)),
        ("params.p = 'a'", true, expected(true, &|r| r.4 == "a")),
        (
            "params.p = 'b' OR metrics.m < 0",
            true,
            expected(true, &|r| r.4 == "b" || (r.0 == 0 && r.1 < 0.0)),
        ),
        (
            "metrics.m >= 0.5 AND (params.p = 'a' OR metrics.other > 100)",
            false,
            expected(false, &|r| r.0 == 0 && r.1 >= 0.5 && r.4 == "a"),
        ),
    ];
    for (filter, descending, want) in cases {
        let order = if descending {
            "metrics.m DESC"
        } else {
            "metrics.m"
        };
        for page_size in 1..=want.len() + 1 {
            let mut seen: Vec<String> = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let mut body = json!({"experiment_ids": [exp], "filter": filter,
                                      "order_by": [order], "max_results": page_size});
                if let Some(t) = &token {
                    body["page_token"] = json!(t);
                }
                let page = s.post("/runs/search", body).await.ok();
                let ids = run_ids(&page);
                assert!(ids.len() <= page_size);
                seen.extend(ids);
                match page.get("next_page_token") {
                    Some(t) => token = Some(t.as_str().unwrap().to_owned()),
                    None => break,
                }
            }
            assert_eq!(seen, want, "{filter:?} {order} page size {page_size}");
        }
    }
    let page = s
        .post(
            "/runs/search",
            json!({"experiment_ids": [exp], "order_by": ["metrics.m DESC"]}),
        )
        .await
        .ok();
    let returned = page["runs"].as_array().unwrap();
    assert_eq!(returned.len(), specs.len());
    for run in returned {
        let id = run["info"]["run_id"].as_str().unwrap();
        assert_eq!(run, &s.get_run(id).await, "run {id}");
    }
}
