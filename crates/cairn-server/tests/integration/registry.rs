//! `registered-models/*` and `model-versions/*` through the router: shapes,
//! version numbering, renames, hard deletes, tags, stages and latest
//! versions, aliases, searches with filters and paging, both prefixes, and
//! MLflow's error codes (with nothing changed by a rejected request).

use axum::http::Method;
use serde_json::{Value, json};

use crate::common::*;

impl Server {
    async fn with_body(&self, method: Method, path: &str, body: Value) -> Resp {
        self.raw(
            method,
            &format!("{API}{path}"),
            Some("application/json"),
            body.to_string(),
        )
        .await
    }

    async fn delete(&self, path: &str, body: Value) -> Resp {
        self.with_body(Method::DELETE, path, body).await
    }

    async fn patch(&self, path: &str, body: Value) -> Resp {
        self.with_body(Method::PATCH, path, body).await
    }

    async fn model(&self, name: &str) -> Value {
        self.post("/registered-models/create", json!({ "name": name }))
            .await
            .ok()["registered_model"]
            .clone()
    }

    async fn version(&self, name: &str, source: &str) -> Value {
        self.post(
            "/model-versions/create",
            json!({ "name": name, "source": source }),
        )
        .await
        .ok()["model_version"]
            .clone()
    }

    async fn get_model(&self, name: &str) -> Value {
        self.get(&format!("/registered-models/get?name={}", enc(name)))
            .await
            .ok()["registered_model"]
            .clone()
    }

    async fn get_version(&self, name: &str, version: &str) -> Resp {
        self.get(&format!(
            "/model-versions/get?name={}&version={}",
            enc(name),
            enc(version)
        ))
        .await
    }
}

