//! Connections, migrations and the group-committing writer.
//!
//! SQLite allows one writer at a time. Instead of letting request threads
//! fight over the write lock (MLflow's "database is locked"), every write is
//! a job sent to one writer thread. The writer drains whatever jobs are
//! queued, runs each inside its own SAVEPOINT within one transaction, commits
//! once, and only then answers each caller. So an acknowledged write is
//! always committed (durable per the configured `synchronous` level), a
//! failing job leaves no trace, and N concurrent writers cost one fsync.
//! Reads use a small pool of separate connections (WAL lets them run while
//! the writer commits). WAL checkpoints run on a background thread with its
//! own connection, off the commit path; the writer checkpoints only if the
//! WAL outgrows a hard limit.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use cairn_core::{Error, Result};
use rusqlite::{Connection, OpenFlags};

/// How hard a commit pushes data to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// fsync the WAL on every commit: survives power loss and kill -9.
    #[default]
    Full,
    /// fsync only at checkpoints: survives kill -9 of the process (the OS
    /// keeps the written WAL pages), may lose the last commits on power loss.
    Normal,
}

/// The schema migrations, applied in order; the index + 1 is the version.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_metric_history_by_run_key.sql"),
    include_str!("../migrations/0003_runs_lookup_index.sql"),
    include_str!("../migrations/0004_metric_blocks.sql"),
    include_str!("../migrations/0005_child_tables_by_run_key.sql"),
    HISTORY_CHUNKS_MIGRATION,
    include_str!("../migrations/0007_model_registry.sql"),
];

/// Migration 0006 (history in chunks). Its data conversion packs points
/// into blobs, which SQL cannot do, so it runs as code right after the
/// script, in the same transaction (matched by content, not position, so
/// the list can be reordered on merge).
const HISTORY_CHUNKS_MIGRATION: &str = include_str!("../migrations/0006_metric_history_chunks.sql");

/// Most jobs folded into one transaction.
const MAX_GROUP: usize = 512;

/// Page cache of the writer connection, KiB. The writer touches the most
/// pages (every metric insert walks two B-trees), so it gets the big cache.
const WRITER_CACHE_KIB: i64 = 16_384;
/// Page cache of each pooled reader connection, KiB. A 1,000-run search
/// page at 10,000 runs touches about 8 MB of pages; with 2 MiB nearly every
/// page was a `pread` (14 % of the search's CPU in `perf`). Pages are
/// allocated only as they are read, so small reads stay small.
const READER_CACHE_KIB: i64 = 6_144;
/// Most idle reader connections kept in the pool. The pool is LIFO, so
/// sequential reads reuse one warm connection; a burst of concurrent reads
/// opens more, and those beyond this many are closed (freeing their cache)
/// when they are returned.
const MAX_POOLED_READERS: usize = 2;

/// The background checkpointer copies the WAL into the database at most
/// this often while there are writes.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(250);
/// If the WAL file grows past this (the background checkpoint cannot keep
/// up), the writer checkpoints inline so the WAL stays bounded.
const WAL_HARD_LIMIT_BYTES: u64 = 256 << 20;
/// After a checkpoint reset, a WAL file larger than this is truncated to it.
const JOURNAL_SIZE_LIMIT_BYTES: i64 = 64 << 20;

type Completion = Box<dyn FnOnce(Result<()>) + Send>;
type Job = Box<dyn FnOnce(&Connection) -> (bool, Completion) + Send>;

pub(crate) struct Db {
    path: PathBuf,
    writer: Mutex<Option<mpsc::Sender<Job>>>,
    writer_thread: Mutex<Option<thread::JoinHandle<()>>>,
    checkpointer: Mutex<Option<(mpsc::SyncSender<()>, thread::JoinHandle<()>)>>,
    readers: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

pub(crate) fn sql_err(e: rusqlite::Error) -> Error {
    Error::internal(format!("storage error: {e}"))
}

fn open_connection(path: &Path, durability: Durability, cache_kib: i64) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags).map_err(sql_err)?;
    let sync = match durability {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    };
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = {sync};
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 20000;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -{cache_kib};"
    ))
    .map_err(sql_err)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )
    .map_err(sql_err)?;
    let current: i64 = conn
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(sql_err)?;
    if current > MIGRATIONS.len() as i64 {
        return Err(Error::internal(format!(
            "database schema version {current} is newer than this Cairn build supports ({}); upgrade Cairn",
            MIGRATIONS.len()
        )));
    }
    for (idx, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = idx as i64 + 1;
        let tx = conn.transaction().map_err(sql_err)?;
        tx.execute_batch(sql).map_err(sql_err)?;
        if *sql == HISTORY_CHUNKS_MIGRATION {
            crate::history::convert_legacy_history(&tx)?;
        }
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            (version, crate::now_ms()),
        )
        .map_err(sql_err)?;
        tx.commit().map_err(sql_err)?;
        tracing::info!(version, "applied schema migration");
    }
    Ok(())
}

