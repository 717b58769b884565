//! PLACEHOLDER until the search compiler lands: no filter, default order;
//! only the view type (lifecycle stage) is applied.

use cairn_core::store::{ExperimentSearch, RunSearch};
use cairn_core::{Result, ViewType};
use rusqlite::Connection;

use crate::db::sql_err;

/// The lifecycle stages a view type admits, as a SQL list.
fn stages(view: ViewType) -> &'static str {
    match view {
        ViewType::ActiveOnly => "('active')",
        ViewType::DeletedOnly => "('deleted')",
        ViewType::All => "('active', 'deleted')",
    }
}

pub(crate) fn run_ids_page(
    conn: &Connection,
    q: &RunSearch,
    offset: usize,
    limit: usize,
) -> Result<Vec<String>> {
    let ids: Vec<i64> = q.experiment_ids.iter().map(|e| e.0).collect();
    let json = serde_json::to_string(&ids).unwrap_or_default();
    let mut stmt = conn
        .prepare(&format!(
            "SELECT run_uuid FROM runs WHERE experiment_id IN (SELECT value FROM json_each(?1))
             AND lifecycle_stage IN {}
             ORDER BY start_time DESC, run_uuid LIMIT ?2 OFFSET ?3",
            stages(q.view_type)
        ))
        .map_err(sql_err)?;
    stmt.query_map(rusqlite::params![json, limit as i64, offset as i64], |r| {
        r.get(0)
    })
    .map_err(sql_err)?
    .collect::<rusqlite::Result<Vec<_>>>()
    .map_err(sql_err)
}

pub(crate) fn experiment_ids_page(
    conn: &Connection,
    q: &ExperimentSearch,
    offset: usize,
    limit: usize,
) -> Result<Vec<i64>> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT experiment_id FROM experiments WHERE lifecycle_stage IN {}
             ORDER BY creation_time DESC, experiment_id LIMIT ?1 OFFSET ?2",
            stages(q.view_type)
        ))
        .map_err(sql_err)?;
    stmt.query_map(rusqlite::params![limit as i64, offset as i64], |r| r.get(0))
        .map_err(sql_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sql_err)
}