fn model_names(body: &Value) -> Vec<String> {
    body.get("registered_models")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|m| m["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn versions(body: &Value) -> Vec<(String, String)> {
    body.get("model_versions")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|v| {
                    (
                        v["name"].as_str().unwrap().to_owned(),
                        v["version"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn create_and_get_have_mlflow_shape() {
    let s = Server::new();
    let m = s
        .post(
            "/registered-models/create",
            json!({"name": "fraud", "description": "d", "tags": [{"key": "team", "value": "risk"}]}),
        )
        .await
        .ok()["registered_model"]
        .clone();
    assert_eq!(m["name"], json!("fraud"));
    assert_eq!(m["description"], json!("d"));
    assert_eq!(m["tags"], json!([{"key": "team", "value": "risk"}]));
    assert!(m["creation_timestamp"].as_i64().unwrap() > 0);
    assert_eq!(m["creation_timestamp"], m["last_updated_timestamp"]);
    assert!(m.get("latest_versions").is_none() && m.get("aliases").is_none());
    assert_eq!(s.get_model("fraud").await, m);
    // Same under the UI prefix.
    let ajax = s
        .get_at(&format!("{AJAX}/registered-models/get?name=fraud"))
        .await
        .ok();
    assert_eq!(ajax["registered_model"], m);

    let v = s.version("fraud", "s3://bucket/model").await;
    assert_eq!(v["name"], json!("fraud"));
    assert_eq!(v["version"], json!("1"));
    assert_eq!(v["current_stage"], json!("None"));
    assert_eq!(v["status"], json!("READY"));
    assert_eq!(v["source"], json!("s3://bucket/model"));
    assert!(v.get("run_id").is_none());
    assert_eq!(
        s.version("fraud", "s3://bucket/model2").await["version"],
        json!("2")
    );
    let m = s.get_model("fraud").await;
    assert_eq!(m["latest_versions"].as_array().unwrap().len(), 1);
    assert_eq!(m["latest_versions"][0]["version"], json!("2"));
}

#[tokio::test]
async fn name_rules_and_duplicates() {
    let s = Server::new();
    for bad in [
        json!({}),
        json!({"name": ""}),
        json!({"name": "a/b"}),
        json!({"name": "a:b"}),
    ] {
        s.post("/registered-models/create", bad).await.invalid();
    }
    s.model("m").await;
    s.post("/registered-models/create", json!({"name": "m"}))
        .await
        .err(400, "RESOURCE_ALREADY_EXISTS");
    let long_tag = "x".repeat(100_001);
    s.post(
        "/registered-models/create",
        json!({"name": "t", "tags": [{"key": "k", "value": long_tag}]}),
    )
    .await
    .invalid();
    s.get("/registered-models/get?name=t").await.not_found();
    s.get("/registered-models/get?name=nope").await.not_found();
}

#[tokio::test]
async fn rename_update_and_delete() {
    let s = Server::new();
    s.model("old").await;
    s.model("other").await;
    s.version("old", "s3://1").await;
    s.post(
        "/registered-models/alias",
        json!({"name": "old", "alias": "champion", "version": "1"}),
    )
    .await
    .ok();
    s.post(
        "/registered-models/rename",
        json!({"name": "old", "new_name": "other"}),
    )
    .await
    .err(400, "RESOURCE_ALREADY_EXISTS");
    s.post(
        "/registered-models/rename",
        json!({"name": "old", "new_name": "a/b"}),
    )
    .await
    .invalid();
    s.post(
        "/registered-models/rename",
        json!({"name": "ghost", "new_name": "x"}),
    )
    .await
    .not_found();
    let m = s
        .post(
            "/registered-models/rename",
            json!({"name": "old", "new_name": "new"}),
        )
        .await
        .ok()["registered_model"]
        .clone();
    assert_eq!(m["name"], json!("new"));
    assert_eq!(m["aliases"], json!([{"alias": "champion", "version": "1"}]));
    assert_eq!(
        s.get_version("new", "1").await.ok()["model_version"]["name"],
        json!("new")
    );
    s.get_version("old", "1").await.not_found();

    let m = s
        .patch(
            "/registered-models/update",
            json!({"name": "new", "description": "hello"}),
        )
        .await
        .ok();
    assert_eq!(m["registered_model"]["description"], json!("hello"));
    s.patch(
        "/registered-models/update",
        json!({"name": "ghost", "description": "x"}),
    )
    .await
    .not_found();

    s.delete("/registered-models/delete", json!({"name": "new"}))
        .await
        .ok();
    s.get("/registered-models/get?name=new").await.not_found();
    s.get_version("new", "1").await.not_found();
    s.delete("/registered-models/delete", json!({"name": "new"}))
        .await
        .not_found();
    // Re-created, the name starts over with no versions, tags or aliases.
    let m = s.model("new").await;
    assert!(m.get("aliases").is_none() && m.get("latest_versions").is_none());
    assert_eq!(s.version("new", "s3://2").await["version"], json!("1"));
}

#[tokio::test]
async fn model_and_version_tags() {
    let s = Server::new();
    s.model("m").await;
    s.version("m", "s3://1").await;
    s.post(
        "/registered-models/set-tag",
        json!({"name": "m", "key": "k", "value": "v"}),
    )
    .await
    .ok();
    assert_eq!(
        s.get_model("m").await["tags"],
        json!([{"key": "k", "value": "v"}])
    );
    s.post(
        "/registered-models/set-tag",
        json!({"name": "m", "key": "../x", "value": "v"}),
    )
    .await
    .invalid();
    s.post(
        "/registered-models/set-tag",
        json!({"name": "ghost", "key": "k", "value": "v"}),
    )
    .await
    .not_found();
    s.delete(
        "/registered-models/delete-tag",
        json!({"name": "m", "key": "k"}),
    )
    .await
    .ok();
    assert!(s.get_model("m").await.get("tags").is_none());

    s.post(
        "/model-versions/set-tag",
        json!({"name": "m", "version": "1", "key": "k", "value": "v"}),
    )
    .await
    .ok();
    let v = s.get_version("m", "1").await.ok();
    assert_eq!(
        v["model_version"]["tags"],
        json!([{"key": "k", "value": "v"}])
    );
    s.post(
        "/model-versions/set-tag",
        json!({"name": "m", "version": "7", "key": "k", "value": "v"}),
    )
    .await
    .not_found();
    s.delete(
        "/model-versions/delete-tag",
        json!({"name": "m", "version": "1", "key": "k"}),
    )
    .await
    .ok();
    assert!(
        s.get_version("m", "1").await.ok()["model_version"]
            .get("tags")
            .is_none()
    );
}

#[tokio::test]
async fn versions_from_runs_are_checked() {
    let s = Server::new();
    let exp = s.experiment("e").await;
    let run = s.run(&exp).await;
    s.model("m").await;
    let v = s
        .post(
            "/model-versions/create",
            json!({"name": "m", "source": format!("runs:/{run}/model"), "run_id": run,
                   "description": "first", "tags": [{"key": "a", "value": "b"}]}),
        )
        .await
        .ok()["model_version"]
        .clone();
    assert_eq!(v["run_id"], json!(run));
    assert_eq!(v["description"], json!("first"));
    let other = s.run(&exp).await;
    // A runs:/ source must name the request's run.
    s.post(
        "/model-versions/create",
        json!({"name": "m", "source": format!("runs:/{run}/model"), "run_id": other}),
    )
    .await
    .invalid();
    s.post(
        "/model-versions/create",
        json!({"name": "m", "source": format!("runs:/{run}/../../x"), "run_id": run}),
    )
    .await
    .invalid();
    s.post(
        "/model-versions/create",
        json!({"name": "m", "source": "/etc/passwd"}),
    )
    .await
    .invalid();
    s.post("/model-versions/create", json!({"name": "m"}))
        .await
        .invalid();
    s.post(
        "/model-versions/create",
        json!({"name": "m", "source": "runs:/0123456789abcdef0123456789abcdef/m",
               "run_id": "0123456789abcdef0123456789abcdef"}),
    )
    .await
    .not_found();
    s.post(
        "/model-versions/create",
        json!({"name": "ghost", "source": "s3://x"}),
    )
    .await
    .not_found();
    // None of the rejected requests used up a version number.
    assert_eq!(s.version("m", "s3://x").await["version"], json!("2"));
    let uri = s
        .get("/model-versions/get-download-uri?name=m&version=1")
        .await
        .ok();
    assert_eq!(uri, json!({"artifact_uri": format!("runs:/{run}/model")}));
}

#[tokio::test]
async fn get_update_delete_versions() {
    let s = Server::new();
    s.model("m").await;
    s.version("m", "s3://1").await;
    s.get_version("m", "abc").await.invalid();
    s.get_version("m", "1.5").await.invalid();
    s.get_version("m", "2").await.not_found();
    s.get("/model-versions/get?name=m").await.invalid();
    let v = s
        .patch(
            "/model-versions/update",
            json!({"name": "m", "version": "1", "description": "x"}),
        )
        .await
        .ok();
    assert_eq!(v["model_version"]["description"], json!("x"));
    // Version as a JSON number is accepted too.
    s.patch(
        "/model-versions/update",
        json!({"name": "m", "version": 1, "description": "y"}),
    )
    .await
    .ok();
    s.delete(
        "/model-versions/delete",
        json!({"name": "m", "version": "1"}),
    )
    .await
    .ok();
    s.get_version("m", "1").await.not_found();
    s.delete(
        "/model-versions/delete",
        json!({"name": "m", "version": "1"}),
    )
    .await
    .not_found();
    assert_eq!(s.version("m", "s3://2").await["version"], json!("2"));
}

#[tokio::test]
async fn stages_and_latest_versions() {
    let s = Server::new();
    s.model("m").await;
    for i in 0..3 {
        s.version("m", &format!("s3://{i}")).await;
    }
    let t = |v: &str, stage: &str, archive: bool| json!({"name": "m", "version": v, "stage": stage, "archive_existing_versions": archive});
    let v = s
        .post(
            "/model-versions/transition-stage",
            t("1", "production", false),
        )
        .await
        .ok();
    assert_eq!(v["model_version"]["current_stage"], json!("Production"));
    s.post("/model-versions/transition-stage", t("2", "Staging", false))
        .await
        .ok();
    s.post("/model-versions/transition-stage", t("1", "Deleted", false))
        .await
        .invalid();
    // Archiving others only makes sense for Staging and Production.
    s.post("/model-versions/transition-stage", t("3", "Archived", true))
        .await
        .invalid();
    assert_eq!(
        s.get_version("m", "3").await.ok()["model_version"]["current_stage"],
        json!("None")
    );
    s.post(
        "/model-versions/transition-stage",
        json!({"name": "m", "version": "1", "stage": "Staging"}),
    )
    .await
    .invalid();
    s.post("/model-versions/transition-stage", t("9", "Staging", false))
        .await
        .not_found();

    let all = s
        .post(
            "/registered-models/get-latest-versions",
            json!({"name": "m"}),
        )
        .await
        .ok();
    let stages: Vec<(String, String)> = all["model_versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_str().unwrap().to_owned(),
                v["current_stage"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        stages,
        [
            ("3".to_owned(), "None".to_owned()),
            ("2".to_owned(), "Staging".to_owned()),
            ("1".to_owned(), "Production".to_owned())
        ]
    );
    let prod = s
        .get("/registered-models/get-latest-versions?name=m&stages=Production")
        .await
        .ok();
    assert_eq!(versions(&prod), [("m".to_owned(), "1".to_owned())]);
    s.get("/registered-models/get-latest-versions?name=m&stages=Bogus")
        .await
        .invalid();
    s.get("/registered-models/get-latest-versions?name=ghost")
        .await
        .not_found();

    // Archiving: 3 to Production archives 1, and leaves Staging alone.
    s.post(
        "/model-versions/transition-stage",
        t("3", "Production", true),
    )
    .await
    .ok();
    let stage = |b: Value| {
        b["model_version"]["current_stage"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(stage(s.get_version("m", "1").await.ok()), "Archived");
    assert_eq!(stage(s.get_version("m", "2").await.ok()), "Staging");
}

#[tokio::test]
async fn aliases() {
    let s = Server::new();
    s.model("m").await;
    s.version("m", "s3://1").await;
    s.version("m", "s3://2").await;
    let set = |alias: &str, v: &str| json!({"name": "m", "alias": alias, "version": v});
    s.post("/registered-models/alias", set("champ", "1"))
        .await
        .ok();
    let got = s
        .get("/registered-models/alias?name=m&alias=champ")
        .await
        .ok();
    assert_eq!(got["model_version"]["version"], json!("1"));
    assert_eq!(got["model_version"]["aliases"], json!(["champ"]));
    // Setting it again moves it.
    s.post("/registered-models/alias", set("champ", "2"))
        .await
        .ok();
    assert_eq!(
        s.get("/registered-models/alias?name=m&alias=champ")
            .await
            .ok()["model_version"]["version"],
        json!("2")
    );
    assert!(
        s.get_version("m", "1").await.ok()["model_version"]
            .get("aliases")
            .is_none()
    );
    assert_eq!(
        s.get_model("m").await["aliases"],
        json!([{"alias": "champ", "version": "2"}])
    );
    for bad in ["latest", "LATEST", "v3", "a b", ""] {
        s.post("/registered-models/alias", set(bad, "1"))
            .await
            .invalid();
    }
    s.post("/registered-models/alias", set("x", "9"))
        .await
        .not_found();
    s.post("/registered-models/alias", set("x", "one"))
        .await
        .invalid();
    s.get("/registered-models/alias?name=m&alias=nope")
        .await
        .invalid();
    s.get("/registered-models/alias?name=ghost&alias=champ")
        .await
        .not_found();
    // Deleting the version drops its aliases.
    s.delete(
        "/model-versions/delete",
        json!({"name": "m", "version": "2"}),
    )
    .await
    .ok();
    s.get("/registered-models/alias?name=m&alias=champ")
        .await
        .invalid();
    s.post("/registered-models/alias", set("champ", "1"))
        .await
        .ok();
    s.delete(
        "/registered-models/alias",
        json!({"name": "m", "alias": "champ"}),
    )
    .await
    .ok();
    s.get("/registered-models/alias?name=m&alias=champ")
        .await
        .invalid();
    s.delete(
        "/registered-models/alias",
        json!({"name": "ghost", "alias": "champ"}),
    )
    .await
    .not_found();
}

#[tokio::test]
async fn search_registered_models_filters_orders_and_pages() {
    let s = Server::new();
    for name in ["Fraud-a", "fraud-b", "churn", "zeta"] {
        s.model(name).await;
    }
    s.post(
        "/registered-models/set-tag",
        json!({"name": "churn", "key": "team", "value": "growth"}),
    )
    .await
    .ok();
    let srv = &s;
    let search = |q: String| async move {
        model_names(
            &srv.get(&format!("/registered-models/search?{q}"))
                .await
                .ok(),
        )
    };
    assert_eq!(
        search(String::new()).await,
        ["Fraud-a", "churn", "fraud-b", "zeta"]
    );
    assert_eq!(
        search(format!("filter={}", enc("name ILIKE '%fraud%'"))).await,
        ["Fraud-a", "fraud-b"]
    );
    assert_eq!(
        search(format!("filter={}", enc("name LIKE 'fraud%'"))).await,
        ["fraud-b"]
    );
    assert_eq!(
        search(format!("filter={}", enc("name = 'zeta'"))).await,
        ["zeta"]
    );
    assert_eq!(
        search(format!("filter={}", enc("name != 'zeta'")))
            .await
            .len(),
        3
    );
    assert_eq!(
        search(format!("filter={}", enc("tags.team = 'growth'"))).await,
        ["churn"]
    );
    assert_eq!(
        search(format!("filter={}", enc("tags.team LIKE 'gr%'"))).await,
        ["churn"]
    );
    assert_eq!(
        search(format!("order_by={}", enc("name DESC"))).await,
        ["zeta", "fraud-b", "churn", "Fraud-a"]
    );
    assert_eq!(
        search(format!("order_by={}", enc("creation_timestamp DESC")))
            .await
            .len(),
        4
    );
    // Paging: 3 + 1.
    let p1 = s.get("/registered-models/search?max_results=3").await.ok();
    assert_eq!(model_names(&p1).len(), 3);
    let token = p1["next_page_token"].as_str().unwrap().to_owned();
    let p2 = s
        .get(&format!(
            "/registered-models/search?max_results=3&page_token={}",
            enc(&token)
        ))
        .await
        .ok();
    assert_eq!(model_names(&p2), ["zeta"]);
    assert!(p2.get("next_page_token").is_none());
    // Bad input.
    for q in [
        "max_results=1001".to_owned(),
        "max_results=0".to_owned(),
        format!("filter={}", enc("run_id = 'x'")),
        format!("filter={}", enc("name = ")),
        format!("order_by={}", enc("version_number")),
        "page_token=garbage".to_owned(),
    ] {
        s.get(&format!("/registered-models/search?{q}"))
            .await
            .invalid();
    }
    assert_eq!(
        model_names(
            &s.get("/registered-models/search?max_results=1000")
                .await
                .ok()
        )
        .len(),
        4
    );
}

#[tokio::test]
async fn search_model_versions_filters_orders_and_pages() {
    let s = Server::new();
    let exp = s.experiment("e").await;
    let run = s.run(&exp).await;
    s.model("a").await;
    s.model("b").await;
    for _ in 0..3 {
        s.version("a", "s3://bucket/a").await;
    }
    s.post(
        "/model-versions/create",
        json!({"name": "b", "source": format!("runs:/{run}/model"), "run_id": run}),
    )
    .await
    .ok();
    s.post(
        "/model-versions/set-tag",
        json!({"name": "a", "version": "2", "key": "ok", "value": "yes"}),
    )
    .await
    .ok();
    let srv = &s;
    let search = |q: String| async move {
        versions(&srv.get(&format!("/model-versions/search?{q}")).await.ok())
    };
    let v = |n: &str, v: &str| (n.to_owned(), v.to_owned());
    assert_eq!(
        search(String::new()).await,
        [v("a", "3"), v("a", "2"), v("a", "1"), v("b", "1")]
    );
    assert_eq!(
        search(format!(
            "filter={}",
            enc("name = 'a' AND version_number > 1")
        ))
        .await,
        [v("a", "3"), v("a", "2")]
    );
    assert_eq!(
        search(format!("filter={}", enc(&format!("run_id = '{run}'")))).await,
        [v("b", "1")]
    );
    assert_eq!(
        search(format!("filter={}", enc("source_path LIKE 's3://%'")))
            .await
            .len(),
        3
    );
    assert_eq!(
        search(format!("filter={}", enc("tags.ok = 'yes'"))).await,
        [v("a", "2")]
    );
    assert_eq!(
        search(format!("filter={}", enc("name IN ('b')"))).await,
        [v("b", "1")]
    );
    assert_eq!(
        search(format!(
            "filter={}&order_by={}",
            enc("name = 'a'"),
            enc("version_number ASC")
        ))
        .await,
        [v("a", "1"), v("a", "2"), v("a", "3")]
    );
    let p1 = s.get("/model-versions/search?max_results=3").await.ok();
    assert_eq!(versions(&p1).len(), 3);
    let token = p1["next_page_token"].as_str().unwrap().to_owned();
    let p2 = s
        .get(&format!(
            "/model-versions/search?max_results=3&page_token={}",
            enc(&token)
        ))
        .await
        .ok();
    assert_eq!(versions(&p2), [v("b", "1")]);
    for q in [
        "max_results=200001".to_owned(),
        format!("filter={}", enc("stage = 'None'")),
        format!("filter={}", enc("version_number = 'x'")),
        format!("order_by={}", enc("tags.x")),
    ] {
        s.get(&format!("/model-versions/search?{q}"))
            .await
            .invalid();
    }
}

#[tokio::test]
async fn searches_leave_out_prompts_unless_asked() {
    let s = Server::new();
    s.model("model").await;
    s.post(
        "/registered-models/create",
        json!({"name": "prompt", "tags": [{"key": "mlflow.prompt.is_prompt", "value": "true"}]}),
    )
    .await
    .ok();
    s.version("model", "s3://m").await;
    s.version("prompt", "s3://p").await;
    let srv = &s;
    let models = |q: &str| {
        let uri = format!("/registered-models/search?filter={}", enc(q));
        async move { model_names(&srv.get(&uri).await.ok()) }
    };
    assert_eq!(models("").await, ["model"]);
    // What the official client appends to every search.
    assert_eq!(
        models("tags.`mlflow.prompt.is_prompt` != 'true'").await,
        ["model"]
    );
    assert_eq!(
        models("tags.`mlflow.prompt.is_prompt` = 'true'").await,
        ["prompt"]
    );
    let all = s.get("/model-versions/search").await.ok();
    assert_eq!(versions(&all), [("model".to_owned(), "1".to_owned())]);
    let uri = format!(
        "/model-versions/search?filter={}",
        enc("name = 'prompt' AND tags.`mlflow.prompt.is_prompt` != 'false'")
    );
    // Asking for prompts keeps the tag test, which the version lacks.
    assert!(versions(&s.get(&uri).await.ok()).is_empty());
}
