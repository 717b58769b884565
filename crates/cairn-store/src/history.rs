//! Metric history storage: one `metric_series` row per (run, metric) and
//! write-order `metric_chunks` of packed points (migration 0006).
//!
//! A write appends, per metric, one chunk holding that write's new points,
//! so a 1,000-metric log-batch touches a few contiguous pages at the end of
//! the chunk table (plus one small index entry per metric) instead of one
//! leaf page per metric of a key-major table. A read concatenates a
//! series' chunks in write order and sorts them only if they are not
//! already in history order (timestamp, step, value), the order MLflow
//! returns.
//!
//! Invariants:
//! - each chunk is non-empty and sorted in history order;
//! - a series never stores two identical points (MLflow collapses exact
//!   duplicates of (timestamp, step, value)); `-0.0` is stored as `0.0` and
//!   every NaN as the same NaN, so "identical" means identical bits;
//! - `metric_series.points` counts the stored points and `last_*` is the
//!   greatest stored point in history order: a write whose points all come
//!   after it cannot hold a duplicate and skips the check.

use std::cmp::Ordering;
use std::collections::HashSet;

use cairn_core::{Error, Result, TimestampMs};
use rusqlite::{CachedStatement, Connection, OptionalExtension, params};

use crate::db::sql_err;
use crate::rows::{metric_value, stored_value};

/// First byte of every chunk blob: the record layout below.
const FORMAT_FIXED_24: u8 = 1;
/// Bytes per point in [`FORMAT_FIXED_24`]: timestamp, step, value bits.
const RECORD: usize = 24;
/// Most points per chunk written by the migration from the old layout
/// (a log-batch carries at most 1,000 metrics, so writes stay below too).
const MIGRATION_CHUNK_POINTS: usize = 1024;

/// One history point.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Point {
    pub time: TimestampMs,
    pub step: i64,
    pub value: f64,
}

impl Point {
    /// A point with its value in stored form: `-0.0` becomes `0.0` (SQL
    /// compares them equal, so the old layout collapsed them) and every NaN
    /// the same NaN.
    pub(crate) fn new(time: TimestampMs, step: i64, value: f64) -> Point {
        let value = if value.is_nan() {
            f64::NAN
        } else if value == 0.0 {
            0.0
        } else {
            value
        };
        Point { time, step, value }
    }

    /// History order: timestamp, step, value, with NaN ordered as a value
    /// of 0 just after a real 0 (how SQL ordered the stored `(0, is_nan)`).
    pub(crate) fn history_cmp(&self, other: &Point) -> Ordering {
        (self.time, self.step)
            .cmp(&(other.time, other.step))
            .then_with(|| value_cmp(self.value, other.value))
    }

    /// Equality as duplicate detection sees it (values normalized by `new`).
    fn identity(&self) -> (TimestampMs, i64, u64) {
        (self.time, self.step, self.value.to_bits())
    }
}

/// Values in stored order: numbers by value, NaN as 0 after a real 0.
pub(crate) fn value_cmp(a: f64, b: f64) -> Ordering {
    let (va, na) = stored_value(a);
    let (vb, nb) = stored_value(b);
    va.total_cmp(&vb).then(na.cmp(&nb))
}

/// Pack sorted points into a chunk blob.
fn encode(points: &[Point]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + points.len() * RECORD);
    out.push(FORMAT_FIXED_24);
    for p in points {
        out.extend_from_slice(&p.time.to_le_bytes());
        out.extend_from_slice(&p.step.to_le_bytes());
        out.extend_from_slice(&p.value.to_bits().to_le_bytes());
    }
    out
}

/// Append the points of a chunk blob to `out`.
fn decode_into(blob: &[u8], out: &mut Vec<Point>) -> Result<()> {
    let corrupt = || Error::internal("storage error: malformed metric history chunk");
    let (&format, records) = blob.split_first().ok_or_else(corrupt)?;
    if format != FORMAT_FIXED_24 || records.len() % RECORD != 0 {
        return Err(corrupt());
    }
    let word = |r: &[u8], i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&r[i * 8..i * 8 + 8]);
        b
    };
    out.reserve(records.len() / RECORD);
    out.extend(records.chunks_exact(RECORD).map(|r| Point {
        time: i64::from_le_bytes(word(r, 0)),
        step: i64::from_le_bytes(word(r, 1)),
        value: f64::from_bits(u64::from_le_bytes(word(r, 2))),
    }));
    Ok(())
}

/// A series row as the writer needs it.
struct Series {
    id: i64,
    points: i64,
    last: Option<Point>,
}

/// The id of the (run, metric) series, if it has been written.
pub(crate) fn series_id(conn: &Connection, run_key: i64, key: &str) -> Result<Option<i64>> {
    conn.prepare_cached("SELECT series FROM metric_series WHERE run_key = ?1 AND key = ?2")
        .map_err(sql_err)?
        .query_row(params![run_key, key], |r| r.get(0))
        .optional()
        .map_err(sql_err)
}

