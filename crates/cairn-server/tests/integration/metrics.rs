//! Metrics: log-metric, latest-value semantics, get-history paging and
//! get-history-bulk-interval sampling.

use serde_json::{Value, json};

use crate::common::*;

fn steps(points: &[Value]) -> Vec<i64> {
    points.iter().map(|m| m["step"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn latest_metric_is_max_step_then_timestamp_then_value() {
    let s = Server::new();
    let id = s.run("0").await;
    // Logged out of order: the latest is by step first, not arrival or time.
    s.log_metric(&id, "m", json!(1.0), 500, 3).await;
    s.log_metric(&id, "m", json!(2.0), 900, 2).await;
    let m = latest(&s.get_run(&id).await, "m").unwrap();
    assert_eq!(
        m,
        json!({"key": "m", "value": 1.0, "timestamp": 500, "step": 3})
    );
    // Same step, later timestamp wins.
    s.log_metric(&id, "m", json!(0.5), 600, 3).await;
    let m = latest(&s.get_run(&id).await, "m").unwrap();
    assert_eq!(m["value"], json!(0.5));
    // Same step and timestamp: larger value wins, in either arrival order.
    s.log_metric(&id, "m", json!(0.7), 600, 3).await;
    s.log_metric(&id, "m", json!(0.6), 600, 3).await;
    let m = latest(&s.get_run(&id).await, "m").unwrap();
    assert_eq!(m["value"], json!(0.7));
    // An older point never replaces it.
    s.log_metric(&id, "m", json!(99.0), 10_000, 1).await;
    let m = latest(&s.get_run(&id).await, "m").unwrap();
    assert_eq!(
        m,
        json!({"key": "m", "value": 0.7, "timestamp": 600, "step": 3})
    );
    // In one batch too.
    s.post(
        "/runs/log-batch",
        json!({"run_id": id, "metrics": [
            {"key": "b", "value": 5, "timestamp": 1, "step": 9},
            {"key": "b", "value": 6, "timestamp": 2, "step": 8},
            {"key": "b", "value": 4, "timestamp": 1, "step": 9}]}),
    )
    .await
    .ok();
    let b = latest(&s.get_run(&id).await, "b").unwrap();
    assert_eq!(
        b,
        json!({"key": "b", "value": 5.0, "timestamp": 1, "step": 9})
    );
}

#[tokio::test]
async fn step_defaults_to_zero_and_exact_duplicates_collapse() {
    let s = Server::new();
    let id = s.run("0").await;
    for _ in 0..3 {
        s.post(
            "/runs/log-metric",
            json!({"run_id": id, "key": "d", "value": 1.5, "timestamp": 42}),
        )
        .await
        .ok();
    }
    let h = s.history(&id, "d").await;
    assert_eq!(
        h,
        [json!({"key": "d", "value": 1.5, "timestamp": 42, "step": 0})]
    );
}

#[tokio::test]
async fn non_finite_values_round_trip_as_strings() {
    let s = Server::new();
    let id = s.run("0").await;
    s.log_metric(&id, "nan", json!("NaN"), 1, 0).await;
    s.log_metric(&id, "inf", json!("Infinity"), 1, 0).await;
    s.log_metric(&id, "ninf", json!("-Infinity"), 1, 0).await;
    s.post(
        "/runs/log-batch",
        json!({"run_id": id, "metrics": [
            {"key": "bnan", "value": "NaN", "timestamp": 1},
            {"key": "binf", "value": "Infinity", "timestamp": 1},
            {"key": "big", "value": 1.7976931348623157e308, "timestamp": 1}]}),
    )
    .await
    .ok();
    let run = s.get_run(&id).await;
    for (key, wire) in [
        ("nan", json!("NaN")),
        ("inf", json!("Infinity")),
        ("ninf", json!("-Infinity")),
        ("bnan", json!("NaN")),
        ("binf", json!("Infinity")),
        ("big", json!(1.7976931348623157e308)),
    ] {
        assert_eq!(latest(&run, key).unwrap()["value"], wire, "{key}");
        assert_eq!(s.history(&id, key).await[0]["value"], wire, "{key}");
    }
    // A number beats NaN at the same step and timestamp.
    s.log_metric(&id, "nan", json!(-5.0), 1, 0).await;
    assert_eq!(
        latest(&s.get_run(&id).await, "nan").unwrap()["value"],
        json!(-5.0)
    );
    // Int64 fields given as strings (protobuf JSON) are accepted.
    s.post(
        "/runs/log-metric",
        json!({"run_id": id, "key": "s", "value": "2.5", "timestamp": "17", "step": "3"}),
    )
    .await
    .ok();
    assert_eq!(
        s.history(&id, "s").await,
        [json!({"key": "s", "value": 2.5, "timestamp": 17, "step": 3})]
    );
}

#[tokio::test]
async fn get_history_is_ordered_and_pages() {
    let s = Server::new();
    let id = s.run("0").await;
    // Ordered by timestamp, then step, then value.
    let points: Vec<Value> = [
        (3, 0, 1.0),
        (1, 5, 2.0),
        (2, 1, 0.0),
        (1, 2, 9.0),
        (1, 2, 3.0),
    ]
    .iter()
    .map(|(t, st, v)| json!({"key": "h", "value": v, "timestamp": t, "step": st}))
    .collect();
    s.post("/runs/log-batch", json!({"run_id": id, "metrics": points}))
        .await
        .ok();
    let h = s.history(&id, "h").await;
    let order: Vec<(i64, i64, f64)> = h
        .iter()
        .map(|m| {
            (
                m["timestamp"].as_i64().unwrap(),
                m["step"].as_i64().unwrap(),
                m["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            (1, 2, 3.0),
            (1, 2, 9.0),
            (1, 5, 2.0),
            (2, 1, 0.0),
            (3, 0, 1.0)
        ]
    );

    // 25 points, paged by 10: 10 + 10 + 5, tokens only while more remain.
    let id2 = s.run("0").await;
    let points: Vec<Value> = (0..25)
        .map(|i| json!({"key": "p", "value": i, "timestamp": 100 + i, "step": i}))
        .collect();
    s.post("/runs/log-batch", json!({"run_id": id2, "metrics": points}))
        .await
        .ok();
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    let mut sizes = Vec::new();
    loop {
        let mut uri = format!("/metrics/get-history?run_id={id2}&metric_key=p&max_results=10");
        if let Some(t) = &token {
            uri.push_str(&format!("&page_token={}", enc(t)));
        }
        let page = s.get(&uri).await.ok();
        let got = page["metrics"].as_array().unwrap().clone();
        sizes.push(got.len());
        all.extend(got);
        match page.get("next_page_token") {
            Some(t) => token = Some(t.as_str().unwrap().to_owned()),
            None => break,
        }
    }
    assert_eq!(sizes, [10, 10, 5]);
    assert_eq!(steps(&all), (0..25).collect::<Vec<_>>());
    // Exactly max_results points: one page, no token.
    let page = s
        .get(&format!(
            "/metrics/get-history?run_id={id2}&metric_key=p&max_results=25"
        ))
        .await
        .ok();
    assert_eq!(page["metrics"].as_array().unwrap().len(), 25);
    assert!(page.get("next_page_token").is_none());
    // The whole-history read (no paging fields) has its own lean encoder;
    // it must give exactly the body of the paged read.
    let whole = s
        .get(&format!("/metrics/get-history?run_id={id2}&metric_key=p"))
        .await
        .ok();
    assert_eq!(whole, page);
    // Without max_results: the whole series.
    assert_eq!(s.history(&id2, "p").await.len(), 25);
    // run_uuid works; an unknown key is an empty body; the ajax prefix works.
    let by_uuid = s
        .get(&format!("/metrics/get-history?run_uuid={id2}&metric_key=p"))
        .await
        .ok();
    assert_eq!(by_uuid["metrics"].as_array().unwrap().len(), 25);
    assert_eq!(
        s.get(&format!(
            "/metrics/get-history?run_id={id2}&metric_key=nope"
        ))
        .await
        .ok(),
        json!({})
    );
    let ajax = s
        .get_at(&format!(
            "{AJAX}/metrics/get-history?run_id={id2}&metric_key=p"
        ))
        .await
        .ok();
    assert_eq!(ajax, by_uuid);
}

#[tokio::test]
async fn get_history_errors() {
    let s = Server::new();
    let id = s.run("0").await;
    s.get("/metrics/get-history?run_id=0123456789abcdef0123456789abcdef&metric_key=m")
        .await
        .not_found();
    s.get(&format!("/metrics/get-history?run_id={id}"))
        .await
        .invalid();
    s.get("/metrics/get-history?metric_key=m").await.invalid();
    for bad in ["0", "-1", "x", "1.5"] {
        s.get(&format!(
            "/metrics/get-history?run_id={id}&metric_key=m&max_results={bad}"
        ))
        .await
        .invalid();
    }
    for bad in ["!!!", "eyJvZmZzZXQiOiAtMX0="] {
        s.get(&format!(
            "/metrics/get-history?run_id={id}&metric_key=m&page_token={}",
            enc(bad)
        ))
        .await
        .invalid();
    }
}

#[tokio::test]
async fn get_history_extreme_paging_values_are_not_server_errors() {
    let s = Server::new();
    let id = s.run("0").await;
    s.log_metric(&id, "m", json!(1.0), 1, 0).await;
    s.log_metric(&id, "m", json!(2.0), 2, 1).await;
    // The largest int64 page size returns everything.
    let page = s
        .get(&format!(
            "/metrics/get-history?run_id={id}&metric_key=m&max_results={}",
            i64::MAX
        ))
        .await
        .ok();
    assert_eq!(page["metrics"].as_array().unwrap().len(), 2);
    assert!(page.get("next_page_token").is_none());
    // A page token whose offset does not fit an int64 is refused.
    use base64::Engine;
    let token =
        base64::engine::general_purpose::STANDARD.encode(format!("{{\"offset\": {}}}", u64::MAX));
    s.get(&format!(
        "/metrics/get-history?run_id={id}&metric_key=m&max_results=1&page_token={}",
        enc(&token)
    ))
    .await
    .invalid();
    s.post(
        "/runs/search",
        json!({"experiment_ids": ["0"], "max_results": 1, "page_token": token}),
    )
    .await
    .invalid();
    s.post(
        "/experiments/search",
        json!({"max_results": 1, "page_token": token}),
    )
    .await
    .invalid();
}

fn bulk_uri(runs: &[&str], key: &str, extra: &str) -> String {
    let ids: String = runs.iter().map(|r| format!("run_ids={r}&")).collect();
    format!("/metrics/get-history-bulk-interval?{ids}metric_key={key}{extra}")
}

#[tokio::test]
async fn bulk_interval_samples_each_run() {
    let s = Server::new();
    let a = s.run("0").await;
    let b = s.run("0").await;
    let points: Vec<Value> = (0..1000)
        .map(|i| json!({"key": "loss", "value": i, "timestamp": i, "step": i}))
        .collect();
    s.post("/runs/log-batch", json!({"run_id": a, "metrics": points}))
        .await
        .ok();
    let few: Vec<Value> = (0..5)
        .map(|i| json!({"key": "loss", "value": i * 10, "timestamp": i, "step": i * 10}))
        .collect();
    s.post("/runs/log-batch", json!({"run_id": b, "metrics": few}))
        .await
        .ok();

    let body = s
        .get(&bulk_uri(
            &[a.as_str(), b.as_str()],
            "loss",
            "&max_results=10",
        ))
        .await
        .ok();
    let metrics = body["metrics"].as_array().unwrap();
    let of = |run: &str| -> Vec<Value> {
        metrics
            .iter()
            .filter(|m| m["run_id"] == json!(run))
            .cloned()
            .collect()
    };
    let sa = steps(&of(&a));
    assert_eq!(sa.len(), 10);
    assert_eq!(sa[0], 0, "first step kept");
    assert_eq!(*sa.last().unwrap(), 999, "last step kept");
    assert!(sa.windows(2).all(|w| w[0] < w[1]), "ascending: {sa:?}");
    // Fewer steps than max_results: all of them.
    assert_eq!(steps(&of(&b)), [0, 10, 20, 30, 40]);
    // Shape: key, value, timestamp, step, run_id.
    assert_eq!(
        of(&b)[1],
        json!({"key": "loss", "value": 10.0, "timestamp": 1, "step": 10, "run_id": b})
    );

    // Step window (inclusive).
    let body = s
        .get(&bulk_uri(
            &[a.as_str()],
            "loss",
            "&start_step=100&end_step=199&max_results=5",
        ))
        .await
        .ok();
    let sw = steps(body["metrics"].as_array().unwrap());
    assert_eq!(sw.len(), 5);
    assert_eq!((sw[0], *sw.last().unwrap()), (100, 199));
    let body = s
        .get(&bulk_uri(&[a.as_str()], "loss", "&start_step=7&end_step=7"))
        .await
        .ok();
    assert_eq!(steps(body["metrics"].as_array().unwrap()), [7]);
    // Default max_results is the cap (2500): all 1000 steps.
    let body = s.get(&bulk_uri(&[a.as_str()], "loss", "")).await.ok();
    assert_eq!(body["metrics"].as_array().unwrap().len(), 1000);
    // No points: empty body. The ajax prefix serves it too.
    assert_eq!(
        s.get(&bulk_uri(&[a.as_str()], "nope", "")).await.ok(),
        json!({})
    );
    let ajax = s
        .get_at(&format!("{AJAX}{}", bulk_uri(&[b.as_str()], "loss", "")))
        .await
        .ok();
    assert_eq!(ajax["metrics"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn bulk_interval_rules_and_limits() {
    let s = Server::new();
    let a = s.run("0").await;
    s.log_metric(&a, "m", json!(1), 1, 1).await;
    // start/end: both or neither, start <= end.
    s.get(&bulk_uri(&[a.as_str()], "m", "&start_step=1"))
        .await
        .invalid();
    s.get(&bulk_uri(&[a.as_str()], "m", "&end_step=1"))
        .await
        .invalid();
    s.get(&bulk_uri(&[a.as_str()], "m", "&start_step=5&end_step=4"))
        .await
        .invalid();
    // max_results 1..=2500.
    s.get(&bulk_uri(&[a.as_str()], "m", "&max_results=2500"))
        .await
        .ok();
    for bad in ["0", "-1", "2501", "x"] {
        s.get(&bulk_uri(
            &[a.as_str()],
            "m",
            &format!("&max_results={bad}"),
        ))
        .await
        .invalid();
    }
    // run_ids: required, at most 100, well-formed, existing.
    s.get("/metrics/get-history-bulk-interval?metric_key=m")
        .await
        .invalid();
    let many: Vec<String> = (0..101).map(|_| a.clone()).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    s.get(&bulk_uri(&many, "m", "")).await.invalid();
    s.get(&bulk_uri(&many[..100], "m", "")).await.ok();
    s.get(&bulk_uri(&["../etc"], "m", "")).await.invalid();
    s.get(&bulk_uri(&["0123456789abcdef0123456789abcdef"], "m", ""))
        .await
        .not_found();
    // metric_key required.
    s.get(&format!("/metrics/get-history-bulk-interval?run_ids={a}"))
        .await
        .invalid();
}

/// `(timestamp, step, value as JSON)` of a history, in response order.
fn points(h: &[Value]) -> Vec<(i64, i64, Value)> {
    h.iter()
        .map(|m| {
            (
                m["timestamp"].as_i64().unwrap(),
                m["step"].as_i64().unwrap(),
                m["value"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn history_across_batches_keeps_order_and_collapses_duplicates() {
    let s = Server::new();
    let id = s.run("0").await;
    let batch = |steps: std::ops::Range<i64>| -> Value {
        let metrics: Vec<Value> = steps
            .rev()
            .map(|st| json!({"key": "h", "value": st * 2, "timestamp": 100 + st, "step": st}))
            .collect();
        json!({"run_id": id, "metrics": metrics})
    };
    // Later steps first, each batch sent twice (a client retry), then a
    // batch overlapping both, then NaN and the infinities at one step.
    for steps in [10..20, 0..10, 5..15] {
        for _ in 0..2 {
            s.post("/runs/log-batch", batch(steps.clone())).await.ok();
        }
    }
    s.post(
        "/runs/log-batch",
        json!({"run_id": id, "metrics": [
            {"key": "h", "value": "Infinity", "timestamp": 103, "step": 3},
            {"key": "h", "value": "NaN", "timestamp": 103, "step": 3},
            {"key": "h", "value": "-Infinity", "timestamp": 103, "step": 3},
            {"key": "h", "value": "NaN", "timestamp": 103, "step": 3}]}),
    )
    .await
    .ok();
    s.log_metric(&id, "h", json!("NaN"), 103, 3).await;
    let h = s.history(&id, "h").await;
    let mut want: Vec<(i64, i64, Value)> = (0..20)
        .map(|st| (100 + st, st, json!((st * 2) as f64)))
        .collect();
    want.splice(
        3..4,
        [
            (103, 3, json!("-Infinity")),
            (103, 3, json!("NaN")), // NaN orders as 0, as the SQL layout did
            (103, 3, json!(6.0)),
            (103, 3, json!("Infinity")),
        ],
    );
    assert_eq!(points(&h), want);
    // Paged reads give the same points.
    let mut paged = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut uri = format!("/metrics/get-history?run_id={id}&metric_key=h&max_results=4");
        if let Some(t) = &token {
            uri.push_str(&format!("&page_token={}", enc(t)));
        }
        let page = s.get(&uri).await.ok();
        paged.extend(page["metrics"].as_array().unwrap().clone());
        match page.get("next_page_token") {
            Some(t) => token = Some(t.as_str().unwrap().to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, h);
}

#[tokio::test]
async fn a_hundred_thousand_point_history_over_http() {
    let s = Server::new();
    let id = s.run("0").await;
    for b in 0..100_i64 {
        let metrics: Vec<Value> = (0..1000_i64)
            .map(|i| {
                let st = b * 1000 + i;
                json!({"key": "big", "value": st % 97, "timestamp": 5_000 + st, "step": st})
            })
            .collect();
        s.post("/runs/log-batch", json!({"run_id": id, "metrics": metrics}))
            .await
            .ok();
    }
    let h = s.history(&id, "big").await;
    assert_eq!(h.len(), 100_000);
    assert_eq!(steps(&h), (0..100_000).collect::<Vec<_>>());
    assert_eq!(
        h[99_999],
        json!({"key": "big", "value": (99_999 % 97) as f64, "timestamp": 104_999, "step": 99_999})
    );
    // Sampled: 2,500 evenly spaced steps, ends kept.
    let body = s
        .get(&bulk_uri(&[id.as_str()], "big", "&max_results=2500"))
        .await
        .ok();
    let sampled = steps(body["metrics"].as_array().unwrap());
    assert_eq!(sampled.len(), 2500);
    assert_eq!((sampled[0], sampled[2499]), (0, 99_999));
    assert!(sampled.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn bulk_interval_over_out_of_order_batches() {
    let s = Server::new();
    let id = s.run("0").await;
    // Steps 0..30 in three batches, last batch first; step 15 gets a second
    // point (a later time) in its own call.
    for b in (0..3_i64).rev() {
        let metrics: Vec<Value> = (b * 10..b * 10 + 10)
            .map(|st| json!({"key": "l", "value": st, "timestamp": st, "step": st}))
            .collect();
        s.post("/runs/log-batch", json!({"run_id": id, "metrics": metrics}))
            .await
            .ok();
    }
    s.log_metric(&id, "l", json!("NaN"), 500, 15).await;
    let body = s
        .get(&bulk_uri(
            &[id.as_str()],
            "l",
            "&start_step=10&end_step=20&max_results=3",
        ))
        .await
        .ok();
    let got: Vec<(i64, i64, Value)> = body["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert_eq!(m["run_id"], json!(id));
            (
                m["step"].as_i64().unwrap(),
                m["timestamp"].as_i64().unwrap(),
                m["value"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (10, 10, json!(10.0)),
            (15, 15, json!(15.0)),
            (15, 500, json!("NaN")),
            (20, 20, json!(20.0))
        ]
    );
}

/// Concurrent log-batch requests for the same metrics of one run, each
/// sent twice (a client retry) and overlapping the other writers' points,
/// out of step order: the whole-history read (fast path) and the paged
/// read both return each distinct point once, in history order.
#[tokio::test]
async fn concurrent_retried_batches_of_one_metric() {
    let s = Server::new();
    let id = s.run("0").await;
    let writer = |w: i64| {
        let (s, id) = (&s, &id);
        async move {
            for round in (0..12_i64).rev() {
                let metrics: Vec<Value> = (0..20_i64)
                    .map(|i| {
                        // Every writer logs the steps of a round; values
                        // depend on the step only, so writers overlap.
                        let step = round * 10 + (i + w) % 20;
                        json!({"key": "c", "value": step % 7, "timestamp": 1_000 + step / 3,
                               "step": step})
                    })
                    .collect();
                let body = json!({"run_id": id, "metrics": metrics});
                s.post("/runs/log-batch", body.clone()).await.ok();
                s.post("/runs/log-batch", body).await.ok();
            }
        }
    };
    tokio::join!(writer(0), writer(3), writer(7), writer(11));
    let mut want: Vec<(i64, i64, Value)> = (0..130_i64)
        .map(|step| (1_000 + step / 3, step, json!((step % 7) as f64)))
        .collect();
    want.sort_by_key(|a| (a.0, a.1));
    let whole = s.history(&id, "c").await;
    assert_eq!(points(&whole), want);
    let mut paged = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut uri = format!("/metrics/get-history?run_id={id}&metric_key=c&max_results=9");
        if let Some(t) = &token {
            uri.push_str(&format!("&page_token={}", enc(t)));
        }
        let page = s.get(&uri).await.ok();
        paged.extend(page["metrics"].as_array().unwrap().clone());
        match page.get("next_page_token") {
            Some(t) => token = Some(t.as_str().unwrap().to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, whole);
}
