-- Cairn tracking schema, version 5: latest metrics, params and tags keyed by
-- the integer run key.
--
-- Version 2 keyed metric_history by `runs.run_key`; these three tables kept
-- the 32-character run_uuid. A filtered search probes them once per
-- candidate run and a search page loads them once per returned run, so at
-- 10,000 runs nearly all of its B-tree searches compared 32-byte texts.
-- Keyed by run_key, each probe compares a small integer and the rows (and
-- so the pages to read) are narrower.
--
-- Each table is rebuilt under a new name, filled from the old one and
-- renamed; nothing references these tables, so dropping the old ones
-- cascades nowhere.

CREATE TABLE latest_metrics_v5 (
    run_key   INTEGER NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
    key       TEXT    NOT NULL,
    value     REAL    NOT NULL,
    timestamp INTEGER NOT NULL,
    step      INTEGER NOT NULL,
    is_nan    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_key, key)
) WITHOUT ROWID;
INSERT INTO latest_metrics_v5 (run_key, key, value, timestamp, step, is_nan)
SELECT r.run_key, m.key, m.value, m.timestamp, m.step, m.is_nan
FROM latest_metrics m JOIN runs r ON r.run_uuid = m.run_uuid;
DROP TABLE latest_metrics;
ALTER TABLE latest_metrics_v5 RENAME TO latest_metrics;
CREATE INDEX latest_metrics_by_key_value ON latest_metrics (key, value, run_key);

CREATE TABLE params_v5 (
    run_key INTEGER NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
    key     TEXT    NOT NULL,
    value   TEXT    NOT NULL,
    PRIMARY KEY (run_key, key)
) WITHOUT ROWID;
INSERT INTO params_v5 (run_key, key, value)
SELECT r.run_key, p.key, p.value FROM params p JOIN runs r ON r.run_uuid = p.run_uuid;
DROP TABLE params;
ALTER TABLE params_v5 RENAME TO params;
CREATE INDEX params_by_key_value ON params (key, value, run_key);

CREATE TABLE tags_v5 (
    run_key INTEGER NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
    key     TEXT    NOT NULL,
    value   TEXT    NOT NULL,
    PRIMARY KEY (run_key, key)
) WITHOUT ROWID;
INSERT INTO tags_v5 (run_key, key, value)
SELECT r.run_key, t.key, t.value FROM tags t JOIN runs r ON r.run_uuid = t.run_uuid;
DROP TABLE tags;
ALTER TABLE tags_v5 RENAME TO tags;
CREATE INDEX tags_by_key_value ON tags (key, value, run_key);

-- A search driven by a child table's (key, value, run_key) index reaches
-- runs by run_key; this index carries what the search reads of each run,
-- so the probe is one B-tree search instead of the key index plus the table.
CREATE INDEX runs_by_key_cover ON runs (run_key, experiment_id, lifecycle_stage, start_time, run_uuid);
