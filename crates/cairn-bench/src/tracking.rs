//! Tracking-server load generator: the workloads of
//! `../shared/bench/tracking-baseline.md`, over plain MLflow REST with
//! keep-alive connections, against any MLflow-compatible server.
//!
//! - **a** `runs/log-batch`: one run, `--batches` calls of `--batch-size`
//!   metrics (100 keys x 10 steps for 1,000), one client thread.
//! - **b** `runs/log-metric`: `--threads` client threads, each on its own run,
//!   for `--duration-secs`; every call is a separately acknowledged write.
//! - **c** populate `--runs` runs (`runs/create` + one `runs/log-batch` with
//!   params p1..p5 and metrics m1..m5) with `--threads` threads; then
//!   `metrics.m1 > 0.5 and params.p1 = 'a'` ordered by `metrics.m2 DESC`,
//!   `max_results` 1,000, and the unfiltered search, each `--repeats` times.
//!   The filtered result is checked (every run matches, order holds) so a
//!   server that ignores the filter cannot look fast.
//! - **d** one metric of `--history-points` points (log-batch calls of 1,000),
//!   then `metrics/get-history` of all of it in one request, and the UI's
//!   `get-history-bulk-interval` (320 points).
//!
//! Then, with `--pid`, the resident memory of that process and all its
//! descendants (MLflow runs ~15 processes). Results are printed as a table
//! and as one JSON document (also written to `--json-out`).
//!
//! Request bodies of a and d are serialised before the clock starts, so the
//! client's own JSON work does not compete with the server for the (shared)
//! cores during the timed part.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};

/// Flags of `cairn-bench tracking`.
#[derive(Debug, clap::Args)]
pub(crate) struct TrackingArgs {
    /// Base URL of the tracking server, e.g. http://127.0.0.1:5000
    #[arg(long)]
    uri: String,
    /// Workloads to run, comma-separated: a (log-batch), b (log-metric),
    /// c (populate + search), d (metric history).
    #[arg(long, value_delimiter = ',', default_value = "a,b,c,d")]
    workloads: Vec<Workload>,
    /// a: number of log-batch calls.
    #[arg(long, default_value_t = 200)]
    batches: usize,
    /// a: metrics per log-batch call (keys x 10 steps).
    #[arg(long, default_value_t = 1000)]
    batch_size: usize,
    /// b, c: client threads.
    #[arg(long, default_value_t = 8)]
    threads: usize,
    /// b: how long the log-metric phase runs.
    #[arg(long, default_value_t = 30.0)]
    duration_secs: f64,
    /// c: runs to create.
    #[arg(long, default_value_t = 10_000)]
    runs: usize,
    /// c, d: repetitions of each timed read (the median is reported).
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// c: max_results of the searches.
    #[arg(long, default_value_t = 1000)]
    search_max_results: usize,
    /// d: points in the long metric.
    #[arg(long, default_value_t = 100_000)]
    history_points: usize,
    /// Server process id: report its RSS (with all descendants) at the end.
    #[arg(long)]
    pid: Option<u32>,
    /// Also write the JSON report to this file.
    #[arg(long)]
    json_out: Option<PathBuf>,
    /// Label for the report (e.g. "cairn" or "mlflow-3.17.2").
    #[arg(long, default_value = "server")]
    label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Workload {
    A,
    B,
    C,
    D,
}

/// Latency summary in milliseconds.
#[derive(Debug, Clone, Copy)]
struct Stats {
    n: usize,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
}

impl Stats {
    fn of(samples: &mut [Duration]) -> Stats {
        samples.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let q = |p: f64| {
            if samples.is_empty() {
                return f64::NAN;
            }
            let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
            ms(samples[i])
        };
        Stats {
            n: samples.len(),
            p50: q(0.5),
            p95: q(0.95),
            p99: q(0.99),
            max: samples.last().map_or(f64::NAN, |d| ms(*d)),
        }
    }

