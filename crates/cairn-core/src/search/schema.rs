//! What identifiers mean in run and experiment searches, and which
//! comparisons each accepts: MLflow's type rules (spec §4.2, §4.5).

use super::ast::{
    DatasetField, ExperimentAttribute, ExperimentOperand, ModelVersionOperand,
    ModelVersionOrderKey, Operand, RegisteredModelOperand, RegisteredModelOrderKey, RunAttribute,
    RunOrderKey,
};
use super::lexer::SyntaxError;
use super::parser::{Ident, Rules, Schema};

const RUN_ATTRIBUTES: &str =
    "run_id, run_name, status, user_id, artifact_uri, start_time, end_time";
const EXPERIMENT_ATTRIBUTES: &str = "name, experiment_id, creation_time, last_update_time";

/// The entity an identifier's prefix names.
enum Entity {
    Metric,
    Param,
    Tag,
    Attribute,
    Dataset,
}

fn run_entity(ident: &Ident) -> Result<Entity, SyntaxError> {
    Ok(match ident.entity.as_deref() {
        Some("metrics" | "metric") => Entity::Metric,
        Some("params" | "param" | "parameters" | "parameter") => Entity::Param,
        Some("tags" | "tag") => Entity::Tag,
        None | Some("attributes" | "attribute" | "attr" | "run") => Entity::Attribute,
        Some("datasets" | "dataset") => Entity::Dataset,
        Some(_) => {
            return Err(ident.error(
                "invalid entity in identifier",
                " (expected a prefix metrics., params., tags., attributes. or datasets.)",
            ));
        }
    })
}

fn run_attribute(ident: &Ident) -> Result<RunAttribute, SyntaxError> {
    RunAttribute::from_key(&ident.key).ok_or_else(|| {
        ident.error(
            "invalid attribute",
            &format!(" (valid attributes: {RUN_ATTRIBUTES})"),
        )
    })
}

/// Run filters.
pub(crate) struct RunSchema;

impl Schema for RunSchema {
    type Operand = Operand;

    fn operand(ident: &Ident) -> Result<Operand, SyntaxError> {
        let key = ident.key.clone();
        Ok(match run_entity(ident)? {
            Entity::Metric => Operand::Metric(key),
            Entity::Param => Operand::Param(key),
            Entity::Tag => Operand::Tag(key),
            Entity::Attribute => Operand::Attribute(run_attribute(ident)?),
            Entity::Dataset => Operand::Dataset(DatasetField::from_key(&key).ok_or_else(|| {
                ident.error(
                    "invalid dataset field",
                    " (valid fields: name, digest, context)",
                )
            })?),
        })
    }

    fn rules(operand: &Operand) -> (Rules, String) {
        let text = |like, list, null| Rules::Text {
            like,
            list,
            null,
            ids: false,
        };
        match operand {
            Operand::Metric(k) => (Rules::Numeric, format!("metric '{k}'")),
            Operand::Param(k) => (text(true, false, true), format!("param '{k}'")),
            Operand::Tag(k) => (text(true, false, true), format!("tag '{k}'")),
            Operand::Attribute(a) if a.is_numeric() => {
                (Rules::Numeric, format!("attribute '{}'", a.as_str()))
            }
            Operand::Attribute(a) => (
                text(true, *a == RunAttribute::RunId, false),
                format!("attribute '{}'", a.as_str()),
            ),
            Operand::Dataset(f) => (
                text(true, true, false),
                format!("dataset field '{f:?}'").to_lowercase(),
            ),
        }
    }
}

/// Resolve a run `order_by` identifier.
pub(crate) fn run_order_key(ident: &Ident) -> Result<RunOrderKey, SyntaxError> {
    let key = ident.key.clone();
    Ok(match run_entity(ident)? {
        Entity::Metric => RunOrderKey::Metric(key),
        Entity::Param => RunOrderKey::Param(key),
        Entity::Tag => RunOrderKey::Tag(key),
        Entity::Attribute => RunOrderKey::Attribute(run_attribute(ident)?),
        Entity::Dataset => return Err(ident.error("datasets cannot be ordered by; found", "")),
    })
}

fn experiment_attribute(ident: &Ident) -> Result<ExperimentAttribute, SyntaxError> {
    ExperimentAttribute::from_key(&ident.key).ok_or_else(|| {
        ident.error(
            "invalid experiment attribute",
            &format!(" (valid attributes: {EXPERIMENT_ATTRIBUTES})"),
        )
    })
}

/// Experiment filters.
pub(crate) struct ExperimentSchema;

impl Schema for ExperimentSchema {
    type Operand = ExperimentOperand;

    fn operand(ident: &Ident) -> Result<ExperimentOperand, SyntaxError> {
        match ident.entity.as_deref() {
            Some("tags" | "tag") => Ok(ExperimentOperand::Tag(ident.key.clone())),
            None | Some("attributes" | "attribute" | "attr") => {
                Ok(ExperimentOperand::Attribute(experiment_attribute(ident)?))
            }
            Some(_) => Err(ident.error(
                "invalid entity in identifier",
                " (experiment filters accept tags.<key> and attributes)",
            )),
        }
    }

    fn rules(operand: &ExperimentOperand) -> (Rules, String) {
        match operand {
            ExperimentOperand::Tag(k) => (
                Rules::Text {
                    like: true,
                    list: false,
                    null: true,
                    ids: false,
                },
                format!("tag '{k}'"),
            ),
            ExperimentOperand::Attribute(a) => {
                let rules = match a {
                    ExperimentAttribute::Name => Rules::Text {
                        like: true,
                        list: false,
                        null: false,
                        ids: false,
                    },
                    ExperimentAttribute::ExperimentId => Rules::Text {
                        like: false,
                        list: true,
                        null: false,
                        ids: true,
                    },
                    ExperimentAttribute::CreationTime | ExperimentAttribute::LastUpdateTime => {
                        Rules::Numeric
                    }
                };
                (rules, format!("attribute '{}'", a.as_str()))
            }
        }
    }
}

