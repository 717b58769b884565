//! The model registry through `ModelRegistryStore` on a temp-file store:
//! version numbering, renames carrying versions, hard deletes, stages and
//! latest versions, aliases, searches with paging, and that a failed write
//! changes nothing.

use cairn_core::registry::{ModelStage, NewModelVersion, NewRegisteredModel, SourceRun};
use cairn_core::search::{
    ModelVersionFilter, ModelVersionOrder, RegisteredModelFilter, RegisteredModelOrder,
};
use cairn_core::store::TrackingStore;
use cairn_core::store::{ModelRegistryStore, ModelVersionSearch, RegisteredModelSearch};
use cairn_core::{ErrorCode, ExperimentId, Tag};

use super::{new_run, open_fast};

fn model(reg: &dyn ModelRegistryStore, name: &str) {
    reg.create_registered_model(
        NewRegisteredModel::new(name.into(), String::new(), vec![]).unwrap(),
    )
    .unwrap();
}

fn version(reg: &dyn ModelRegistryStore, name: &str, source: &str) -> u64 {
    let new = NewModelVersion::new(
        name.into(),
        source.into(),
        None,
        None,
        String::new(),
        vec![],
    )
    .unwrap();
    reg.create_model_version(new).unwrap().version
}

fn model_search(
    filter: &str,
    order: &[&str],
    max: usize,
    token: Option<String>,
) -> RegisteredModelSearch {
    RegisteredModelSearch {
        filter: RegisteredModelFilter::parse(filter).unwrap(),
        order: RegisteredModelOrder::parse(
            &order.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
        .unwrap(),
        max_results: max,
        page_token: token,
    }
}

fn version_search(filter: &str, order: &[&str]) -> ModelVersionSearch {
    ModelVersionSearch {
        filter: ModelVersionFilter::parse(filter).unwrap(),
        order: ModelVersionOrder::parse(&order.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap(),
        max_results: 1000,
        page_token: None,
    }
}

#[test]
fn versions_number_per_model_and_are_never_reused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_fast(&dir.path().join("db.sqlite"));
    let reg = store.registry().unwrap();
    model(reg, "a");
    model(reg, "b");
    assert_eq!(version(reg, "a", "s3://x/1"), 1);
    assert_eq!(version(reg, "a", "s3://x/2"), 2);
    assert_eq!(version(reg, "b", "s3://x/3"), 1);
    reg.delete_model_version("a", 2).unwrap();
    assert_eq!(version(reg, "a", "s3://x/4"), 3);
    let v = reg.get_model_version("a", 3).unwrap();
    assert_eq!((v.current_stage, v.status()), (ModelStage::None, "READY"));
    assert_eq!(
        reg.get_model_version("a", 2).unwrap_err().code(),
        ErrorCode::ResourceDoesNotExist
    );
    let err = version_err(reg, "missing");
    assert_eq!(err, ErrorCode::ResourceDoesNotExist);
}

fn version_err(reg: &dyn ModelRegistryStore, name: &str) -> ErrorCode {
    let new = NewModelVersion::new(
        name.into(),
        "s3://x".into(),
        None,
        None,
        String::new(),
        vec![],
    )
    .unwrap();
    reg.create_model_version(new).unwrap_err().code()
}

#[test]
fn versions_of_unknown_runs_are_rejected_and_known_runs_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_fast(&dir.path().join("db.sqlite"));
    let run = new_run(&store, ExperimentId::DEFAULT);
    let reg = store.registry().unwrap();
    model(reg, "m");
    let src = format!("runs:/{run}/model");
    let ok = NewModelVersion::new(
        "m".into(),
        src.clone(),
        Some(SourceRun {
            run_id: run.as_str(),
            artifact_uri: "mlflow-artifacts:/0/x",
        }),
        None,
        String::new(),
        vec![Tag::new("k", "v")],
    )
    .unwrap();
    let v = reg.create_model_version(ok).unwrap();
    assert_eq!(v.run_id.as_deref(), Some(run.as_str()));
    assert_eq!(v.tags, vec![Tag::new("k", "v")]);
    let ghost = "0".repeat(32);
    let bad = NewModelVersion::new(
        "m".into(),
        format!("runs:/{ghost}/model"),
        Some(SourceRun {
            run_id: &ghost,
            artifact_uri: "",
        }),
        None,
        String::new(),
        vec![],
    )
    .unwrap();
    assert_eq!(
        reg.create_model_version(bad).unwrap_err().code(),
        ErrorCode::ResourceDoesNotExist
    );
    // The failed create consumed no version number.
    assert_eq!(version(reg, "m", "s3://y"), 2);
}

