//! Loading whole runs and experiments from rows, in bulk.
//!
//! Search returns up to 50,000 runs; loading each run's params, tags and
//! metrics with per-run queries would cost thousands of round trips, so
//! everything here loads a list of ids with one query per table, passing the
//! ids as one JSON array parameter (`json_each`).

use std::collections::HashMap;

use cairn_core::{
    Dataset, DatasetInput, Experiment, ExperimentId, LifecycleStage, Metric, Param, Result, Run,
    RunId, RunInfo, RunStatus, Tag,
};
use rusqlite::{Connection, Row};

use crate::db::sql_err;

/// Decode a stored metric value (NaN is stored as 0 with `is_nan`).
pub(crate) fn metric_value(value: f64, is_nan: bool) -> f64 {
    if is_nan { f64::NAN } else { value }
}

/// Encode a metric value for storage: `(value, is_nan)`.
pub(crate) fn stored_value(value: f64) -> (f64, bool) {
    if value.is_nan() {
        (0.0, true)
    } else {
        (value, false)
    }
}

fn ids_json<S: AsRef<str>>(ids: &[S]) -> String {
    let list: Vec<&str> = ids.iter().map(|s| s.as_ref()).collect();
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
}

fn run_info_from_row(row: &Row<'_>) -> rusqlite::Result<RunInfo> {
    let run_id: String = row.get(0)?;
    let status: String = row.get(4)?;
    let stage: String = row.get(7)?;
    Ok(RunInfo {
        run_id: run_id.parse().unwrap_or_else(|_| RunId::generate()),
        experiment_id: ExperimentId(row.get(1)?),
        run_name: row.get(2)?,
        user_id: row.get(3)?,
        status: status.parse().unwrap_or(RunStatus::Failed),
        start_time: row.get(5)?,
        end_time: row.get(6)?,
        lifecycle_stage: stage.parse().unwrap_or(LifecycleStage::Active),
        artifact_uri: row.get(8)?,
    })
}

const RUN_COLUMNS: &str = "run_uuid, experiment_id, name, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri";

/// The id in column 0 of `r`, borrowed from the row (no allocation).
fn row_id<'r>(r: &'r Row<'_>) -> Result<&'r str> {
    r.get_ref(0)
        .map_err(sql_err)?
        .as_str()
        .map_err(|e| sql_err(e.into()))
}

/// Load full runs for `ids`, returned in the order of `ids` (unknown ids are skipped).
///
/// `runs` is read by id; its child tables (`latest_metrics`, `params`,
/// `tags`) are keyed by the integer `run_key`, so they are read by the keys
/// found there, and their rows are matched to runs through a map from the
/// key to the run's position (no per-row id strings).
pub(crate) fn load_runs<S: AsRef<str>>(conn: &Connection, ids: &[S]) -> Result<Vec<Run>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let json = ids_json(ids);
    let position: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_ref(), i))
        .collect();
    let mut slots: Vec<Option<Run>> = Vec::new();
    slots.resize_with(ids.len(), || None);
    let mut by_key: HashMap<i64, usize> = HashMap::with_capacity(ids.len());
    {
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {RUN_COLUMNS}, run_key FROM runs WHERE run_uuid IN (SELECT value FROM json_each(?1))"
            ))
            .map_err(sql_err)?;
        let rows = stmt
            .query_map([&json], |r| {
                Ok((run_info_from_row(r)?, r.get::<_, i64>(9)?))
            })
            .map_err(sql_err)?;
        for row in rows {
            let (info, run_key) = row.map_err(sql_err)?;
            if let Some(&i) = position.get(info.run_id.as_str()) {
                by_key.insert(run_key, i);
                slots[i] = Some(Run {
                    info,
                    metrics: vec![],
                    params: vec![],
                    tags: vec![],
                    inputs: vec![],
                });
            }
        }
    }
    let keys: Vec<i64> = by_key.keys().copied().collect();
    let keys_json = serde_json::to_string(&keys).unwrap_or_else(|_| "[]".into());
    // The run a child row (run_key in column 0) belongs to.
    let owner = |r: &Row<'_>| -> Result<Option<usize>> {
        let key: i64 = r.get(0).map_err(sql_err)?;
        Ok(by_key.get(&key).copied())
    };
    {
        let mut stmt = conn
            .prepare_cached(
                "SELECT run_key, key, value, timestamp, step, is_nan FROM latest_metrics
                 WHERE run_key IN (SELECT value FROM json_each(?1)) ORDER BY run_key, key",
            )
            .map_err(sql_err)?;
        let mut rows = stmt.query([&keys_json]).map_err(sql_err)?;
        while let Some(r) = rows.next().map_err(sql_err)? {
            if let Some(run) = owner(r)?.and_then(|i| slots[i].as_mut()) {
                let is_nan: bool = r.get(5).map_err(sql_err)?;
                run.metrics.push(Metric {
                    key: r.get(1).map_err(sql_err)?,
                    value: metric_value(r.get(2).map_err(sql_err)?, is_nan),
                    timestamp: r.get(3).map_err(sql_err)?,
                    step: r.get(4).map_err(sql_err)?,
                });
            }
        }
    }
    for (table, is_param) in [("params", true), ("tags", false)] {
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT run_key, key, value FROM {table}
                 WHERE run_key IN (SELECT value FROM json_each(?1)) ORDER BY run_key, key"
            ))
            .map_err(sql_err)?;
        let mut rows = stmt.query([&keys_json]).map_err(sql_err)?;
        while let Some(r) = rows.next().map_err(sql_err)? {
            if let Some(run) = owner(r)?.and_then(|i| slots[i].as_mut()) {
                let key: String = r.get(1).map_err(sql_err)?;
                let value: String = r.get(2).map_err(sql_err)?;
                if is_param {
                    run.params.push(Param { key, value });
                } else {
                    run.tags.push(Tag { key, value });
                }
            }
        }
    }
    load_inputs(conn, &json, &mut slots, &position)?;
    Ok(slots.into_iter().flatten().collect())
}

