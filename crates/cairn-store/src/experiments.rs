//! Experiment writes and reads.

use cairn_core::commands::NewExperiment;
use cairn_core::store::{ExperimentSearch, Page};
use cairn_core::{Error, Experiment, ExperimentId, LifecycleStage, Result, Tag};
use rusqlite::{Connection, OptionalExtension, params};

use crate::db::sql_err;
use crate::rows::load_experiments;
use crate::{now_ms, search};

/// `<root>/<id>` without doubling the slash (`mlflow-artifacts:/` + `1` -> `mlflow-artifacts:/1`).
pub(crate) fn join_uri(root: &str, child: &str) -> String {
    format!("{}/{}", root.trim_end_matches('/'), child)
}

pub(crate) fn ensure_default_experiment(conn: &Connection, root: &str) -> Result<()> {
    let now = now_ms();
    conn.execute(
        "INSERT OR IGNORE INTO experiments
         (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
         VALUES (0, 'Default', ?1, 'active', ?2, ?2)",
        params![join_uri(root, "0"), now],
    )
    .map_err(sql_err)?;
    Ok(())
}

fn stage_of(conn: &Connection, id: ExperimentId) -> Result<LifecycleStage> {
    let stage: Option<String> = conn
        .query_row(
            "SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?1",
            [id.0],
            |r| r.get(0),
        )
        .optional()
        .map_err(sql_err)?;
    match stage {
        Some(s) => s.parse(),
        None => Err(Error::not_found(format!(
            "No Experiment with id={id} exists"
        ))),
    }
}

/// Fails unless the experiment exists and is active.
pub(crate) fn require_active(conn: &Connection, id: ExperimentId) -> Result<()> {
    match stage_of(conn, id)? {
        LifecycleStage::Active => Ok(()),
        LifecycleStage::Deleted => Err(Error::invalid(format!(
            "The experiment {id} must be in the 'active' state. Current state is deleted."
        ))),
    }
}

fn name_taken(conn: &Connection, name: &str) -> Result<bool> {
    conn.query_row("SELECT 1 FROM experiments WHERE name = ?1", [name], |_| {
        Ok(())
    })
    .optional()
    .map(|o| o.is_some())
    .map_err(sql_err)
}

pub(crate) fn create(conn: &Connection, new: &NewExperiment, root: &str) -> Result<ExperimentId> {
    if name_taken(conn, &new.name)? {
        return Err(Error::already_exists(format!(
            "Experiment '{}' already exists.",
            new.name
        )));
    }
    let now = now_ms();
    conn.execute(
        "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time)
         VALUES (?1, ?2, 'active', ?3, ?3)",
        params![new.name, new.artifact_location.as_deref().unwrap_or(""), now],
    )
    .map_err(sql_err)?;
    let id = conn.last_insert_rowid();
    if new.artifact_location.is_none() {
        conn.execute(
            "UPDATE experiments SET artifact_location = ?1 WHERE experiment_id = ?2",
            params![join_uri(root, &id.to_string()), id],
        )
        .map_err(sql_err)?;
    }
    for tag in &new.tags {
        upsert_tag(conn, id, tag)?;
    }
    Ok(ExperimentId(id))
}

pub(crate) fn get(conn: &Connection, id: ExperimentId) -> Result<Experiment> {
    load_experiments(conn, &[id.0])?
        .pop()
        .ok_or_else(|| Error::not_found(format!("No Experiment with id={id} exists")))
}

pub(crate) fn get_by_name(conn: &Connection, name: &str) -> Result<Experiment> {
    let id: Option<i64> = conn
        .query_row(
            "SELECT experiment_id FROM experiments WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()
        .map_err(sql_err)?;
    match id {
        Some(id) => get(conn, ExperimentId(id)),
        None => Err(Error::not_found(format!(
            "Could not find experiment with name '{name}'"
        ))),
    }
}

pub(crate) fn search(conn: &Connection, q: &ExperimentSearch) -> Result<Page<Experiment>> {
    let (ids, next_page_token) =
        crate::offset_page(q.page_token.as_deref(), q.max_results, |offset, limit| {
            search::experiment_ids_page(conn, q, offset, limit)
        })?;
    Ok(Page {
        items: load_experiments(conn, &ids)?,
        next_page_token,
    })
}

pub(crate) fn rename(conn: &Connection, id: ExperimentId, new_name: &str) -> Result<()> {
    cairn_core::validation::validate_experiment_name(new_name)?;
    if stage_of(conn, id)? == LifecycleStage::Deleted {
        // MLflow answers INVALID_STATE (HTTP 500) here; a client mistake
        // must not look like a server failure, so Cairn answers 400.
        return Err(Error::invalid(format!(
            "Cannot rename a non-active experiment {id}. Restore it first."
        )));
    }
    let current: String = conn
        .query_row(
            "SELECT name FROM experiments WHERE experiment_id = ?1",
            [id.0],
            |r| r.get(0),
        )
        .map_err(sql_err)?;
    if current == new_name {
        return Ok(());
    }
    if name_taken(conn, new_name)? {
        return Err(Error::already_exists(format!(
            "Experiment '{new_name}' already exists."
        )));
    }
    conn.execute(
        "UPDATE experiments SET name = ?1, last_update_time = ?2 WHERE experiment_id = ?3",
        params![new_name, now_ms(), id.0],
    )
    .map_err(sql_err)?;
    Ok(())
}

/// Soft-delete the experiment and its active runs. The runs get the same
/// `deleted_time` as the experiment's `last_update_time`, so a restore brings
/// back exactly those runs and leaves runs deleted earlier deleted.
pub(crate) fn delete(conn: &Connection, id: ExperimentId) -> Result<()> {
    if stage_of(conn, id)? == LifecycleStage::Deleted {
        return Err(Error::not_found(format!(
            "No active Experiment with id={id} exists"
        )));
    }
    let now = now_ms();
    conn.execute(
        "UPDATE experiments SET lifecycle_stage = 'deleted', last_update_time = ?1 WHERE experiment_id = ?2",
        params![now, id.0],
    )
    .map_err(sql_err)?;
    conn.execute(
        "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ?1
         WHERE experiment_id = ?2 AND lifecycle_stage = 'active'",
        params![now, id.0],
    )
    .map_err(sql_err)?;
    Ok(())
}

pub(crate) fn restore(conn: &Connection, id: ExperimentId) -> Result<()> {
    if stage_of(conn, id)? == LifecycleStage::Active {
        return Err(Error::not_found(format!(
            "No deleted Experiment with id={id} exists"
        )));
    }
    let deleted_at: i64 = conn
        .query_row(
            "SELECT last_update_time FROM experiments WHERE experiment_id = ?1",
            [id.0],
            |r| r.get(0),
        )
        .map_err(sql_err)?;
    conn.execute(
        "UPDATE experiments SET lifecycle_stage = 'active', last_update_time = ?1 WHERE experiment_id = ?2",
        params![now_ms(), id.0],
    )
    .map_err(sql_err)?;
    conn.execute(
        "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL
         WHERE experiment_id = ?1 AND lifecycle_stage = 'deleted' AND deleted_time = ?2",
        params![id.0, deleted_at],
    )
    .map_err(sql_err)?;
    Ok(())
}

fn upsert_tag(conn: &Connection, id: i64, tag: &Tag) -> Result<()> {
    conn.execute(
        "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?1, ?2, ?3)
         ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value",
        params![id, tag.key, tag.value],
    )
    .map_err(sql_err)?;
    Ok(())
}

pub(crate) fn set_tag(conn: &Connection, id: ExperimentId, tag: &Tag) -> Result<()> {
    require_active(conn, id)?;
    upsert_tag(conn, id.0, tag)
}

pub(crate) fn delete_tag(conn: &Connection, id: ExperimentId, key: &str) -> Result<()> {
    require_active(conn, id)?;
    let n = conn
        .execute(
            "DELETE FROM experiment_tags WHERE experiment_id = ?1 AND key = ?2",
            params![id.0, key],
        )
        .map_err(sql_err)?;
    if n == 0 {
        return Err(Error::not_found(format!(
            "No tag with name: {key} in experiment with id {id}"
        )));
    }
    Ok(())
}
