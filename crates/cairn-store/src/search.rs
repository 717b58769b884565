//! Run, experiment and model-registry search compiled to SQL.
//!
//! A parsed [`RunFilter`]/[`RunOrder`] becomes one `SELECT rowid ...`
//! that the database evaluates with its indexes, never by loading runs:
//!
//! - top-level `AND` clauses on a metric, param or tag (and `run_name`, which
//!   reads the `mlflow.runName` tag) are inner joins on the `(run_key, key)`
//!   primary key of `latest_metrics`, `params` or `tags`; the key is unique
//!   per run, so rows never multiply, and the planner may start from the
//!   most selective `(key, value, run_key)` index;
//! - everything else (clauses under `OR`, `IS NULL`, datasets) is a
//!   correlated `EXISTS` probe on the same primary keys;
//! - runs are restricted by experiment and lifecycle stage, and every order
//!   key is one `LEFT JOIN` probe;
//! - values are always bound, never interpolated.
//!
//! A search ordered by one metric is served by walking that metric's index
//! in order instead (see `metric_scan`), falling back to this query.
//!
//! The generator is dialect-aware ([`Dialect`]) so a PostgreSQL store can
//! reuse it; only SQLite is executed today. Semantics follow the reference
//! evaluator in `cairn_core::search` (`RunFilter::matches`,
//! `RunOrder::compare`), which the tests check against.
//!
//! [`RunFilter`]: cairn_core::search::RunFilter
//! [`RunOrder`]: cairn_core::search::RunOrder

use cairn_core::search::{
    Comparison, Condition, DatasetField, ExperimentAttribute, ExperimentOperand, Expr, NumberOp,
    Operand, OrderClause, RunAttribute, RunOrderKey, TextOp,
};
use cairn_core::store::{ExperimentSearch, RunSearch};
use cairn_core::system_tags;
use cairn_core::{Error, Result, ViewType};

/// Most host parameters one statement may bind (SQLite's default limit).
const MAX_BINDS: usize = 32_766;

/// SQL dialects the generator knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite 3.35+ (bundled by rusqlite).
    Sqlite,
    /// PostgreSQL 12+; generated (and its SQL text tested) for the
    /// PostgreSQL store that comes next, not executed yet.
    #[cfg_attr(not(test), allow(dead_code))]
    Postgres,
}

impl Dialect {
    /// The placeholder of the `n`-th (1-based) bound value.
    fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }

    /// `col` matches the MLflow `LIKE`/`ILIKE` pattern bound at `ph` (after
    /// [`Dialect::like_pattern`]). MLflow patterns have no escape character.
    fn like(self, col: &str, ph: &str, case_insensitive: bool) -> String {
        match (self, case_insensitive) {
            // GLOB is SQLite's case-sensitive LIKE; it works whatever
            // `PRAGMA case_sensitive_like` says and can use an index prefix.
            (Dialect::Sqlite, false) => format!("{col} GLOB {ph}"),
            // lower() and LIKE fold the same (ASCII) letters; lowering both
            // sides keeps ILIKE correct even if case_sensitive_like is on.
            (Dialect::Sqlite, true) => format!("lower({col}) LIKE lower({ph})"),
            (Dialect::Postgres, false) => format!("{col} LIKE {ph} ESCAPE ''"),
            (Dialect::Postgres, true) => format!("{col} ILIKE {ph} ESCAPE ''"),
        }
    }

    /// The bound form of a `LIKE`/`ILIKE` pattern.
    fn like_pattern(self, pattern: &str, case_insensitive: bool) -> String {
        if self != Dialect::Sqlite || case_insensitive {
            return pattern.to_owned();
        }
        let mut glob = String::with_capacity(pattern.len() + 8);
        for c in pattern.chars() {
            match c {
                '%' => glob.push('*'),
                '_' => glob.push('?'),
                '*' => glob.push_str("[*]"),
                '?' => glob.push_str("[?]"),
                '[' => glob.push_str("[[]"),
                c => glob.push(c),
            }
        }
        glob
    }

    /// The column a run search returns: what the store loads the page's
    /// runs by. SQLite's rowid reaches the row in one B-tree search (the
    /// `run_key` or `run_uuid` index would add one); PostgreSQL has no
    /// stable row address, so it gets the run's key.
    fn run_locator(self) -> &'static str {
        match self {
            Dialect::Sqlite => "r.rowid",
            Dialect::Postgres => "r.run_key",
        }
    }

    /// Collation that orders text by code point, like Rust's `str::cmp`.
    fn text_order(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " COLLATE \"C\"",
        }
    }
}

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    Text(String),
    Real(f64),
    Int(i64),
}