/// Dataset inputs (with their tags) of the runs in `slots`.
fn load_inputs(
    conn: &Connection,
    json: &str,
    slots: &mut [Option<Run>],
    position: &HashMap<&str, usize>,
) -> Result<()> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT i.destination_id, i.input_uuid, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
             FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id
             WHERE i.destination_type = 'RUN' AND i.source_type = 'DATASET'
               AND i.destination_id IN (SELECT value FROM json_each(?1))
             ORDER BY i.destination_id, d.name, d.digest",
        )
        .map_err(sql_err)?;
    let mut rows = stmt.query([json]).map_err(sql_err)?;
    // (slot of the run, index of the input within the run, input id)
    let mut input_ids: Vec<(usize, usize, String)> = Vec::new();
    while let Some(r) = rows.next().map_err(sql_err)? {
        let Some(&slot) = position.get(row_id(r)?) else {
            continue;
        };
        let Some(run) = slots[slot].as_mut() else {
            continue;
        };
        let input_id: String = r.get(1).map_err(sql_err)?;
        input_ids.push((slot, run.inputs.len(), input_id));
        run.inputs.push(DatasetInput {
            tags: vec![],
            dataset: Dataset {
                name: r.get(2).map_err(sql_err)?,
                digest: r.get(3).map_err(sql_err)?,
                source_type: r.get(4).map_err(sql_err)?,
                source: r.get(5).map_err(sql_err)?,
                schema: r.get(6).map_err(sql_err)?,
                profile: r.get(7).map_err(sql_err)?,
            },
        });
    }
    if input_ids.is_empty() {
        return Ok(());
    }
    let mut tag_stmt = conn
        .prepare_cached("SELECT key, value FROM input_tags WHERE input_uuid = ?1 ORDER BY key")
        .map_err(sql_err)?;
    for (slot, idx, input_id) in input_ids {
        let tags = tag_stmt
            .query_map([&input_id], |r| {
                Ok(Tag {
                    key: r.get(0)?,
                    value: r.get(1)?,
                })
            })
            .map_err(sql_err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sql_err)?;
        if let Some(input) = slots[slot].as_mut().and_then(|run| run.inputs.get_mut(idx)) {
            input.tags = tags;
        }
    }
    Ok(())
}

const EXPERIMENT_COLUMNS: &str =
    "experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time";

/// Load experiments with their tags, in the order of `ids`.
pub(crate) fn load_experiments(conn: &Connection, ids: &[i64]) -> Result<Vec<Experiment>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    let mut by_id: HashMap<i64, Experiment> = HashMap::with_capacity(ids.len());
    {
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {EXPERIMENT_COLUMNS} FROM experiments WHERE experiment_id IN (SELECT value FROM json_each(?1))"
            ))
            .map_err(sql_err)?;
        let rows = stmt
            .query_map([&json], |r| {
                let stage: String = r.get(3)?;
                Ok(Experiment {
                    experiment_id: ExperimentId(r.get(0)?),
                    name: r.get(1)?,
                    artifact_location: r.get(2)?,
                    lifecycle_stage: stage.parse().unwrap_or(LifecycleStage::Active),
                    creation_time: r.get(4)?,
                    last_update_time: r.get(5)?,
                    tags: vec![],
                })
            })
            .map_err(sql_err)?;
        for e in rows {
            let e = e.map_err(sql_err)?;
            by_id.insert(e.experiment_id.0, e);
        }
    }
    let mut stmt = conn
        .prepare_cached(
            "SELECT experiment_id, key, value FROM experiment_tags
             WHERE experiment_id IN (SELECT value FROM json_each(?1)) ORDER BY experiment_id, key",
        )
        .map_err(sql_err)?;
    let mut rows = stmt.query([&json]).map_err(sql_err)?;
    while let Some(r) = rows.next().map_err(sql_err)? {
        let id: i64 = r.get(0).map_err(sql_err)?;
        if let Some(e) = by_id.get_mut(&id) {
            e.tags.push(Tag {
                key: r.get(1).map_err(sql_err)?,
                value: r.get(2).map_err(sql_err)?,
            });
        }
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}
