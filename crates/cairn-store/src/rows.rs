//! Loading whole runs and experiments from rows, in bulk.
//!
//! Search returns up to 50,000 runs; loading each run's params, tags and
//! metrics with per-run queries would cost thousands of round trips, so
//! everything here loads a list of runs with one query per table. The list
//! is one JSON array parameter that drives the query from the left
//! (`json_each(?1) j CROSS JOIN table`): each element is one index search,
//! and `j.key` (the element's position) says which run a row belongs to.
//! `... WHERE x IN (SELECT value FROM json_each(?1))` would make SQLite
//! build a temporary index of the list first, which cost more than the
//! searches themselves.

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

/// A JSON array of integers (digits only, so no escaping is involved).
fn ints_json(values: impl Iterator<Item = i64>) -> String {
    use std::fmt::Write;
    let mut out = String::from("[");
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{v}");
    }
    out.push(']');
    out
}

/// `RUN_COLUMNS` of a row, starting at column `at`.
fn run_info_from_row(row: &Row<'_>, at: usize) -> rusqlite::Result<RunInfo> {
    let run_id: String = row.get(at)?;
    let status: String = row.get(at + 4)?;
    let stage: String = row.get(at + 7)?;
    Ok(RunInfo {
        run_id: run_id.parse().unwrap_or_else(|_| RunId::generate()),
        experiment_id: ExperimentId(row.get(at + 1)?),
        run_name: row.get(at + 2)?,
        user_id: row.get(at + 3)?,
        status: status.parse().unwrap_or(RunStatus::Failed),
        start_time: row.get(at + 5)?,
        end_time: row.get(at + 6)?,
        lifecycle_stage: stage.parse().unwrap_or(LifecycleStage::Active),
        artifact_uri: row.get(at + 8)?,
    })
}

const RUN_COLUMNS: &str = "r.run_uuid, r.experiment_id, r.name, r.user_id, r.status, r.start_time, r.end_time, r.lifecycle_stage, r.artifact_uri";

/// The position in column 0 of `r` (a `json_each` key), if it is a slot.
fn slot_of(r: &Row<'_>, slots: usize) -> Result<Option<usize>> {
    let at: i64 = r.get(0).map_err(sql_err)?;
    Ok(usize::try_from(at).ok().filter(|&i| i < slots))
}

/// Load full runs for `ids`, returned in the order of `ids` (unknown ids are skipped).
pub(crate) fn load_runs<S: AsRef<str>>(conn: &Connection, ids: &[S]) -> Result<Vec<Run>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut stmt = conn
        .prepare_cached(
            "SELECT r.rowid FROM json_each(?1) j CROSS JOIN runs r
             WHERE r.run_uuid = j.value ORDER BY j.key",
        )
        .map_err(sql_err)?;
    let rowids = stmt
        .query_map([ids_json(ids)], |r| r.get::<_, i64>(0))
        .map_err(sql_err)?
        .collect::<rusqlite::Result<Vec<i64>>>()
        .map_err(sql_err)?;
    load_runs_by_rowid(conn, &rowids)
}

/// Load full runs by their `runs.rowid`, in the order of `rowids` (rowids
/// without a run are skipped). Rowids are only stable within one
/// transaction, so callers take them from a query of the same read.
///
/// `runs` is read by rowid (one B-tree search per run); its child tables
/// (`latest_metrics`, `params`, `tags`) are keyed by the integer `run_key`
/// read there, so each run costs one search per table.
pub(crate) fn load_runs_by_rowid(conn: &Connection, rowids: &[i64]) -> Result<Vec<Run>> {
    if rowids.is_empty() {
        return Ok(Vec::new());
    }
    let mut slots: Vec<Option<Run>> = Vec::new();
    slots.resize_with(rowids.len(), || None);
    // run_key of each slot; a slot whose run is gone keeps -1, which no run has.
    let mut run_keys: Vec<i64> = vec![-1; rowids.len()];
    {
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT j.key, r.run_key, {RUN_COLUMNS} FROM json_each(?1) j CROSS JOIN runs r
                 WHERE r.rowid = j.value"
            ))
            .map_err(sql_err)?;
        let mut rows = stmt
            .query([ints_json(rowids.iter().copied())])
            .map_err(sql_err)?;
        while let Some(r) = rows.next().map_err(sql_err)? {
            if let Some(i) = slot_of(r, slots.len())? {
                run_keys[i] = r.get(1).map_err(sql_err)?;
                slots[i] = Some(Run {
                    info: run_info_from_row(r, 2).map_err(sql_err)?,
                    metrics: Vec::new(),
                    params: Vec::new(),
                    tags: Vec::new(),
                    inputs: Vec::new(),
                });
            }
        }
    }
    let keys_json = ints_json(run_keys.iter().copied());
    {
        let mut stmt = conn
            .prepare_cached(
                "SELECT j.key, m.key, m.value, m.timestamp, m.step, m.is_nan
                 FROM json_each(?1) j CROSS JOIN latest_metrics m WHERE m.run_key = j.value",
            )
            .map_err(sql_err)?;
        let mut rows = stmt.query([&keys_json]).map_err(sql_err)?;
        while let Some(r) = rows.next().map_err(sql_err)? {
            if let Some(run) = slot_of(r, slots.len())?.and_then(|i| slots[i].as_mut()) {
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
                "SELECT j.key, t.key, t.value FROM json_each(?1) j CROSS JOIN {table} t
                 WHERE t.run_key = j.value"
            ))
            .map_err(sql_err)?;
        let mut rows = stmt.query([&keys_json]).map_err(sql_err)?;
        while let Some(r) = rows.next().map_err(sql_err)? {
            if let Some(run) = slot_of(r, slots.len())?.and_then(|i| slots[i].as_mut()) {
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
    // Each run's rows come from one (run_key, key) primary-key range, so
    // they are in key order already; SQL does not promise it without an
    // ORDER BY (which would cost a sort), so make sure, at a linear cost
    // when they are.
    for run in slots.iter_mut().flatten() {
        run.metrics.sort_by(|a, b| a.key.cmp(&b.key));
        run.params.sort_by(|a, b| a.key.cmp(&b.key));
        run.tags.sort_by(|a, b| a.key.cmp(&b.key));
    }
    load_inputs(conn, &mut slots)?;
    Ok(slots.into_iter().flatten().collect())
}

/// Dataset inputs (with their tags) of the runs in `slots`.
fn load_inputs(conn: &Connection, slots: &mut [Option<Run>]) -> Result<()> {
    // Most stores log no datasets: one index search answers for all runs.
    let any: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM inputs WHERE destination_type = 'RUN')")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(sql_err)?;
    if !any {
        return Ok(());
    }
    let ids: Vec<&str> = slots
        .iter()
        .map(|s| s.as_ref().map_or("", |run| run.info.run_id.as_str()))
        .collect();
    let mut stmt = conn
        .prepare_cached(
            "SELECT j.key, i.input_uuid, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
             FROM json_each(?1) j CROSS JOIN inputs i JOIN datasets d ON d.dataset_uuid = i.source_id
             WHERE i.destination_type = 'RUN' AND i.destination_id = j.value
               AND i.source_type = 'DATASET'
             ORDER BY j.key, d.name, d.digest",
        )
        .map_err(sql_err)?;
    let mut rows = stmt.query([ids_json(&ids)]).map_err(sql_err)?;
    // (slot of the run, index of the input within the run, input id)
    let mut input_ids: Vec<(usize, usize, String)> = Vec::new();
    while let Some(r) = rows.next().map_err(sql_err)? {
        let Some(slot) = slot_of(r, slots.len())? else {
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