impl rusqlite::ToSql for Bind {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Bind::Text(s) => s.to_sql(),
            Bind::Real(v) => v.to_sql(),
            Bind::Int(v) => v.to_sql(),
        }
    }
}

/// Generated SQL and its bound values, in placeholder order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Query {
    pub(crate) sql: String,
    pub(crate) binds: Vec<Bind>,
}

struct Builder {
    dialect: Dialect,
    binds: Vec<Bind>,
}

impl Builder {
    fn new(dialect: Dialect) -> Builder {
        Builder {
            dialect,
            binds: Vec::new(),
        }
    }

    /// Bind a value; returns its placeholder.
    fn bind(&mut self, b: Bind) -> String {
        self.binds.push(b);
        self.dialect.placeholder(self.binds.len())
    }

    fn text(&mut self, s: &str) -> String {
        self.bind(Bind::Text(s.to_owned()))
    }

    fn finish(self, sql: String) -> Result<Query> {
        if self.binds.len() > MAX_BINDS {
            return Err(Error::invalid(format!(
                "Search is too large: it needs {} bound values, at most {MAX_BINDS} are supported",
                self.binds.len()
            )));
        }
        Ok(Query {
            sql,
            binds: self.binds,
        })
    }

    /// `items` joined with `op` as a balanced tree, so long AND/OR lists do
    /// not hit the database's expression depth limit.
    fn join<T>(
        &mut self,
        items: &[T],
        op: &str,
        f: &mut impl FnMut(&mut Builder, &T) -> Result<String>,
    ) -> Result<String> {
        match items {
            [] => Ok(if op == "AND" { "1 = 1" } else { "1 = 0" }.to_owned()),
            [one] => f(self, one),
            _ => {
                let (left, right) = items.split_at(items.len() / 2);
                let l = self.join(left, op, f)?;
                let r = self.join(right, op, f)?;
                Ok(format!("({l} {op} {r})"))
            }
        }
    }

    fn expr<O>(
        &mut self,
        e: &Expr<O>,
        leaf: &mut impl FnMut(&mut Builder, &Comparison<O>) -> Result<String>,
    ) -> Result<String> {
        match e {
            Expr::And(items) => self.join(items, "AND", &mut |b, e| b.expr(e, leaf)),
            Expr::Or(items) => self.join(items, "OR", &mut |b, e| b.expr(e, leaf)),
            Expr::Compare(c) => leaf(self, c),
        }
    }

    /// A numeric condition on `col`; `is_nan` names the NaN flag column of
    /// metrics. NaN is stored as 0 with the flag set, so the flag is only
    /// tested when 0 itself would pass; that keeps `(key, value, run_key)`
    /// a covering index for most ranges.
    fn number(&mut self, col: &str, is_nan: Option<&str>, cond: &Condition) -> Result<String> {
        let Condition::Number { op, value } = cond else {
            return Err(mismatch(cond, "a number"));
        };
        let v = *value;
        let ph = self.bind(Bind::Real(v));
        let cmp = format!("{col} {} {ph}", op.sql());
        let zero_passes = match op {
            NumberOp::Eq | NumberOp::Ne => v == 0.0,
            NumberOp::Lt => 0.0 < v,
            NumberOp::Le => 0.0 <= v,
            NumberOp::Gt => 0.0 > v,
            NumberOp::Ge => 0.0 >= v,
        };
        Ok(match (is_nan, op) {
            (Some(nan), NumberOp::Ne) if zero_passes => format!("({nan} = 1 OR {cmp})"),
            (Some(nan), _) if zero_passes => format!("{nan} = 0 AND {cmp}"),
            // NaN differs from everything and satisfies nothing else.
            _ => cmp,
        })
    }

