//! Wire shapes of the model registry: MLflow's RegisteredModel and
//! ModelVersion messages (borrowed from the domain values; versions go out
//! as decimal strings, empty fields are omitted) and the registry requests.

use cairn_core::registry::{ModelVersion, RegisteredModel};
use serde::{Deserialize, Serialize};

use super::entities::TagDto;
use super::requests::{EnumValue, KeyValueIn};
use crate::wire::{de_opt_bool, de_opt_i64};

fn is_empty(s: &&str) -> bool {
    s.is_empty()
}

/// `{alias, version}` of a registered model.
#[derive(Debug, Serialize)]
pub struct AliasDto<'a> {
    alias: &'a str,
    version: String,
}

/// MLflow's RegisteredModel message.
#[derive(Debug, Serialize)]
pub struct RegisteredModelDto<'a> {
    name: &'a str,
    creation_timestamp: i64,
    last_updated_timestamp: i64,
    #[serde(skip_serializing_if = "is_empty")]
    description: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    latest_versions: Vec<ModelVersionDto<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<TagDto<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<AliasDto<'a>>,
}

impl<'a> From<&'a RegisteredModel> for RegisteredModelDto<'a> {
    fn from(m: &'a RegisteredModel) -> Self {
        RegisteredModelDto {
            name: &m.name,
            creation_timestamp: m.creation_timestamp,
            last_updated_timestamp: m.last_updated_timestamp,
            description: &m.description,
            latest_versions: m
                .latest_versions
                .iter()
                .map(ModelVersionDto::from)
                .collect(),
            tags: m.tags.iter().map(TagDto::from).collect(),
            aliases: m
                .aliases
                .iter()
                .map(|(alias, version)| AliasDto {
                    alias,
                    version: version.to_string(),
                })
                .collect(),
        }
    }
}

/// MLflow's ModelVersion message.
#[derive(Debug, Serialize)]
pub struct ModelVersionDto<'a> {
    name: &'a str,
    version: String,
    creation_timestamp: i64,
    last_updated_timestamp: i64,
    current_stage: &'static str,
    #[serde(skip_serializing_if = "is_empty")]
    description: &'a str,
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    run_id: Option<&'a str>,
    status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<TagDto<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    run_link: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<&'a str>,
}

impl<'a> From<&'a ModelVersion> for ModelVersionDto<'a> {
    fn from(v: &'a ModelVersion) -> Self {
        ModelVersionDto {
            name: &v.name,
            version: v.version.to_string(),
            creation_timestamp: v.creation_timestamp,
            last_updated_timestamp: v.last_updated_timestamp,
            current_stage: v.current_stage.as_str(),
            description: &v.description,
            source: &v.source,
            run_id: v.run_id.as_deref(),
            status: v.status(),
            tags: v.tags.iter().map(TagDto::from).collect(),
            run_link: v.run_link.as_deref(),
            aliases: v.aliases.iter().map(String::as_str).collect(),
        }
    }
}

/// `registered-models/create`.
#[derive(Debug, Default, Deserialize)]
pub struct CreateRegisteredModelReq {
    pub name: Option<String>,
    #[serde(default)]
    pub tags: Vec<KeyValueIn>,
    pub description: Option<String>,
}

/// Requests naming one registered model (get, delete, update, rename,
/// latest versions).
#[derive(Debug, Default, Deserialize)]
pub struct RegisteredModelReq {
    pub name: Option<String>,
    pub new_name: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub stages: Vec<String>,
}

/// Registry searches (models and versions).
#[derive(Debug, Default, Deserialize)]
pub struct RegistrySearchReq {
    pub filter: Option<String>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub max_results: Option<i64>,
    #[serde(default)]
    pub order_by: Vec<String>,
    pub page_token: Option<String>,
}

/// Tag writes on models and versions (`version` only for versions).
#[derive(Debug, Default, Deserialize)]
pub struct RegistryTagReq {
    pub name: Option<String>,
    pub version: Option<EnumValue>,
    pub key: Option<String>,
    pub value: Option<String>,
}

/// `registered-models/alias` (set, delete, get).
#[derive(Debug, Default, Deserialize)]
pub struct AliasReq {
    pub name: Option<String>,
    pub alias: Option<String>,
    pub version: Option<EnumValue>,
}

/// `model-versions/create`.
#[derive(Debug, Default, Deserialize)]
pub struct CreateModelVersionReq {
    pub name: Option<String>,
    pub source: Option<String>,
    pub run_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<KeyValueIn>,
    pub run_link: Option<String>,
    pub description: Option<String>,
}

/// Requests naming one model version (get, delete, update, transition,
/// download URI).
#[derive(Debug, Default, Deserialize)]
pub struct ModelVersionReq {
    pub name: Option<String>,
    pub version: Option<EnumValue>,
    pub description: Option<String>,
    pub stage: Option<String>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    pub archive_existing_versions: Option<bool>,
}