    fn json(&self) -> Value {
        json!({"n": self.n, "p50_ms": self.p50, "p95_ms": self.p95, "p99_ms": self.p99, "max_ms": self.max})
    }
}

/// A keep-alive REST client for one thread.
#[derive(Debug, Clone)]
struct Rest {
    base: String,
    agent: ureq::Agent,
}

impl Rest {
    fn new(uri: &str) -> Rest {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(600)))
            .max_idle_connections_per_host(64)
            .max_idle_connections(64)
            .build()
            .into();
        Rest {
            base: uri.trim_end_matches('/').to_owned(),
            agent,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/2.0/mlflow/{path}", self.base)
    }

    /// POST a pre-serialised JSON body; the parsed response on 200.
    fn post_raw(&self, path: &str, body: &[u8]) -> anyhow::Result<Vec<u8>> {
        let mut r = self
            .agent
            .post(self.url(path))
            .header("Content-Type", "application/json")
            .send(body)
            .with_context(|| format!("POST {path}"))?;
        let status = r.status().as_u16();
        let bytes = r
            .body_mut()
            .with_config()
            .limit(1 << 31)
            .read_to_vec()
            .with_context(|| format!("reading the response of POST {path}"))?;
        if status != 200 {
            bail!(
                "POST {path}: HTTP {status}: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(500)])
            );
        }
        Ok(bytes)
    }

    fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let bytes = self.post_raw(path, &serde_json::to_vec(body)?)?;
        Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// GET with query pairs; the raw body on 200.
    fn get_raw(&self, path: &str, query: &[(&str, &str)]) -> anyhow::Result<Vec<u8>> {
        let mut req = self.agent.get(self.url(path));
        for (k, v) in query {
            req = req.query(*k, *v);
        }
        let mut r = req.call().with_context(|| format!("GET {path}"))?;
        let status = r.status().as_u16();
        let bytes = r
            .body_mut()
            .with_config()
            .limit(1 << 31)
            .read_to_vec()
            .with_context(|| format!("reading the response of GET {path}"))?;
        if status != 200 {
            bail!(
                "GET {path}: HTTP {status}: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(500)])
            );
        }
        Ok(bytes)
    }

    fn create_experiment(&self, name: &str) -> anyhow::Result<String> {
        let v = self.post("experiments/create", &json!({ "name": name }))?;
        v["experiment_id"]
            .as_str()
            .map(str::to_owned)
            .context("experiments/create: no experiment_id")
    }

