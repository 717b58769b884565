-- Cairn tracking schema, version 2: a compact metric history.
--
-- Metric history is by far the largest table and the hottest write path
-- (log-batch writes up to 1,000 rows per call). Version 1 keyed it by the
-- 32-character run_uuid text and kept a second, near-duplicate index
-- (run_uuid, key, step): every row was stored twice, each copy carrying the
-- uuid, so a commit dirtied about twice the B-tree pages (and WAL frames)
-- it needed to.
--
-- Version 2 gives every run a small integer key (`runs.run_key`, assigned
-- once at creation and never reused or renumbered, unlike SQLite's implicit
-- rowid) and keys the history by it, with no second index: bulk-interval
-- reads scan the (run_key, key) range of the primary key instead.
-- latest_metrics, params and tags keep run_uuid: searches join them.

ALTER TABLE runs ADD COLUMN run_key INTEGER;
UPDATE runs SET run_key = rowid;
CREATE UNIQUE INDEX runs_by_key ON runs (run_key);

-- Full metric history. NaN is stored as value 0 with is_nan = 1 (SQL has no
-- NaN); infinities are stored as REAL infinities. Exact duplicates collapse.
CREATE TABLE metric_history (
    run_key   INTEGER NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
    key       TEXT    NOT NULL,
    timestamp INTEGER NOT NULL,
    step      INTEGER NOT NULL,
    value     REAL    NOT NULL,
    is_nan    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_key, key, timestamp, step, value, is_nan)
) WITHOUT ROWID;

INSERT INTO metric_history (run_key, key, timestamp, step, value, is_nan)
SELECT r.run_key, m.key, m.timestamp, m.step, m.value, m.is_nan
FROM metrics m JOIN runs r ON r.run_uuid = m.run_uuid;

DROP TABLE metrics;
