//! Readers on the real toy datasets, checked against the README's checksums and counts.

use super::support::{datasets, sha256_hex, toy};
use cairn_ml::prelude::*;

#[test]
fn toy_files_match_readme_checksums() {
    for (file, sum) in [
        (
            "iris.csv",
            "4ee430a62e58386cb7db10bc5b725c93b664dd2fe1a036284b8e9ea3f7ed1a93",
        ),
        (
            "wine.csv",
            "55d79f476c8ff1e8d0db95ca05a05348dcc2f8e2b83a83da3202cf3a3b4cd68e",
        ),
        (
            "breast_cancer.csv",
            "9b9e3a2fe53a2264f7e756aff00ab883450186c47bfb2027b4d90ca51d23347d",
        ),
        (
            "digits.libsvm.gz",
            "cfe611a990311d0603c601e48fd39c361a7002ff93c9f28f2ab9e1279307e008",
        ),
    ] {
        let bytes = std::fs::read(datasets().join(file)).unwrap();
        assert_eq!(sha256_hex(&bytes), sum, "{file}");
    }
}

#[test]
fn iris_and_wine_shapes_and_classes() {
    let iris = toy("iris");
    assert_eq!((iris.n_rows(), iris.n_features()), (150, 4));
    assert_eq!(iris.feature_names()[0], "sepal_length_cm");
    let (y, k) = iris.class_labels(10).unwrap();
    assert_eq!(k, 3);
    assert_eq!(
        (0..3)
            .map(|c| y.iter().filter(|&&v| v == c).count())
            .collect::<Vec<_>>(),
        vec![50, 50, 50]
    );
    assert_eq!(iris.row(0), &[5.1, 3.5, 1.4, 0.2]);
    let wine = toy("wine");
    assert_eq!((wine.n_rows(), wine.n_features()), (178, 13));
    let bc = toy("breast_cancer");
    assert_eq!((bc.n_rows(), bc.n_features()), (569, 30));
}

#[test]
fn digits_libsvm_gzip() {
    let d = read_libsvm(
        datasets().join("digits.libsvm.gz"),
        &LibsvmOptions {
            num_features: Some(64),
        },
    )
    .unwrap();
    assert_eq!((d.n_rows(), d.n_features()), (1797, 64));
    assert!(d.features().iter().all(|&v| (0.0..=16.0).contains(&v)));
    let e = read_libsvm(
        datasets().join("digits.libsvm.gz"),
        &LibsvmOptions {
            num_features: Some(10),
        },
    );
    assert!(
        e.unwrap_err()
            .to_string()
            .contains("exceeds numFeatures = 10")
    );
}

#[test]
fn label_column_missing_is_named() {
    let e = read_csv(
        datasets().join("iris.csv"),
        &CsvOptions::with_label("species"),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("column 'species' not found; available columns: sepal_length_cm")
    );
}
