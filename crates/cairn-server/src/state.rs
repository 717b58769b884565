//! Shared handler state: the store, the artifact repository and settings.
//! The server keeps no other state: the database is the state.

use std::sync::Arc;

use cairn_artifacts::ArtifactRepo;
use cairn_core::store::TrackingStore;
use cairn_core::{Error, Result};

use crate::error::{ApiError, ApiResult};

/// Server settings that handlers need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Whether the `mlflow-artifacts` proxy is served.
    pub serve_artifacts: bool,
    /// Largest artifact upload, bytes.
    pub max_artifact_bytes: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            serve_artifacts: true,
            max_artifact_bytes: 5 << 30,
        }
    }
}

/// Everything a handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    store: Arc<dyn TrackingStore>,
    artifacts: Option<ArtifactRepo>,
    settings: Arc<Settings>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("artifacts", &self.artifacts)
            .field("settings", &self.settings)
            .finish()
    }
}

impl AppState {
    /// State over a store and an optional proxied artifact destination.
    pub fn new(
        store: Arc<dyn TrackingStore>,
        artifacts: Option<ArtifactRepo>,
        settings: Settings,
    ) -> AppState {
        AppState {
            store,
            artifacts,
            settings: Arc::new(settings),
        }
    }

    /// Run a store call on a blocking thread (store calls may wait on disk).
    pub async fn with_store<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn TrackingStore) -> Result<T> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| ApiError(Error::internal(format!("store task failed: {e}"))))?
            .map_err(ApiError)
    }

    /// The proxied artifact repository, or the 503-style error MLflow gives
    /// when artifacts are not served.
    pub fn artifacts(&self) -> ApiResult<&ArtifactRepo> {
        match (&self.artifacts, self.settings.serve_artifacts) {
            (Some(repo), true) => Ok(repo),
            _ => Err(ApiError(Error::new(
                cairn_core::ErrorCode::NotImplemented,
                "Artifact serving is disabled on this server (started without --serve-artifacts)",
            ))),
        }
    }

    /// Settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }
}
