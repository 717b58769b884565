//! The typed syntax tree of a parsed filter and order.
//!
//! The parser guarantees that every [`Comparison`] is well typed for its
//! operand (metrics only get numeric comparisons, params never get `<`, only
//! `run_id` and datasets get `IN` lists, ...), so stores can compile the tree
//! without re-checking. The tree is shared by run and experiment searches
//! through the operand type parameter.

/// A boolean combination of comparisons. `AND` binds tighter than `OR`;
/// nested lists of the same kind are flattened by the parser, and a list
/// always holds at least two items.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr<O = Operand> {
    /// All items hold.
    And(Vec<Expr<O>>),
    /// At least one item holds.
    Or(Vec<Expr<O>>),
    /// One comparison.
    Compare(Comparison<O>),
}

/// `<operand> <condition>`, e.g. `metrics.acc > 0.9`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison<O = Operand> {
    /// What is compared.
    pub operand: O,
    /// How, and against what.
    pub condition: Condition,
}

/// The right-hand side of a comparison, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// A numeric comparison (metrics and time attributes).
    Number {
        /// The comparator.
        op: NumberOp,
        /// The literal; may be ±infinity when written as e.g. `1e999`.
        value: f64,
    },
    /// A string comparison (case-sensitive `=`, `!=`, `LIKE`; `ILIKE`).
    Text {
        /// The comparator.
        op: TextOp,
        /// The unquoted literal; for `LIKE`/`ILIKE` a pattern with `%` and `_`.
        value: String,
    },
    /// `IN (...)` or `NOT IN (...)` over quoted strings.
    InList {
        /// `true` for `NOT IN`.
        negated: bool,
        /// The unquoted values (at least one).
        values: Vec<String>,
    },
    /// `IS NULL` (`negated == false`) or `IS NOT NULL` (`negated == true`).
    Null {
        /// `true` for `IS NOT NULL`.
        negated: bool,
    },
}

/// Numeric comparators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumberOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl NumberOp {
    /// The comparator as written in SQL (and in filters, except `!=`).
    pub fn sql(self) -> &'static str {
        match self {
            NumberOp::Eq => "=",
            NumberOp::Ne => "<>",
            NumberOp::Lt => "<",
            NumberOp::Le => "<=",
            NumberOp::Gt => ">",
            NumberOp::Ge => ">=",
        }
    }
}

/// String comparators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextOp {
    /// `=`, case-sensitive.
    Eq,
    /// `!=`, case-sensitive.
    Ne,
    /// `LIKE`, case-sensitive, `%` any run of characters, `_` one character, no escape.
    Like,
    /// `ILIKE`: `LIKE` ignoring ASCII case.
    ILike,
}

/// What a run filter compares.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Operand {
    /// The latest value of a metric (`metrics.<key>`).
    Metric(String),
    /// A param (`params.<key>`).
    Param(String),
    /// A run tag (`tags.<key>`).
    Tag(String),
    /// A run attribute (`attributes.<name>` or no prefix).
    Attribute(RunAttribute),
    /// A field of any dataset input of the run (`datasets.<field>`).
    Dataset(DatasetField),
}

/// Searchable and orderable run attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunAttribute {
    /// `run_id` (column `run_uuid`); the only attribute with `IN` lists.
    RunId,
    /// `run_name` (aliases `run name`, `Run name`, `Run Name`). Filters read
    /// the `mlflow.runName` tag; ordering uses the run's name column.
    RunName,
    /// `status`, e.g. `'FINISHED'`.
    Status,
    /// `user_id`.
    UserId,
    /// `artifact_uri`.
    ArtifactUri,
    /// `start_time` in ms (aliases `created`, `Created`). Numeric.
    StartTime,
    /// `end_time` in ms; missing while the run is unfinished. Numeric.
    EndTime,
    /// `duration`: `end_time - start_time` in ms, missing while the run is
    /// unfinished. Numeric. A Cairn extension (MLflow has no such key), so
    /// the UI's Duration column sorts in the database like the others.
    Duration,
}

impl RunAttribute {
    /// Resolve an attribute key, including MLflow's aliases.
    pub fn from_key(key: &str) -> Option<RunAttribute> {
        Some(match key {
            "run_id" => RunAttribute::RunId,
            "run_name" | "run name" | "Run name" | "Run Name" => RunAttribute::RunName,
            "status" => RunAttribute::Status,
            "user_id" => RunAttribute::UserId,
            "artifact_uri" => RunAttribute::ArtifactUri,
            "start_time" | "created" | "Created" => RunAttribute::StartTime,
            "end_time" => RunAttribute::EndTime,
            "duration" => RunAttribute::Duration,
            _ => return None,
        })
    }

