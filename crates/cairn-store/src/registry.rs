//! The model registry on SQLite: registered models, versions, their tags
//! and aliases (migration 0007).
//!
//! Models are addressed by name on the API but keyed by an integer
//! `model_key` in every table, so a rename touches one row. Each write runs
//! as one writer job: a failure rolls the job back, so an error changes
//! nothing. Timestamps follow MLflow's SQL store: creating, transitioning or
//! deleting a version also touches the model's `last_updated_timestamp`.

use cairn_core::registry::{
    ModelStage, ModelVersion, NewModelVersion, NewRegisteredModel, RegisteredModel,
};
use cairn_core::store::{ModelVersionSearch, Page, RegisteredModelSearch};
use cairn_core::{Error, Result, Tag};
use rusqlite::{Connection, OptionalExtension, params};

use crate::db::sql_err;
use crate::{now_ms, search};

fn model_not_found(name: &str) -> Error {
    Error::not_found(format!("Registered Model with name={name} not found"))
}

fn version_not_found(name: &str, version: u64) -> Error {
    Error::not_found(format!(
        "Model Version (name={name}, version={version}) not found"
    ))
}

/// SQLite integers are signed; versions beyond `i64::MAX` cannot exist.
fn version_key(name: &str, version: u64) -> Result<i64> {
    i64::try_from(version).map_err(|_| version_not_found(name, version))
}

/// The model's key, or RESOURCE_DOES_NOT_EXIST.
pub(crate) fn model_key(conn: &Connection, name: &str) -> Result<i64> {
    conn.prepare_cached("SELECT model_key FROM registered_models WHERE name = ?1")
        .and_then(|mut s| s.query_row([name], |r| r.get(0)).optional())
        .map_err(sql_err)?
        .ok_or_else(|| model_not_found(name))
}

/// The model's key and the version's key, or RESOURCE_DOES_NOT_EXIST.
fn version_keys(conn: &Connection, name: &str, version: u64) -> Result<(i64, i64)> {
    let key = model_key(conn, name)?;
    let v = version_key(name, version)?;
    let exists = conn
        .prepare_cached("SELECT 1 FROM model_versions WHERE model_key = ?1 AND version = ?2")
        .and_then(|mut s| s.query_row([key, v], |_| Ok(())).optional())
        .map_err(sql_err)?;
    match exists {
        Some(()) => Ok((key, v)),
        None => Err(version_not_found(name, version)),
    }
}

fn touch_model(conn: &Connection, key: i64, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE registered_models SET last_updated_timestamp = ?1 WHERE model_key = ?2",
        params![now, key],
    )
    .map_err(sql_err)?;
    Ok(())
}

fn tags_of(conn: &Connection, sql: &str, args: &[i64]) -> Result<Vec<Tag>> {
    let mut stmt = conn.prepare_cached(sql).map_err(sql_err)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args), |r| {
            Ok(Tag {
                key: r.get(0)?,
                value: r.get(1)?,
            })
        })
        .map_err(sql_err)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql_err)
}

/// Load versions by `(model_key, version)`, in the given order.
pub(crate) fn load_versions(conn: &Connection, keys: &[(i64, i64)]) -> Result<Vec<ModelVersion>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT m.name, v.creation_timestamp, v.last_updated_timestamp, v.description,
                    v.source, v.run_id, v.run_link, v.current_stage
             FROM model_versions v JOIN registered_models m ON m.model_key = v.model_key
             WHERE v.model_key = ?1 AND v.version = ?2",
        )
        .map_err(sql_err)?;
    let mut alias_stmt = conn
        .prepare_cached(
            "SELECT alias FROM registered_model_aliases WHERE model_key = ?1 AND version = ?2 ORDER BY alias",
        )
        .map_err(sql_err)?;
    let mut out = Vec::with_capacity(keys.len());
    for &(key, version) in keys {
        let row = stmt
            .query_row([key, version], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, String>(7)?,
                ))
            })
            .map_err(sql_err)?;
        let (name, created, updated, description, source, run_id, run_link, stage) = row;
        let aliases = alias_stmt
            .query_map([key, version], |r| r.get::<_, String>(0))
            .map_err(sql_err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sql_err)?;
        out.push(ModelVersion {
            name,
            version: version as u64,
            creation_timestamp: created,
            last_updated_timestamp: updated,
            description,
            source,
            run_id,
            run_link,
            current_stage: stage.parse()?,
            tags: tags_of(
                conn,
                "SELECT key, value FROM model_version_tags WHERE model_key = ?1 AND version = ?2 ORDER BY key",
                &[key, version],
            )?,
            aliases,
        });
    }
    Ok(out)
}