    /// A string condition on `col` (`IS NULL` forms are handled by callers).
    fn text_cond(&mut self, col: &str, cond: &Condition) -> Result<String> {
        match cond {
            Condition::Text { op, value } => Ok(match op {
                TextOp::Eq => format!("{col} = {}", self.text(value)),
                TextOp::Ne => format!("{col} <> {}", self.text(value)),
                TextOp::Like | TextOp::ILike => {
                    let ci = *op == TextOp::ILike;
                    let ph = self.text(&self.dialect.like_pattern(value, ci));
                    self.dialect.like(col, &ph, ci)
                }
            }),
            Condition::InList { negated, values } => {
                let phs: Vec<String> = values.iter().map(|v| self.text(v)).collect();
                Ok(format!(
                    "{col} {}IN ({})",
                    if *negated { "NOT " } else { "" },
                    phs.join(", ")
                ))
            }
            Condition::Number { .. } | Condition::Null { .. } => Err(mismatch(cond, "a string")),
        }
    }

    /// A clause on a key/value child table of the row aliased `owner`.
    fn key_value(
        &mut self,
        table: &str,
        fk: &str,
        owner: &str,
        key: &str,
        cond: &Condition,
    ) -> Result<String> {
        let probe = format!(
            "SELECT 1 FROM {table} kv WHERE kv.{fk} = {owner}.{fk} AND kv.key = {}",
            self.text(key)
        );
        Ok(match cond {
            Condition::Null { negated: false } => format!("NOT EXISTS ({probe})"),
            Condition::Null { negated: true } => format!("EXISTS ({probe})"),
            _ => format!("EXISTS ({probe} AND {})", self.text_cond("kv.value", cond)?),
        })
    }

    fn run_comparison(&mut self, c: &Comparison<Operand>) -> Result<String> {
        let cond = &c.condition;
        match &c.operand {
            Operand::Metric(key) => {
                let k = self.text(key);
                let test = self.number("m.value", Some("m.is_nan"), cond)?;
                Ok(format!(
                    "EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_key = r.run_key AND m.key = {k} AND {test})"
                ))
            }
            Operand::Param(key) => self.key_value("params", "run_key", "r", key, cond),
            Operand::Tag(key) => self.key_value("tags", "run_key", "r", key, cond),
            Operand::Attribute(a) => match a {
                RunAttribute::RunId => self.text_cond("r.run_uuid", cond),
                RunAttribute::Status => self.text_cond("r.status", cond),
                RunAttribute::UserId => self.text_cond("r.user_id", cond),
                RunAttribute::ArtifactUri => self.text_cond("r.artifact_uri", cond),
                // MLflow filters run_name through the tag, not the column.
                RunAttribute::RunName => {
                    self.key_value("tags", "run_key", "r", system_tags::RUN_NAME, cond)
                }
                RunAttribute::StartTime => self.number("r.start_time", None, cond),
                RunAttribute::EndTime => self.number("r.end_time", None, cond),
                RunAttribute::Duration => self.number("(r.end_time - r.start_time)", None, cond),
            },
            Operand::Dataset(field) => {
                let test = match field {
                    DatasetField::Name => self.text_cond("d.name", cond)?,
                    DatasetField::Digest => self.text_cond("d.digest", cond)?,
                    DatasetField::Context => {
                        let k = self.text(system_tags::DATA_CONTEXT);
                        let test = self.text_cond("it.value", cond)?;
                        return Ok(format!(
                            "EXISTS (SELECT 1 FROM inputs i JOIN input_tags it ON it.input_uuid = i.input_uuid \
                             WHERE i.destination_type = 'RUN' AND i.destination_id = r.run_uuid \
                             AND i.source_type = 'DATASET' AND it.key = {k} AND {test})"
                        ));
                    }
                };
                Ok(format!(
                    "EXISTS (SELECT 1 FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id \
                     WHERE i.destination_type = 'RUN' AND i.destination_id = r.run_uuid \
                     AND i.source_type = 'DATASET' AND {test})"
                ))
            }
        }
    }

