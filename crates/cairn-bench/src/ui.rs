//! `cairn-bench ui`: the web UI's page-data targets, timed over HTTP.
//!
//! Populates a fresh SQLite store (temp dir) with one experiment of N runs ×
//! (10 params, 10 metrics) and one run with a 1,000,000-point metric, serves
//! it with `cairn_server::serve` on a loopback port, and times the requests a
//! browser makes (fresh connection each, like a page load), printing medians:
//!
//! - experiment page: `/` + app modules + `experiments/get` + the first
//!   500-row page of the runs table;
//! - re-sort by a metric: the runs-table request ordered by `metrics.m3`,
//!   with the server time the endpoint reports;
//! - 1M-point metric: `metric-series` downsampled to 1,000 buckets.
//!
//! Browser-side parse/render time is not included here (see docs/benchmarks/ui.md).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use cairn_core::commands::{NewExperiment, NewRun, RunBatch};
use cairn_core::store::TrackingStore;
use cairn_core::{Metric, Param, Tag};
use cairn_server::{AppState, Settings};
use cairn_store::{Durability, SqliteStore, StoreOptions};
use clap::Args;
use serde_json::Value;

/// Options of `cairn-bench ui`.
#[derive(Debug, Args)]
pub(crate) struct UiArgs {
    /// Runs in the experiment.
    #[arg(long, default_value_t = 10_000)]
    runs: usize,
    /// Points of the long metric.
    #[arg(long, default_value_t = 1_000_000)]
    points: usize,
    /// Repetitions per measurement (the median is reported).
    #[arg(long, default_value_t = 7)]
    reps: usize,
    /// After measuring, keep serving until stdin closes, printing
    /// `serving <url> experiment=<id> long_run=<id>` (for the browser-side
    /// timings of scripts/ui-bench.sh).
    #[arg(long)]
    hold: bool,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn populate(store: &SqliteStore, args: &UiArgs) -> Result<(String, String)> {
    let exp = store.create_experiment(NewExperiment::new("bench-ui".into(), None, vec![])?)?;
    let t0 = Instant::now();
    let threads = 4;
    let per = args.runs.div_ceil(threads);
    std::thread::scope(|s| -> Result<()> {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || -> Result<()> {
                    for i in t * per..((t + 1) * per).min(args.runs) {
                        let start = 1_700_000_000_000 + i as i64 * 1000;
                        let run = store.create_run(NewRun::new(
                            exp,
                            "bench".into(),
                            Some(format!("run-{i}")),
                            start,
                            vec![],
                        )?)?;
                        let params = (0..10)
                            .map(|p| {
                                Param::new(format!("p{p}"), ((i * 7 + p * 13) % 97).to_string())
                            })
                            .collect();
                        let metrics = (0..10)
                            .map(|m| {
                                let v = ((i * 31 + m * 17) % 1009) as f64 / 1009.0;
                                Metric::new(format!("m{m}"), v, start, 0)
                            })
                            .collect();
                        let tags = vec![Tag::new("team", if i % 2 == 0 { "a" } else { "b" })];
                        store
                            .log_batch(&run.info.run_id, &RunBatch::new(metrics, params, tags)?)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("populate thread panicked"))??;
        }
        Ok(())
    })?;
    eprintln!(
        "populated {} runs in {:.1} s",
        args.runs,
        t0.elapsed().as_secs_f64()
    );
    let t0 = Instant::now();
    let long = store.create_run(NewRun::new(
        exp,
        "bench".into(),
        Some("long".into()),
        1,
        vec![],
    )?)?;
    let mut step = 0usize;
    while step < args.points {
        let end = (step + 1000).min(args.points);
        let metrics = (step..end)
            .map(|i| {
                let v = if i == args.points / 3 {
                    100.0
                } else {
                    (i as f64 / 5000.0).sin()
                };
                Metric::new("big", v, 1_700_000_000_000 + i as i64, i as i64)
            })
            .collect();
        store.log_batch(&long.info.run_id, &RunBatch::new(metrics, vec![], vec![])?)?;
        step = end;
    }
    eprintln!(
        "logged {} points in {:.1} s",
        args.points,
        t0.elapsed().as_secs_f64()
    );
    Ok((exp.to_string(), long.info.run_id.to_string()))
}

fn fetch(agent: &ureq::Agent, url: &str) -> Result<(f64, Vec<u8>)> {
    let t0 = Instant::now();
    let mut res = agent.get(url).call().with_context(|| url.to_owned())?;
    let body = res.body_mut().with_config().limit(64 << 20).read_to_vec()?;
    Ok((t0.elapsed().as_secs_f64() * 1000.0, body))
}

/// Run the benchmark.
pub(crate) fn run(args: UiArgs) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(
        dir.path().join("bench.db"),
        StoreOptions {
            default_artifact_root: "mlflow-artifacts:/".into(),
            durability: Durability::Normal,
        },
    )?;
    let (exp, long) = populate(&store, &args)?;
    // The store read alone, for the record (no HTTP, no downsampling).
    let mut direct = Vec::new();
    for _ in 0..3 {
        let t0 = Instant::now();
        let page = store.metric_history(&cairn_core::store::MetricHistoryQuery {
            run_id: long.parse()?,
            key: "big".into(),
            max_results: None,
            page_token: None,
        })?;
        anyhow::ensure!(page.items.len() == args.points);
        direct.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    eprintln!(
        "store.metric_history of {} points: median {:.1} ms",
        args.points,
        median(direct)
    );
    let mut lean = Vec::new();
    for _ in 0..3 {
        let t0 = Instant::now();
        let points = store.metric_points(&long.parse()?, "big")?;
        anyhow::ensure!(points.len() == args.points);
        lean.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    eprintln!(
        "store.metric_points of {} points: median {:.1} ms",
        args.points,
        median(lean)
    );
    let mut blocks = Vec::new();
    for _ in 0..3 {
        let t0 = Instant::now();
        let chart = store.metric_chart_points(&long.parse()?, "big", 2000)?;
        anyhow::ensure!(chart.total_points == args.points as u64);
        // 1,000,000 points of consecutive steps span ~3,900 blocks.
        anyhow::ensure!(chart.summarized || args.points < 512_000);
        blocks.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    eprintln!(
        "store.metric_chart_points (write-time block extremes) of {} points: median {:.1} ms",
        args.points,
        median(blocks)
    );
    let state = AppState::new(Arc::new(store.clone()), None, Settings::default());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(cairn_server::serve(state, listener, async move {
        let _ = stop_rx.await;
    }));
    std::thread::sleep(Duration::from_millis(100));

    let new_agent = || -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(true)
            .build()
            .into()
    };
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    // warm-up (first SQLite pages into the cache, first TLS-less connect)
    fetch(
        &new_agent(),
        &format!("{base}/ajax-api/2.0/cairn/runs?experiment_id={exp}&limit=500"),
    )?;

    let mut page = Vec::new();
    let mut page_server = Vec::new();
    let mut sort_total = Vec::new();
    let mut sort_server = Vec::new();
    let mut series_total = Vec::new();
    let mut series_server = Vec::new();
    let mut series_points = 0;
    for rep in 0..args.reps {
        // experiment page: static files + experiment + first page of the table
        let agent = new_agent();
        let t0 = Instant::now();
        for path in [
            "/",
            "/static/app.js",
            "/static/util.js",
            "/static/api.js",
            "/static/charts.js",
            "/static/pages/runs.js",
            "/static/style.css",
        ] {
            fetch(&agent, &format!("{base}{path}"))?;
        }
        fetch(
            &agent,
            &format!("{base}/ajax-api/2.0/mlflow/experiments/get?experiment_id={exp}"),
        )?;
        let (_, body) = fetch(
            &agent,
            &format!("{base}/ajax-api/2.0/cairn/runs?experiment_id={exp}&limit=500"),
        )?;
        page.push(t0.elapsed().as_secs_f64() * 1000.0);
        let v: Value = serde_json::from_slice(&body)?;
        anyhow::ensure!(
            v["rows"].as_array().map(Vec::len) == Some(500),
            "first page has 500 rows"
        );
        page_server.push(v["server_ms"].as_f64().unwrap_or(f64::NAN));

        // re-sort by a metric (alternate direction so nothing is cached)
        let dir = if rep % 2 == 0 { "DESC" } else { "ASC" };
        let order = enc(&format!("metrics.`m3` {dir}"));
        let (ms, body) = fetch(
            &agent,
            &format!(
                "{base}/ajax-api/2.0/cairn/runs?experiment_id={exp}&limit=500&order_by={order}"
            ),
        )?;
        let v: Value = serde_json::from_slice(&body)?;
        sort_total.push(ms);
        sort_server.push(v["server_ms"].as_f64().unwrap_or(f64::NAN));

        // the 1M-point metric, downsampled for a chart
        let (ms, body) = fetch(
            &agent,
            &format!("{base}/ajax-api/2.0/cairn/metric-series?run_ids={long}&key=big&buckets=1000"),
        )?;
        let v: Value = serde_json::from_slice(&body)?;
        let s = &v["series"][0];
        anyhow::ensure!(s["total_points"].as_u64() == Some(args.points as u64));
        let pts = s["points"].as_array().map(Vec::len).unwrap_or(0);
        anyhow::ensure!(
            s["points"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p[1] == 100.0)),
            "the spike survives downsampling"
        );
        series_points = pts;
        series_total.push(ms);
        series_server.push(v["server_ms"].as_f64().unwrap_or(f64::NAN));
    }
    print_table(
        &args,
        series_points,
        [
            page,
            page_server,
            sort_total,
            sort_server,
            series_total,
            series_server,
        ],
    );
    if args.hold {
        use std::io::{BufRead, Write};
        println!("serving {base} experiment={exp} long_run={long}");
        std::io::stdout().flush()?;
        let mut sink = String::new();
        while std::io::stdin().lock().read_line(&mut sink)? > 0 {
            sink.clear();
        }
    }
    let _ = stop_tx.send(());
    rt.block_on(server)??;
    store.shutdown();
    Ok(())
}

fn print_table(args: &UiArgs, series_points: usize, m: [Vec<f64>; 6]) {
    let [
        page,
        page_server,
        sort_total,
        sort_server,
        series_total,
        series_server,
    ] = m;

    println!(
        "cairn-bench ui: {} runs x (10 params, 10 metrics), {}-point metric, {} reps, medians",
        args.runs, args.points, args.reps
    );
    println!("| measurement | median total (ms) | median server (ms) | target |");
    println!("|---|---|---|---|");
    println!(
        "| experiment page: 7 static files + experiments/get + first 500 table rows | {:.1} | {:.1} (table) | < 1000 |",
        median(page),
        median(page_server)
    );
    println!(
        "| re-sort by a metric (500-row page, order_by metrics.m3) | {:.1} | {:.1} | < 300 server |",
        median(sort_total),
        median(sort_server)
    );
    println!(
        "| 1,000,000-point metric, 1000 buckets -> {series_points} points | {:.1} | {:.1} | < 1000 end to end |",
        median(series_total),
        median(series_server)
    );
}