    fn create_run(&self, experiment_id: &str) -> anyhow::Result<String> {
        let v = self.post(
            "runs/create",
            &json!({"experiment_id": experiment_id, "start_time": now_ms()}),
        )?;
        v["run"]["info"]["run_id"]
            .as_str()
            .map(str::to_owned)
            .context("runs/create: no run id")
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Deterministic, dependency-free pseudo-random numbers (SplitMix64).
#[derive(Debug)]
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One row of the printed table.
#[derive(Debug)]
struct Row {
    workload: String,
    result: String,
    detail: String,
}

#[derive(Debug, Default)]
struct Report {
    rows: Vec<Row>,
    json: BTreeMap<String, Value>,
}

impl Report {
    fn row(&mut self, workload: &str, result: String, detail: String) {
        eprintln!("  {workload}: {result} ({detail})");
        self.rows.push(Row {
            workload: workload.to_owned(),
            result,
            detail,
        });
    }
}

/// Run the selected workloads and print the report.
pub(crate) fn run(args: TrackingArgs) -> anyhow::Result<()> {
    let rest = Rest::new(&args.uri);
    rest.get_raw("experiments/search", &[("max_results", "1")])
        .with_context(|| format!("{} does not answer like an MLflow server", args.uri))?;
    let tag = format!("bench-{}", now_ms());
    let mut report = Report::default();
    let started = Instant::now();
    for w in &args.workloads {
        match w {
            Workload::A => log_batch(&args, &rest, &tag, &mut report)?,
            Workload::B => log_metric(&args, &rest, &tag, &mut report)?,
            Workload::C => search(&args, &rest, &tag, &mut report)?,
            Workload::D => history(&args, &rest, &tag, &mut report)?,
        }
    }
    if let Some(pid) = args.pid {
        let (rss, procs) = tree_rss_kib(pid)?;
        report.row(
            "server memory",
            format!("{:.1} MiB RSS", rss as f64 / 1024.0),
            format!("{procs} process(es) from pid {pid}"),
        );
        report.json.insert(
            "memory".into(),
            json!({"rss_kib": rss, "rss_mib": rss as f64 / 1024.0, "processes": procs}),
        );
    }
    report.json.insert("label".into(), json!(args.label));
    report.json.insert("uri".into(), json!(args.uri));
    report
        .json
        .insert("wall_s".into(), json!(started.elapsed().as_secs_f64()));
    print_report(&args, &report)
}

fn print_report(args: &TrackingArgs, report: &Report) -> anyhow::Result<()> {
    let w0 = report
        .rows
        .iter()
        .map(|r| r.workload.len())
        .max()
        .unwrap_or(8);
    let w1 = report
        .rows
        .iter()
        .map(|r| r.result.len())
        .max()
        .unwrap_or(6);
    let mut out = String::new();
    writeln!(
        out,
        "\ntracking workloads against {} ({})",
        args.uri, args.label
    )?;
    writeln!(out, "| {:w0$} | {:w1$} | detail |", "workload", "result")?;
    writeln!(out, "|{}|{}|---|", "-".repeat(w0 + 2), "-".repeat(w1 + 2))?;
    for r in &report.rows {
        writeln!(
            out,
            "| {:w0$} | {:w1$} | {} |",
            r.workload, r.result, r.detail
        )?;
    }
    let doc = serde_json::to_string_pretty(&report.json)?;
    println!("{out}\n{doc}");
    if let Some(path) = &args.json_out {
        std::fs::write(path, doc + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Workload a: `runs/log-batch` of `batch_size` metrics, one client.
fn log_batch(
    args: &TrackingArgs,
    rest: &Rest,
    tag: &str,
    report: &mut Report,
) -> anyhow::Result<()> {
    eprintln!(
        "a: {} x log-batch of {} metrics",
        args.batches, args.batch_size
    );
    let exp = rest.create_experiment(&format!("{tag}-a"))?;
    let run_id = rest.create_run(&exp)?;
    let keys = (args.batch_size / 10).max(1);
    let t0 = now_ms();
    let bodies: Vec<Vec<u8>> = (0..args.batches)
        .map(|b| {
            let metrics: Vec<Value> = (0..args.batch_size)
                .map(|i| {
                    let step = (b * 10 + i / keys) as i64;
                    json!({"key": format!("m{}", i % keys), "value": (i as f64).sin(),
                           "timestamp": t0 + step, "step": step})
                })
                .collect();
            serde_json::to_vec(&json!({"run_id": run_id, "metrics": metrics}))
        })
        .collect::<Result<_, _>>()?;
    let mut lat = Vec::with_capacity(bodies.len());
    let start = Instant::now();
    for body in &bodies {
        let t = Instant::now();
        rest.post_raw("runs/log-batch", body)?;
        lat.push(t.elapsed());
    }
    let elapsed = start.elapsed().as_secs_f64();
    let total = args.batches * args.batch_size;
    let rate = total as f64 / elapsed;
    let s = Stats::of(&mut lat);
    report.row(
        "a. log-batch",
        format!("{rate:.0} metrics/s"),
        format!(
            "{} x {} metrics, 1 client; batch p50 {:.1} ms, p95 {:.1} ms",
            args.batches, args.batch_size, s.p50, s.p95
        ),
    );
    report.json.insert(
        "a_log_batch".into(),
        json!({"metrics_per_s": rate, "metrics": total, "elapsed_s": elapsed, "latency": s.json()}),
    );
    Ok(())
}

/// Workload b: small `runs/log-metric` calls from `threads` threads.
fn log_metric(
    args: &TrackingArgs,
    rest: &Rest,
    tag: &str,
    report: &mut Report,
) -> anyhow::Result<()> {
    eprintln!(
        "b: log-metric, {} threads, {:.0} s",
        args.threads, args.duration_secs
    );
    let exp = rest.create_experiment(&format!("{tag}-b"))?;
    let duration = Duration::from_secs_f64(args.duration_secs);
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicUsize::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let mut handles = Vec::new();
    for _ in 0..args.threads {
        let rest = Rest::new(&rest.base);
        let run_id = rest.create_run(&exp)?;
        let (stop, errors, first_error) = (stop.clone(), errors.clone(), first_error.clone());
        handles.push(std::thread::spawn(move || {
            let mut lat = Vec::new();
            let mut step = 0i64;
            while !stop.load(Ordering::Relaxed) {
                let body = format!(
                    r#"{{"run_id":"{run_id}","key":"loss","value":{},"timestamp":{},"step":{step}}}"#,
                    1.0 / (step as f64 + 1.0),
                    now_ms()
                );
                let t = Instant::now();
                match rest.post_raw("runs/log-metric", body.as_bytes()) {
                    Ok(_) => lat.push(t.elapsed()),
                    Err(e) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        first_error
                            .lock()
                            .map(|mut f| f.get_or_insert_with(|| format!("{e:#}")).clone())
                            .ok();
                    }
                }
                step += 1;
            }
            lat
        }));
    }
    let start = Instant::now();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let mut lat = Vec::new();
    for h in handles {
        lat.extend(
            h.join()
                .map_err(|_| anyhow::anyhow!("log-metric thread panicked"))?,
        );
    }
    let elapsed = start.elapsed().as_secs_f64();
    let errors = errors.load(Ordering::Relaxed);
    let rate = lat.len() as f64 / elapsed;
    let s = Stats::of(&mut lat);
    report.row(
        "b. log-metric",
        format!("{rate:.0} req/s"),
        format!(
            "{} threads, {:.0} s, {} errors; p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms",
            args.threads, elapsed, errors, s.p50, s.p95, s.p99
        ),
    );
    if let Ok(Some(e)) = first_error.lock().map(|f| f.clone()) {
        eprintln!("  first log-metric error: {e}");
    }
    report.json.insert(
        "b_log_metric".into(),
        json!({"req_per_s": rate, "requests": s.n, "errors": errors, "threads": args.threads,
               "elapsed_s": elapsed, "latency": s.json()}),
    );
    Ok(())
}

/// Workload c: populate runs, then time the filtered and unfiltered search.
fn search(args: &TrackingArgs, rest: &Rest, tag: &str, report: &mut Report) -> anyhow::Result<()> {
    eprintln!(
        "c: populate {} runs with {} threads",
        args.runs, args.threads
    );
    let exp = rest.create_experiment(&format!("{tag}-c"))?;
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..args.threads {
        let (rest, exp, next) = (Rest::new(&rest.base), exp.clone(), next.clone());
        let n = args.runs;
        handles.push(std::thread::spawn(move || -> anyhow::Result<()> {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok(());
                }
                let mut rng = SplitMix(i as u64);
                let run_id = rest.create_run(&exp)?;
                let letters = ["a", "b", "c", "d"];
                let params: Vec<Value> = (1..=5)
                    .map(|p| {
                        let v = if p == 1 {
                            letters[(rng.next_u64() % 2) as usize].to_owned()
                        } else {
                            format!("v{}", rng.next_u64() % 10)
                        };
                        json!({"key": format!("p{p}"), "value": v})
                    })
                    .collect();
                let metrics: Vec<Value> = (1..=5)
                    .map(|m| {
                        json!({"key": format!("m{m}"), "value": rng.unit(),
                               "timestamp": now_ms(), "step": 0})
                    })
                    .collect();
                rest.post(
                    "runs/log-batch",
                    &json!({"run_id": run_id, "params": params, "metrics": metrics}),
                )?;
            }
        }));
    }
    for h in handles {
        h.join()
            .map_err(|_| anyhow::anyhow!("populate thread panicked"))??;
    }
    let populate_s = start.elapsed().as_secs_f64();
    let runs_per_s = args.runs as f64 / populate_s;
    report.row(
        "c. populate",
        format!("{runs_per_s:.0} runs/s"),
        format!(
            "{} runs (create + log-batch of 5 params, 5 metrics), {} threads, {populate_s:.1} s",
            args.runs, args.threads
        ),
    );

    let filter = "metrics.m1 > 0.5 and params.p1 = 'a'";
    let filtered = json!({"experiment_ids": [exp], "filter": filter,
                          "order_by": ["metrics.m2 DESC"], "max_results": args.search_max_results});
    let unfiltered = json!({"experiment_ids": [exp], "max_results": args.search_max_results});
    let (f_stats, f_body) = timed_search(rest, &filtered, args.repeats)?;
    let (u_stats, u_body) = timed_search(rest, &unfiltered, args.repeats)?;
    let check = check_filtered(&f_body);
    let u_count = u_body["runs"].as_array().map_or(0, Vec::len);
    report.row(
        "c. search, filtered",
        format!("{:.1} ms", f_stats.p50),
        format!(
            "median of {}, `{filter}` order_by metrics.m2 DESC, max_results {}; {}",
            args.repeats, args.search_max_results, check.summary
        ),
    );
    report.row(
        "c. search, unfiltered",
        format!("{:.1} ms", u_stats.p50),
        format!(
            "median of {}, max_results {}, {u_count} runs returned",
            args.repeats, args.search_max_results
        ),
    );
    report.json.insert(
        "c_search".into(),
        json!({
            "runs": args.runs, "populate_s": populate_s, "populate_runs_per_s": runs_per_s,
            "filtered": {"median_ms": f_stats.p50, "latency": f_stats.json(),
                          "returned": check.returned, "correct": check.correct,
                          "check": check.summary},
            "unfiltered": {"median_ms": u_stats.p50, "latency": u_stats.json(), "returned": u_count},
        }),
    );
    Ok(())
}

fn timed_search(rest: &Rest, body: &Value, repeats: usize) -> anyhow::Result<(Stats, Value)> {
    let raw = serde_json::to_vec(body)?;
    let mut lat = Vec::new();
    let mut last = Vec::new();
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        last = rest.post_raw("runs/search", &raw)?;
        lat.push(t.elapsed());
    }
    Ok((Stats::of(&mut lat), serde_json::from_slice(&last)?))
}

#[derive(Debug)]
struct FilterCheck {
    returned: usize,
    correct: bool,
    summary: String,
}

/// Does the filtered search result really satisfy the filter and order?
fn check_filtered(body: &Value) -> FilterCheck {
    let runs = body["runs"].as_array().cloned().unwrap_or_default();
    let mut wrong = 0;
    let mut out_of_order = 0;
    let mut prev = f64::INFINITY;
    for run in &runs {
        let metric = |k: &str| {
            run["data"]["metrics"]
                .as_array()
                .and_then(|ms| ms.iter().find(|m| m["key"] == k))
                .and_then(|m| m["value"].as_f64())
        };
        let p1 = run["data"]["params"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["key"] == "p1"))
            .and_then(|p| p["value"].as_str());
        if !(metric("m1").is_some_and(|v| v > 0.5) && p1 == Some("a")) {
            wrong += 1;
        }
        let m2 = metric("m2").unwrap_or(f64::NEG_INFINITY);
        if m2 > prev {
            out_of_order += 1;
        }
        prev = m2;
    }
    let correct = wrong == 0 && out_of_order == 0 && !runs.is_empty();
    let summary = if correct {
        format!("{} runs returned, all match, order verified", runs.len())
    } else {
        format!(
            "{} runs returned, {wrong} do NOT match the filter, {out_of_order} out of order: \
             the server did not apply the filter/order, so this time is not comparable",
            runs.len()
        )
    };
    FilterCheck {
        returned: runs.len(),
        correct,
        summary,
    }
}