    fn experiment_comparison(&mut self, c: &Comparison<ExperimentOperand>) -> Result<String> {
        let cond = &c.condition;
        match &c.operand {
            ExperimentOperand::Tag(key) => {
                self.key_value("experiment_tags", "experiment_id", "e", key, cond)
            }
            ExperimentOperand::Attribute(a) => match a {
                ExperimentAttribute::Name => self.text_cond("e.name", cond),
                ExperimentAttribute::CreationTime => self.number("e.creation_time", None, cond),
                ExperimentAttribute::LastUpdateTime => {
                    self.number("e.last_update_time", None, cond)
                }
                ExperimentAttribute::ExperimentId => {
                    let id = |s: &str| {
                        s.parse::<i64>().map_err(|_| {
                            Error::invalid(format!("Invalid experiment ID '{s}' in filter"))
                        })
                    };
                    match cond {
                        Condition::Text {
                            op: op @ (TextOp::Eq | TextOp::Ne),
                            value,
                        } => {
                            let ph = self.bind(Bind::Int(id(value)?));
                            Ok(format!(
                                "e.experiment_id {} {ph}",
                                if *op == TextOp::Eq { "=" } else { "<>" }
                            ))
                        }
                        Condition::InList { negated, values } => {
                            let ids = values.iter().map(|v| id(v)).collect::<Result<Vec<_>>>()?;
                            let phs: Vec<String> =
                                ids.into_iter().map(|v| self.bind(Bind::Int(v))).collect();
                            let not = if *negated { "NOT " } else { "" };
                            Ok(format!("e.experiment_id {not}IN ({})", phs.join(", ")))
                        }
                        _ => Err(mismatch(cond, "=, !=, IN or NOT IN")),
                    }
                }
            },
        }
    }

    /// The table, key and value test of a [`joinable`] comparison, on the
    /// row aliased `a`.
    fn joinable_parts(
        &mut self,
        c: &Comparison<Operand>,
        a: &str,
    ) -> Result<(&'static str, String, String)> {
        let (table, key) = match &c.operand {
            Operand::Metric(k) => ("latest_metrics", k.as_str()),
            Operand::Param(k) => ("params", k.as_str()),
            Operand::Tag(k) => ("tags", k.as_str()),
            Operand::Attribute(RunAttribute::RunName) => ("tags", system_tags::RUN_NAME),
            _ => return Err(mismatch(&c.condition, "a metric, param or tag clause")),
        };
        let k = self.text(key);
        let value = format!("{a}.value");
        let test = if table == "latest_metrics" {
            self.number(&value, Some(&format!("{a}.is_nan")), &c.condition)?
        } else {
            self.text_cond(&value, &c.condition)?
        };
        Ok((table, k, test))
    }

    /// ` JOIN ...` of a [`joinable`] comparison under alias `a`.
    fn run_join(&mut self, c: &Comparison<Operand>, a: &str) -> Result<String> {
        let (table, k, test) = self.joinable_parts(c, a)?;
        Ok(format!(
            " JOIN {table} {a} ON {a}.run_key = r.run_key AND {a}.key = {k} AND {test}"
        ))
    }

    /// An `EXISTS` probe of a [`joinable`] comparison for the run whose
    /// key is the expression `run_key`.
    fn exists_on(&mut self, c: &Comparison<Operand>, run_key: &str) -> Result<String> {
        let (table, k, test) = self.joinable_parts(c, "kv")?;
        Ok(format!(
            "EXISTS (SELECT 1 FROM {table} kv WHERE kv.run_key = {run_key} AND kv.key = {k} AND {test})"
        ))
    }

    /// `AND lifecycle_stage = ...` for a view type, or nothing.
    fn lifecycle(&mut self, alias: &str, view: ViewType) -> String {
        match view {
            ViewType::ActiveOnly => {
                format!(" AND {alias}.lifecycle_stage = {}", self.text("active"))
            }
            ViewType::DeletedOnly => {
                format!(" AND {alias}.lifecycle_stage = {}", self.text("deleted"))
            }
            ViewType::All => String::new(),
        }
    }

    fn page(&mut self, offset: usize, limit: usize) -> String {
        let l = self.bind(Bind::Int(i64::try_from(limit).unwrap_or(i64::MAX)));
        let o = self.bind(Bind::Int(i64::try_from(offset).unwrap_or(i64::MAX)));
        format!(" LIMIT {l} OFFSET {o}")
    }

    /// Ends `sql` with `ORDER BY terms` and one page, and finishes the query.
    fn finish_page(
        mut self,
        mut sql: String,
        terms: &[String],
        offset: usize,
        limit: usize,
    ) -> Result<Query> {
        sql.push_str(&format!(" ORDER BY {}", terms.join(", ")));
        sql.push_str(&self.page(offset, limit));
        self.finish(sql)
    }
}

/// `ORDER BY` terms for a search's clauses, given each key's column.
fn order_columns<K: Copy>(clauses: &[OrderClause<K>], column: impl Fn(K) -> String) -> Vec<String> {
    clauses
        .iter()
        .map(|c| format!("{} {}", column(c.key), direction(c.ascending)))
        .collect()
}

fn mismatch(cond: &Condition, expected: &str) -> Error {
    Error::invalid(format!(
        "Invalid search: condition {cond:?} where {expected} was expected"
    ))
}