/// Every stored point of a series, in write order.
fn stored_points(conn: &Connection, series: i64) -> Result<Vec<Point>> {
    let mut stmt = conn
        .prepare_cached("SELECT data FROM metric_chunks WHERE series = ?1 ORDER BY chunk")
        .map_err(sql_err)?;
    decode_rows(stmt.query([series]).map_err(sql_err)?)
}

/// The stored points of a series in chunks whose time range meets
/// `lo..=hi` (others too, from the same chunks).
fn stored_points_between(
    conn: &Connection,
    series: i64,
    lo: TimestampMs,
    hi: TimestampMs,
) -> Result<Vec<Point>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT data FROM metric_chunks
             WHERE series = ?1 AND max_time >= ?2 AND min_time <= ?3 ORDER BY chunk",
        )
        .map_err(sql_err)?;
    decode_rows(stmt.query(params![series, lo, hi]).map_err(sql_err)?)
}

/// Decode the chunk blobs in column 0 of `rows`.
fn decode_rows(mut rows: rusqlite::Rows<'_>) -> Result<Vec<Point>> {
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(sql_err)? {
        let blob =
            r.get_ref(0).map_err(sql_err)?.as_blob().map_err(|e| {
                Error::internal(format!("storage error: metric history chunk: {e}"))
            })?;
        decode_into(blob, &mut out)?;
    }
    Ok(out)
}

/// One metric's whole history in history order (empty if never written).
pub(crate) fn read(conn: &Connection, run_key: i64, key: &str) -> Result<Vec<Point>> {
    let Some(series) = series_id(conn, run_key, key)? else {
        return Ok(Vec::new());
    };
    let mut points = stored_points(conn, series)?;
    // Chunks are sorted; in-order logging makes their concatenation sorted
    // too, so the common case costs one pass.
    if !points.is_sorted_by(|a, b| a.history_cmp(b) != Ordering::Greater) {
        points.sort_by(Point::history_cmp);
    }
    Ok(points)
}

/// Appends the points of one write to the series of run `run_key`, with
/// its statements prepared once per write rather than once per metric.
pub(crate) struct SeriesWriter<'c> {
    conn: &'c Connection,
    run_key: i64,
    find: CachedStatement<'c>,
    insert_chunk: CachedStatement<'c>,
    update: CachedStatement<'c>,
}