    /// The canonical key.
    pub fn as_str(self) -> &'static str {
        match self {
            RunAttribute::RunId => "run_id",
            RunAttribute::RunName => "run_name",
            RunAttribute::Status => "status",
            RunAttribute::UserId => "user_id",
            RunAttribute::ArtifactUri => "artifact_uri",
            RunAttribute::StartTime => "start_time",
            RunAttribute::EndTime => "end_time",
            RunAttribute::Duration => "duration",
        }
    }

    /// Whether the attribute compares as a number.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            RunAttribute::StartTime | RunAttribute::EndTime | RunAttribute::Duration
        )
    }
}

/// Dataset fields a run filter can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatasetField {
    /// The dataset's name.
    Name,
    /// The dataset's digest.
    Digest,
    /// The input tag `mlflow.data.context` (e.g. `training`).
    Context,
}

impl DatasetField {
    /// Resolve a `datasets.<field>` key.
    pub fn from_key(key: &str) -> Option<DatasetField> {
        Some(match key {
            "name" => DatasetField::Name,
            "digest" => DatasetField::Digest,
            "context" => DatasetField::Context,
            _ => return None,
        })
    }
}

/// What an experiment filter compares.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExperimentOperand {
    /// An experiment tag (`tags.<key>`).
    Tag(String),
    /// An experiment attribute.
    Attribute(ExperimentAttribute),
}

/// Searchable and orderable experiment attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExperimentAttribute {
    /// `name`.
    Name,
    /// `experiment_id`: compared with quoted strings that the parser has
    /// checked to be non-negative decimal integers (stored canonically, so
    /// `'007'` becomes `"7"`).
    ExperimentId,
    /// `creation_time` in ms. Numeric.
    CreationTime,
    /// `last_update_time` in ms. Numeric.
    LastUpdateTime,
}

impl ExperimentAttribute {
    /// Resolve an attribute key.
    pub fn from_key(key: &str) -> Option<ExperimentAttribute> {
        Some(match key {
            "name" => ExperimentAttribute::Name,
            "experiment_id" => ExperimentAttribute::ExperimentId,
            "creation_time" => ExperimentAttribute::CreationTime,
            "last_update_time" => ExperimentAttribute::LastUpdateTime,
            _ => return None,
        })
    }

    /// The canonical key.
    pub fn as_str(self) -> &'static str {
        match self {
            ExperimentAttribute::Name => "name",
            ExperimentAttribute::ExperimentId => "experiment_id",
            ExperimentAttribute::CreationTime => "creation_time",
            ExperimentAttribute::LastUpdateTime => "last_update_time",
        }
    }
}

/// One `order_by` entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderClause<K> {
    /// What to sort by.
    pub key: K,
    /// `ASC` (the default) or `DESC`.
    pub ascending: bool,
}

/// What a run search can be ordered by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RunOrderKey {
    /// Latest metric value: values first, then NaN, then runs without it.
    Metric(String),
    /// Param value as a string; runs without it last.
    Param(String),
    /// Tag value as a string; runs without it last.
    Tag(String),
    /// An attribute; `end_time` missing sorts last.
    Attribute(RunAttribute),
}

/// What a registered-model filter compares.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RegisteredModelOperand {
    /// The model's `name`.
    Name,
    /// A model tag (`tags.<key>`).
    Tag(String),
}

/// What a registered-model search can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegisteredModelOrderKey {
    /// `name`.
    Name,
    /// `creation_timestamp`.
    CreationTimestamp,
    /// `last_updated_timestamp` (MLflow also accepts `timestamp`).
    LastUpdatedTimestamp,
}

/// What a model-version filter compares.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ModelVersionOperand {
    /// The registered model's `name`.
    Name,
    /// `version_number`. Numeric.
    VersionNumber,
    /// `run_id`.
    RunId,
    /// `source_path` (the version's source).
    SourcePath,
    /// A version tag (`tags.<key>`).
    Tag(String),
}

/// What a model-version search can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelVersionOrderKey {
    /// `name`.
    Name,
    /// `version_number`.
    VersionNumber,
    /// `creation_timestamp`.
    CreationTimestamp,
    /// `last_updated_timestamp` (also `timestamp`).
    LastUpdatedTimestamp,
}