fn direction(ascending: bool) -> &'static str {
    if ascending { "ASC" } else { "DESC" }
}

/// The `LEFT JOIN`s and `ORDER BY` terms of an order (aliases `o0`, `o1`, …).
fn order_terms(b: &mut Builder, clauses: &[OrderClause<RunOrderKey>]) -> (String, Vec<String>) {
    let mut joins = String::new();
    let mut order = Vec::new();
    let text_order = b.dialect.text_order();
    for (i, clause) in clauses.iter().enumerate() {
        let dir = direction(clause.ascending);
        let o = format!("o{i}");
        match &clause.key {
            RunOrderKey::Metric(key) => {
                let k = b.text(key);
                joins.push_str(&format!(
                    " LEFT JOIN latest_metrics {o} ON {o}.run_key = r.run_key AND {o}.key = {k}"
                ));
                // Values, then NaN, then runs without the metric.
                order.push(format!(
                    "CASE WHEN {o}.run_key IS NULL THEN 2 WHEN {o}.is_nan = 1 THEN 1 ELSE 0 END"
                ));
                order.push(format!("{o}.value {dir}"));
            }
            RunOrderKey::Param(key) | RunOrderKey::Tag(key) => {
                let table = if matches!(clause.key, RunOrderKey::Param(_)) {
                    "params"
                } else {
                    "tags"
                };
                let k = b.text(key);
                joins.push_str(&format!(
                    " LEFT JOIN {table} {o} ON {o}.run_key = r.run_key AND {o}.key = {k}"
                ));
                order.push(format!("CASE WHEN {o}.value IS NULL THEN 1 ELSE 0 END"));
                order.push(format!("{o}.value{text_order} {dir}"));
            }
            RunOrderKey::Attribute(a) => match a {
                RunAttribute::RunId => order.push(format!("r.run_uuid{text_order} {dir}")),
                RunAttribute::RunName => order.push(format!("r.name{text_order} {dir}")),
                RunAttribute::Status => order.push(format!("r.status{text_order} {dir}")),
                RunAttribute::UserId => order.push(format!("r.user_id{text_order} {dir}")),
                RunAttribute::ArtifactUri => {
                    order.push(format!("r.artifact_uri{text_order} {dir}"))
                }
                RunAttribute::StartTime => order.push(format!("r.start_time {dir}")),
                RunAttribute::EndTime => {
                    order.push("CASE WHEN r.end_time IS NULL THEN 1 ELSE 0 END".to_owned());
                    order.push(format!("r.end_time {dir}"));
                }
                RunAttribute::Duration => {
                    order.push("CASE WHEN r.end_time IS NULL THEN 1 ELSE 0 END".to_owned());
                    order.push(format!("(r.end_time - r.start_time) {dir}"));
                }
            },
        }
    }
    (joins, order)
}

/// The filter's top level split into clauses that can be inner joins (see
/// [`joinable`]) and everything else.
fn split_filter(q: &RunSearch) -> (Vec<&Comparison<Operand>>, Vec<&Expr<Operand>>) {
    let top: Vec<&Expr<Operand>> = match &q.filter.expr {
        None => Vec::new(),
        Some(Expr::And(items)) => items.iter().collect(),
        Some(e) => vec![e],
    };
    let mut joins = Vec::new();
    let mut rest = Vec::new();
    for e in top {
        match e {
            Expr::Compare(c) if joinable(c) => joins.push(c),
            other => rest.push(other),
        }
    }
    (joins, rest)
}

/// `r.experiment_id ...` and the lifecycle condition of a run search.
fn run_scope(b: &mut Builder, q: &RunSearch) -> String {
    let experiments: Vec<String> = q
        .experiment_ids
        .iter()
        .map(|id| b.bind(Bind::Int(id.0)))
        .collect();
    let mut cond = match experiments.as_slice() {
        [one] => format!("r.experiment_id = {one}"),
        many => format!("r.experiment_id IN ({})", many.join(", ")),
    };
    cond.push_str(&b.lifecycle("r", q.view_type));
    cond
}

