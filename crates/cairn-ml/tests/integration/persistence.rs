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
