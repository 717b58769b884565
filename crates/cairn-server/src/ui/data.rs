//! Page-data endpoints: compact JSON shaped for the UI's pages.
//!
//! - `GET experiments?q=&view=`: experiments with run counts and last activity.
//! - `GET runs?experiment_id=1[,2]&filter=&order_by=&offset=&limit=&view=&nest=1`: one
//!   page of the runs table, sorted and filtered in the database, with the child
//!   count of every row and the server time spent. With `nest=1` it also returns
//!   `parents`: every ancestor of the page's rows that is not on the page, so
//!   the nested-run tree is complete whatever page a parent would fall on.
//! - `GET metric-series?run_ids=&key=&x=step|time&buckets=`: metric histories
//!   downsampled to a pixel budget keeping each bucket's min and max.
//! - `GET tuning?run_id=&metric=&direction=min|max`: the trials (children) of
//!   a tuning parent, the running best and server-computed parameter importance.
//!
//! Errors are MLflow error bodies, so the filter box shows the parser's
//! message (which names the token and its position) verbatim.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use axum::Json;
use axum::extract::{Query, State};
use cairn_core::search::{ExperimentFilter, ExperimentOrder, RunFilter, RunOrder};
use cairn_core::store::{ExperimentSearch, RunSearch, TrackingStore};
use cairn_core::{Error, ExperimentId, Result, Run, RunId, ViewType, page_token, system_tags};
use cairn_insights::{ForestOptions, Point, downsample_minmax, encode_param, importance};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

fn ms_since(t: Instant) -> f64 {
    (t.elapsed().as_secs_f64() * 1e4).round() / 10.0
}

fn view_of(view: Option<&str>) -> Result<ViewType> {
    match view {
        None | Some("") => Ok(ViewType::ActiveOnly),
        Some(v) => v.parse(),
    }
}

fn num(v: f64) -> Value {
    // JSON has no NaN/Infinity: send those as strings, like MLflow's wire.
    if v.is_finite() {
        json!(v)
    } else if v.is_nan() {
        json!("NaN")
    } else if v > 0.0 {
        json!("Infinity")
    } else {
        json!("-Infinity")
    }
}

// ---------------------------------------------------------------- experiments

#[derive(Debug, Deserialize)]
pub(super) struct ExperimentsQuery {
    q: Option<String>,
    view: Option<String>,
}