/// The newest version of each stage in `stages` (all when empty), in stage order.
fn latest_keys(conn: &Connection, key: i64, stages: &[ModelStage]) -> Result<Vec<(i64, i64)>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT MAX(version) FROM model_versions WHERE model_key = ?1 AND current_stage = ?2",
        )
        .map_err(sql_err)?;
    let mut out = Vec::new();
    for stage in ModelStage::ALL {
        if !stages.is_empty() && !stages.contains(&stage) {
            continue;
        }
        let latest: Option<i64> = stmt
            .query_row(params![key, stage.as_str()], |r| r.get(0))
            .map_err(sql_err)?;
        if let Some(v) = latest {
            out.push((key, v));
        }
    }
    Ok(out)
}

/// Load models by key, in the given order.
pub(crate) fn load_models(conn: &Connection, keys: &[i64]) -> Result<Vec<RegisteredModel>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT name, creation_timestamp, last_updated_timestamp, description
             FROM registered_models WHERE model_key = ?1",
        )
        .map_err(sql_err)?;
    let mut alias_stmt = conn
        .prepare_cached(
            "SELECT alias, version FROM registered_model_aliases WHERE model_key = ?1 ORDER BY alias",
        )
        .map_err(sql_err)?;
    let mut out = Vec::with_capacity(keys.len());
    for &key in keys {
        let (name, created, updated, description) = stmt
            .query_row([key], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(sql_err)?;
        let aliases = alias_stmt
            .query_map([key], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .map_err(sql_err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sql_err)?;
        out.push(RegisteredModel {
            name,
            creation_timestamp: created,
            last_updated_timestamp: updated,
            description,
            latest_versions: load_versions(conn, &latest_keys(conn, key, &[])?)?,
            tags: tags_of(
                conn,
                "SELECT key, value FROM registered_model_tags WHERE model_key = ?1 ORDER BY key",
                &[key],
            )?,
            aliases,
        });
    }
    Ok(out)
}

fn load_model(conn: &Connection, key: i64) -> Result<RegisteredModel> {
    load_models(conn, &[key])?
        .pop()
        .ok_or_else(|| Error::internal("registered model vanished while loading"))
}

fn load_version(conn: &Connection, key: i64, version: i64) -> Result<ModelVersion> {
    load_versions(conn, &[(key, version)])?
        .pop()
        .ok_or_else(|| Error::internal("model version vanished while loading"))
}

fn name_taken(conn: &Connection, name: &str) -> Result<bool> {
    Ok(model_key(conn, name).is_ok())
}

pub(crate) fn create_model(conn: &Connection, new: &NewRegisteredModel) -> Result<RegisteredModel> {
    if name_taken(conn, &new.name)? {
        return Err(Error::already_exists(format!(
            "Registered Model (name={}) already exists.",
            new.name
        )));
    }
    let now = now_ms();
    conn.execute(
        "INSERT INTO registered_models (name, creation_timestamp, last_updated_timestamp, description)
         VALUES (?1, ?2, ?2, ?3)",
        params![new.name, now, new.description],
    )
    .map_err(sql_err)?;
    let key = conn.last_insert_rowid();
    for tag in &new.tags {
        upsert_model_tag(conn, key, tag)?;
    }
    load_model(conn, key)
}

pub(crate) fn get_model(conn: &Connection, name: &str) -> Result<RegisteredModel> {
    load_model(conn, model_key(conn, name)?)
}

pub(crate) fn rename_model(
    conn: &Connection,
    name: &str,
    new_name: &str,
) -> Result<RegisteredModel> {
    let key = model_key(conn, name)?;
    if name != new_name && name_taken(conn, new_name)? {
        return Err(Error::already_exists(format!(
            "Registered Model (name={new_name}) already exists."
        )));
    }
    conn.execute(
        "UPDATE registered_models SET name = ?1, last_updated_timestamp = ?2 WHERE model_key = ?3",
        params![new_name, now_ms(), key],
    )
    .map_err(sql_err)?;
    load_model(conn, key)
}

pub(crate) fn update_model(
    conn: &Connection,
    name: &str,
    description: &str,
) -> Result<RegisteredModel> {
    let key = model_key(conn, name)?;
    conn.execute(
        "UPDATE registered_models SET description = ?1, last_updated_timestamp = ?2 WHERE model_key = ?3",
        params![description, now_ms(), key],
    )
    .map_err(sql_err)?;
    load_model(conn, key)
}

/// Hard delete. Children are deleted explicitly (not left to ON DELETE
/// CASCADE) so the outcome does not depend on the connection's
/// `foreign_keys` setting.
pub(crate) fn delete_model(conn: &Connection, name: &str) -> Result<()> {
    let key = model_key(conn, name)?;
    for sql in [
        "DELETE FROM registered_model_aliases WHERE model_key = ?1",
        "DELETE FROM model_version_tags WHERE model_key = ?1",
        "DELETE FROM model_versions WHERE model_key = ?1",
        "DELETE FROM registered_model_tags WHERE model_key = ?1",
        "DELETE FROM registered_models WHERE model_key = ?1",
    ] {
        conn.execute(sql, [key]).map_err(sql_err)?;
    }
    Ok(())
}

fn upsert_model_tag(conn: &Connection, key: i64, tag: &Tag) -> Result<()> {
    conn.execute(
        "INSERT INTO registered_model_tags (model_key, key, value) VALUES (?1, ?2, ?3)
         ON CONFLICT (model_key, key) DO UPDATE SET value = excluded.value",
        params![key, tag.key, tag.value],
    )
    .map_err(sql_err)?;
    Ok(())
}

pub(crate) fn set_model_tag(conn: &Connection, name: &str, tag: &Tag) -> Result<()> {
    upsert_model_tag(conn, model_key(conn, name)?, tag)
}

pub(crate) fn delete_model_tag(conn: &Connection, name: &str, tag_key: &str) -> Result<()> {
    let key = model_key(conn, name)?;
    conn.execute(
        "DELETE FROM registered_model_tags WHERE model_key = ?1 AND key = ?2",
        params![key, tag_key],
    )
    .map_err(sql_err)?;
    Ok(())
}

pub(crate) fn search_models(
    conn: &Connection,
    q: &RegisteredModelSearch,
) -> Result<Page<RegisteredModel>> {
    let (keys, next_page_token) =
        crate::offset_page(q.page_token.as_deref(), q.max_results, |offset, limit| {
            search::registered_model_keys_page(conn, q, offset, limit)
        })?;
    Ok(Page {
        items: load_models(conn, &keys)?,
        next_page_token,
    })
}

pub(crate) fn latest_versions(
    conn: &Connection,
    name: &str,
    stages: &[ModelStage],
) -> Result<Vec<ModelVersion>> {
    let key = model_key(conn, name)?;
    load_versions(conn, &latest_keys(conn, key, stages)?)
}

pub(crate) fn create_version(conn: &Connection, new: &NewModelVersion) -> Result<ModelVersion> {
    let key = model_key(conn, &new.name)?;
    if let Some(run_id) = &new.run_id {
        let exists = conn
            .prepare_cached("SELECT 1 FROM runs WHERE run_uuid = ?1")
            .and_then(|mut s| s.query_row([run_id], |_| Ok(())).optional())
            .map_err(sql_err)?;
        if exists.is_none() {
            return Err(Error::not_found(format!("Run with id={run_id} not found")));
        }
    }
    let version: i64 = conn
        .query_row(
            "UPDATE registered_models SET last_version = last_version + 1 WHERE model_key = ?1
             RETURNING last_version",
            [key],
            |r| r.get(0),
        )
        .map_err(sql_err)?;
    let now = now_ms();
    conn.execute(
        "INSERT INTO model_versions (model_key, version, creation_timestamp, last_updated_timestamp,
                                     description, source, run_id, run_link, current_stage)
         VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, 'None')",
        params![
            key,
            version,
            now,
            new.description,
            new.source,
            new.run_id,
            new.run_link
        ],
    )
    .map_err(sql_err)?;
    for tag in &new.tags {
        upsert_version_tag(conn, key, version, tag)?;
    }
    touch_model(conn, key, now)?;
    load_version(conn, key, version)
}