impl Db {
    /// Open (creating if needed) and migrate the database at `path`, then
    /// start the writer thread. `init` runs once in the first transaction
    /// (used to create the Default experiment).
    pub(crate) fn open(
        path: &Path,
        durability: Durability,
        init: impl FnOnce(&Connection) -> Result<()>,
    ) -> Result<Db> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::internal(format!("cannot create {}: {e}", parent.display())))?;
        }
        let mut conn = open_connection(path, durability, WRITER_CACHE_KIB)?;
        migrate(&mut conn)?;
        // Planner statistics make filtered searches pick the selective index
        // (measured 18-25 ms -> 4-7 ms at 10,000 runs); 0x10002 analyses
        // tables that have never been analysed (the tables a migration
        // rebuilt, for one). 0x10 bounds the cost with an analysis limit,
        // which also keeps STAT4 samples out: with samples the planner drove
        // the benchmark search from all runs of the experiment instead of
        // the param index (176 vs 147 M instructions on an upgraded database).
        conn.execute_batch(OPTIMIZE).map_err(sql_err)?;
        {
            let tx = conn.transaction().map_err(sql_err)?;
            init(&tx)?;
            tx.commit().map_err(sql_err)?;
        }
        // Checkpoints run on their own connection and thread, off the commit
        // path: the writer never checkpoints unless the WAL outgrows its
        // hard limit. Durability is unchanged: every commit is still
        // appended to the WAL and fsynced before it is acknowledged.
        conn.execute_batch(&format!(
            "PRAGMA wal_autocheckpoint = 0;
             PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT_BYTES};"
        ))
        .map_err(sql_err)?;
        let ckpt_conn = open_connection(path, durability, 256)?;
        let (ckpt_tx, ckpt_rx) = mpsc::sync_channel::<()>(1);
        let ckpt_handle = thread::Builder::new()
            .name("cairn-sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(ckpt_conn, ckpt_rx))
            .map_err(|e| Error::internal(format!("cannot start checkpoint thread: {e}")))?;
        let (tx, rx) = mpsc::channel::<Job>();
        let wal_path = wal_path_of(path);
        let kick = ckpt_tx.clone();
        let handle = thread::Builder::new()
            .name("cairn-sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx, kick, wal_path))
            .map_err(|e| Error::internal(format!("cannot start writer thread: {e}")))?;
        Ok(Db {
            path: path.to_owned(),
            writer: Mutex::new(Some(tx)),
            writer_thread: Mutex::new(Some(handle)),
            checkpointer: Mutex::new(Some((ckpt_tx, ckpt_handle))),
            readers: Mutex::new(Vec::new()),
        })
    }

    /// Run `f` as one write job; returns after its transaction committed.
    pub(crate) fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (reply_tx, reply_rx) = mpsc::sync_channel::<Result<T>>(1);
        let job: Job = Box::new(move |conn| {
            let outcome = f(conn);
            let ok = outcome.is_ok();
            let completion: Completion = Box::new(move |commit: Result<()>| {
                let answer = match (outcome, commit) {
                    (Ok(v), Ok(())) => Ok(v),
                    (Err(e), _) => Err(e),
                    (Ok(_), Err(e)) => Err(e),
                };
                let _ = reply_tx.send(answer);
            });
            (ok, completion)
        });
        let sender = self
            .writer
            .lock()
            .map_err(|_| Error::internal("writer lock poisoned"))?
            .clone()
            .ok_or_else(|| Error::internal("the store is shut down"))?;
        sender
            .send(job)
            .map_err(|_| Error::internal("the store writer has stopped"))?;
        reply_rx
            .recv()
            .map_err(|_| Error::internal("the store writer dropped a write"))?
    }

    /// Run `f` on a pooled read connection inside one read transaction, so
    /// multi-query reads see a consistent snapshot.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self
            .readers
            .lock()
            .map_err(|_| Error::internal("reader pool poisoned"))?
            .pop();
        let conn = match pooled {
            Some(c) => c,
            None => {
                let c = open_connection(&self.path, Durability::Normal, READER_CACHE_KIB)?;
                c.execute_batch("PRAGMA query_only = ON").map_err(sql_err)?;
                c
            }
        };
        conn.execute_batch("BEGIN").map_err(sql_err)?;
        let result = f(&conn);
        let end = conn.execute_batch("COMMIT").map_err(sql_err);
        if end.is_ok()
            && let Ok(mut pool) = self.readers.lock()
            && pool.len() < MAX_POOLED_READERS
        {
            pool.push(conn);
        }
        let value = result?;
        end?;
        Ok(value)
    }

    /// Stop accepting writes, finish the queued ones and close the writer.
    pub(crate) fn shutdown(&self) {
        if let Ok(mut w) = self.writer.lock() {
            w.take();
        }
        if let Some(handle) = self.writer_thread.lock().ok().and_then(|mut h| h.take()) {
            let _ = handle.join();
        }
        // The writer has dropped its handle; dropping ours stops the
        // checkpointer.
        if let Some((kick, handle)) = self.checkpointer.lock().ok().and_then(|mut c| c.take()) {
            drop(kick);
            let _ = handle.join();
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Commits between two `PRAGMA optimize` runs, so statistics follow the data.
const OPTIMIZE_EVERY: u64 = 2000;

/// The planner-statistics refresh, at open and every [`OPTIMIZE_EVERY`]
/// commits. 0x10000 makes it look at every table, not only those this
/// (writing, never searching) connection queried, so a table that grew 25x
/// since its last analysis is analysed again: statistics taken while `runs`
/// held 9 rows made the benchmark search 49-56 ms instead of 36 ms after
/// the table reached 10,000 runs. 0x10 is the analysis limit, 0x02 the
/// analysis itself.
const OPTIMIZE: &str = "PRAGMA optimize = 0x10012";

fn wal_path_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// Copy committed WAL frames into the database file in the background.
/// PASSIVE never blocks the writer or readers; the writer restarts the WAL
/// from its start once a checkpoint has caught up.
fn checkpoint_loop(conn: Connection, kicks: mpsc::Receiver<()>) {
    loop {
        // Wait for a commit (or stop when the store shuts down) ...
        if kicks.recv().is_err() {
            return;
        }
        // ... then let commits accumulate, so a page rewritten by many
        // commits is copied once.
        thread::sleep(CHECKPOINT_INTERVAL);
        while kicks.try_recv().is_ok() {}
        if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)") {
            tracing::warn!(error = %e, "background checkpoint failed");
        }
    }
}