#[test]
fn rename_moves_versions_tags_and_aliases_and_delete_removes_everything() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_fast(&dir.path().join("db.sqlite"));
    let reg = store.registry().unwrap();
    model(reg, "old");
    model(reg, "taken");
    version(reg, "old", "s3://1");
    reg.set_registered_model_tag("old", Tag::new("team", "x"))
        .unwrap();
    reg.set_registered_model_alias("old", "champion", 1)
        .unwrap();
    assert_eq!(
        reg.rename_registered_model("old", "taken")
            .unwrap_err()
            .code(),
        ErrorCode::ResourceAlreadyExists
    );
    let m = reg.rename_registered_model("old", "new").unwrap();
    assert_eq!(m.name, "new");
    assert_eq!(m.aliases, vec![("champion".to_string(), 1)]);
    assert_eq!(m.tags, vec![Tag::new("team", "x")]);
    assert_eq!(m.latest_versions[0].name, "new");
    assert_eq!(
        reg.get_model_version_by_alias("new", "champion")
            .unwrap()
            .version,
        1
    );
    assert_eq!(
        reg.get_registered_model("old").unwrap_err().code(),
        ErrorCode::ResourceDoesNotExist
    );

    reg.delete_registered_model("new").unwrap();
    assert_eq!(
        reg.get_registered_model("new").unwrap_err().code(),
        ErrorCode::ResourceDoesNotExist
    );
    // A model re-created under the name starts afresh.
    model(reg, "new");
    let m = reg.get_registered_model("new").unwrap();
    assert!(m.tags.is_empty() && m.aliases.is_empty() && m.latest_versions.is_empty());
    assert_eq!(version(reg, "new", "s3://2"), 1);
}

#[test]
fn stages_latest_versions_and_archiving() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_fast(&dir.path().join("db.sqlite"));
    let reg = store.registry().unwrap();
    model(reg, "m");
    for i in 0..4 {
        version(reg, "m", &format!("s3://{i}"));
    }
    reg.transition_model_version_stage("m", 1, ModelStage::Production, false)
        .unwrap();
    reg.transition_model_version_stage("m", 2, ModelStage::Production, false)
        .unwrap();
    reg.transition_model_version_stage("m", 3, ModelStage::Staging, false)
        .unwrap();
    let latest: Vec<(u64, ModelStage)> = reg
        .latest_versions("m", &[])
        .unwrap()
        .into_iter()
        .map(|v| (v.version, v.current_stage))
        .collect();
    assert_eq!(
        latest,
        vec![
            (4, ModelStage::None),
            (3, ModelStage::Staging),
            (2, ModelStage::Production)
        ]
    );
    let only = reg.latest_versions("m", &[ModelStage::Production]).unwrap();
    assert_eq!(only.len(), 1);
    reg.transition_model_version_stage("m", 4, ModelStage::Production, true)
        .unwrap();
    let stages: Vec<ModelStage> = (1..=4)
        .map(|v| reg.get_model_version("m", v).unwrap().current_stage)
        .collect();
    assert_eq!(
        stages,
        vec![
            ModelStage::Archived,
            ModelStage::Archived,
            ModelStage::Staging,
            ModelStage::Production
        ]
    );
    assert_eq!(
        reg.get_registered_model("m").unwrap().latest_versions.len(),
        3
    );
}