pub(crate) fn get_version(conn: &Connection, name: &str, version: u64) -> Result<ModelVersion> {
    let (key, v) = version_keys(conn, name, version)?;
    load_version(conn, key, v)
}

pub(crate) fn update_version(
    conn: &Connection,
    name: &str,
    version: u64,
    description: &str,
) -> Result<ModelVersion> {
    let (key, v) = version_keys(conn, name, version)?;
    conn.execute(
        "UPDATE model_versions SET description = ?1, last_updated_timestamp = ?2
         WHERE model_key = ?3 AND version = ?4",
        params![description, now_ms(), key, v],
    )
    .map_err(sql_err)?;
    load_version(conn, key, v)
}

pub(crate) fn delete_version(conn: &Connection, name: &str, version: u64) -> Result<()> {
    let (key, v) = version_keys(conn, name, version)?;
    for sql in [
        "DELETE FROM registered_model_aliases WHERE model_key = ?1 AND version = ?2",
        "DELETE FROM model_version_tags WHERE model_key = ?1 AND version = ?2",
        "DELETE FROM model_versions WHERE model_key = ?1 AND version = ?2",
    ] {
        conn.execute(sql, [key, v]).map_err(sql_err)?;
    }
    touch_model(conn, key, now_ms())
}

pub(crate) fn transition_stage(
    conn: &Connection,
    name: &str,
    version: u64,
    stage: ModelStage,
    archive_existing: bool,
) -> Result<ModelVersion> {
    let (key, v) = version_keys(conn, name, version)?;
    let now = now_ms();
    // MLflow archives others only when moving into Staging or Production.
    if archive_existing && matches!(stage, ModelStage::Staging | ModelStage::Production) {
        conn.execute(
            "UPDATE model_versions SET current_stage = 'Archived', last_updated_timestamp = ?1
             WHERE model_key = ?2 AND version <> ?3 AND current_stage = ?4",
            params![now, key, v, stage.as_str()],
        )
        .map_err(sql_err)?;
    }
    conn.execute(
        "UPDATE model_versions SET current_stage = ?1, last_updated_timestamp = ?2
         WHERE model_key = ?3 AND version = ?4",
        params![stage.as_str(), now, key, v],
    )
    .map_err(sql_err)?;
    touch_model(conn, key, now)?;
    load_version(conn, key, v)
}

