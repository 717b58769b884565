//! `cairn server`: flags modelled on `mlflow server`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use cairn_artifacts::ArtifactRepo;
use cairn_server::{AppState, Settings};
use cairn_store::{Durability, SqliteStore, StoreOptions};
use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DurabilityArg {
    /// fsync every commit (survives power loss).
    Full,
    /// fsync at checkpoints (survives a killed process).
    Normal,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    /// Readable lines.
    Text,
    /// JSON lines, for log collectors.
    Json,
}

/// Flags of `cairn server`.
#[derive(Debug, Args)]
pub(crate) struct ServerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", env = "CAIRN_HOST")]
    host: IpAddr,
    /// Port to listen on.
    #[arg(long, short, default_value_t = 5000, env = "CAIRN_PORT")]
    port: u16,
    /// Where runs and experiments are stored: `sqlite:///path.db` or a file path.
    #[arg(
        long,
        default_value = "sqlite:///cairn-data/cairn.db",
        env = "CAIRN_BACKEND_STORE_URI"
    )]
    backend_store_uri: String,
    /// Artifact root URI given to new experiments (`<root>/<experiment id>`).
    #[arg(long, default_value = "mlflow-artifacts:/")]
    default_artifact_root: String,
    /// Directory where proxied artifacts are stored.
    #[arg(long, default_value = "cairn-data/artifacts")]
    artifacts_destination: PathBuf,
    /// Serve artifacts through the `mlflow-artifacts` proxy (default: on).
    #[arg(long, default_value_t = true, overrides_with = "no_serve_artifacts")]
    serve_artifacts: bool,
    /// Do not serve artifacts.
    #[arg(long)]
    no_serve_artifacts: bool,
    /// Accepted for `mlflow server` compatibility; Cairn uses one process
    /// with a thread per core.
    #[arg(long, short)]
    workers: Option<usize>,
    /// Commit durability of the embedded store.
    #[arg(long, value_enum, default_value = "full")]
    durability: DurabilityArg,
    /// Log format: human-readable text or one JSON object per line.
    #[arg(long, value_enum, default_value = "text", env = "CAIRN_LOG_FORMAT")]
    log_format: LogFormat,
    /// Largest accepted artifact upload, in MiB.
    #[arg(long, default_value_t = 5120)]
    max_artifact_mib: u64,
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

/// glibc malloc settings for the server: at most 2 arenas, and buffers of
/// 256 KiB or more in their own mappings, returned to the OS when freed.
///
/// By default glibc gives every thread that allocates (tokio workers,
/// blocking-pool threads, the store's writer) an arena of its own, keeps
/// freed memory in it, and after a large buffer is freed raises its mmap
/// threshold so later large buffers (an 8 MB metric history response) stay
/// in the arenas for good. Measured after workloads a, c and d of
/// `cairn-bench tracking`: 80 MiB RSS by default, 39 MiB with these settings,
/// with no throughput loss.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MALLOC_TUNABLES: &str = "glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=262144";

/// glibc reads its tunables only at start-up, and setting them in-process
/// needs `unsafe` FFI (`mallopt`), which the workspace forbids; so the server
/// re-executes itself once with `GLIBC_TUNABLES` set, before any thread
/// starts. The process id stays the same. Skipped when the caller set
/// `GLIBC_TUNABLES` (theirs wins); on failure the server runs untuned.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn reexec_with_malloc_tunables() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("GLIBC_TUNABLES").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let err = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("GLIBC_TUNABLES", MALLOC_TUNABLES)
        .exec();
    eprintln!("note: running with default malloc settings (re-exec failed: {err})");
}

pub(crate) fn run(args: ServerArgs) -> anyhow::Result<ExitCode> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    reexec_with_malloc_tunables();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tower_http=warn".into());
    match args.log_format {
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init(),
    }
    if args.workers.is_some() {
        tracing::info!(
            "--workers is accepted for compatibility; Cairn serves from one multi-threaded process"
        );
    }
    let db_path = SqliteStore::path_from_uri(&args.backend_store_uri)
        .map_err(|e| anyhow::anyhow!("--backend-store-uri: {}", e.message()))?;
    let store = SqliteStore::open(
        &db_path,
        StoreOptions {
            default_artifact_root: args.default_artifact_root.clone(),
            durability: match args.durability {
                DurabilityArg::Full => Durability::Full,
                DurabilityArg::Normal => Durability::Normal,
            },
        },
    )
    .map_err(|e| {
        anyhow::anyhow!(
            "cannot open the store at {}: {}",
            db_path.display(),
            e.message()
        )
    })?;
    let serve_artifacts = args.serve_artifacts && !args.no_serve_artifacts;
    let artifacts = if serve_artifacts {
        Some(
            ArtifactRepo::local(&args.artifacts_destination).map_err(|e| {
                anyhow::anyhow!(
                    "--artifacts-destination {}: {}",
                    args.artifacts_destination.display(),
                    e.message()
                )
            })?,
        )
    } else {
        None
    };
    let settings = Settings {
        serve_artifacts,
        max_artifact_bytes: args.max_artifact_mib << 20,
    };
    let state = AppState::new(Arc::new(store.clone()), artifacts, settings);
    let addr = SocketAddr::new(args.host, args.port);
    // Store calls run on tokio's blocking pool. Each thread that allocates
    // gets its own glibc malloc arena, which keeps freed memory, so a small
    // pool of threads that stay alive keeps the server's memory small.
    // Writes are group-committed by one writer thread, so more threads than
    // concurrent clients buy nothing.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(8)
        .thread_keep_alive(std::time::Duration::from_secs(60))
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        tracing::info!(
            %addr,
            store = %db_path.display(),
            artifacts = %args.artifacts_destination.display(),
            "Cairn tracking server listening; set MLFLOW_TRACKING_URI=http://{addr}"
        );
        cairn_server::serve(state, listener, shutdown_signal())
            .await
            .context("server failed")
    })?;
    store.shutdown();
    tracing::info!("store closed; bye");
    Ok(ExitCode::SUCCESS)
}
