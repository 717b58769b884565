//! `experiments/*`: create, get, get-by-name, search (GET and POST), update,
//! delete/restore (cascading to runs), experiment tags.

use serde_json::{Value, json};

use crate::common::*;

fn names(body: &Value) -> Vec<String> {
    body.get("experiments")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| e["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn default_experiment_exists_with_id_zero() {
    let s = Server::new();
    let e = s.get_experiment("0").await;
    assert_eq!(e["experiment_id"], json!("0"));
    assert_eq!(e["name"], json!("Default"));
    assert_eq!(e["lifecycle_stage"], json!("active"));
    assert_eq!(e["artifact_location"], json!("mlflow-artifacts:/0"));
    let by_name = s
        .get("/experiments/get-by-name?experiment_name=Default")
        .await
        .ok();
    assert_eq!(by_name["experiment"]["experiment_id"], json!("0"));
}

#[tokio::test]
async fn create_and_get_have_exact_shape() {
    let s = Server::new();
    let resp = s
        .post(
            "/experiments/create",
            json!({"name": "exp one", "tags": [{"key": "team", "value": "ml"}]}),
        )
        .await
        .ok();
    // The response is exactly {"experiment_id": "<decimal string>"}.
    let obj = resp.as_object().unwrap();
    assert_eq!(obj.len(), 1);
    let id = resp["experiment_id"].as_str().unwrap().to_owned();
    assert!(id.parse::<i64>().unwrap() > 0);

    let e = s.get_experiment(&id).await;
    let mut keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "artifact_location",
            "creation_time",
            "experiment_id",
            "last_update_time",
            "lifecycle_stage",
            "name",
            "tags"
        ]
    );
    assert_eq!(e["experiment_id"], json!(id));
    assert_eq!(e["name"], json!("exp one"));
    assert_eq!(
        e["artifact_location"],
        json!(format!("mlflow-artifacts:/{id}"))
    );
    assert!(e["creation_time"].is_i64(), "int64 as JSON number: {e}");
    assert!(e["last_update_time"].is_i64());
    assert_eq!(pairs(&e["tags"]), [("team".into(), "ml".into())]);

    let by_name = s
        .get(&format!(
            "/experiments/get-by-name?experiment_name={}",
            enc("exp one")
        ))
        .await
        .ok();
    assert_eq!(by_name["experiment"], e);
}

#[tokio::test]
async fn experiment_without_tags_omits_the_list_and_keeps_custom_location() {
    let s = Server::new();
    let id = s
        .post(
            "/experiments/create",
            json!({"name": "loc", "artifact_location": "s3://bucket/path"}),
        )
        .await
        .ok()["experiment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let e = s.get_experiment(&id).await;
    assert!(e.get("tags").is_none(), "empty tags omitted: {e}");
    assert_eq!(e["artifact_location"], json!("s3://bucket/path"));
}

#[tokio::test]
async fn duplicate_names_are_refused_even_when_deleted() {
    let s = Server::new();
    let id = s.experiment("dup").await;
    s.post("/experiments/create", json!({"name": "dup"}))
        .await
        .err(400, "RESOURCE_ALREADY_EXISTS");
    s.post("/experiments/delete", json!({"experiment_id": id}))
        .await
        .ok();
    s.post("/experiments/create", json!({"name": "dup"}))
        .await
        .err(400, "RESOURCE_ALREADY_EXISTS");
    s.post("/experiments/create", json!({"name": "Default"}))
        .await
        .err(400, "RESOURCE_ALREADY_EXISTS");
}

#[tokio::test]
async fn update_renames_and_refuses_taken_names() {
    let s = Server::new();
    let a = s.experiment("a").await;
    s.experiment("b").await;
    assert_eq!(
        s.post(
            "/experiments/update",
            json!({"experiment_id": a, "new_name": "a2"})
        )
        .await
        .ok(),
        json!({})
    );
    assert_eq!(s.get_experiment(&a).await["name"], json!("a2"));
    // Renaming to its own name is a no-op.
    s.post(
        "/experiments/update",
        json!({"experiment_id": a, "new_name": "a2"}),
    )
    .await
    .ok();
    let resp = s
        .post(
            "/experiments/update",
            json!({"experiment_id": a, "new_name": "b"}),
        )
        .await;
    assert_eq!(resp.status.as_u16(), 400, "{}", resp.text());
    assert_eq!(s.get_experiment(&a).await["name"], json!("a2"));
    s.post(
        "/experiments/update",
        json!({"experiment_id": "999", "new_name": "zz"}),
    )
    .await
    .not_found();
    s.post("/experiments/update", json!({"experiment_id": a}))
        .await
        .invalid();
    // A deleted experiment cannot be renamed (MLflow: INVALID_STATE/500; Cairn: 400).
    s.post("/experiments/delete", json!({"experiment_id": a}))
        .await
        .ok();
    s.post(
        "/experiments/update",
        json!({"experiment_id": a, "new_name": "a3"}),
    )
    .await
    .err(400, "INVALID_PARAMETER_VALUE");
    assert_eq!(s.get_experiment(&a).await["name"], json!("a2"));
}

#[tokio::test]
async fn delete_cascades_to_runs_and_restore_brings_them_back() {
    let s = Server::new();
    let exp = s.experiment("cascade").await;
    let r1 = s.run(&exp).await;
    let r2 = s.run(&exp).await;
    let gone_before = s.run(&exp).await;
    s.post("/runs/delete", json!({"run_id": gone_before}))
        .await
        .ok();
    // Restore brings back runs by deletion time: make the two deletions
    // land in different milliseconds.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    assert_eq!(
        s.post("/experiments/delete", json!({"experiment_id": exp}))
            .await
            .ok(),
        json!({})
    );
    let e = s.get_experiment(&exp).await;
    assert_eq!(e["lifecycle_stage"], json!("deleted"));
    for r in [&r1, &r2, &gone_before] {
        assert_eq!(
            s.get_run(r).await["info"]["lifecycle_stage"],
            json!("deleted")
        );
    }
    // Deleting again: the experiment is not active.
    s.post("/experiments/delete", json!({"experiment_id": exp}))
        .await
        .not_found();
    // No new runs in a deleted experiment.
    s.post("/runs/create", json!({"experiment_id": exp}))
        .await
        .invalid();

    assert_eq!(
        s.post("/experiments/restore", json!({"experiment_id": exp}))
            .await
            .ok(),
        json!({})
    );
    assert_eq!(
        s.get_experiment(&exp).await["lifecycle_stage"],
        json!("active")
    );
    for r in [&r1, &r2] {
        assert_eq!(
            s.get_run(r).await["info"]["lifecycle_stage"],
            json!("active")
        );
    }
    // A run deleted before the experiment stays deleted.
    assert_eq!(
        s.get_run(&gone_before).await["info"]["lifecycle_stage"],
        json!("deleted")
    );
    // Restoring an active experiment is an error.
    s.post("/experiments/restore", json!({"experiment_id": exp}))
        .await
        .not_found();
    s.post("/experiments/restore", json!({"experiment_id": "4242"}))
        .await
        .not_found();
}

