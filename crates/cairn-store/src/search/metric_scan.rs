//! Run searches ordered by a metric, read in order from the metric's index.
//!
//! The generic query (`run_query`) finds every matching run, joins the order
//! metric and sorts them all before it can return a page: at 10,000 runs the
//! benchmark search sorted 2,500 candidates for a 1,000-run page. When the
//! order is one metric followed only by `start_time` / `run_id` (MLflow's
//! tiebreak, always appended), the `(key, value, run_key)` index of
//! `latest_metrics` already lists the runs in that order. This walks it from
//! the right end, tests each entry's run against the filter, and stops as
//! soon as the page (and the tie group at its end) is complete.
//!
//! MLflow's order puts runs with a value first, then runs whose value is NaN
//! (stored as 0 with `is_nan`), then runs without the metric, whatever the
//! direction, so the page is read from three segments in turn:
//!
//! 1. values: the index walk. Equal values are ordered by the remaining
//!    clauses here in Rust (ties are rare; each group is complete because
//!    the walk only stops at a different value);
//! 2. NaN: the index range `value = 0` with the flag set, sorted in SQL;
//! 3. missing: runs with no row for the key, sorted in SQL.
//!
//! Offsets count across segments, so each segment is stepped from its start
//! and the rows before the offset are skipped.
//!
//! **Budget.** The walk ends after `offset + limit` matches, so its cost
//! grows as the filter's pass rate falls (and as other experiments' runs
//! share the metric key). It gives up once it has visited [`WALK_FACTOR`]
//! entries per wanted row (or per row found, when a long tie group runs past
//! the page) plus [`MIN_WALK`], and the caller runs the generic query: a selective filter
//! wastes at most the cost of testing that many candidates.

use cairn_core::Result;
use cairn_core::search::{OrderClause, RunAttribute, RunOrderKey};
use cairn_core::store::RunSearch;
use rusqlite::{Connection, params_from_iter};

use super::{
    Builder, Dialect, Query, db_error, direction, order_terms, run_filter, run_scope, split_filter,
};

/// Index entries walked per wanted row before the walk gives up: it
/// succeeds while at least one entry in this many passes the filter. The
/// benchmark's filter passes one in four.
const WALK_FACTOR: usize = 8;

/// Entries any walk may visit: small pages get a budget worth having
/// (visiting 1,000 entries costs about a millisecond).
const MIN_WALK: usize = 1024;

/// Pages reaching further than this many rows into the order use the generic
/// query (the walk would hold every row up to the page in memory).
const MAX_WANTED: usize = 100_000;

/// The metric order of a search this module can serve: the metric key, its
/// direction, and the tiebreak clauses that follow it.
pub(super) struct MetricOrder {
    key: String,
    ascending: bool,
    tiebreak: Vec<OrderClause<RunOrderKey>>,
}

impl MetricOrder {
    pub(super) fn of(q: &RunSearch) -> Option<MetricOrder> {
        let mut clauses = q.order.effective_clauses();
        if clauses.is_empty() {
            return None;
        }
        let first = clauses.remove(0);
        let RunOrderKey::Metric(key) = first.key else {
            return None;
        };
        let tiebreak_only = clauses.iter().all(|c| {
            matches!(
                c.key,
                RunOrderKey::Attribute(RunAttribute::StartTime | RunAttribute::RunId)
            )
        });
        tiebreak_only.then_some(MetricOrder {
            key,
            ascending: first.ascending,
            tiebreak: clauses,
        })
    }
}

/// One page of the search's rowids if its order is a metric order and the
/// walk stays within its budget; `None` means: use the generic query.
pub(super) fn page(
    conn: &Connection,
    q: &RunSearch,
    offset: usize,
    limit: usize,
) -> Result<Option<Vec<i64>>> {
    let Some(order) = MetricOrder::of(q) else {
        return Ok(None);
    };
    let Some(wanted) = offset.checked_add(limit).filter(|&w| w <= MAX_WANTED) else {
        return Ok(None);
    };
    let Some(mut values) = walk_values(conn, q, &order, wanted)? else {
        return Ok(None);
    };
    let complete = values.len() < wanted;
    break_ties(conn, &order, &mut values)?;
    let mut page = Page {
        skip: offset,
        want: limit,
        rows: Vec::with_capacity(limit.min(values.len())),
    };
    for &(_, rowid) in &values {
        if !page.push(rowid) {
            break;
        }
    }
    // Only a walk that reached the end of the index can leave room.
    if complete && page.want > 0 {
        for nan in [true, false] {
            page.fill(conn, &tail_query(q, &order, nan)?)?;
        }
    }
    Ok(Some(page.rows))
}

/// The page being filled from consecutive segments.
struct Page {
    /// Rows of the order still to skip (the offset).
    skip: usize,
    /// Rows still wanted.
    want: usize,
    rows: Vec<i64>,
}

impl Page {
    /// Take the next row of the order; false once the page is full.
    fn push(&mut self, rowid: i64) -> bool {
        if self.want == 0 {
            return false;
        }
        if self.skip > 0 {
            self.skip -= 1;
        } else {
            self.rows.push(rowid);
            self.want -= 1;
        }
        self.want > 0
    }

    /// Take rows from a query that returns rowids in order, until full.
    fn fill(&mut self, conn: &Connection, query: &Query) -> Result<()> {
        if self.want == 0 {
            return Ok(());
        }
        let mut stmt = conn.prepare_cached(&query.sql).map_err(db_error)?;
        let mut rows = stmt
            .query(params_from_iter(query.binds.iter()))
            .map_err(db_error)?;
        while let Some(r) = rows.next().map_err(db_error)? {
            if !self.push(r.get(0).map_err(db_error)?) {
                break;
            }
        }
        Ok(())
    }
}