/// Workload d: a long metric, then its whole history in one request.
fn history(args: &TrackingArgs, rest: &Rest, tag: &str, report: &mut Report) -> anyhow::Result<()> {
    eprintln!("d: {}-point metric, then get-history", args.history_points);
    let exp = rest.create_experiment(&format!("{tag}-d"))?;
    let run_id = rest.create_run(&exp)?;
    let t0 = now_ms();
    let bodies: Vec<Vec<u8>> = (0..args.history_points)
        .collect::<Vec<_>>()
        .chunks(1000)
        .map(|chunk| {
            let metrics: Vec<Value> = chunk
                .iter()
                .map(|&i| {
                    json!({"key": "curve", "value": (i as f64 * 1e-3).cos(),
                           "timestamp": t0 + i as i64, "step": i})
                })
                .collect();
            serde_json::to_vec(&json!({"run_id": run_id, "metrics": metrics}))
        })
        .collect::<Result<_, _>>()?;
    let start = Instant::now();
    for body in &bodies {
        rest.post_raw("runs/log-batch", body)?;
    }
    let log_s = start.elapsed().as_secs_f64();
    let log_rate = args.history_points as f64 / log_s;
    report.row(
        "d. log long metric",
        format!("{log_rate:.0} metrics/s"),
        format!(
            "{} points in {} log-batch calls",
            args.history_points,
            bodies.len()
        ),
    );

    // Timed: request sent until the whole body is received. The client's
    // JSON parse (a serde_json::Value tree of 100k objects) is timed apart.
    let mut lat = Vec::new();
    let mut parse = Vec::new();
    let mut size = 0;
    for _ in 0..args.repeats.max(1) {
        let t = Instant::now();
        let bytes = rest.get_raw(
            "metrics/get-history",
            &[("run_id", &run_id), ("metric_key", "curve")],
        )?;
        lat.push(t.elapsed());
        let t = Instant::now();
        let v: Value = serde_json::from_slice(&bytes)?;
        parse.push(t.elapsed());
        let n = v["metrics"].as_array().map_or(0, Vec::len);
        ensure!(
            n == args.history_points,
            "get-history returned {n} points, expected {}",
            args.history_points
        );
        size = bytes.len();
    }
    let s = Stats::of(&mut lat);
    let p = Stats::of(&mut parse);
    report.row(
        "d. get-history, one request",
        format!("{:.1} ms", s.p50),
        format!(
            "median of {}, {} points, {:.1} MB JSON, until the body is received \
             (client JSON parse apart: {:.1} ms)",
            s.n,
            args.history_points,
            size as f64 / 1e6,
            p.p50
        ),
    );

    let mut blat = Vec::new();
    for _ in 0..args.repeats.max(1) {
        let t = Instant::now();
        rest.get_raw(
            "metrics/get-history-bulk-interval",
            &[
                ("run_ids", &run_id),
                ("metric_key", "curve"),
                ("max_results", "320"),
            ],
        )?;
        blat.push(t.elapsed());
    }
    let b = Stats::of(&mut blat);
    report.row(
        "d. get-history-bulk-interval",
        format!("{:.1} ms", b.p50),
        format!("median of {}, max_results=320 (UI charts)", b.n),
    );
    report.json.insert(
        "d_history".into(),
        json!({"points": args.history_points, "log_metrics_per_s": log_rate, "log_s": log_s,
               "get_history": {"median_ms": s.p50, "latency": s.json(), "bytes": size,
                               "client_parse_median_ms": p.p50},
               "bulk_interval_320": {"median_ms": b.p50, "latency": b.json()}}),
    );
    Ok(())
}

/// Sum of VmRSS (KiB) over `pid` and all its descendants, and their count.
fn tree_rss_kib(pid: u32) -> anyhow::Result<(u64, usize)> {
    let mut parent_of: BTreeMap<u32, u32> = BTreeMap::new();
    for entry in std::fs::read_dir("/proc").context("reading /proc")? {
        let Ok(entry) = entry else { continue };
        let Some(p) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat"))
            && let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r)
            && let Some(ppid) = rest.split_whitespace().nth(1).and_then(|s| s.parse().ok())
        {
            parent_of.insert(p, ppid);
        }
    }
    ensure!(parent_of.contains_key(&pid), "no process {pid}");
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let p = tree[i];
        tree.extend(
            parent_of
                .iter()
                .filter(|(_, pp)| **pp == p)
                .map(|(c, _)| *c),
        );
        i += 1;
    }
    let mut total = 0;
    for p in &tree {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{p}/status"))
            && let Some(line) = status.lines().find(|l| l.starts_with("VmRSS:"))
        {
            total += line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Ok((total, tree.len()))
}