#[tokio::test]
async fn get_by_name_returns_deleted_experiments() {
    let s = Server::new();
    let id = s.experiment("soon gone").await;
    s.post("/experiments/delete", json!({"experiment_id": id}))
        .await
        .ok();
    let e = s
        .get(&format!(
            "/experiments/get-by-name?experiment_name={}",
            enc("soon gone")
        ))
        .await
        .ok();
    assert_eq!(e["experiment"]["lifecycle_stage"], json!("deleted"));
    s.get("/experiments/get-by-name?experiment_name=nope")
        .await
        .not_found();
}

#[tokio::test]
async fn experiment_tags_set_overwrite_and_delete() {
    let s = Server::new();
    let id = s.experiment("tags").await;
    let set = |k: &str, v: &str| json!({"experiment_id": id, "key": k, "value": v});
    assert_eq!(
        s.post("/experiments/set-experiment-tag", set("k", "1"))
            .await
            .ok(),
        json!({})
    );
    s.post("/experiments/set-experiment-tag", set("k", "2"))
        .await
        .ok();
    s.post("/experiments/set-experiment-tag", set("other", ""))
        .await
        .ok();
    assert_eq!(
        pairs(&s.get_experiment(&id).await["tags"]),
        [("k".into(), "2".into()), ("other".into(), "".into())]
    );
    assert_eq!(
        s.post(
            "/experiments/delete-experiment-tag",
            json!({"experiment_id": id, "key": "k"})
        )
        .await
        .ok(),
        json!({})
    );
    assert_eq!(
        pairs(&s.get_experiment(&id).await["tags"]),
        [("other".into(), "".into())]
    );
    // Unknown tag key and unknown experiment are RESOURCE_DOES_NOT_EXIST.
    s.post(
        "/experiments/delete-experiment-tag",
        json!({"experiment_id": id, "key": "k"}),
    )
    .await
    .not_found();
    s.post(
        "/experiments/set-experiment-tag",
        json!({"experiment_id": "77", "key": "k", "value": "v"}),
    )
    .await
    .not_found();
    // Value limit: 20,000 characters (rejected, not truncated).
    s.post(
        "/experiments/set-experiment-tag",
        set("big", &"x".repeat(20_000)),
    )
    .await
    .ok();
    s.post(
        "/experiments/set-experiment-tag",
        set("huge", &"x".repeat(20_001)),
    )
    .await
    .invalid();
    let tags = pairs(&s.get_experiment(&id).await["tags"]);
    assert!(tags.iter().any(|(k, v)| k == "big" && v.len() == 20_000));
    assert!(!tags.iter().any(|(k, _)| k == "huge"));
}