/// Segment 1: `(value, rowid)` of the matching runs with a (non-NaN) value,
/// in index order, up to `wanted` rows plus the rest of the last tie group
/// (fewer only if the index ran out). `None` if the walk ran over budget.
fn walk_values(
    conn: &Connection,
    q: &RunSearch,
    order: &MetricOrder,
    wanted: usize,
) -> Result<Option<Vec<(f64, i64)>>> {
    let query = walk_query(q, order)?;
    let mut stmt = conn.prepare_cached(&query.sql).map_err(db_error)?;
    let mut rows = stmt
        .query(params_from_iter(query.binds.iter()))
        .map_err(db_error)?;
    let mut found: Vec<(f64, i64)> = Vec::with_capacity(wanted.min(4096));
    let mut walked = 0usize;
    while let Some(r) = rows.next().map_err(db_error)? {
        walked += 1;
        // Finishing a long tie group past `wanted` is not a failure of the
        // filter, so the budget grows with what was found.
        if walked > WALK_FACTOR.saturating_mul(wanted.max(found.len()) + 1) + MIN_WALK {
            return Ok(None);
        }
        let value: f64 = r.get(0).map_err(db_error)?;
        if found.len() >= wanted && found.last().is_some_and(|&(last, _)| last != value) {
            // The index is in value order: no later entry ties the last row.
            break;
        }
        if let Some(rowid) = r.get::<_, Option<i64>>(1).map_err(db_error)? {
            found.push((value, rowid));
        }
    }
    Ok(Some(found))
}

/// Every index entry of the order key with a value, in order, with the
/// run's rowid when the run matches the search (else NULL). The filter is
/// a column rather than a `WHERE` so the walk can count what it visits;
/// the top-level clauses are probed first (on the entry's `run_key`), and
/// the run row is only read for entries that pass them.
pub(super) fn walk_query(q: &RunSearch, order: &MetricOrder) -> Result<Query> {
    let mut b = Builder::new(Dialect::Sqlite);
    let key = b.text(&order.key);
    let (clauses, rest) = split_filter(q);
    let guard = b.join(&clauses, "AND", &mut |b, c| b.exists_on(c, "o.run_key"))?;
    let mut scope = run_scope(&mut b, q);
    for e in rest {
        let filter = b.expr(e, &mut |b, c| b.run_comparison(c))?;
        scope.push_str(&format!(" AND {filter}"));
    }
    // NaN is stored as 0 with the flag, so only a 0 needs the flag. The
    // index does not carry it: naming `o.is_nan` would read the table row
    // of every entry walked, so a 0 looks it up in a probe of its own.
    let sql = format!(
        "SELECT o.value, CASE WHEN {guard} THEN \
         (SELECT r.rowid FROM runs r WHERE r.run_key = o.run_key AND {scope}) END \
         FROM latest_metrics o WHERE o.key = {key} AND (o.value <> 0 OR NOT EXISTS \
         (SELECT 1 FROM latest_metrics z WHERE z.run_key = o.run_key AND z.key = o.key \
         AND z.is_nan = 1)) ORDER BY o.value {}",
        direction(order.ascending)
    );
    b.finish(sql)
}

/// Order each group of equal values by the tiebreak clauses.
fn break_ties(conn: &Connection, order: &MetricOrder, values: &mut [(f64, i64)]) -> Result<()> {
    let mut stmt = conn
        .prepare_cached("SELECT start_time, run_uuid FROM runs WHERE rowid = ?1")
        .map_err(db_error)?;
    let mut start = 0;
    while start < values.len() {
        let value = values[start].0;
        let end = start
            + values[start..]
                .iter()
                .take_while(|&&(v, _)| v == value)
                .count();
        if end - start > 1 {
            let mut group = Vec::with_capacity(end - start);
            for &(v, rowid) in &values[start..end] {
                let (start_time, run_uuid): (i64, String) = stmt
                    .query_row([rowid], |r| Ok((r.get(0)?, r.get(1)?)))
                    .map_err(db_error)?;
                group.push((start_time, run_uuid, v, rowid));
            }
            group.sort_by(|a, b| {
                order
                    .tiebreak
                    .iter()
                    .map(|c| {
                        let o = match c.key {
                            RunOrderKey::Attribute(RunAttribute::StartTime) => a.0.cmp(&b.0),
                            _ => a.1.cmp(&b.1),
                        };
                        if c.ascending { o } else { o.reverse() }
                    })
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            for (slot, (_, _, v, rowid)) in values[start..end].iter_mut().zip(group) {
                *slot = (v, rowid);
            }
        }
        start = end;
    }
    Ok(())
}

/// Segment 2 (`nan`: runs whose value is NaN, from the index range of the
/// stored 0) or 3 (runs without the metric), in tiebreak order.
fn tail_query(q: &RunSearch, order: &MetricOrder, nan: bool) -> Result<Query> {
    let mut b = Builder::new(Dialect::Sqlite);
    let (_, terms) = order_terms(&mut b, &order.tiebreak);
    let (filter_joins, cond) = run_filter(&mut b, q)?;
    let key = b.text(&order.key);
    let sql = if nan {
        format!(
            "SELECT r.rowid FROM latest_metrics n CROSS JOIN runs r{filter_joins} \
             WHERE n.key = {key} AND n.value = 0 AND n.is_nan = 1 AND r.run_key = n.run_key \
             AND {cond} ORDER BY {}",
            terms.join(", ")
        )
    } else {
        format!(
            "SELECT r.rowid FROM runs r{filter_joins} WHERE {cond} AND NOT EXISTS \
             (SELECT 1 FROM latest_metrics n WHERE n.run_key = r.run_key AND n.key = {key}) \
             ORDER BY {}",
            terms.join(", ")
        )
    };
    b.finish(sql)
}
