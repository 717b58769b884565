//! Metric writes (history + latest value) and history reads.

use std::collections::HashMap;

use cairn_core::store::{BulkIntervalQuery, MetricHistoryQuery, Page};
use cairn_core::{Error, Metric, Result, RunId, RunMetric, page_token};
use rusqlite::{Connection, OptionalExtension, params};

use crate::db::sql_err;
use crate::metric_blocks::BlockDeltas;
use crate::rows::{metric_value, stored_value};

/// Append metrics to the history (exact duplicates collapse) and advance
/// `latest_metrics` where a new point is newer (step, then timestamp, then value).
/// `run_key` is the run's integer key (`runs.run_key`), which keys both tables.
pub(crate) fn insert(conn: &Connection, run_key: i64, metrics: &[Metric]) -> Result<()> {
    if metrics.is_empty() {
        return Ok(());
    }
    let mut history = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO metric_history (run_key, key, timestamp, step, value, is_nan)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(sql_err)?;
    let mut newest: HashMap<&str, &Metric> = HashMap::new();
    let mut blocks = BlockDeltas::default();
    for m in metrics {
        let (value, is_nan) = stored_value(m.value);
        let inserted = history
            .execute(params![run_key, m.key, m.timestamp, m.step, value, is_nan])
            .map_err(sql_err)?;
        if inserted == 1 {
            blocks.add(&m.key, m.timestamp, m.step, m.value);
        }
        match newest.get(m.key.as_str()) {
            Some(prev) if !m.is_newer_than(prev) => {}
            _ => {
                newest.insert(m.key.as_str(), m);
            }
        }
    }
    blocks.flush(conn, run_key)?;
    let mut latest = conn
        .prepare_cached(
            "INSERT INTO latest_metrics (run_key, key, value, timestamp, step, is_nan)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (run_key, key) DO UPDATE SET
                value = excluded.value, timestamp = excluded.timestamp,
                step = excluded.step, is_nan = excluded.is_nan
             WHERE (excluded.step, excluded.timestamp,
                    CASE WHEN excluded.is_nan THEN -1e999 ELSE excluded.value END)
                 > (latest_metrics.step, latest_metrics.timestamp,
                    CASE WHEN latest_metrics.is_nan THEN -1e999 ELSE latest_metrics.value END)",
        )
        .map_err(sql_err)?;
    for m in newest.values() {
        let (value, is_nan) = stored_value(m.value);
        latest
            .execute(params![run_key, m.key, value, m.timestamp, m.step, is_nan])
            .map_err(sql_err)?;
    }
    Ok(())
}

/// The run's integer key; RESOURCE_DOES_NOT_EXIST for unknown runs.
/// The run's integer key, or RESOURCE_DOES_NOT_EXIST.
pub(crate) fn require_run(conn: &Connection, run: &RunId) -> Result<i64> {
    conn.prepare_cached("SELECT run_key FROM runs WHERE run_uuid = ?1")
        .map_err(sql_err)?
        .query_row([run.as_str()], |r| r.get(0))
        .optional()
        .map_err(sql_err)?
        .ok_or_else(|| Error::not_found(format!("Run with id={run} not found")))
}

fn row_to_metric(r: &rusqlite::Row<'_>) -> rusqlite::Result<Metric> {
    let is_nan: bool = r.get(4)?;
    Ok(Metric {
        key: r.get(0)?,
        value: metric_value(r.get(1)?, is_nan),
        timestamp: r.get(2)?,
        step: r.get(3)?,
    })
}

pub(crate) fn history(conn: &Connection, q: &MetricHistoryQuery) -> Result<Page<Metric>> {
    let run_key = require_run(conn, &q.run_id)?;
    let offset = page_token::decode(q.page_token.as_deref())?;
    // LIMIT -1 is SQLite's "no limit".
    // One extra row tells whether another page exists; saturate so that a
    // page size of i64::MAX means "everything" instead of overflowing.
    let limit = q
        .max_results
        .map(|m| i64::try_from(m).unwrap_or(i64::MAX).saturating_add(1))
        .unwrap_or(-1);
    let mut stmt = conn
        .prepare_cached(
            "SELECT key, value, timestamp, step, is_nan FROM metric_history
             WHERE run_key = ?1 AND key = ?2
             ORDER BY timestamp, step, value LIMIT ?3 OFFSET ?4",
        )
        .map_err(sql_err)?;
    let mut items = stmt
        .query_map(params![run_key, q.key, limit, offset as i64], row_to_metric)
        .map_err(sql_err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(sql_err)?;
    let next_page_token = match q.max_results {
        Some(max) if items.len() > max => {
            items.truncate(max);
            Some(page_token::encode(offset + max))
        }
        _ => None,
    };
    Ok(Page {
        items,
        next_page_token,
    })
}

/// Pick at most `max` of the sorted `steps`, evenly spaced, always keeping
/// the first and the last.
pub(crate) fn sample_steps(steps: &[i64], max: usize) -> Vec<i64> {
    if steps.len() <= max {
        return steps.to_vec();
    }
    if max == 1 {
        return vec![steps[0]];
    }
    let n = steps.len() - 1;
    let mut out: Vec<i64> = (0..max)
        .map(|i| steps[(i * n + (max - 1) / 2) / (max - 1)])
        .collect();
    out.dedup();
    out
}

pub(crate) fn bulk_interval(conn: &Connection, q: &BulkIntervalQuery) -> Result<Vec<RunMetric>> {
    let (lo, hi) = q.steps.unwrap_or((i64::MIN, i64::MAX));
    let mut steps_stmt = conn
        .prepare_cached(
            "SELECT DISTINCT step FROM metric_history
             WHERE run_key = ?1 AND key = ?2 AND step BETWEEN ?3 AND ?4
             ORDER BY step",
        )
        .map_err(sql_err)?;
    let mut points_stmt = conn
        .prepare_cached(
            "SELECT key, value, timestamp, step, is_nan FROM metric_history
             WHERE run_key = ?1 AND key = ?2 AND step IN (SELECT value FROM json_each(?3))
             ORDER BY step, timestamp, value",
        )
        .map_err(sql_err)?;
    let mut out = Vec::new();
    for run in &q.run_ids {
        let run_key = require_run(conn, run)?;
        let steps = steps_stmt
            .query_map(params![run_key, q.key, lo, hi], |r| r.get::<_, i64>(0))
            .map_err(sql_err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sql_err)?;
        let chosen = sample_steps(&steps, q.max_results);
        let json = serde_json::to_string(&chosen).unwrap_or_else(|_| "[]".into());
        let points = points_stmt
            .query_map(params![run_key, q.key, json], row_to_metric)
            .map_err(sql_err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(sql_err)?;
        out.extend(points.into_iter().map(|metric| RunMetric {
            run_id: run.clone(),
            metric,
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::sample_steps;

    #[test]
    fn sampling_keeps_ends_and_count() {
        let steps: Vec<i64> = (0..1000).collect();
        let s = sample_steps(&steps, 10);
        assert_eq!(s.len(), 10);
        assert_eq!(s[0], 0);
        assert_eq!(*s.last().unwrap(), 999);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(sample_steps(&steps[..5], 10), vec![0, 1, 2, 3, 4]);
        assert_eq!(sample_steps(&steps, 1), vec![0]);
    }
}
