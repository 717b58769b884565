//! Property tests: random nested spaces, sampled assignments always valid,
//! conditional labels present exactly when their branch is chosen.

use cairn_tune::math::rng_from_seed;
use cairn_tune::samplers::{Algo, History, ObsState, Observation};
use cairn_tune::{Expr, Space, hp};
use proptest::prelude::*;

fn leaf(label: String) -> impl Strategy<Value = Expr> {
    let l = label;
    prop_oneof![
        (-10.0f64..10.0, 0.1f64..10.0).prop_map({
            let l = l.clone();
            move |(a, w)| hp::uniform(&l, a, a + w)
        }),
        (-10.0f64..10.0, 0.1f64..10.0, 0.1f64..3.0).prop_map({
            let l = l.clone();
            move |(a, w, q)| hp::quniform(&l, a, a + w, q)
        }),
        (-5.0f64..1.0, 0.1f64..4.0).prop_map({
            let l = l.clone();
            move |(a, w)| hp::loguniform(&l, a, a + w)
        }),
        (-5.0f64..1.0, 0.5f64..4.0).prop_map({
            let l = l.clone();
            move |(a, w)| hp::qloguniform(&l, a, a + w, 1.0)
        }),
        (-3.0f64..3.0, 0.1f64..3.0).prop_map({
            let l = l.clone();
            move |(m, s)| hp::normal(&l, m, s)
        }),
        (-3.0f64..3.0, 0.1f64..3.0).prop_map({
            let l = l.clone();
            move |(m, s)| hp::qlognormal(&l, m, s, 0.5)
        }),
        (-5i64..5, 1i64..10).prop_map({
            let l = l.clone();
            move |(a, w)| hp::randint_range(&l, a, a + w)
        }),
        (-5.0f64..5.0, 1.0f64..10.0).prop_map({
            let l = l.clone();
            move |(a, w)| hp::uniformint(&l, a.round(), a.round() + w.round())
        }),
        Just(Expr::from("const")),
    ]
}

/// A random nested space; labels are made unique by a counter in the path.
fn nested(depth: u32, prefix: String) -> BoxedStrategy<Expr> {
    if depth == 0 {
        return leaf(prefix).boxed();
    }
    let p = prefix.clone();
    prop_oneof![
        leaf(prefix.clone()),
        (1usize..4).prop_flat_map(move |n| {
            let kids: Vec<_> = (0..n)
                .map(|i| nested(depth - 1, format!("{p}.{i}")))
                .collect();
            let p2 = p.clone();
            kids.prop_map(move |v| hp::choice(&format!("{p2}.c"), v))
        }),
        (1usize..4).prop_flat_map({
            let p = prefix.clone();
            move |n| {
                let kids: Vec<_> = (0..n)
                    .map(|i| nested(depth - 1, format!("{p}/{i}")))
                    .collect();
                kids.prop_map(|v| {
                    Expr::map(v.into_iter().enumerate().map(|(i, e)| (format!("k{i}"), e)))
                })
            }
        }),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn sampled_assignments_are_valid(e in nested(3, "r".into()), seed in 0u64..1000) {
        let Ok(space) = Space::new(Expr::map([("root", e), ("anchor", hp::uniform("anchor", 0.0, 1.0))])) else {
            return Ok(());
        };
        let mut rng = rng_from_seed(seed);
        let mut assigns = Vec::new();
        for _ in 0..30 {
            let a = space.sample(&mut rng);
            prop_assert!(space.check(&a).is_ok(), "{:?}", space.check(&a));
            for (i, p) in space.params().iter().enumerate() {
                if let Some((parent, opt)) = p.parent {
                    prop_assert_eq!(a[i].is_some(), a[parent] == Some(opt as f64) && space.is_active(parent, &a));
                }
            }
            // space_eval round trip through labels
            let v1 = space.eval(&a);
            let v2 = space.space_eval(&space.labels(&a)).unwrap();
            prop_assert_eq!(v1, v2);
            assigns.push(a);
        }
        // Every model-based sampler proposes valid assignments on this history.
        let obs: Vec<_> = assigns.iter().enumerate().map(|(i, a)| Observation {
            vals: a,
            state: if i % 7 == 3 { ObsState::Failed } else if i % 11 == 5 { ObsState::Pending } else { ObsState::Ok((i as f64 * 0.37).sin()) },
        }).collect();
        let h = History { obs };
        for algo in [Algo::Default, Algo::Tpe(Default::default()), Algo::Anneal(Default::default())] {
            let mut s = algo.build(&space).unwrap();
            for k in 0..3 {
                let a = s.suggest(&space, &h, &mut rng_from_seed(seed + k)).unwrap();
                prop_assert!(space.check(&a).is_ok(), "{:?}: {:?}", algo, space.check(&a));
            }
        }
    }
}