/// After each commit: wake the checkpointer and, rarely, check the WAL size.
fn after_commit(conn: &Connection, kick: &mpsc::SyncSender<()>, wal_path: &Path, commits: u64) {
    // A full channel means the checkpointer is already due.
    let _ = kick.try_send(());
    if commits.is_multiple_of(64)
        && std::fs::metadata(wal_path).is_ok_and(|m| m.len() > WAL_HARD_LIMIT_BYTES)
    {
        tracing::warn!("WAL over its limit; checkpointing on the writer");
        if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)") {
            tracing::warn!(error = %e, "inline checkpoint failed");
        }
    }
}

fn writer_loop(
    conn: Connection,
    rx: mpsc::Receiver<Job>,
    kick: mpsc::SyncSender<()>,
    wal_path: PathBuf,
) {
    let mut group: Vec<Job> = Vec::with_capacity(MAX_GROUP);
    let mut commits: u64 = 0;
    while let Ok(first) = rx.recv() {
        commits += 1;
        if commits.is_multiple_of(OPTIMIZE_EVERY)
            && let Err(e) = conn.execute_batch(OPTIMIZE)
        {
            tracing::warn!(error = %e, "PRAGMA optimize failed");
        }
        group.push(first);
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let mut completions: Vec<Completion> = Vec::with_capacity(group.len());
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            // Dropping a job drops its reply channel: its caller gets an error
            // and nothing was written.
            tracing::error!(error = %e, jobs = group.len(), "cannot begin a write transaction");
            group.clear();
            continue;
        }
        if group.len() == 1 {
            // A lone job needs no savepoint: if it fails, the whole
            // transaction is rolled back instead. This skips copying every
            // page the job touches into the savepoint journal.
            if let Some(job) = group.pop() {
                let (ok, completion) = job(&conn);
                let commit = if ok {
                    conn.execute_batch("COMMIT").map_err(sql_err)
                } else {
                    conn.execute_batch("ROLLBACK").map_err(sql_err)
                };
                if commit.is_err() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                completion(commit);
            }
            after_commit(&conn, &kick, &wal_path, commits);
            continue;
        }
        for job in group.drain(..) {
            if let Err(e) = conn.execute_batch("SAVEPOINT job") {
                tracing::error!(error = %e, "cannot open a savepoint; refusing the write");
                continue;
            }
            let (ok, completion) = job(&conn);
            let end = if ok {
                "RELEASE job"
            } else {
                "ROLLBACK TO job; RELEASE job"
            };
            if let Err(e) = conn.execute_batch(end) {
                tracing::error!(error = %e, "savepoint release failed");
            }
            completions.push(completion);
        }
        let commit = conn.execute_batch("COMMIT").map_err(sql_err);
        if commit.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        for completion in completions {
            completion(commit.clone());
        }
        after_commit(&conn, &kick, &wal_path, commits);
    }
    drop(kick);
    // Channel closed: checkpoint so the WAL does not linger.
    let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
}
