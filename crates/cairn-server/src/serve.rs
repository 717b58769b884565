//! Listening, TCP_NODELAY and graceful shutdown.

use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::{AppState, app};

/// Serve until SIGINT/SIGTERM (or `shutdown` resolves). In-flight requests
/// finish before this returns; the caller then shuts the store down so every
/// acknowledged write is on disk.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Small responses in one segment, no wait for the peer's delayed ACK:
    // MLflow's server loses ~40 ms per reused connection without this.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "could not set TCP_NODELAY");
        }
    });
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}