#[tokio::test]
async fn search_get_and_post_agree_and_default_order_is_newest_first() {
    let s = Server::new();
    for i in 0..5 {
        s.experiment(&format!("e{i}")).await;
    }
    let post = s.post("/experiments/search", json!({})).await.ok();
    let get = s.get("/experiments/search").await.ok();
    assert_eq!(post, get);
    assert!(post.get("next_page_token").is_none());
    let exps = post["experiments"].as_array().unwrap();
    assert_eq!(exps.len(), 6, "5 + Default");
    // creation_time DESC, experiment_id ASC.
    let keys: Vec<(i64, i64)> = exps
        .iter()
        .map(|e| {
            (
                e["creation_time"].as_i64().unwrap(),
                e["experiment_id"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    assert_eq!(keys, sorted);
    // The ajax prefix serves the same thing.
    let ajax = s.get_at(&format!("{AJAX}/experiments/search")).await.ok();
    assert_eq!(ajax, get);
}

#[tokio::test]
async fn search_pages_through_everything_exactly_once() {
    let s = Server::new();
    for i in 0..7 {
        s.experiment(&format!("p{i}")).await;
    }
    let all = names(&s.post("/experiments/search", json!({})).await.ok());
    assert_eq!(all.len(), 8);
    for page_size in [1_i64, 2, 3, 8, 9] {
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut body = json!({ "max_results": page_size });
            if let Some(t) = &token {
                body["page_token"] = json!(t);
            }
            let page = s.post("/experiments/search", body).await.ok();
            let got = names(&page);
            assert!(got.len() as i64 <= page_size);
            seen.extend(got);
            pages += 1;
            match page.get("next_page_token") {
                Some(t) => token = Some(t.as_str().unwrap().to_owned()),
                None => break,
            }
        }
        assert_eq!(seen, all, "page size {page_size}");
        assert_eq!(
            pages,
            (8 + page_size - 1) / page_size,
            "page size {page_size}"
        );
    }
    // GET with query parameters pages the same way.
    let first = s.get("/experiments/search?max_results=3").await.ok();
    assert_eq!(names(&first), all[..3]);
    let token = first["next_page_token"].as_str().unwrap();
    let second = s
        .get(&format!(
            "/experiments/search?max_results=3&page_token={}",
            enc(token)
        ))
        .await
        .ok();
    assert_eq!(names(&second), all[3..6]);
}

#[tokio::test]
async fn search_view_type() {
    let s = Server::new();
    let keep = s.experiment("keep").await;
    let drop = s.experiment("drop").await;
    s.post("/experiments/delete", json!({"experiment_id": drop}))
        .await
        .ok();
    let srv = &s;
    let view = move |v: Value| async move {
        let mut got = names(
            &srv.post("/experiments/search", json!({ "view_type": v }))
                .await
                .ok(),
        );
        got.sort();
        got
    };
    assert_eq!(view(json!("ACTIVE_ONLY")).await, ["Default", "keep"]);
    assert_eq!(view(json!("DELETED_ONLY")).await, ["drop"]);
    assert_eq!(view(json!("ALL")).await, ["Default", "drop", "keep"]);
    // Protobuf enum numbers work too.
    assert_eq!(view(json!(2)).await, ["drop"]);
    assert_eq!(view(json!(3)).await.len(), 3);
    // GET: view_type in the query.
    let got = names(
        &s.get("/experiments/search?view_type=DELETED_ONLY")
            .await
            .ok(),
    );
    assert_eq!(got, ["drop"]);
    let _ = keep;
    s.post("/experiments/search", json!({"view_type": "SOME"}))
        .await
        .invalid();
}

#[tokio::test]
async fn search_max_results_bounds() {
    let s = Server::new();
    s.post("/experiments/search", json!({"max_results": 50_000}))
        .await
        .ok();
    for bad in [
        json!(0),
        json!(-1),
        json!(50_001),
        json!("many"),
        json!(1.5),
    ] {
        s.post("/experiments/search", json!({ "max_results": bad }))
            .await
            .invalid();
    }
    s.get("/experiments/search?max_results=0").await.invalid();
    s.get("/experiments/search?max_results=abc").await.invalid();
}

#[tokio::test]
async fn experiment_ids_are_validated() {
    let s = Server::new();
    for bad in ["abc", "-1", "1.5", "99999999999999999999999"] {
        s.get(&format!("/experiments/get?experiment_id={}", enc(bad)))
            .await
            .invalid();
    }
    s.get("/experiments/get").await.invalid();
    s.get("/experiments/get?experiment_id=12345")
        .await
        .not_found();
    s.post("/experiments/delete", json!({"experiment_id": "12345"}))
        .await
        .not_found();
    s.post("/experiments/delete", json!({})).await.invalid();
}

#[tokio::test]
async fn ajax_prefix_serves_experiment_writes() {
    let s = Server::new();
    let resp = s
        .post_at(
            &format!("{AJAX}/experiments/create"),
            &json!({"name": "via ajax"}),
        )
        .await
        .ok();
    let id = resp["experiment_id"].as_str().unwrap().to_owned();
    let got = s
        .get_at(&format!("{AJAX}/experiments/get?experiment_id={id}"))
        .await
        .ok();
    assert_eq!(got["experiment"]["name"], json!("via ajax"));
    s.post_at(
        &format!("{AJAX}/experiments/set-experiment-tag"),
        &json!({"experiment_id": id, "key": "k", "value": "v"}),
    )
    .await
    .ok();
    assert_eq!(
        pairs(&s.get_experiment(&id).await["tags"]),
        [("k".into(), "v".into())]
    );
}