fn upsert_version_tag(conn: &Connection, key: i64, version: i64, tag: &Tag) -> Result<()> {
    conn.execute(
        "INSERT INTO model_version_tags (model_key, version, key, value) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (model_key, version, key) DO UPDATE SET value = excluded.value",
        params![key, version, tag.key, tag.value],
    )
    .map_err(sql_err)?;
    Ok(())
}

pub(crate) fn set_version_tag(
    conn: &Connection,
    name: &str,
    version: u64,
    tag: &Tag,
) -> Result<()> {
    let (key, v) = version_keys(conn, name, version)?;
    upsert_version_tag(conn, key, v, tag)
}

pub(crate) fn delete_version_tag(
    conn: &Connection,
    name: &str,
    version: u64,
    tag_key: &str,
) -> Result<()> {
    let (key, v) = version_keys(conn, name, version)?;
    conn.execute(
        "DELETE FROM model_version_tags WHERE model_key = ?1 AND version = ?2 AND key = ?3",
        params![key, v, tag_key],
    )
    .map_err(sql_err)?;
    Ok(())
}

pub(crate) fn search_versions(
    conn: &Connection,
    q: &ModelVersionSearch,
) -> Result<Page<ModelVersion>> {
    let (keys, next_page_token) =
        crate::offset_page(q.page_token.as_deref(), q.max_results, |offset, limit| {
            search::model_version_keys_page(conn, q, offset, limit)
        })?;
    Ok(Page {
        items: load_versions(conn, &keys)?,
        next_page_token,
    })
}

pub(crate) fn set_alias(conn: &Connection, name: &str, alias: &str, version: u64) -> Result<()> {
    let (key, v) = version_keys(conn, name, version)?;
    conn.execute(
        "INSERT INTO registered_model_aliases (model_key, alias, version) VALUES (?1, ?2, ?3)
         ON CONFLICT (model_key, alias) DO UPDATE SET version = excluded.version",
        params![key, alias, v],
    )
    .map_err(sql_err)?;
    Ok(())
}

pub(crate) fn delete_alias(conn: &Connection, name: &str, alias: &str) -> Result<()> {
    let key = model_key(conn, name)?;
    conn.execute(
        "DELETE FROM registered_model_aliases WHERE model_key = ?1 AND alias = ?2",
        params![key, alias],
    )
    .map_err(sql_err)?;
    Ok(())
}

pub(crate) fn version_by_alias(conn: &Connection, name: &str, alias: &str) -> Result<ModelVersion> {
    let key = model_key(conn, name)?;
    let version: Option<i64> = conn
        .prepare_cached(
            "SELECT version FROM registered_model_aliases WHERE model_key = ?1 AND alias = ?2",
        )
        .and_then(|mut s| s.query_row(params![key, alias], |r| r.get(0)).optional())
        .map_err(sql_err)?;
    match version {
        Some(v) => load_version(conn, key, v),
        None => Err(Error::invalid(format!(
            "Registered model alias {alias} not found."
        ))),
    }
}
