//! Space construction, serde forms, space_eval and argmin.

use cairn_tune::math::rng_from_seed;
use cairn_tune::{Expr, Space, Value, hp};
use std::collections::BTreeMap;

fn guide_space() -> Expr {
    hp::choice(
        "model",
        [
            Expr::map([
                ("type", Expr::from("svm")),
                ("C", hp::loguniform("C", -3.0, 3.0)),
            ]),
            Expr::map([
                ("type", Expr::from("rf")),
                ("depth", hp::uniformint("depth", 1.0, 10.0)),
            ]),
        ],
    )
}

#[test]
fn argmin_indices_and_space_eval() {
    let space = Space::new(guide_space()).unwrap();
    let vals = BTreeMap::from([("model".to_string(), 0.0), ("C".to_string(), 0.155)]);
    let v = space.space_eval(&vals).unwrap();
    assert_eq!(v["type"], Value::from("svm"));
    assert_eq!(v["C"], Value::Float(0.155));
    assert!(v.get("depth").is_none());
}

#[test]
fn json_and_yaml_forms_round_trip() {
    let e = guide_space();
    let json = e.to_json().to_string();
    let s1 = Space::from_json_str(&json).unwrap();
    assert_eq!(s1.to_json(), e.to_json());
    assert_eq!(s1.len(), 3);
    let yaml = r#"
model:
  $hp: choice
  options:
    - {type: svm, C: {$hp: loguniform, label: C, low: -3, high: 3}}
    - {type: rf, depth: {$hp: uniformint, label: depth, low: 1, high: 10}}
lr: {$hp: loguniform, low: -7, high: 0}
"#;
    let s2 = Space::from_yaml_str(yaml).unwrap();
    assert_eq!(s2.len(), 4);
    assert!(s2.index_of("lr").is_some(), "label defaults to the map key");
    assert!(s2.index_of("model").is_some());
}

#[test]
fn nested_lists_and_conditional_activity() {
    let space = Space::new(Expr::map([
        (
            "layers",
            Expr::list([
                hp::uniform("a", 0.0, 1.0),
                hp::choice("b", [Expr::from(1), hp::normal("c", 0.0, 1.0)]),
            ]),
        ),
        ("fixed", Expr::from(3)),
    ]))
    .unwrap();
    let mut rng = rng_from_seed(3);
    for _ in 0..200 {
        let a = space.sample(&mut rng);
        let v = space.eval(&a);
        assert_eq!(v["fixed"], Value::Int(3));
        let b = a[space.index_of("b").unwrap()].unwrap();
        assert_eq!(a[space.index_of("c").unwrap()].is_some(), b == 1.0);
        space.check(&a).unwrap();
    }
}

#[test]
fn param_values_are_real_values() {
    let space = Space::new(Expr::map([
        ("act", hp::choice("act", ["relu", "tanh"])),
        ("model", guide_space()),
    ]))
    .unwrap();
    let vals = BTreeMap::from([
        ("act".to_string(), 1.0),
        ("model".to_string(), 1.0),
        ("depth".to_string(), 4.0),
    ]);
    let a = space.assignment_from_labels(&vals).unwrap();
    let pv = space.param_values(&a);
    assert_eq!(
        pv,
        vec![
            ("act".to_string(), Value::from("tanh")),
            // A map option logs its name literal, never the index.
            ("model".to_string(), Value::from("rf")),
            ("depth".to_string(), Value::Int(4)),
        ]
    );
}
