//! Run writes and reads: create, update, lifecycle, log-batch, tags, inputs, search.

use cairn_core::commands::{NewRun, RunBatch};
use cairn_core::store::{Page, RunSearch, RunUpdate};
use cairn_core::{
    DatasetInput, Error, ExperimentId, LifecycleStage, Result, Run, RunId, names, system_tags,
};
use rusqlite::{Connection, OptionalExtension, params};

use crate::db::sql_err;
use crate::experiments::{join_uri, require_active as require_active_experiment};
use crate::rows::{load_runs, load_runs_by_rowid};
use crate::{metrics, now_ms, search};

/// A run's lifecycle stage, experiment and integer key (`runs.run_key`).
fn stage_of(conn: &Connection, id: &RunId) -> Result<(LifecycleStage, ExperimentId, i64)> {
    let row: Option<(String, i64, i64)> = conn
        .prepare_cached(
            "SELECT lifecycle_stage, experiment_id, run_key FROM runs WHERE run_uuid = ?1",
        )
        .map_err(sql_err)?
        .query_row([id.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()
        .map_err(sql_err)?;
    match row {
        Some((stage, exp, key)) => Ok((stage.parse()?, ExperimentId(exp), key)),
        None => Err(Error::not_found(format!("Run with id={id} not found"))),
    }
}

/// Fails with RESOURCE_DOES_NOT_EXIST for unknown runs and
/// INVALID_PARAMETER_VALUE for deleted ones; returns the run's experiment.
pub(crate) fn require_active(conn: &Connection, id: &RunId) -> Result<ExperimentId> {
    require_active_keyed(conn, id).map(|(exp, _)| exp)
}

/// [`require_active`], also returning the run's integer key.
fn require_active_keyed(conn: &Connection, id: &RunId) -> Result<(ExperimentId, i64)> {
    match stage_of(conn, id)? {
        (LifecycleStage::Active, exp, key) => Ok((exp, key)),
        (LifecycleStage::Deleted, _, _) => Err(Error::invalid(format!(
            "The run {id} must be in the 'active' state. Current state is deleted."
        ))),
    }
}

pub(crate) fn create(conn: &Connection, new: &NewRun) -> Result<RunId> {
    require_active_experiment(conn, new.experiment_id)?;
    let location: String = conn
        .query_row(
            "SELECT artifact_location FROM experiments WHERE experiment_id = ?1",
            [new.experiment_id.0],
            |r| r.get(0),
        )
        .map_err(sql_err)?;
    let run_id = RunId::generate();
    let run_name = new
        .run_name
        .clone()
        .unwrap_or_else(|| names::random_run_name(&mut rand::rng()));
    let user_id = if new.user_id.is_empty() {
        new.tags
            .iter()
            .find(|t| t.key == system_tags::USER)
            .map(|t| t.value.clone())
            .unwrap_or_default()
    } else {
        new.user_id.clone()
    };
    let artifact_uri = join_uri(&location, &format!("{run_id}/artifacts"));
    let run_key: i64 = conn
        .query_row(
            "INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time,
                               deleted_time, lifecycle_stage, artifact_uri, run_key)
             VALUES (?1, ?2, ?3, ?4, 'RUNNING', ?5, NULL, NULL, 'active', ?6,
                     (SELECT COALESCE(MAX(run_key), 0) + 1 FROM runs))
             RETURNING run_key",
            params![
                run_id.as_str(),
                new.experiment_id.0,
                run_name,
                user_id,
                new.start_time,
                artifact_uri
            ],
            |r| r.get(0),
        )
        .map_err(sql_err)?;
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO tags (run_key, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (run_key, key) DO UPDATE SET value = excluded.value",
        )
        .map_err(sql_err)?;
    for tag in &new.tags {
        stmt.execute(params![run_key, tag.key, tag.value])
            .map_err(sql_err)?;
    }
    stmt.execute(params![run_key, system_tags::RUN_NAME, run_name])
        .map_err(sql_err)?;
    Ok(run_id)
}

pub(crate) fn get(conn: &Connection, id: &RunId) -> Result<Run> {
    load_runs(conn, &[id.as_str()])?
        .pop()
        .ok_or_else(|| Error::not_found(format!("Run with id={id} not found")))
}

pub(crate) fn update(conn: &Connection, id: &RunId, update: &RunUpdate) -> Result<()> {
    let (_, run_key) = require_active_keyed(conn, id)?;
    if let Some(status) = update.status {
        conn.execute(
            "UPDATE runs SET status = ?1 WHERE run_uuid = ?2",
            params![status.as_str(), id.as_str()],
        )
        .map_err(sql_err)?;
    }
    if let Some(end) = update.end_time {
        conn.execute(
            "UPDATE runs SET end_time = ?1 WHERE run_uuid = ?2",
            params![end, id.as_str()],
        )
        .map_err(sql_err)?;
    }
    if let Some(name) = update.run_name.as_deref().filter(|n| !n.is_empty()) {
        cairn_core::validation::check_len(
            "Run name",
            name,
            cairn_core::validation::MAX_RUN_NAME_LEN,
        )?;
        set_run_name(conn, id, run_key, name)?;
    }
    Ok(())
}

fn set_run_name(conn: &Connection, id: &RunId, run_key: i64, name: &str) -> Result<()> {
    conn.execute(
        "UPDATE runs SET name = ?1 WHERE run_uuid = ?2",
        params![name, id.as_str()],
    )
    .map_err(sql_err)?;
    conn.execute(
        "INSERT INTO tags (run_key, key, value) VALUES (?1, ?2, ?3)
         ON CONFLICT (run_key, key) DO UPDATE SET value = excluded.value",
        params![run_key, system_tags::RUN_NAME, name],
    )
    .map_err(sql_err)?;
    Ok(())
}

/// Delete (`restore = false`) or restore a run. Deleting a deleted run is a
/// no-op, as in MLflow; restoring a run of a deleted experiment is refused.
pub(crate) fn set_lifecycle(conn: &Connection, id: &RunId, restore: bool) -> Result<()> {
    let (_, experiment, _) = stage_of(conn, id)?;
    if restore {
        require_active_experiment(conn, experiment).map_err(|_| {
            Error::invalid(format!(
                "Cannot restore run {id}: its experiment {experiment} is deleted"
            ))
        })?;
        conn.execute(
            "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE run_uuid = ?1",
            [id.as_str()],
        )
        .map_err(sql_err)?;
    } else {
        conn.execute(
            "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = COALESCE(deleted_time, ?1)
             WHERE run_uuid = ?2",
            params![now_ms(), id.as_str()],
        )
        .map_err(sql_err)?;
    }
    Ok(())
}

/// Params, then metrics, then tags; all or nothing (the caller's savepoint).
pub(crate) fn log_batch(conn: &Connection, id: &RunId, batch: &RunBatch) -> Result<()> {
    let (_, run_key) = require_active_keyed(conn, id)?;
    if !batch.params().is_empty() {
        let mut existing = conn
            .prepare_cached("SELECT value FROM params WHERE run_key = ?1 AND key = ?2")
            .map_err(sql_err)?;
        let mut insert = conn
            .prepare_cached("INSERT INTO params (run_key, key, value) VALUES (?1, ?2, ?3)")
            .map_err(sql_err)?;
        for p in batch.params() {
            let old: Option<String> = existing
                .query_row(params![run_key, p.key], |r| r.get(0))
                .optional()
                .map_err(sql_err)?;
            match old {
                Some(old) if old == p.value => {}
                Some(old) => {
                    return Err(Error::invalid(format!(
                        "Changing param values is not allowed. Param with key='{}' was already logged with \
                         value='{old}' for run ID='{id}'. Attempted logging new value '{}'.",
                        p.key, p.value
                    )));
                }
                None => {
                    insert
                        .execute(params![run_key, p.key, p.value])
                        .map_err(sql_err)?;
                }
            }
        }
    }
    metrics::insert(conn, run_key, batch.metrics())?;
    if !batch.tags().is_empty() {
        let mut upsert = conn
            .prepare_cached(
                "INSERT INTO tags (run_key, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (run_key, key) DO UPDATE SET value = excluded.value",
            )
            .map_err(sql_err)?;
        for t in batch.tags() {
            if t.key == system_tags::RUN_NAME {
                set_run_name(conn, id, run_key, &t.value)?;
            } else {
                upsert
                    .execute(params![run_key, t.key, t.value])
                    .map_err(sql_err)?;
            }
        }
    }
    Ok(())
}

pub(crate) fn delete_tag(conn: &Connection, id: &RunId, key: &str) -> Result<()> {
    let (_, run_key) = require_active_keyed(conn, id)?;
    let n = conn
        .execute(
            "DELETE FROM tags WHERE run_key = ?1 AND key = ?2",
            params![run_key, key],
        )
        .map_err(sql_err)?;
    if n == 0 {
        return Err(Error::not_found(format!(
            "No tag with name: {key} in run with id {id}"
        )));
    }
    Ok(())
}

pub(crate) fn log_inputs(conn: &Connection, id: &RunId, inputs: &[DatasetInput]) -> Result<()> {
    let experiment = require_active(conn, id)?;
    for input in inputs {
        let d = &input.dataset;
        conn.execute(
            "INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, source_type, source, schema, profile)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (experiment_id, name, digest) DO NOTHING",
            params![RunId::generate().as_str(), experiment.0, d.name, d.digest, d.source_type, d.source, d.schema, d.profile],
        )
        .map_err(sql_err)?;
        let dataset_uuid: String = conn
            .query_row(
                "SELECT dataset_uuid FROM datasets WHERE experiment_id = ?1 AND name = ?2 AND digest = ?3",
                params![experiment.0, d.name, d.digest],
                |r| r.get(0),
            )
            .map_err(sql_err)?;
        let existing: Option<String> = conn
            .query_row(
                "SELECT input_uuid FROM inputs WHERE source_type = 'DATASET' AND source_id = ?1
                 AND destination_type = 'RUN' AND destination_id = ?2",
                params![dataset_uuid, id.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql_err)?;
        if existing.is_some() {
            continue; // MLflow ignores a dataset logged twice to the same run.
        }
        let input_uuid = RunId::generate();
        conn.execute(
            "INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id)
             VALUES (?1, 'DATASET', ?2, 'RUN', ?3)",
            params![input_uuid.as_str(), dataset_uuid, id.as_str()],
        )
        .map_err(sql_err)?;
        for tag in &input.tags {
            conn.execute(
                "INSERT OR REPLACE INTO input_tags (input_uuid, key, value) VALUES (?1, ?2, ?3)",
                params![input_uuid.as_str(), tag.key, tag.value],
            )
            .map_err(sql_err)?;
        }
    }
    Ok(())
}

pub(crate) fn search(conn: &Connection, q: &RunSearch) -> Result<Page<Run>> {
    let (ids, next_page_token) =
        crate::offset_page(q.page_token.as_deref(), q.max_results, |offset, limit| {
            search::run_rows_page(conn, q, offset, limit)
        })?;
    Ok(Page {
        items: load_runs_by_rowid(conn, &ids)?,
        next_page_token,
    })
}
