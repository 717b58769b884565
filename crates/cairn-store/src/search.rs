//! PLACEHOLDER until the search compiler lands: no filtering, default order.

use cairn_core::Result;
use cairn_core::store::{ExperimentSearch, RunSearch};
use rusqlite::Connection;

use crate::db::sql_err;

pub(crate) fn run_ids_page(
    conn: &Connection,
    q: &RunSearch,
    offset: usize,
    limit: usize,
) -> Result<Vec<String>> {
    let ids: Vec<i64> = q.experiment_ids.iter().map(|e| e.0).collect();
    let json = serde_json::to_string(&ids).unwrap_or_default();
    let mut stmt = conn
        .prepare(
            "SELECT run_uuid FROM runs WHERE experiment_id IN (SELECT value FROM json_each(?1))
             ORDER BY start_time DESC, run_uuid LIMIT ?2 OFFSET ?3",
        )
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
    _q: &ExperimentSearch,
    offset: usize,
    limit: usize,
) -> Result<Vec<i64>> {
    let mut stmt = conn
        .prepare("SELECT experiment_id FROM experiments ORDER BY creation_time DESC, experiment_id LIMIT ?1 OFFSET ?2")
        .map_err(sql_err)?;
    stmt.query_map(rusqlite::params![limit as i64, offset as i64], |r| r.get(0))
        .map_err(sql_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sql_err)
}
