-- Cairn tracking schema: metric history stored in write-order chunks.
--
-- Until now every history point was a row of `metric_history`, keyed
-- (run_key, key, timestamp, step, value, is_nan). That order is key-major,
-- so one log-batch of 100 keys x 10 steps inserted into 100 different leaf
-- pages: about 250 WAL frames (1 MB) and 5-7 ms of SQLite CPU per
-- 1,000-metric commit, more than the whole per-batch budget.
--
-- Now each (run, metric) is a `metric_series` row, and each write appends,
-- per metric it touches, one `metric_chunks` row holding that write's new
-- points packed in a blob (format in history.rs: a version byte, then
-- little-endian (timestamp i64, step i64, value f64) records sorted in
-- history order; NaN is stored as NaN, not as a flag). Chunks get
-- ascending integer ids, so one write's chunks are contiguous at the end
-- of the table (a handful of pages); the (series, chunk) index, one small
-- entry per chunk, finds a metric's chunks. A history read concatenates
-- its chunks and sorts only if they are out of history order.
--
-- `metric_series` also keeps the series' point count and its greatest point
-- in history order (timestamp, step, value; NaN as value 0 flagged by
-- last_is_nan, as everywhere else), so a write whose points all come after
-- it needs no duplicate check against stored points; any other write
-- checks the chunks whose time range overlaps its points. MLflow stores an
-- exact duplicate (key, timestamp, step, value) once; writes keep that.
--
-- The rows of `metric_history` are converted by code after this script
-- (history.rs, `convert_legacy_history`), in the same transaction, and the
-- table is dropped there. metric_blocks keeps the same points, so it is
-- unchanged.

CREATE TABLE metric_series (
    series      INTEGER PRIMARY KEY,     -- assigned once, never reused
    run_key     INTEGER NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
    key         TEXT    NOT NULL,
    points      INTEGER NOT NULL,        -- stored points, NaN included
    last_time   INTEGER,                 -- greatest point in history order
    last_step   INTEGER,                 -- (NULLs: no point yet)
    last_value  REAL,
    last_is_nan INTEGER,
    UNIQUE (run_key, key)
);

CREATE TABLE metric_chunks (
    chunk    INTEGER PRIMARY KEY,        -- ascending: write order
    series   INTEGER NOT NULL REFERENCES metric_series (series) ON DELETE CASCADE,
    min_time INTEGER NOT NULL,           -- the chunk's time range, so a
    max_time INTEGER NOT NULL,           -- duplicate check skips other chunks
    data     BLOB    NOT NULL            -- last: reading the range leaves it unread
);
CREATE INDEX metric_chunks_by_series ON metric_chunks (series, chunk);
