//! Registered-model and model-version searches compiled to SQL, with the
//! same builder (bound values, balanced AND/OR trees, GLOB for case-sensitive
//! LIKE) as run and experiment searches. Each returns one page of keys.

use cairn_core::Result;
use cairn_core::search::{
    Comparison, IS_PROMPT_TAG, ModelVersionOperand, ModelVersionOrderKey, RegisteredModelOperand,
    RegisteredModelOrderKey,
};
use cairn_core::store::{ModelVersionSearch, RegisteredModelSearch};

use super::{Builder, Dialect, Query, db_error, execute, order_columns};

impl Builder {
    fn registered_model_comparison(
        &mut self,
        c: &Comparison<RegisteredModelOperand>,
    ) -> Result<String> {
        match &c.operand {
            RegisteredModelOperand::Name => self.text_cond("m.name", &c.condition),
            RegisteredModelOperand::Tag(key) => {
                self.key_value("registered_model_tags", "model_key", "m", key, &c.condition)
            }
        }
    }

    fn model_version_comparison(&mut self, c: &Comparison<ModelVersionOperand>) -> Result<String> {
        let cond = &c.condition;
        match &c.operand {
            ModelVersionOperand::Name => self.text_cond("m.name", cond),
            ModelVersionOperand::VersionNumber => self.number("v.version", None, cond),
            ModelVersionOperand::RunId => self.text_cond("v.run_id", cond),
            ModelVersionOperand::SourcePath => self.text_cond("v.source", cond),
            ModelVersionOperand::Tag(key) => {
                let k = self.text(key);
                let test = self.text_cond("kv.value", cond)?;
                Ok(format!(
                    "EXISTS (SELECT 1 FROM model_version_tags kv WHERE kv.model_key = v.model_key \
                     AND kv.version = v.version AND kv.key = {k} AND {test})"
                ))
            }
        }
    }
}

/// ` AND` the model aliased `m` is not a prompt: neither it nor any of its
/// versions carries `mlflow.prompt.is_prompt = 'true'` (MLflow's SQL store
/// tests the tag table of the searched entity by model name, so a version
/// tag marks the whole model).
fn not_a_prompt(b: &mut Builder) -> String {
    let key = b.text(IS_PROMPT_TAG);
    let value = b.text("true");
    format!(
        " AND NOT EXISTS (SELECT 1 FROM registered_model_tags p WHERE p.model_key = m.model_key \
         AND p.key = {key} AND p.value = {value}) \
         AND NOT EXISTS (SELECT 1 FROM model_version_tags p WHERE p.model_key = m.model_key \
         AND p.key = {key} AND p.value = {value})"
    )
}

/// Build the registered-model search: keys of matching models, ordered, one page.
pub(crate) fn registered_model_query(
    dialect: Dialect,
    q: &RegisteredModelSearch,
    offset: usize,
    limit: usize,
) -> Result<Query> {
    let mut b = Builder::new(dialect);
    let mut sql = String::from("SELECT m.model_key FROM registered_models m WHERE 1 = 1");
    if q.filter.exclude_prompts {
        sql.push_str(&not_a_prompt(&mut b));
    }
    if let Some(expr) = &q.filter.expr {
        let filter = b.expr(expr, &mut |b, c| b.registered_model_comparison(c))?;
        sql.push_str(&format!(" AND {filter}"));
    }
    let order = order_columns(&q.order.effective_clauses(), |key| match key {
        RegisteredModelOrderKey::Name => format!("m.name{}", dialect.text_order()),
        RegisteredModelOrderKey::CreationTimestamp => "m.creation_timestamp".to_owned(),
        RegisteredModelOrderKey::LastUpdatedTimestamp => "m.last_updated_timestamp".to_owned(),
    });
    b.finish_page(sql, &order, offset, limit)
}

/// Build the model-version search: `(model_key, version)` of matching
/// versions, ordered, one page.
pub(crate) fn model_version_query(
    dialect: Dialect,
    q: &ModelVersionSearch,
    offset: usize,
    limit: usize,
) -> Result<Query> {
    let mut b = Builder::new(dialect);
    let mut sql = String::from(
        "SELECT v.model_key, v.version FROM model_versions v \
         JOIN registered_models m ON m.model_key = v.model_key WHERE 1 = 1",
    );
    if q.filter.exclude_prompts {
        sql.push_str(&not_a_prompt(&mut b));
    }
    if let Some(expr) = &q.filter.expr {
        let filter = b.expr(expr, &mut |b, c| b.model_version_comparison(c))?;
        sql.push_str(&format!(" AND {filter}"));
    }
    let order = order_columns(&q.order.effective_clauses(), |key| match key {
        ModelVersionOrderKey::Name => format!("m.name{}", dialect.text_order()),
        ModelVersionOrderKey::VersionNumber => "v.version".to_owned(),
        ModelVersionOrderKey::CreationTimestamp => "v.creation_timestamp".to_owned(),
        ModelVersionOrderKey::LastUpdatedTimestamp => "v.last_updated_timestamp".to_owned(),
    });
    b.finish_page(sql, &order, offset, limit)
}

/// The keys of one page of a registered-model search, in search order.
pub(crate) fn registered_model_keys_page(
    conn: &rusqlite::Connection,
    q: &RegisteredModelSearch,
    offset: usize,
    limit: usize,
) -> Result<Vec<i64>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    execute(
        conn,
        &registered_model_query(Dialect::Sqlite, q, offset, limit)?,
    )
}

/// The `(model_key, version)` of one page of a model-version search.
pub(crate) fn model_version_keys_page(
    conn: &rusqlite::Connection,
    q: &ModelVersionSearch,
    offset: usize,
    limit: usize,
) -> Result<Vec<(i64, i64)>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let query = model_version_query(Dialect::Sqlite, q, offset, limit)?;
    let mut stmt = conn.prepare_cached(&query.sql).map_err(db_error)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(query.binds.iter()), |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
        })
        .map_err(db_error)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)
}