impl<'c> SeriesWriter<'c> {
    pub(crate) fn new(conn: &'c Connection, run_key: i64) -> Result<SeriesWriter<'c>> {
        let prepare = |sql: &str| conn.prepare_cached(sql).map_err(sql_err);
        Ok(SeriesWriter {
            conn,
            run_key,
            find: prepare(
                "SELECT series, points, last_time, last_step, last_value, last_is_nan
                 FROM metric_series WHERE run_key = ?1 AND key = ?2",
            )?,
            insert_chunk: prepare(
                "INSERT INTO metric_chunks (series, min_time, max_time, data)
                 VALUES (?1, ?2, ?3, ?4)",
            )?,
            update: prepare(
                "UPDATE metric_series SET points = ?2, last_time = ?3, last_step = ?4,
                     last_value = ?5, last_is_nan = ?6
                 WHERE series = ?1",
            )?,
        })
    }

    fn series(&mut self, key: &str) -> Result<Series> {
        let found = self
            .find
            .query_row(params![self.run_key, key], |r| {
                let last = match (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?) {
                    (Some(time), Some(step), Some(value), Some(is_nan)) => {
                        Some(Point::new(time, step, metric_value(value, is_nan)))
                    }
                    _ => None,
                };
                Ok(Series {
                    id: r.get(0)?,
                    points: r.get(1)?,
                    last,
                })
            })
            .optional()
            .map_err(sql_err)?;
        if let Some(series) = found {
            return Ok(series);
        }
        // Prepared here, not with the others: most writes find their series.
        let id = self
            .conn
            .prepare_cached(
                "INSERT INTO metric_series (run_key, key, points) VALUES (?1, ?2, 0)
                 RETURNING series",
            )
            .map_err(sql_err)?
            .query_row(params![self.run_key, key], |r| r.get(0))
            .map_err(sql_err)?;
        Ok(Series {
            id,
            points: 0,
            last: None,
        })
    }

    /// Store the new ones among `points` (of metric `key`) as one chunk.
    /// On return `points` holds exactly the points that were stored,
    /// sorted: duplicates within the write and points already in the
    /// history are dropped, so the caller can count what is new.
    pub(crate) fn append(&mut self, key: &str, points: &mut Vec<Point>) -> Result<()> {
        points.sort_by(Point::history_cmp);
        points.dedup_by(|a, b| a.identity() == b.identity());
        let Some(first) = points.first().copied() else {
            return Ok(());
        };
        let series = self.series(key)?;
        if let Some(last) = series.last
            && first.history_cmp(&last) != Ordering::Greater
        {
            // Some points do not come after the stored ones (steps or times
            // logged out of order, or a retried write): drop those already
            // stored. Only chunks meeting the new points' time range matter.
            let (lo, hi) = (first.time, last.time);
            let seen: HashSet<(TimestampMs, i64, u64)> =
                stored_points_between(self.conn, series.id, lo, hi)?
                    .iter()
                    .filter(|p| (lo..=hi).contains(&p.time))
                    .map(Point::identity)
                    .collect();
            points.retain(|p| !seen.contains(&p.identity()));
            if points.is_empty() {
                return Ok(());
            }
        }
        // Sorted by time first, so the ends hold the time range.
        let (min_time, max_time) = (points[0].time, points[points.len() - 1].time);
        self.insert_chunk
            .execute(params![series.id, min_time, max_time, encode(points)])
            .map_err(sql_err)?;
        let newest = points[points.len() - 1];
        let last = match series.last {
            Some(l) if l.history_cmp(&newest) == Ordering::Greater => l,
            _ => newest,
        };
        let (value, is_nan) = stored_value(last.value);
        self.update
            .execute(params![
                series.id,
                series.points + points.len() as i64,
                last.time,
                last.step,
                value,
                is_nan
            ])
            .map_err(sql_err)?;
        Ok(())
    }
}

/// Move the rows of the pre-0006 `metric_history` table (one row per
/// point) into series and chunks, then drop it. Runs inside migration
/// 0006's transaction; streams one series at a time in history order.
pub(crate) fn convert_legacy_history(conn: &Connection) -> Result<()> {
    let exists: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'metric_history'",
            [],
            |r| r.get(0),
        )
        .map_err(sql_err)?;
    if !exists {
        return Ok(());
    }
    let mut select = conn
        .prepare(
            "SELECT run_key, key, timestamp, step, value, is_nan FROM metric_history
             ORDER BY run_key, key, timestamp, step, value, is_nan",
        )
        .map_err(sql_err)?;
    let mut rows = select.query([]).map_err(sql_err)?;
    let mut current: Option<(i64, String)> = None;
    let mut buffer: Vec<Point> = Vec::with_capacity(MIGRATION_CHUNK_POINTS);
    while let Some(r) = rows.next().map_err(sql_err)? {
        let run_key: i64 = r.get(0).map_err(sql_err)?;
        let key = r
            .get_ref(1)
            .map_err(sql_err)?
            .as_str()
            .map_err(|e| Error::internal(format!("storage error: metric key: {e}")))?;
        let is_nan: bool = r.get(5).map_err(sql_err)?;
        let point = Point::new(
            r.get(2).map_err(sql_err)?,
            r.get(3).map_err(sql_err)?,
            metric_value(r.get(4).map_err(sql_err)?, is_nan),
        );
        let same = current
            .as_ref()
            .is_some_and(|(rk, k)| *rk == run_key && k == key);
        if !same || buffer.len() == MIGRATION_CHUNK_POINTS {
            if let Some((rk, k)) = &current {
                SeriesWriter::new(conn, *rk)?.append(k, &mut buffer)?;
            }
            buffer.clear();
            if !same {
                current = Some((run_key, key.to_owned()));
            }
        }
        buffer.push(point);
    }
    if let Some((rk, k)) = &current {
        SeriesWriter::new(conn, *rk)?.append(k, &mut buffer)?;
    }
    drop(rows);
    drop(select);
    conn.execute_batch("DROP TABLE metric_history")
        .map_err(sql_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_round_trip_every_value() {
        let points = [
            Point::new(1, -5, f64::NAN),
            Point::new(2, 0, f64::INFINITY),
            Point::new(3, i64::MAX, f64::NEG_INFINITY),
            Point::new(i64::MIN, 7, -0.0),
            Point::new(-1, 1, f64::MIN_POSITIVE),
        ];
        let mut back = Vec::new();
        decode_into(&encode(&points), &mut back).unwrap();
        assert_eq!(back.len(), points.len());
        for (a, b) in points.iter().zip(&back) {
            assert_eq!(a.identity(), b.identity());
        }
        assert!(back[0].value.is_nan());
        assert_eq!(back[3].value.to_bits(), 0.0f64.to_bits());
    }

    #[test]
    fn malformed_chunks_are_errors_not_panics() {
        let mut out = Vec::new();
        assert!(decode_into(&[], &mut out).is_err());
        assert!(decode_into(&[9; 25], &mut out).is_err());
        assert!(decode_into(&[FORMAT_FIXED_24, 1, 2], &mut out).is_err());
        assert!(out.is_empty());
    }

    #[test]
    fn history_order_puts_nan_after_zero() {
        let p = |v| Point::new(1, 1, v);
        let mut v = [p(1.0), p(f64::NAN), p(0.0), p(-1.0), p(f64::NEG_INFINITY)];
        v.sort_by(Point::history_cmp);
        let got: Vec<String> = v.iter().map(|p| p.value.to_string()).collect();
        assert_eq!(got, ["-inf", "-1", "0", "NaN", "1"]);
        assert_eq!(
            Point::new(1, 2, 0.0).history_cmp(&Point::new(1, 1, 5.0)),
            Ordering::Greater
        );
        assert_eq!(
            Point::new(0, 9, 0.0).history_cmp(&Point::new(1, 1, 5.0)),
            Ordering::Less
        );
    }
}
