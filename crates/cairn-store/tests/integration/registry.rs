//! The model registry through `ModelRegistryStore` on a temp-file store:
//! version numbering, renames carrying versions, hard deletes, stages and
//! latest versions, aliases, searches with paging (also against the
//! reference evaluator on random registries and filters), and that a failed
//! write changes nothing.

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

/// Deterministic pseudo-random numbers (no dependency needed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next(items.len() as u64) as usize]
    }
}

/// `(key, ascending)` of effective clauses, compared by the test itself.
fn cmp_by<T>(
    a: &T,
    b: &T,
    clauses: &[(u8, bool)],
    value: impl Fn(&T, u8) -> (i64, String),
) -> std::cmp::Ordering {
    clauses
        .iter()
        .map(|&(key, asc)| {
            let o = value(a, key).cmp(&value(b, key));
            if asc { o } else { o.reverse() }
        })
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// Random registries and filters: every page-through of a search equals the
/// reference evaluator (`*Filter::matches`) over all models and versions,
/// sorted by the effective order.
#[test]
fn searches_agree_with_the_reference_evaluator() {
    use cairn_core::registry::{ModelVersion, RegisteredModel};
    use cairn_core::search::{IS_PROMPT_TAG, ModelVersionOrderKey, RegisteredModelOrderKey};

    let dir = tempfile::tempdir().unwrap();
    let store = open_fast(&dir.path().join("db.sqlite"));
    let runs: Vec<String> = (0..3)
        .map(|_| new_run(&store, ExperimentId::DEFAULT).to_string())
        .collect();
    let reg = store.registry().unwrap();
    let mut rng = Lcg(7);
    let names = [
        "alpha", "Alpha-2", "beta", "beta_x", "gamma", "GAMMA", "delta%", "eps", "zeta", "p1",
    ];
    let values = ["a", "b", "ab", "B", ""];
    for name in names {
        let mut tags = Vec::new();
        for key in ["team", "tier"] {
            if rng.next(3) > 0 {
                tags.push(Tag::new(key, rng.pick(&values)));
            }
        }
        if name == "p1" {
            tags.push(Tag::new(IS_PROMPT_TAG, "true"));
        }
        reg.create_registered_model(
            NewRegisteredModel::new(name.into(), String::new(), tags).unwrap(),
        )
        .unwrap();
        for _ in 0..rng.next(4) {
            let run = (rng.next(3) > 0).then(|| runs[rng.next(3) as usize].clone());
            let source = match &run {
                Some(r) => format!("runs:/{r}/model"),
                None => format!("s3://bucket/{}", rng.pick(&["x", "y/model"])),
            };
            let mut tags = Vec::new();
            if rng.next(2) == 0 {
                tags.push(Tag::new("ok", rng.pick(&values)));
            }
            let new = NewModelVersion::new(
                name.into(),
                source,
                run.as_deref().map(|r| SourceRun {
                    run_id: r,
                    artifact_uri: "mlflow-artifacts:/0",
                }),
                None,
                String::new(),
                tags,
            )
            .unwrap();
            reg.create_model_version(new).unwrap();
        }
    }
    let models: Vec<RegisteredModel> = names
        .iter()
        .map(|n| reg.get_registered_model(n).unwrap())
        .collect();
    let mut all_versions: Vec<(ModelVersion, bool)> = Vec::new();
    for m in &models {
        let prompt = m.tags.iter().any(|t| t.key == IS_PROMPT_TAG);
        for v in 1..=20 {
            if let Ok(mv) = reg.get_model_version(&m.name, v) {
                all_versions.push((mv, prompt));
            }
        }
    }
    assert!(
        all_versions.len() > 8,
        "the generator made too few versions"
    );

    let model_atoms = [
        "name = 'beta'",
        "name != 'beta'",
        "name LIKE 'a%'",
        "name LIKE '%a'",
        "name LIKE 'beta_x'",
        "name ILIKE 'ALPHA%'",
        "name ILIKE '%mm%'",
        "name LIKE 'delta%'",
        "name IN ('eps', 'zeta', 'nope')",
        "name NOT IN ('eps')",
        "tags.team = 'a'",
        "tags.team != 'a'",
        "tags.tier LIKE '%b'",
        "tags.tier ILIKE 'b'",
        "tags.team = ''",
        "tags.`mlflow.prompt.is_prompt` = 'true'",
        "tags.`mlflow.prompt.is_prompt` != 'true'",
    ];
    let version_atoms = [
        "name = 'beta'",
        "name ILIKE '%A%'",
        "name IN ('alpha', 'gamma')",
        "version_number = 1",
        "version_number > 1",
        "version_number <= 2",
        "version_number != 2",
        "run_id = 'RUN0'",
        "run_id != 'RUN1'",
        "run_id IN ('RUN1', 'RUN2')",
        "source_path LIKE 's3://%'",
        "source_path ILIKE '%MODEL'",
        "tags.ok = 'a'",
        "tags.ok != 'b'",
        "tags.ok LIKE '%'",
    ];
    let model_orders: [&[&str]; 4] = [
        &[],
        &["name DESC"],
        &["creation_timestamp DESC"],
        &["last_updated_timestamp ASC", "name DESC"],
    ];
    let version_orders: [&[&str]; 4] = [
        &[],
        &["version_number ASC"],
        &["creation_timestamp DESC"],
        &["name DESC", "version_number ASC"],
    ];
    let combine = |rng: &mut Lcg, atoms: &[&str]| -> String {
        match rng.next(4) {
            0 => String::new(),
            1 => rng.pick(atoms).to_owned(),
            2 => format!("{} AND {}", rng.pick(atoms), rng.pick(atoms)),
            _ => format!(
                "({} OR {}) AND {}",
                rng.pick(atoms),
                rng.pick(atoms),
                rng.pick(atoms)
            ),
        }
    };
    for case in 0..150 {
        // Registered models.
        let filter = combine(&mut rng, &model_atoms);
        let order = model_orders[case % model_orders.len()];
        let parsed = RegisteredModelFilter::parse(&filter).unwrap();
        let clauses: Vec<(u8, bool)> =
            RegisteredModelOrder::parse(&order.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap()
                .effective_clauses()
                .iter()
                .map(|c| {
                    let key = match c.key {
                        RegisteredModelOrderKey::Name => 0,
                        RegisteredModelOrderKey::CreationTimestamp => 1,
                        RegisteredModelOrderKey::LastUpdatedTimestamp => 2,
                    };
                    (key, c.ascending)
                })
                .collect();
        let mut want: Vec<&RegisteredModel> = models
            .iter()
            .filter(|m| parsed.matches(m, m.tags.iter().any(|t| t.key == IS_PROMPT_TAG)))
            .collect();
        want.sort_by(|a, b| {
            cmp_by(*a, *b, &clauses, |m, k| match k {
                0 => (0, m.name.clone()),
                1 => (m.creation_timestamp, String::new()),
                _ => (m.last_updated_timestamp, String::new()),
            })
        });
        let mut got = Vec::new();
        let mut token = None;
        loop {
            let page = reg
                .search_registered_models(&model_search(&filter, order, 3, token))
                .unwrap();
            assert!(page.items.len() <= 3);
            got.extend(page.items.into_iter().map(|m| m.name));
            match page.next_page_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        let want: Vec<String> = want.iter().map(|m| m.name.clone()).collect();
        assert_eq!(got, want, "models: filter {filter:?} order {order:?}");

        // Model versions (run ids substituted into the atoms).
        let mut filter = combine(&mut rng, &version_atoms);
        for (i, r) in runs.iter().enumerate() {
            filter = filter.replace(&format!("RUN{i}"), r);
        }
        let order = version_orders[case % version_orders.len()];
        let parsed = ModelVersionFilter::parse(&filter).unwrap();
        let clauses: Vec<(u8, bool)> =
            ModelVersionOrder::parse(&order.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap()
                .effective_clauses()
                .iter()
                .map(|c| {
                    let key = match c.key {
                        ModelVersionOrderKey::Name => 0,
                        ModelVersionOrderKey::VersionNumber => 1,
                        ModelVersionOrderKey::CreationTimestamp => 2,
                        ModelVersionOrderKey::LastUpdatedTimestamp => 3,
                    };
                    (key, c.ascending)
                })
                .collect();
        let mut want: Vec<&ModelVersion> = all_versions
            .iter()
            .filter(|(v, prompt)| parsed.matches(v, *prompt))
            .map(|(v, _)| v)
            .collect();
        want.sort_by(|a, b| {
            cmp_by(*a, *b, &clauses, |v, k| match k {
                0 => (0, v.name.clone()),
                1 => (v.version as i64, String::new()),
                2 => (v.creation_timestamp, String::new()),
                _ => (v.last_updated_timestamp, String::new()),
            })
        });
        let mut search = version_search(&filter, order);
        search.max_results = 4;
        let mut got = Vec::new();
        loop {
            let page = reg.search_model_versions(&search).unwrap();
            got.extend(page.items.into_iter().map(|v| (v.name, v.version)));
            match page.next_page_token {
                Some(t) => search.page_token = Some(t),
                None => break,
            }
        }
        let want: Vec<(String, u64)> = want.iter().map(|v| (v.name.clone(), v.version)).collect();
        assert_eq!(got, want, "versions: filter {filter:?} order {order:?}");
    }
}
