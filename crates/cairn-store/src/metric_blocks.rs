//! Per-block extremes of metric histories (table `metric_blocks`,
//! migration 0004), so a chart of a long metric reads one row per block
//! instead of every point.
//!
//! A block is 256 consecutive steps of one (run, metric) history. For each
//! block the table keeps the point count, the earliest timestamp and the
//! points (value, step, timestamp) holding the smallest and the largest
//! finite value. Writes fold the points they actually inserted into these
//! rows ([`BlockDeltas`]: aggregated in memory, then one upsert per touched
//! block). Min and max are order-independent, so the rows equal a fresh
//! recomputation from the history whatever order points arrive in.
//! History rows only disappear with their run, and the blocks cascade with it.

use cairn_core::{Result, TimestampMs};
use rusqlite::{Connection, params};

use crate::db::sql_err;

/// log2 of the steps per block.
pub(crate) const BLOCK_SHIFT: u32 = 8;

/// One history point: (timestamp, step, value).
pub(crate) type HistoryPoint = (TimestampMs, i64, f64);

#[derive(Debug, Clone, Copy)]
struct Extreme {
    value: f64,
    step: i64,
    time: TimestampMs,
}

#[derive(Debug, Clone, Copy)]
struct Delta {
    points: i64,
    first_time: TimestampMs,
    lo: Option<Extreme>,
    hi: Option<Extreme>,
}

/// Block updates of one write, one entry per (metric key, block). A Vec,
/// not a map: writes feed each metric's points together, so the entry to
/// update is found among the last few. Points fed in any other order
/// still come out right, as several entries for one block simply upsert
/// in turn.
#[derive(Debug, Default)]
pub(crate) struct BlockDeltas<'a> {
    blocks: Vec<((&'a str, i64), Delta)>,
}

impl<'a> BlockDeltas<'a> {
    /// Count one newly inserted history point (not one the history ignored
    /// as an exact duplicate: counts would drift).
    pub(crate) fn add(&mut self, key: &'a str, timestamp: TimestampMs, step: i64, value: f64) {
        let finite = value.is_finite().then_some(Extreme {
            value,
            step,
            time: timestamp,
        });
        let block = step >> BLOCK_SHIFT;
        // Search this metric's entries, the trailing run of `key`.
        let found = self
            .blocks
            .iter()
            .rev()
            .take_while(|((k, _), _)| *k == key)
            .position(|((_, b), _)| *b == block);
        let d = match found {
            Some(from_end) => {
                let i = self.blocks.len() - 1 - from_end;
                &mut self.blocks[i].1
            }
            None => {
                self.blocks.push((
                    (key, block),
                    Delta {
                        points: 0,
                        first_time: timestamp,
                        lo: None,
                        hi: None,
                    },
                ));
                let last = self.blocks.len() - 1;
                &mut self.blocks[last].1
            }
        };
        d.points += 1;
        d.first_time = d.first_time.min(timestamp);
        if let Some(e) = finite {
            if d.lo.is_none_or(|lo| e.value < lo.value) {
                d.lo = Some(e);
            }
            if d.hi.is_none_or(|hi| e.value > hi.value) {
                d.hi = Some(e);
            }
        }
    }

    /// Merge the collected updates into `metric_blocks` for run `run_key`.
    pub(crate) fn flush(self, conn: &Connection, run_key: i64) -> Result<()> {
        if self.blocks.is_empty() {
            return Ok(());
        }
        // In an UPDATE every right-hand side reads the row's old values, so
        // the lo_*/hi_* columns move together.
        let mut upsert = conn
            .prepare_cached(
                "INSERT INTO metric_blocks (run_key, key, block, points, first_time,
                     lo_value, lo_step, lo_time, hi_value, hi_step, hi_time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (run_key, key, block) DO UPDATE SET
                     points = points + excluded.points,
                     first_time = min(first_time, excluded.first_time),
                     lo_value = CASE WHEN excluded.lo_value < coalesce(lo_value, 9e999)
                                     THEN excluded.lo_value ELSE lo_value END,
                     lo_step  = CASE WHEN excluded.lo_value < coalesce(lo_value, 9e999)
                                     THEN excluded.lo_step ELSE lo_step END,
                     lo_time  = CASE WHEN excluded.lo_value < coalesce(lo_value, 9e999)
                                     THEN excluded.lo_time ELSE lo_time END,
                     hi_value = CASE WHEN excluded.hi_value > coalesce(hi_value, -9e999)
                                     THEN excluded.hi_value ELSE hi_value END,
                     hi_step  = CASE WHEN excluded.hi_value > coalesce(hi_value, -9e999)
                                     THEN excluded.hi_step ELSE hi_step END,
                     hi_time  = CASE WHEN excluded.hi_value > coalesce(hi_value, -9e999)
                                     THEN excluded.hi_time ELSE hi_time END",
            )
            .map_err(sql_err)?;
        for ((key, block), d) in self.blocks {
            upsert
                .execute(params![
                    run_key,
                    key,
                    block,
                    d.points,
                    d.first_time,
                    d.lo.map(|e| e.value),
                    d.lo.map(|e| e.step),
                    d.lo.map(|e| e.time),
                    d.hi.map(|e| e.value),
                    d.hi.map(|e| e.step),
                    d.hi.map(|e| e.time),
                ])
                .map_err(sql_err)?;
        }
        Ok(())
    }
}

/// The block summary of one (run, metric) history.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Summary {
    /// Non-empty blocks.
    pub blocks: usize,
    /// History points (all values, NaN included).
    pub points: u64,
    /// Earliest timestamp of the history.
    pub first_time: Option<TimestampMs>,
    /// Each block's min then max point in step order (one point when they
    /// coincide), blocks in step order. Only finite values.
    pub extremes: Vec<HistoryPoint>,
}

