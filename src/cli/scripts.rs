//! `cairn experiments …` and `cairn runs …`: script-friendly access to any
//! tracking backend (`--tracking-uri`, or MLFLOW_TRACKING_URI, or the local
//! embedded store).

use std::process::ExitCode;

use anyhow::anyhow;
use cairn_client::Tracking;
use cairn_core::commands::NewExperiment;
use cairn_core::search::{ExperimentFilter, ExperimentOrder};
use cairn_core::store::ExperimentSearch;
use cairn_core::{ExperimentId, RunId, ViewType};
use clap::{Args, Subcommand};

use super::output::{Format, experiment_json, print_table, run_json, run_row, utc};

/// Where to connect.
#[derive(Debug, Args)]
pub(crate) struct Target {
    /// Tracking URI: http(s)://host:port or sqlite:///path.db (default: MLFLOW_TRACKING_URI, else ./cairn-data).
    #[arg(long, global = true)]
    tracking_uri: Option<String>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value = "table")]
    format: Format,
}

impl Target {
    fn connect(&self) -> anyhow::Result<Tracking> {
        let t = match &self.tracking_uri {
            Some(uri) => Tracking::from_uri(uri),
            None => Tracking::from_env(),
        };
        t.map_err(|e| anyhow!("{}", e.message()))
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum ExperimentsCmd {
    /// List experiments.
    List {
        /// MLflow filter, e.g. "name LIKE 'cv-%'".
        #[arg(long, default_value = "")]
        filter: String,
        /// Include deleted experiments (`all`) or only them (`deleted`).
        #[arg(long, default_value = "active")]
        view: String,
        #[command(flatten)]
        target: Target,
    },
    /// Create an experiment and print its id.
    Create {
        /// Unique name.
        name: String,
        /// Artifact location (default: the server's artifact root + id).
        #[arg(long)]
        artifact_location: Option<String>,
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RunsCmd {
    /// List runs of an experiment, filtered and ordered like MLflow's search.
    List {
        /// Experiment id (repeatable).
        #[arg(long = "experiment-id", required_unless_present = "experiment_name")]
        experiment_ids: Vec<String>,
        /// Experiment name, instead of an id.
        #[arg(long)]
        experiment_name: Option<String>,
        /// MLflow filter, e.g. "params.maxDepth = '6' and metrics.acc > 0.9".
        #[arg(long, default_value = "")]
        filter: String,
        /// Order, e.g. "metrics.acc DESC" (repeatable).
        #[arg(long = "order-by")]
        order_by: Vec<String>,
        /// Most runs to print.
        #[arg(long, default_value_t = 1000)]
        max_results: usize,
        #[command(flatten)]
        target: Target,
    },
    /// Show one run: info, params, latest metrics, tags.
    Describe {
        /// The run id.
        run_id: String,
        #[command(flatten)]
        target: Target,
    },
}

fn parse_view(view: &str) -> anyhow::Result<ViewType> {
    match view {
        "active" => Ok(ViewType::ActiveOnly),
        "deleted" => Ok(ViewType::DeletedOnly),
        "all" => Ok(ViewType::All),
        other => Err(anyhow!(
            "--view: '{other}' is not one of active, deleted, all"
        )),
    }
}

fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

pub(crate) fn experiments(cmd: ExperimentsCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        ExperimentsCmd::List {
            filter,
            view,
            target,
        } => {
            let tracking = target.connect()?;
            let mut query = ExperimentSearch {
                filter: ExperimentFilter::parse(&filter)
                    .map_err(|e| anyhow!("--filter: {}", e.message()))?,
                order: ExperimentOrder::default(),
                view_type: parse_view(&view)?,
                max_results: 1000,
                page_token: None,
            };
            let mut all = Vec::new();
            loop {
                let page = tracking
                    .store()
                    .search_experiments(&query)
                    .map_err(|e| anyhow!("{}", e.message()))?;
                all.extend(page.items);
                match page.next_page_token {
                    Some(t) => query.page_token = Some(t),
                    None => break,
                }
            }
            match target.format {
                Format::Json => print_json(&serde_json::Value::Array(
                    all.iter().map(experiment_json).collect(),
                )),
                Format::Table => {
                    let rows: Vec<Vec<String>> = all
                        .iter()
                        .map(|e| {
                            vec![
                                e.experiment_id.to_string(),
                                e.name.clone(),
                                e.lifecycle_stage.as_str().to_string(),
                                utc(e.creation_time),
                                e.artifact_location.clone(),
                            ]
                        })
                        .collect();
                    print_table(
                        &["ID", "NAME", "STAGE", "CREATED (UTC)", "ARTIFACT LOCATION"],
                        &rows,
                    );
                }
            }
        }
        ExperimentsCmd::Create {
            name,
            artifact_location,
            target,
        } => {
            let tracking = target.connect()?;
            let new = NewExperiment::new(name, artifact_location, vec![])
                .map_err(|e| anyhow!("{}", e.message()))?;
            let id = tracking
                .store()
                .create_experiment(new)
                .map_err(|e| anyhow!("{}", e.message()))?;
            match target.format {
                Format::Json => print_json(&serde_json::json!({ "experiment_id": id.to_string() })),
                Format::Table => println!("{id}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn runs(cmd: RunsCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        RunsCmd::List {
            experiment_ids,
            experiment_name,
            filter,
            order_by,
            max_results,
            target,
        } => {
            let tracking = target.connect()?;
            let mut ids = experiment_ids
                .iter()
                .map(|s| {
                    s.parse::<ExperimentId>()
                        .map_err(|e| anyhow!("--experiment-id: {}", e.message()))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            if let Some(name) = experiment_name {
                let e = tracking
                    .store()
                    .get_experiment_by_name(&name)
                    .map_err(|e| anyhow!("{}", e.message()))?;
                ids.push(e.experiment_id);
            }
            let runs = tracking
                .search_runs(&ids, &filter, &order_by, max_results)
                .map_err(|e| {
                    let flag =
                        if e.message().contains("order_by") || e.message().contains("order by") {
                            "--order-by"
                        } else {
                            "--filter"
                        };
                    anyhow!("{flag}: {}", e.message())
                })?;
            match target.format {
                Format::Json => print_json(&serde_json::Value::Array(
                    runs.iter().map(run_json).collect(),
                )),
                Format::Table => {
                    let rows: Vec<Vec<String>> = runs.iter().map(run_row).collect();
                    print_table(
                        &[
                            "RUN ID",
                            "NAME",
                            "STATUS",
                            "START (UTC)",
                            "DURATION",
                            "PARAMS",
                            "METRICS",
                        ],
                        &rows,
                    );
                }
            }
        }
        RunsCmd::Describe { run_id, target } => {
            let tracking = target.connect()?;
            let id: RunId = run_id
                .parse()
                .map_err(|e: cairn_core::Error| anyhow!("run id: {}", e.message()))?;
            let run = tracking
                .store()
                .get_run(&id)
                .map_err(|e| anyhow!("{}", e.message()))?;
            match target.format {
                Format::Json => print_json(&run_json(&run)),
                Format::Table => {
                    let info = &run.info;
                    let mut rows = vec![
                        vec!["run_id".into(), info.run_id.to_string()],
                        vec!["name".into(), info.run_name.clone()],
                        vec!["experiment_id".into(), info.experiment_id.to_string()],
                        vec!["status".into(), info.status.as_str().into()],
                        vec!["user".into(), info.user_id.clone()],
                        vec!["start (UTC)".into(), utc(info.start_time)],
                        vec![
                            "end (UTC)".into(),
                            info.end_time.map(utc).unwrap_or_else(|| "-".into()),
                        ],
                        vec!["artifact_uri".into(), info.artifact_uri.clone()],
                    ];
                    rows.extend(
                        run.params
                            .iter()
                            .map(|p| vec![format!("params.{}", p.key), p.value.clone()]),
                    );
                    rows.extend(run.metrics.iter().map(|m| {
                        vec![
                            format!("metrics.{}", m.key),
                            format!("{} (step {})", m.value, m.step),
                        ]
                    }));
                    rows.extend(
                        run.tags
                            .iter()
                            .map(|t| vec![format!("tags.{}", t.key), t.value.clone()]),
                    );
                    print_table(&["FIELD", "VALUE"], &rows);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