/// Resolve an experiment `order_by` identifier (attributes only).
pub(crate) fn experiment_order_key(ident: &Ident) -> Result<ExperimentAttribute, SyntaxError> {
    match ident.entity.as_deref() {
        None | Some("attributes" | "attribute" | "attr") => experiment_attribute(ident),
        Some(_) => Err(ident.error("experiments can only be ordered by attributes; found", "")),
    }
}

const fn text_rules(like: bool, list: bool) -> Rules {
    Rules::Text {
        like,
        list,
        null: false,
        ids: false,
    }
}

/// Registered-model filters: `name` and `tags.<key>` (spec §4.5).
pub(crate) struct RegisteredModelSchema;

impl Schema for RegisteredModelSchema {
    type Operand = RegisteredModelOperand;

    fn operand(ident: &Ident) -> Result<RegisteredModelOperand, SyntaxError> {
        match (ident.entity.as_deref(), ident.key.as_str()) {
            (Some("tags" | "tag"), _) => Ok(RegisteredModelOperand::Tag(ident.key.clone())),
            (None | Some("attributes" | "attribute" | "attr"), "name") => {
                Ok(RegisteredModelOperand::Name)
            }
            _ => Err(ident.error(
                "invalid registered model search key",
                " (valid keys: name, tags.<key>)",
            )),
        }
    }

    fn rules(operand: &RegisteredModelOperand) -> (Rules, String) {
        match operand {
            RegisteredModelOperand::Name => (text_rules(true, true), "attribute 'name'".into()),
            RegisteredModelOperand::Tag(k) => (text_rules(true, false), format!("tag '{k}'")),
        }
    }
}

/// Resolve a registered-model `order_by` identifier.
pub(crate) fn registered_model_order_key(
    ident: &Ident,
) -> Result<RegisteredModelOrderKey, SyntaxError> {
    match (ident.entity.as_deref(), ident.key.as_str()) {
        (None | Some("attributes" | "attribute" | "attr"), key) => match key {
            "name" => Ok(RegisteredModelOrderKey::Name),
            "creation_timestamp" => Ok(RegisteredModelOrderKey::CreationTimestamp),
            "last_updated_timestamp" | "timestamp" => {
                Ok(RegisteredModelOrderKey::LastUpdatedTimestamp)
            }
            _ => Err(ident.error(
                "invalid order_by key",
                " (valid keys: name, creation_timestamp, last_updated_timestamp)",
            )),
        },
        _ => Err(ident.error(
            "registered models can only be ordered by attributes; found",
            "",
        )),
    }
}

/// Model-version filters: `name`, `version_number`, `run_id`,
/// `source_path` and `tags.<key>` (spec §4.5).
pub(crate) struct ModelVersionSchema;

impl Schema for ModelVersionSchema {
    type Operand = ModelVersionOperand;

    fn operand(ident: &Ident) -> Result<ModelVersionOperand, SyntaxError> {
        match (ident.entity.as_deref(), ident.key.as_str()) {
            (Some("tags" | "tag"), _) => Ok(ModelVersionOperand::Tag(ident.key.clone())),
            (None | Some("attributes" | "attribute" | "attr"), key) => match key {
                "name" => Ok(ModelVersionOperand::Name),
                "version_number" => Ok(ModelVersionOperand::VersionNumber),
                "run_id" => Ok(ModelVersionOperand::RunId),
                "source_path" => Ok(ModelVersionOperand::SourcePath),
                _ => Err(ident.error(
                    "invalid model version search key",
                    " (valid keys: name, version_number, run_id, source_path, tags.<key>)",
                )),
            },
            _ => Err(ident.error(
                "invalid entity in identifier",
                " (model version filters accept tags.<key> and attributes)",
            )),
        }
    }

    fn rules(operand: &ModelVersionOperand) -> (Rules, String) {
        match operand {
            ModelVersionOperand::Name => (text_rules(true, true), "attribute 'name'".into()),
            ModelVersionOperand::VersionNumber => {
                (Rules::Numeric, "attribute 'version_number'".into())
            }
            ModelVersionOperand::RunId => (text_rules(true, true), "attribute 'run_id'".into()),
            ModelVersionOperand::SourcePath => {
                (text_rules(true, false), "attribute 'source_path'".into())
            }
            ModelVersionOperand::Tag(k) => (text_rules(true, false), format!("tag '{k}'")),
        }
    }
}

/// Resolve a model-version `order_by` identifier.
pub(crate) fn model_version_order_key(ident: &Ident) -> Result<ModelVersionOrderKey, SyntaxError> {
    match (ident.entity.as_deref(), ident.key.as_str()) {
        (None | Some("attributes" | "attribute" | "attr"), key) => match key {
            "name" => Ok(ModelVersionOrderKey::Name),
            "version_number" => Ok(ModelVersionOrderKey::VersionNumber),
            "creation_timestamp" => Ok(ModelVersionOrderKey::CreationTimestamp),
            "last_updated_timestamp" | "timestamp" => {
                Ok(ModelVersionOrderKey::LastUpdatedTimestamp)
            }
            _ => Err(ident.error(
                "invalid order_by key",
                " (valid keys: name, version_number, creation_timestamp, last_updated_timestamp)",
            )),
        },
        _ => Err(ident.error(
            "model versions can only be ordered by attributes; found",
            "",
        )),
    }
}
