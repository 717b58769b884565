//! A fitted pipeline saves and loads back predicting identically.

use super::support::toy;
use cairn_ml::feature::LABEL;
use cairn_ml::prelude::*;

fn roundtrip(pipeline: Pipeline, data: &Dataset) {
    let model = pipeline.fit(data).unwrap();
    let dir = tempfile::tempdir().unwrap();
    model.save(dir.path().join("model")).unwrap();
    let loaded = PipelineModel::load(dir.path().join("model")).unwrap();
    assert_eq!(loaded, model);
    let (a, b) = (
        model.transform(data).unwrap(),
        loaded.transform(data).unwrap(),
    );
    assert_eq!(a.prediction(), b.prediction());
    assert_eq!(a.probability(), b.probability());
    assert_eq!(a.raw_prediction(), b.raw_prediction());
}

#[test]
fn every_stage_type_round_trips() {
    let wine = toy("wine");
    let scaled = || StandardScaler::new().with_mean(true);
    roundtrip(
        Pipeline::new()
            .stage(StringIndexer::new())
            .stage(scaled())
            .stage(DecisionTreeClassifier::new()),
        &wine,
    );
    roundtrip(
        Pipeline::new()
            .stage(scaled())
            .stage(RandomForestClassifier::new().num_trees(5)),
        &wine,
    );
    roundtrip(
        Pipeline::new()
            .stage(scaled())
            .stage(LogisticRegression::new().reg_param(0.01)),
        &wine,
    );
    roundtrip(Pipeline::new().stage(scaled()).stage(Svc::new()), &wine);
    let bin = Binarizer::new().input_col(LABEL).threshold(0.5);
    roundtrip(
        Pipeline::new()
            .stage(bin)
            .stage(scaled())
            .stage(Svc::new().kernel("linear")),
        &wine,
    );
    roundtrip(Pipeline::new().stage(DecisionTreeRegressor::new()), &wine);
    roundtrip(
        Pipeline::new().stage(RandomForestRegressor::new().num_trees(3)),
        &wine,
    );
}

#[test]
fn loading_garbage_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    assert!(PipelineModel::load(dir.path()).is_err());
    std::fs::write(
        dir.path().join(cairn_ml::pipeline::MODEL_FILE),
        "{\"format\":\"x\",\"version\":1,\"stages\":[]}",
    )
    .unwrap();
    let e = PipelineModel::load(dir.path()).unwrap_err();
    assert!(
        e.to_string()
            .contains("expected \"cairn-ml/pipeline-model\""),
        "{e}"
    );
}

/// Well-formed JSON whose content breaks a model's invariants (a split on a
/// feature the model does not have, a child index out of range, a support
/// vector that does not exist, ...) is a typed load error, never a panic when
/// predicting later.
#[test]
fn loading_inconsistent_models_is_a_typed_error() {
    let wine = toy("wine");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(cairn_ml::pipeline::MODEL_FILE);
    let tree = Pipeline::new()
        .stage(DecisionTreeClassifier::new().max_depth(2))
        .fit(&wine)
        .unwrap();
    let svc = Pipeline::new()
        .stage(StandardScaler::new().with_mean(true))
        .stage(Svc::new())
        .fit(&wine)
        .unwrap();
    let logreg = Pipeline::new()
        .stage(LogisticRegression::new())
        .fit(&wine)
        .unwrap();
    type Edit = fn(&mut serde_json::Value);
    let cases: Vec<(&PipelineModel, Edit, &str)> = vec![
        (
            &tree,
            |v| {
                v["stages"][0]["stage"]["model"]["tree"]["nodes"][0]["Split"]["feature"] = 99.into()
            },
            "splits on feature 99",
        ),
        (
            &tree,
            |v| v["stages"][0]["stage"]["model"]["tree"]["nodes"][0]["Split"]["left"] = 0.into(),
            "not after it",
        ),
        (
            &tree,
            |v| v["stages"][0]["stage"]["model"]["num_classes"] = 7.into(),
            "the model has 7 classes",
        ),
        (
            &tree,
            |v| v["stages"][0]["stage"]["model"]["tree"]["nodes"] = serde_json::json!([]),
            "no nodes",
        ),
        (
            &svc,
            |v| v["stages"][1]["stage"]["model"]["machines"][0]["coef"][0][0] = 100_000.into(),
            "uses support vector 100000",
        ),
        (
            &svc,
            |v| v["stages"][1]["stage"]["model"]["num_features"] = 5.into(),
            "rows of 5 features",
        ),
        (
            &svc,
            |v| v["stages"][0]["stage"]["model"]["std"] = serde_json::json!([1.0]),
            "standard deviations",
        ),
        (
            &logreg,
            |v| v["stages"][0]["stage"]["model"]["intercepts"] = serde_json::json!([0.0]),
            "1 intercepts",
        ),
    ];
    for (model, edit, expected) in cases {
        let mut v: serde_json::Value = serde_json::from_str(&model.to_json().unwrap()).unwrap();
        edit(&mut v);
        std::fs::write(&file, v.to_string()).unwrap();
        let e = PipelineModel::load(dir.path()).unwrap_err();
        assert!(matches!(e, MlError::Format { .. }), "{e:?}");
        assert!(
            e.to_string().contains(expected),
            "{e} should say {expected:?}"
        );
    }
    // the unedited files load
    for model in [&tree, &svc, &logreg] {
        std::fs::write(&file, model.to_json().unwrap()).unwrap();
        assert_eq!(&PipelineModel::load(dir.path()).unwrap(), model);
    }
}