/// Read the block summary of metric `key` of run `run_key`.
pub(crate) fn summary(conn: &Connection, run_key: i64, key: &str) -> Result<Summary> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT points, first_time, lo_value, lo_step, lo_time, hi_value, hi_step, hi_time
             FROM metric_blocks WHERE run_key = ?1 AND key = ?2 ORDER BY block",
        )
        .map_err(sql_err)?;
    let mut rows = stmt.query(params![run_key, key]).map_err(sql_err)?;
    let mut out = Summary::default();
    while let Some(r) = rows.next().map_err(sql_err)? {
        out.blocks += 1;
        out.points += r.get::<_, i64>(0).map_err(sql_err)? as u64;
        let first: TimestampMs = r.get(1).map_err(sql_err)?;
        out.first_time = Some(out.first_time.map_or(first, |t| t.min(first)));
        let extreme = |i: usize| -> Result<Option<HistoryPoint>> {
            let v: Option<f64> = r.get(i).map_err(sql_err)?;
            let s: Option<i64> = r.get(i + 1).map_err(sql_err)?;
            let t: Option<i64> = r.get(i + 2).map_err(sql_err)?;
            Ok(match (v, s, t) {
                (Some(v), Some(s), Some(t)) => Some((t, s, v)),
                _ => None,
            })
        };
        match (extreme(2)?, extreme(5)?) {
            (Some(lo), Some(hi)) if (lo.1, lo.0) == (hi.1, hi.0) && lo.2 == hi.2 => {
                out.extremes.push(lo)
            }
            (Some(lo), Some(hi)) => {
                let (a, b) = if (lo.1, lo.0) <= (hi.1, hi.0) {
                    (lo, hi)
                } else {
                    (hi, lo)
                };
                out.extremes.push(a);
                out.extremes.push(b);
            }
            (one, other) => out.extremes.extend(one.or(other)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE runs (run_key INTEGER PRIMARY KEY);
             INSERT INTO runs VALUES (1), (2);
             CREATE TABLE metric_history (
                run_key INTEGER NOT NULL, key TEXT NOT NULL, timestamp INTEGER NOT NULL,
                step INTEGER NOT NULL, value REAL NOT NULL, is_nan INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (run_key, key, timestamp, step, value, is_nan)) WITHOUT ROWID;",
        )
        .unwrap();
        conn.execute_batch(include_str!("../migrations/0004_metric_blocks.sql"))
            .unwrap();
        conn
    }

    /// Insert like the writer does: history first, blocks for what was new.
    fn write(conn: &Connection, run_key: i64, key: &str, points: &[HistoryPoint]) {
        let mut deltas = BlockDeltas::default();
        for &(t, s, v) in points {
            let (stored, nan) = if v.is_nan() { (0.0, true) } else { (v, false) };
            let n = conn
                .execute(
                    "INSERT OR IGNORE INTO metric_history VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![run_key, key, t, s, stored, nan],
                )
                .unwrap();
            if n == 1 {
                deltas.add(key, t, s, v);
            }
        }
        deltas.flush(conn, run_key).unwrap();
    }

    /// The summary recomputed from scratch by the migration's backfill.
    fn rebuilt(conn: &Connection, run_key: i64, key: &str) -> Summary {
        conn.execute_batch(
            "CREATE TEMP TABLE saved AS SELECT * FROM metric_blocks; DELETE FROM metric_blocks;",
        )
        .unwrap();
        conn.execute_batch(include_str!("../migrations/0004_metric_blocks.sql"))
            .unwrap();
        let s = summary(conn, run_key, key).unwrap();
        conn.execute_batch(
            "DELETE FROM metric_blocks; INSERT INTO metric_blocks SELECT * FROM saved; DROP TABLE saved;",
        )
        .unwrap();
        s
    }

    fn values(s: &Summary) -> Vec<(i64, f64)> {
        s.extremes.iter().map(|p| (p.1, p.2)).collect()
    }

    #[test]
    fn incremental_blocks_equal_a_fresh_recomputation() {
        let conn = db();
        // Out-of-order batches, exact duplicates, NaN, infinities, negative
        // steps and a second metric and run that must not leak in.
        let mut pts: Vec<HistoryPoint> = (0..2000)
            .map(|i| (1000 + i, i, ((i * 37) % 101) as f64))
            .collect();
        pts[777].2 = 1e6; // a spike
        pts[1500].2 = -5.0;
        pts.push((5, -3, 2.5));
        pts.push((6, 10, f64::NAN));
        pts.push((7, 11, f64::INFINITY));
        pts.push((8, 12, f64::NEG_INFINITY));
        let (a, b) = pts.split_at(900);
        write(&conn, 1, "m", b);
        write(&conn, 1, "m", a);
        write(&conn, 1, "m", &a[..300]); // duplicates: ignored
        write(&conn, 1, "other", &[(1, 1, 9e9)]);
        write(&conn, 2, "m", &[(1, 1, -9e9)]);

        let got = summary(&conn, 1, "m").unwrap();
        let want = rebuilt(&conn, 1, "m");
        assert_eq!(got.points, 2004);
        assert_eq!(got.points, want.points);
        assert_eq!(got.blocks, 9); // steps -3..1999: blocks -1..7
        assert_eq!(got.blocks, want.blocks);
        assert_eq!(got.first_time, Some(5));
        assert_eq!(want.first_time, Some(5));
        // Values per block agree (ties may pick different steps).
        let vals = |s: &Summary| s.extremes.iter().map(|p| p.2).collect::<Vec<_>>();
        let mut g = vals(&got);
        let mut w = vals(&want);
        g.sort_by(f64::total_cmp);
        w.sort_by(f64::total_cmp);
        assert_eq!(g, w);
        assert!(values(&got).contains(&(777, 1e6)));
        assert!(values(&got).contains(&(1500, -5.0)));
        assert!(got.extremes.iter().all(|p| p.2.is_finite()));
        // Every extreme is a real history point.
        for &(t, s, v) in &got.extremes {
            assert!(pts.contains(&(t, s, v)), "{t} {s} {v} not in the history");
        }
        // Within the whole summary, points run in step order.
        assert!(got.extremes.is_sorted_by_key(|p| p.1));
    }

    #[test]
    fn a_block_of_only_non_finite_values_counts_but_draws_nothing() {
        let conn = db();
        write(&conn, 1, "m", &[(1, 0, f64::NAN), (2, 1, f64::INFINITY)]);
        let s = summary(&conn, 1, "m").unwrap();
        assert_eq!((s.blocks, s.points), (1, 2));
        assert!(s.extremes.is_empty());
        write(&conn, 1, "m", &[(3, 2, 4.0)]);
        let s = summary(&conn, 1, "m").unwrap();
        assert_eq!(s.extremes, vec![(3, 2, 4.0)]);
        assert_eq!(s.points, 3);
    }

    #[test]
    fn an_unknown_history_has_an_empty_summary() {
        let conn = db();
        assert_eq!(summary(&conn, 1, "nope").unwrap(), Summary::default());
    }
}