pub(super) async fn experiments(
    State(state): State<AppState>,
    Query(query): Query<ExperimentsQuery>,
) -> ApiResult<Json<Value>> {
    let filter = match query.q.as_deref().map(str::trim) {
        None | Some("") => String::new(),
        // A quote cannot end the literal: it becomes the one-character wildcard.
        Some(q) => format!("name ILIKE '%{}%'", q.replace(['\'', '\\'], "_")),
    };
    let search = ExperimentSearch {
        filter: ExperimentFilter::parse(&filter)?,
        order: ExperimentOrder::parse(&["last_update_time DESC".to_owned()])?,
        view_type: view_of(query.view.as_deref())?,
        max_results: 50_000,
        page_token: None,
    };
    let out = state
        .with_store(move |s| {
            let experiments = s.search_experiments(&search)?.items;
            let ids: Vec<ExperimentId> = experiments.iter().map(|e| e.experiment_id).collect();
            let stats = s.experiment_run_stats(&ids)?;
            Ok(experiments
                .into_iter()
                .zip(stats)
                .map(|(e, st)| {
                    let tags: Map<String, Value> = e
                        .tags
                        .into_iter()
                        .map(|t| (t.key, json!(t.value)))
                        .collect();
                    json!({
                        "id": e.experiment_id.to_string(),
                        "name": e.name,
                        "lifecycle_stage": e.lifecycle_stage.as_str(),
                        "artifact_location": e.artifact_location,
                        "creation_time": e.creation_time,
                        "last_update_time": e.last_update_time,
                        "runs": st.active_runs,
                        "last_run_start": st.last_run_start,
                        "last_activity": st.last_run_start.unwrap_or(0).max(e.last_update_time),
                        "tags": tags,
                    })
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(Json(json!({ "experiments": out })))
}

// ----------------------------------------------------------------------- runs

#[derive(Debug, Deserialize)]
pub(super) struct RunsQuery {
    experiment_id: Option<String>,
    filter: Option<String>,
    order_by: Option<String>,
    offset: Option<usize>,
    limit: Option<usize>,
    view: Option<String>,
    nest: Option<String>,
}

/// Largest page of the runs table.
pub(crate) const MAX_TABLE_PAGE: usize = 5_000;

fn tag<'a>(run: &'a Run, key: &str) -> Option<&'a str> {
    run.tags
        .iter()
        .find(|t| t.key == key)
        .map(|t| t.value.as_str())
}

fn run_row(run: &Run, children: u64) -> Value {
    let params: Map<String, Value> = run
        .params
        .iter()
        .map(|p| (p.key.clone(), json!(p.value)))
        .collect();
    let metrics: Map<String, Value> = run
        .metrics
        .iter()
        .map(|m| (m.key.clone(), num(m.value)))
        .collect();
    let tags: Map<String, Value> = run
        .tags
        .iter()
        .filter(|t| !t.key.starts_with("mlflow."))
        .map(|t| (t.key.clone(), json!(t.value)))
        .collect();
    json!({
        "id": run.info.run_id.to_string(),
        "name": run.info.run_name,
        "status": run.info.status.as_str(),
        "lifecycle_stage": run.info.lifecycle_stage.as_str(),
        "start": run.info.start_time,
        "end": run.info.end_time,
        "user": tag(run, system_tags::USER).unwrap_or(&run.info.user_id),
        "source": tag(run, system_tags::SOURCE_NAME),
        "parent": tag(run, system_tags::PARENT_RUN_ID),
        "children": children,
        "params": params,
        "metrics": metrics,
        "tags": tags,
    })
}

pub(super) async fn runs(
    State(state): State<AppState>,
    Query(query): Query<RunsQuery>,
) -> ApiResult<Json<Value>> {
    let started = Instant::now();
    let experiment_ids = query
        .experiment_id
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<ExperimentId>())
        .collect::<Result<Vec<_>>>()?;
    if experiment_ids.is_empty() {
        return Err(ApiError(Error::invalid(
            "Missing value for required parameter 'experiment_id'",
        )));
    }
    let order: Vec<String> = query
        .order_by
        .iter()
        .filter(|s| !s.trim().is_empty())
        .cloned()
        .collect();
    let offset = query.offset.unwrap_or(0);
    let limit = query.limit.unwrap_or(500).clamp(1, MAX_TABLE_PAGE);
    let nest = matches!(query.nest.as_deref(), Some("1" | "true"));
    let view = view_of(query.view.as_deref())?;
    let search = RunSearch {
        experiment_ids: experiment_ids.clone(),
        filter: RunFilter::parse(query.filter.as_deref().unwrap_or(""))?,
        order: RunOrder::parse(&order)?,
        view_type: view,
        max_results: limit,
        page_token: (offset > 0).then(|| page_token::encode(offset)),
    };
    let out = state
        .with_store(move |s| {
            let page = s.search_runs(&search)?;
            let mut counts: HashMap<String, u64> = HashMap::new();
            if !page.items.is_empty() {
                for id in &experiment_ids {
                    counts.extend(s.child_run_counts(*id)?);
                }
            }
            let mut params = BTreeSet::new();
            let mut metrics = BTreeSet::new();
            let mut tags = BTreeSet::new();
            let rows: Vec<Value> = page
                .items
                .iter()
                .map(|r| {
                    params.extend(r.params.iter().map(|p| p.key.clone()));
                    metrics.extend(r.metrics.iter().map(|m| m.key.clone()));
                    tags.extend(
                        r.tags
                            .iter()
                            .filter(|t| !t.key.starts_with("mlflow."))
                            .map(|t| t.key.clone()),
                    );
                    let id = r.info.run_id.to_string();
                    run_row(r, counts.get(&id).copied().unwrap_or(0))
                })
                .collect();
            let next = page.next_page_token.map(|_| offset + rows.len());
            let parents: Vec<Value> = if nest {
                missing_ancestors(s, &experiment_ids, view, &page.items)?
                    .iter()
                    .map(|r| {
                        let id = r.info.run_id.to_string();
                        run_row(r, counts.get(&id).copied().unwrap_or(0))
                    })
                    .collect()
            } else {
                Vec::new()
            };
            Ok(json!({
                "rows": rows,
                "parents": parents,
                "next_offset": next,
                "columns": {"params": params, "metrics": metrics, "tags": tags},
            }))
        })
        .await?;
    let mut out = out;
    out["server_ms"] = json!(ms_since(started));
    Ok(Json(out))
}

/// Deepest parent chain followed (guards against cycles of parent tags).
const MAX_NESTING: usize = 32;

/// The ancestors of `rows` that are not among them: one `run_id IN (...)`
/// search per tree level, so a page costs a few queries however its
/// children are spread. Parents outside the searched experiments or view
/// are not returned (the client shows such children at the top level).
fn missing_ancestors(
    s: &dyn TrackingStore,
    experiment_ids: &[ExperimentId],
    view: ViewType,
    rows: &[Run],
) -> Result<Vec<Run>> {
    let mut known: BTreeSet<String> = rows.iter().map(|r| r.info.run_id.to_string()).collect();
    let mut wanted: BTreeSet<String> = rows
        .iter()
        .filter_map(|r| tag(r, system_tags::PARENT_RUN_ID))
        .filter(|p| !known.contains(*p))
        .map(str::to_owned)
        .collect();
    let mut out = Vec::new();
    for _ in 0..MAX_NESTING {
        if wanted.is_empty() {
            break;
        }
        // Parent tags are free text: quote them for the filter grammar.
        let list: Vec<String> = wanted
            .iter()
            .map(|id| format!("'{}'", id.replace('\\', "\\\\").replace('\'', "\\'")))
            .collect();
        known.extend(wanted.iter().cloned());
        let search = RunSearch {
            experiment_ids: experiment_ids.to_vec(),
            filter: RunFilter::parse(&format!("attributes.run_id IN ({})", list.join(", ")))?,
            order: RunOrder::parse(&[])?,
            view_type: view,
            max_results: wanted.len(),
            page_token: None,
        };
        let found = s.search_runs(&search)?.items;
        wanted = found
            .iter()
            .filter_map(|r| tag(r, system_tags::PARENT_RUN_ID))
            .filter(|p| !known.contains(*p))
            .map(str::to_owned)
            .collect();
        out.extend(found);
    }
    Ok(out)
}

// -------------------------------------------------------------- metric series

#[derive(Debug, Deserialize)]
pub(super) struct SeriesQuery {
    run_ids: Option<String>,
    key: Option<String>,
    x: Option<String>,
    buckets: Option<usize>,
}

/// Most runs in one series request.
pub(crate) const MAX_SERIES_RUNS: usize = 100;

pub(super) async fn metric_series(
    State(state): State<AppState>,
    Query(query): Query<SeriesQuery>,
) -> ApiResult<Json<Value>> {
    let started = Instant::now();
    let key = query
        .key
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError(Error::invalid("Missing value for required parameter 'key'")))?;
    let run_ids = query
        .run_ids
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<RunId>())
        .collect::<Result<Vec<_>>>()?;
    if run_ids.is_empty() || run_ids.len() > MAX_SERIES_RUNS {
        return Err(ApiError(Error::invalid(format!(
            "'run_ids' must name 1 to {MAX_SERIES_RUNS} runs, got {}",
            run_ids.len()
        ))));
    }
    let by_time = match query.x.as_deref() {
        None | Some("step") => false,
        Some("time" | "wall" | "relative") => true,
        Some(other) => {
            return Err(ApiError(Error::invalid(format!(
                "Invalid x '{other}': expected step, time, wall or relative"
            ))));
        }
    };
    let buckets = query.buckets.unwrap_or(1000).clamp(1, 10_000);
    let series = state
        .with_store(move |s| {
            run_ids
                .iter()
                .map(|id| series_of(s, id, &key, by_time, buckets))
                .collect::<Result<Vec<_>>>()
        })
        .await?;
    Ok(Json(
        json!({ "series": series, "server_ms": ms_since(started) }),
    ))
}

