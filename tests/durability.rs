//! Durability: every write the server acknowledged survives the server
//! being killed (`kill -9`) or stopped (SIGTERM) while clients stream
//! `runs/log-batch` and `runs/log-metric` calls.
//!
//! Each writer thread owns one metric key and logs consecutive steps, so the
//! acknowledged data of a thread is exactly the prefix of steps it got a 200
//! for; at most the one call in flight at the kill may or may not have landed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Server, agent, post};

const BATCH: i64 = 100;
const T0: i64 = 1_700_000_000_000;

fn value_of(step: i64, writer: usize) -> f64 {
    step as f64 * 0.5 + writer as f64
}

/// What one writer thread got acknowledged.
struct Acked {
    key: String,
    writer: usize,
    /// Steps `0..steps` were acknowledged.
    steps: i64,
    /// Steps of the call in flight when the stream broke (may have landed).
    in_flight: i64,
    /// An HTTP error status the server answered with (must never happen).
    http_error: Option<String>,
}

enum Mode {
    Batch,
    Single,
}

fn spawn_writer(
    base: String,
    run_id: String,
    key: String,
    writer: usize,
    mode: Mode,
    total: Arc<AtomicUsize>,
) -> JoinHandle<Acked> {
    std::thread::spawn(move || {
        let agent = agent();
        let mut acked = Acked {
            key: key.clone(),
            writer,
            steps: 0,
            in_flight: 0,
            http_error: None,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            let start = acked.steps;
            let (path, body, n) = match mode {
                Mode::Batch => {
                    let metrics: Vec<Value> = (start..start + BATCH)
                        .map(|s| {
                            json!({"key": key, "value": value_of(s, writer), "timestamp": T0 + s, "step": s})
                        })
                        .collect();
                    (
                        "runs/log-batch",
                        json!({"run_id": run_id, "metrics": metrics}),
                        BATCH,
                    )
                }
                Mode::Single => (
                    "runs/log-metric",
                    json!({"run_id": run_id, "key": key, "value": value_of(start, writer),
                           "timestamp": T0 + start, "step": start}),
                    1,
                ),
            };
            acked.in_flight = n;
            match post(&agent, &format!("{base}/api/2.0/mlflow/{path}"), &body) {
                Ok((200, _)) => {
                    acked.steps += n;
                    acked.in_flight = 0;
                    total.fetch_add(n as usize, Ordering::Relaxed);
                }
                Ok((status, v)) => {
                    acked.http_error = Some(format!("{path}: HTTP {status}: {v}"));
                    break;
                }
                // Connection refused/reset: the server is gone.
                Err(_) => break,
            }
        }
        acked
    })
}