/// The joins (after `FROM runs r`) and the `WHERE` condition that restrict
/// a run search to its matching runs.
///
/// Top-level AND clauses that need a row of a (run_key, key)-keyed table
/// become inner joins: the key is unique per run, so no row is duplicated,
/// and the planner may then drive the search from the most selective index
/// instead of probing every run of the experiment.
fn run_filter(b: &mut Builder, q: &RunSearch) -> Result<(String, String)> {
    let (joins, rest) = split_filter(q);
    let mut filter_joins = String::new();
    for (i, c) in joins.into_iter().enumerate() {
        filter_joins.push_str(&b.run_join(c, &format!("f{i}"))?);
    }
    let mut cond = run_scope(b, q);
    for e in rest {
        let filter = b.expr(e, &mut |b, c| b.run_comparison(c))?;
        cond.push_str(&format!(" AND {filter}"));
    }
    Ok((filter_joins, cond))
}

/// Build the run search: ids of matching runs, ordered, one page.
pub(crate) fn run_query(
    dialect: Dialect,
    q: &RunSearch,
    offset: usize,
    limit: usize,
) -> Result<Query> {
    let mut b = Builder::new(dialect);
    let (joins, order) = order_terms(&mut b, &q.order.effective_clauses());
    let (filter_joins, cond) = run_filter(&mut b, q)?;
    let sql = format!(
        "SELECT {} FROM runs r{filter_joins}{joins} WHERE {cond}",
        dialect.run_locator()
    );
    b.finish_page(sql, &order, offset, limit)
}

/// Whether a comparison needs exactly one row of a (run_key, key)-keyed
/// table, so it can be an inner join.
fn joinable(c: &Comparison<Operand>) -> bool {
    let positive = !matches!(c.condition, Condition::Null { .. });
    match c.operand {
        Operand::Metric(_) | Operand::Param(_) | Operand::Tag(_) => positive,
        Operand::Attribute(RunAttribute::RunName) => positive,
        Operand::Attribute(_) | Operand::Dataset(_) => false,
    }
}

/// Build the experiment search: ids of matching experiments, ordered, one page.
pub(crate) fn experiment_query(
    dialect: Dialect,
    q: &ExperimentSearch,
    offset: usize,
    limit: usize,
) -> Result<Query> {
    let mut b = Builder::new(dialect);
    let mut sql = String::from("SELECT e.experiment_id FROM experiments e WHERE 1 = 1");
    sql.push_str(&b.lifecycle("e", q.view_type));
    if let Some(expr) = &q.filter.expr {
        let filter = b.expr(expr, &mut |b, c| b.experiment_comparison(c))?;
        sql.push_str(&format!(" AND {filter}"));
    }
    let order = order_columns(&q.order.effective_clauses(), |key| match key {
        ExperimentAttribute::Name => format!("e.name{}", dialect.text_order()),
        ExperimentAttribute::ExperimentId => "e.experiment_id".to_owned(),
        ExperimentAttribute::CreationTime => "e.creation_time".to_owned(),
        ExperimentAttribute::LastUpdateTime => "e.last_update_time".to_owned(),
    });
    b.finish_page(sql, &order, offset, limit)
}

fn db_error(e: rusqlite::Error) -> Error {
    Error::internal(format!("search query failed: {e}"))
}

fn execute<T: rusqlite::types::FromSql>(
    conn: &rusqlite::Connection,
    query: &Query,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(&query.sql).map_err(db_error)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(query.binds.iter()), |row| {
            row.get::<_, T>(0)
        })
        .map_err(db_error)?;
    rows.collect::<rusqlite::Result<Vec<T>>>().map_err(db_error)
}

/// The rowids of one page of a run search's runs, in search order (valid
/// within the caller's read transaction; see `rows::load_runs_by_rowid`).
pub(crate) fn run_rows_page(
    conn: &rusqlite::Connection,
    q: &RunSearch,
    offset: usize,
    limit: usize,
) -> Result<Vec<i64>> {
    if q.experiment_ids.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    if let Some(rows) = metric_scan::page(conn, q, offset, limit)? {
        return Ok(rows);
    }
    execute(conn, &run_query(Dialect::Sqlite, q, offset, limit)?)
}

/// The ids of one page of an experiment search, in search order.
pub(crate) fn experiment_ids_page(
    conn: &rusqlite::Connection,
    q: &ExperimentSearch,
    offset: usize,
    limit: usize,
) -> Result<Vec<i64>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    execute(conn, &experiment_query(Dialect::Sqlite, q, offset, limit)?)
}

mod metric_scan;
mod registry;
pub(crate) use registry::{model_version_keys_page, registered_model_keys_page};
#[cfg(test)]
mod tests;