fn series_of(
    s: &dyn TrackingStore,
    run_id: &RunId,
    key: &str,
    by_time: bool,
    buckets: usize,
) -> Result<Value> {
    // Two stored blocks per chart bucket at least, so a bucket's extremes
    // come from whole blocks' extremes (a 1M-step history: ~3,900 rows).
    let chart = s.metric_chart_points(run_id, key, 2 * buckets)?;
    let mut points: Vec<Point> = chart
        .points
        .iter()
        .map(|&(timestamp, step, value)| Point {
            x: if by_time {
                timestamp as f64
            } else {
                step as f64
            },
            y: value,
        })
        .collect();
    drop(chart.points);
    // History comes ordered by time; the step axis needs step order.
    if !points.is_sorted_by(|a, b| a.x <= b.x) {
        points.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    let sampled = downsample_minmax(&points, buckets);
    let xy: Vec<[f64; 2]> = sampled.iter().map(|p| [p.x, p.y]).collect();
    Ok(json!({
        "run_id": run_id.to_string(),
        "key": key,
        "total_points": chart.total_points,
        "first_time": chart.first_time,
        "summarized": chart.summarized,
        "points": xy,
    }))
}

// --------------------------------------------------------------------- tuning

#[derive(Debug, Deserialize)]
pub(super) struct TuningQuery {
    run_id: Option<String>,
    metric: Option<String>,
    direction: Option<String>,
}

fn children_of(s: &dyn TrackingStore, parent: &Run) -> Result<Vec<Run>> {
    let id = parent.info.run_id.to_string();
    let mut search = RunSearch {
        experiment_ids: vec![parent.info.experiment_id],
        filter: RunFilter::parse(&format!("tags.`{}` = '{id}'", system_tags::PARENT_RUN_ID))?,
        order: RunOrder::parse(&["attributes.start_time ASC".to_owned()])?,
        view_type: ViewType::ActiveOnly,
        max_results: 50_000,
        page_token: None,
    };
    let mut out = Vec::new();
    loop {
        let page = s.search_runs(&search)?;
        out.extend(page.items);
        match page.next_page_token {
            Some(t) => search.page_token = Some(t),
            None => return Ok(out),
        }
    }
}

pub(super) async fn tuning(
    State(state): State<AppState>,
    Query(query): Query<TuningQuery>,
) -> ApiResult<Json<Value>> {
    let started = Instant::now();
    let run_id: RunId = query
        .run_id
        .as_deref()
        .ok_or_else(|| {
            ApiError(Error::invalid(
                "Missing value for required parameter 'run_id'",
            ))
        })?
        .parse()?;
    let maximize = match query.direction.as_deref() {
        None | Some("") | Some("min") | Some("minimize") => false,
        Some("max") | Some("maximize") => true,
        Some(other) => {
            return Err(ApiError(Error::invalid(format!(
                "Invalid direction '{other}': expected min or max"
            ))));
        }
    };
    let (parent, children) = state
        .with_store(move |s| {
            let parent = s.get_run(&run_id)?;
            let children = children_of(s, &parent)?;
            Ok((parent, children))
        })
        .await?;
    let requested = query.metric.filter(|m| !m.is_empty());
    let out =
        tokio::task::spawn_blocking(move || tuning_data(&parent, &children, requested, maximize))
            .await
            .map_err(|e| ApiError(Error::internal(format!("tuning task failed: {e}"))))?;
    let mut out = out;
    out["server_ms"] = json!(ms_since(started));
    Ok(Json(out))
}

/// The tuning view's data (pure).
pub(crate) fn tuning_data(
    parent: &Run,
    children: &[Run],
    metric: Option<String>,
    maximize: bool,
) -> Value {
    let mut metric_keys = BTreeSet::new();
    let mut param_keys = BTreeSet::new();
    for c in children {
        metric_keys.extend(c.metrics.iter().map(|m| m.key.clone()));
        param_keys.extend(c.params.iter().map(|p| p.key.clone()));
    }
    let metric = metric.or_else(|| {
        ["loss", "val_loss", "objective"]
            .iter()
            .find(|k| metric_keys.contains(**k))
            .map(|k| (*k).to_owned())
            .or_else(|| metric_keys.iter().next().cloned())
    });
    let params: Vec<String> = param_keys.into_iter().collect();
    let mut trials = Vec::new();
    let mut values = Vec::new();
    let mut best: Option<(f64, usize)> = None;
    let mut history = Vec::new();
    for (number, c) in children.iter().enumerate() {
        let value = metric
            .as_ref()
            .and_then(|k| c.metrics.iter().find(|m| &m.key == k))
            .map(|m| m.value);
        let pmap: BTreeMap<&str, &str> = c
            .params
            .iter()
            .map(|p| (p.key.as_str(), p.value.as_str()))
            .collect();
        if let Some(v) = value.filter(|v| v.is_finite()) {
            let better = best.is_none_or(|(b, _)| if maximize { v > b } else { v < b });
            if better {
                best = Some((v, number));
            }
            values.push((number, v));
            history.push(json!({
                "number": number,
                "value": v,
                "best": best.map(|b| b.0),
            }));
        }
        trials.push(json!({
            "number": number,
            "run_id": c.info.run_id.to_string(),
            "name": c.info.run_name,
            "status": c.info.status.as_str(),
            "value": value.map(num),
            "params": pmap,
        }));
    }
    // Importance over the trials that have a finite objective.
    let y: Vec<f64> = values.iter().map(|&(_, v)| v).collect();
    let columns: Vec<Vec<Option<f64>>> = params
        .iter()
        .map(|k| {
            let raw: Vec<Option<&str>> = values
                .iter()
                .map(|&(n, _)| {
                    children[n]
                        .params
                        .iter()
                        .find(|p| &p.key == k)
                        .map(|p| p.value.as_str())
                })
                .collect();
            encode_param(&raw, &y)
        })
        .collect();
    let imp = importance(&columns, &y, ForestOptions::default());
    let mut ranked: Vec<Value> = params
        .iter()
        .zip(&imp)
        .map(|(p, i)| json!({"param": p, "importance": i}))
        .collect();
    ranked.sort_by(|a, b| {
        b["importance"]
            .as_f64()
            .unwrap_or(0.0)
            .total_cmp(&a["importance"].as_f64().unwrap_or(0.0))
    });
    json!({
        "parent": {
            "run_id": parent.info.run_id.to_string(),
            "name": parent.info.run_name,
            "experiment_id": parent.info.experiment_id.to_string(),
        },
        "metric": metric,
        "metrics": metric_keys,
        "direction": if maximize { "max" } else { "min" },
        "params": params,
        "trials": trials,
        "history": history,
        "best": best.map(|(v, n)| json!({
            "number": n,
            "value": v,
            "run_id": children[n].info.run_id.to_string(),
        })),
        "importance": ranked,
    })
}