/// Start writers against `server`, wait until `min_points` are acknowledged,
/// then stop the server with `stop` and collect what each writer got acked.
fn stream_then_stop(
    server: &mut Server,
    run_id: &str,
    round: usize,
    min_points: usize,
    stop: impl FnOnce(&mut Server),
) -> Vec<Acked> {
    let total = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for w in 0..3 {
        handles.push(spawn_writer(
            server.base.clone(),
            run_id.to_owned(),
            format!("r{round}.batch{w}"),
            w,
            Mode::Batch,
            total.clone(),
        ));
    }
    for w in 3..5 {
        handles.push(spawn_writer(
            server.base.clone(),
            run_id.to_owned(),
            format!("r{round}.single{w}"),
            w,
            Mode::Single,
            total.clone(),
        ));
    }
    let deadline = Instant::now() + Duration::from_secs(90);
    while total.load(Ordering::Relaxed) < min_points {
        assert!(
            Instant::now() < deadline,
            "only {} points acknowledged in 90 s:\n{}",
            total.load(Ordering::Relaxed),
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    stop(server);
    let acked: Vec<Acked> = handles
        .into_iter()
        .map(|h| h.join().expect("writer panicked"))
        .collect();
    for a in &acked {
        assert!(
            a.http_error.is_none(),
            "{}",
            a.http_error.as_deref().unwrap_or("")
        );
    }
    let points: i64 = acked.iter().map(|a| a.steps).sum();
    eprintln!("round {round}: {points} points acknowledged before the stop");
    acked
}

/// Every acknowledged point is stored with its value; nothing else is, except
/// possibly the single call that was in flight.
fn verify(server: &Server, run_id: &str, acked: &[Acked]) {
    let (status, run) = server.get("runs/get", &[("run_id", run_id)]);
    assert_eq!(status, 200, "{run}");
    let latest: BTreeMap<String, f64> = run["run"]["data"]["metrics"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .map(|m| {
                    (
                        m["key"].as_str().unwrap().to_owned(),
                        m["value"].as_f64().unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    for a in acked {
        let (status, body) = server.get(
            "metrics/get-history",
            &[("run_id", run_id), ("metric_key", &a.key)],
        );
        assert_eq!(status, 200, "{body}");
        let stored: BTreeMap<i64, f64> = body["metrics"]
            .as_array()
            .map(|ms| {
                ms.iter()
                    .map(|m| (m["step"].as_i64().unwrap(), m["value"].as_f64().unwrap()))
                    .collect()
            })
            .unwrap_or_default();
        for step in 0..a.steps {
            assert_eq!(
                stored.get(&step),
                Some(&value_of(step, a.writer)),
                "{}: acknowledged step {step} of {} lost after restart",
                a.key,
                a.steps
            );
        }
        let max_possible = a.steps + a.in_flight;
        assert!(
            stored.len() as i64 <= max_possible,
            "{}: {} points stored, only {} sent",
            a.key,
            stored.len(),
            max_possible
        );
        if stored.len() as i64 > a.steps {
            // Legal: the server committed the call but died before answering.
            eprintln!(
                "{}: the unacknowledged last call ({} points) was stored anyway",
                a.key, a.in_flight
            );
        }
        if a.steps > 0 {
            let (&last_step, &last_value) = stored.iter().next_back().unwrap();
            assert!(last_step >= a.steps - 1);
            assert_eq!(
                latest.get(&a.key),
                Some(&last_value),
                "{}: runs/get latest value does not match the history",
                a.key
            );
        }
    }
}

fn new_run(server: &Server) -> String {
    let exp = server.ok("experiments/create", &json!({"name": "durability"}));
    let exp_id = exp["experiment_id"].as_str().unwrap().to_owned();
    let run = server.ok(
        "runs/create",
        &json!({"experiment_id": exp_id, "start_time": T0, "run_name": "stream"}),
    );
    let run_id = run["run"]["info"]["run_id"].as_str().unwrap().to_owned();
    server.ok(
        "runs/log-parameter",
        &json!({"run_id": run_id, "key": "lr", "value": "0.01"}),
    );
    run_id
}

#[test]
fn kill_9_while_streaming_loses_no_acknowledged_metric() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let run_id = new_run(&server);

    // Two kill -9 rounds: the second one kills a server that recovered
    // from the first, so recovery itself is exercised under load.
    let mut all = Vec::new();
    for round in 0..2 {
        let acked = stream_then_stop(&mut server, &run_id, round, 10_000, Server::kill_9);
        let total: i64 = acked.iter().map(|a| a.steps).sum();
        assert!(total >= 10_000, "round {round}: {total} points acked");
        all.extend(acked);
        server = Server::start(dir.path());
        verify(&server, &run_id, &all);
    }

    // The run itself, its param and the experiment survived too.
    let (_, run) = server.get("runs/get", &[("run_id", &run_id)]);
    assert_eq!(run["run"]["info"]["status"], "RUNNING");
    assert_eq!(run["run"]["data"]["params"][0]["key"], "lr");
    assert_eq!(run["run"]["data"]["params"][0]["value"], "0.01");
    let status = server.terminate();
    assert!(status.success(), "exit {status}:\n{}", server.log_text());
    assert!(
        !server.log_text().contains("panicked"),
        "{}",
        server.log_text()
    );
}

#[test]
fn sigterm_while_streaming_loses_no_acknowledged_metric() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let run_id = new_run(&server);
    let pid = server.pid();

    let mut exit = None;
    let acked = stream_then_stop(&mut server, &run_id, 0, 10_000, |s| {
        exit = Some(s.terminate());
    });
    let exit = exit.unwrap();
    let log = std::fs::read_to_string(server.dir().join("server-0.log")).unwrap_or_default();
    assert!(
        exit.success(),
        "server {pid} exited with {exit} on SIGTERM:\n{log}"
    );
    assert!(!log.contains("panicked"), "{log}");

    let server = Server::start(dir.path());
    verify(&server, &run_id, &acked);
}
