//! Metric writes (history, block extremes, latest value) and the MLflow
//! history reads (whole or paged, and sampled bulk-interval), over the
//! chunked history of `history`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use cairn_core::store::{BulkIntervalQuery, MetricHistoryQuery, Page};
use cairn_core::{Error, Metric, Result, RunId, RunMetric, page_token};
use rusqlite::{Connection, OptionalExtension, params};

use crate::db::sql_err;
use crate::history::{self, Point};
use crate::metric_blocks::BlockDeltas;
use crate::rows::stored_value;

/// Append metrics to the history (exact duplicates collapse) and advance
/// `latest_metrics` where a new point is newer (step, then timestamp, then value).
/// `run_key` is the run's integer key (`runs.run_key`), which keys both.
/// Each metric's new points become one history chunk (see `history`).
pub(crate) fn insert(conn: &Connection, run_key: i64, metrics: &[Metric]) -> Result<()> {
    if metrics.is_empty() {
        return Ok(());
    }
    let (keys, order, starts) = group_by_key(metrics);
    let mut writer = history::SeriesWriter::new(conn, run_key)?;
    let mut blocks = BlockDeltas::default();
    let mut newest: Vec<&Metric> = Vec::new();
    let mut points: Vec<Point> = Vec::new();
    for (g, &key) in keys.iter().enumerate() {
        let group = &order[starts[g]..starts[g + 1]];
        points.clear();
        points.extend(group.iter().map(|&i| {
            let m = &metrics[i];
            Point::new(m.timestamp, m.step, m.value)
        }));
        // `append` leaves only the points it stored: the block counts must
        // not include duplicates the history ignored.
        writer.append(key, &mut points)?;
        for p in &points {
            blocks.add(key, p.time, p.step, p.value);
        }
        let latest = group
            .iter()
            .map(|&i| &metrics[i])
            .reduce(|best, m| if m.is_newer_than(best) { m } else { best });
        newest.extend(latest);
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
    for m in newest {
        let (value, is_nan) = stored_value(m.value);
        latest
            .execute(params![run_key, m.key, value, m.timestamp, m.step, is_nan])
            .map_err(sql_err)?;
    }
    Ok(())
}

/// A fast hasher for the metric keys of one write. Not DoS-resistant, and
/// need not be: a write holds at most 1,000 metrics, so even keys that all
/// collide cost microseconds. SipHash on every key was ~5 % of a
/// 1,000-metric log-batch, sorting the keys instead ~5 % as well.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Group a write's metrics by key, keeping arrival order inside a group:
/// the distinct keys in first-appearance order, the metric indices ordered
/// by group, and where each group starts in them (one more entry than keys).
fn group_by_key(metrics: &[Metric]) -> (Vec<&str>, Vec<usize>, Vec<usize>) {
    let mut group_of: HashMap<&str, usize, BuildHasherDefault<KeyHasher>> = HashMap::default();
    let mut keys: Vec<&str> = Vec::new();
    let groups: Vec<usize> = metrics
        .iter()
        .map(|m| {
            *group_of.entry(m.key.as_str()).or_insert_with(|| {
                keys.push(m.key.as_str());
                keys.len() - 1
            })
        })
        .collect();
    // A counting sort of the indices by group.
    let mut starts = vec![0usize; keys.len() + 1];
    for &g in &groups {
        starts[g + 1] += 1;
    }
    for g in 0..keys.len() {
        starts[g + 1] += starts[g];
    }
    let mut next = starts.clone();
    let mut order = vec![0usize; metrics.len()];
    for (i, &g) in groups.iter().enumerate() {
        order[next[g]] = i;
        next[g] += 1;
    }
    (keys, order, starts)
}

/// The run's integer key, or RESOURCE_DOES_NOT_EXIST.
pub(crate) fn require_run(conn: &Connection, run: &RunId) -> Result<i64> {
    conn.prepare_cached("SELECT run_key FROM runs WHERE run_uuid = ?1")
        .map_err(sql_err)?
        .query_row([run.as_str()], |r| r.get(0))
        .optional()
        .map_err(sql_err)?
        .ok_or_else(|| Error::not_found(format!("Run with id={run} not found")))
}

/// One page of a metric's history (all of it without `max_results`),
/// ordered by timestamp, step, value; page tokens are offsets.
pub(crate) fn history(conn: &Connection, q: &MetricHistoryQuery) -> Result<Page<Metric>> {
    let run_key = require_run(conn, &q.run_id)?;
    let offset = page_token::decode(q.page_token.as_deref())?;
    let points = history::read(conn, run_key, &q.key)?;
    let rest = points.get(offset..).unwrap_or_default();
    let (page, next_page_token) = match q.max_results {
        Some(max) if rest.len() > max => (&rest[..max], Some(page_token::encode(offset + max))),
        _ => (rest, None),
    };
    let items = page
        .iter()
        .map(|p| Metric {
            key: q.key.clone(),
            value: p.value,
            timestamp: p.time,
            step: p.step,
        })
        .collect();
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

/// For each run, the points of metric `q.key` at up to `q.max_results`
/// evenly spaced distinct steps within `q.steps` (first and last kept),
/// every point of a chosen step included, ordered by step, timestamp, value.
pub(crate) fn bulk_interval(conn: &Connection, q: &BulkIntervalQuery) -> Result<Vec<RunMetric>> {
    let (lo, hi) = q.steps.unwrap_or((i64::MIN, i64::MAX));
    let mut out = Vec::new();
    for run in &q.run_ids {
        let run_key = require_run(conn, run)?;
        let mut points = history::read(conn, run_key, &q.key)?;
        points.retain(|p| (lo..=hi).contains(&p.step));
        points.sort_by(|a, b| {
            (a.step, a.time)
                .cmp(&(b.step, b.time))
                .then_with(|| history::value_cmp(a.value, b.value))
        });
        let mut steps: Vec<i64> = points.iter().map(|p| p.step).collect();
        steps.dedup();
        let chosen = sample_steps(&steps, q.max_results);
        // Both lists are sorted by step: walk them together.
        let mut want = chosen.iter().peekable();
        for p in points {
            while want.next_if(|&&s| s < p.step).is_some() {}
            if want.peek().is_some_and(|&&s| s == p.step) {
                out.push(RunMetric {
                    run_id: run.clone(),
                    metric: Metric {
                        key: q.key.clone(),
                        value: p.value,
                        timestamp: p.time,
                        step: p.step,
                    },
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{Metric, group_by_key, sample_steps};

    #[test]
    fn grouping_keeps_first_appearance_and_arrival_order() {
        let ms: Vec<Metric> = ["b", "a", "b", "c", "a", "b"]
            .iter()
            .enumerate()
            .map(|(i, k)| Metric::new(*k, i as f64, 0, 0))
            .collect();
        let (keys, order, starts) = group_by_key(&ms);
        assert_eq!(keys, ["b", "a", "c"]);
        assert_eq!(starts, [0, 3, 5, 6]);
        assert_eq!(order, [0, 2, 5, 1, 4, 3]);
        let (keys, order, starts) = group_by_key(&[]);
        assert!(keys.is_empty() && order.is_empty());
        assert_eq!(starts, [0]);
    }

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