#[test]
fn aliases_move_and_die_with_their_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_fast(&dir.path().join("db.sqlite"));
    let reg = store.registry().unwrap();
    model(reg, "m");
    version(reg, "m", "s3://1");
    version(reg, "m", "s3://2");
    reg.set_registered_model_alias("m", "champ", 1).unwrap();
    reg.set_registered_model_alias("m", "champ", 2).unwrap();
    assert_eq!(
        reg.get_model_version("m", 2).unwrap().aliases,
        vec!["champ".to_string()]
    );
    assert!(reg.get_model_version("m", 1).unwrap().aliases.is_empty());
    assert_eq!(
        reg.set_registered_model_alias("m", "x", 9)
            .unwrap_err()
            .code(),
        ErrorCode::ResourceDoesNotExist
    );
    reg.delete_model_version("m", 2).unwrap();
    assert_eq!(
        reg.get_model_version_by_alias("m", "champ")
            .unwrap_err()
            .code(),
        ErrorCode::InvalidParameterValue
    );
    assert_eq!(
        reg.get_model_version_by_alias("nope", "champ")
            .unwrap_err()
            .code(),
        ErrorCode::ResourceDoesNotExist
    );
    reg.delete_registered_model_alias("m", "champ").unwrap();
}

#[test]
fn searches_filter_order_and_page_in_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_fast(&dir.path().join("db.sqlite"));
    let reg = store.registry().unwrap();
    for name in ["Fraud-a", "fraud-b", "churn", "zeta"] {
        model(reg, name);
    }
    reg.set_registered_model_tag("churn", Tag::new("team", "growth"))
        .unwrap();
    let names = |q: RegisteredModelSearch| -> Vec<String> {
        reg.search_registered_models(&q)
            .unwrap()
            .items
            .into_iter()
            .map(|m| m.name)
            .collect()
    };
    assert_eq!(
        names(model_search("", &[], 10, None)),
        ["Fraud-a", "churn", "fraud-b", "zeta"]
    );
    assert_eq!(
        names(model_search("name LIKE 'fraud%'", &[], 10, None)),
        ["fraud-b"]
    );
    assert_eq!(
        names(model_search("name ILIKE 'fraud%'", &[], 10, None)),
        ["Fraud-a", "fraud-b"]
    );
    assert_eq!(
        names(model_search(
            "name != 'zeta' AND name != 'churn'",
            &[],
            10,
            None
        )),
        ["Fraud-a", "fraud-b"]
    );
    assert_eq!(
        names(model_search("tags.team = 'growth'", &[], 10, None)),
        ["churn"]
    );
    assert_eq!(
        names(model_search("tags.team LIKE 'gr%'", &[], 10, None)),
        ["churn"]
    );
    let desc = names(model_search("", &["name DESC"], 10, None));
    assert_eq!(desc, ["zeta", "fraud-b", "churn", "Fraud-a"]);
    // Paging: two pages of two, then no token.
    let p1 = reg
        .search_registered_models(&model_search("", &[], 2, None))
        .unwrap();
    assert_eq!(p1.items.len(), 2);
    let p2 = reg
        .search_registered_models(&model_search("", &[], 2, p1.next_page_token.clone()))
        .unwrap();
    assert_eq!(p2.items[0].name, "fraud-b");
    assert!(p2.next_page_token.is_none());

    for _ in 0..3 {
        version(reg, "churn", "s3://bucket/churn");
    }
    version(reg, "zeta", "gs://z");
    reg.set_model_version_tag("churn", 2, Tag::new("ok", "yes"))
        .unwrap();
    let vs = |f: &str, o: &[&str]| -> Vec<(String, u64)> {
        reg.search_model_versions(&version_search(f, o))
            .unwrap()
            .items
            .into_iter()
            .map(|v| (v.name, v.version))
            .collect()
    };
    let c = |v: u64| ("churn".to_string(), v);
    assert_eq!(vs("name = 'churn'", &[]), [c(3), c(2), c(1)]);
    assert_eq!(
        vs(
            "name = 'churn' AND version_number >= 2",
            &["version_number ASC"]
        ),
        [c(2), c(3)]
    );
    assert_eq!(vs("tags.ok = 'yes'", &[]), [c(2)]);
    assert_eq!(
        vs("source_path LIKE 'gs://%'", &[]),
        [("zeta".to_string(), 1)]
    );
    assert_eq!(vs("name IN ('zeta', 'nope')", &[]).len(), 1);
}
