//! Reads for the UI: run counts per experiment and child counts per parent
//! run (each one grouped query), a lean whole-history read for charts, and
//! the chart read that prefers the write-time block extremes.

use cairn_core::store::{ChartPoints, ExperimentRunStats};
use cairn_core::{ExperimentId, Result, RunId, TimestampMs, system_tags};
use rusqlite::Connection;

use crate::db::sql_err;

pub(crate) fn experiment_run_stats(
    conn: &Connection,
    ids: &[ExperimentId],
) -> Result<Vec<ExperimentRunStats>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT count(*), max(start_time) FROM runs \
             WHERE experiment_id = ?1 AND lifecycle_stage = 'active'",
        )
        .map_err(sql_err)?;
    ids.iter()
        .map(|&id| {
            let (count, last): (i64, Option<i64>) = stmt
                .query_row([id.0], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(sql_err)?;
            Ok(ExperimentRunStats {
                experiment_id: id,
                active_runs: count as u64,
                last_run_start: last,
            })
        })
        .collect()
}

pub(crate) fn child_run_counts(
    conn: &Connection,
    experiment_id: ExperimentId,
) -> Result<Vec<(String, u64)>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT t.value, count(*) FROM tags t JOIN runs r ON r.run_key = t.run_key \
             WHERE t.key = ?1 AND r.experiment_id = ?2 AND r.lifecycle_stage = 'active' \
             GROUP BY t.value",
        )
        .map_err(sql_err)?;
    let rows = stmt
        .query_map(
            rusqlite::params![system_tags::PARENT_RUN_ID, experiment_id.0],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)),
        )
        .map_err(sql_err)?;
    rows.map(|r| r.map_err(sql_err)).collect()
}

/// Every point of one metric as (timestamp, step, value), in history order.
pub(crate) fn metric_points(
    conn: &Connection,
    run: &RunId,
    key: &str,
) -> Result<Vec<(TimestampMs, i64, f64)>> {
    let run_key = crate::metrics::require_run(conn, run)?;
    Ok(crate::history::read(conn, run_key, key)?
        .into_iter()
        .map(|p| (p.time, p.step, p.value))
        .collect())
}

/// A chart's points: the block extremes when the history spans at least
/// `min_blocks` blocks, else every point (short histories, or steps so
/// sparse that blocks would not thin them out).
pub(crate) fn metric_chart_points(
    conn: &Connection,
    run: &RunId,
    key: &str,
    min_blocks: usize,
) -> Result<ChartPoints> {
    let run_key = crate::metrics::require_run(conn, run)?;
    let summary = crate::metric_blocks::summary(conn, run_key, key)?;
    // Blocks pay off only when they are much fewer than the points.
    if summary.blocks >= min_blocks.max(1) && summary.points >= 4 * summary.blocks as u64 {
        return Ok(ChartPoints {
            total_points: summary.points,
            first_time: summary.first_time,
            points: summary.extremes,
            summarized: true,
        });
    }
    Ok(ChartPoints::whole_history(metric_points(conn, run, key)?))
}
