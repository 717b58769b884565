-- Cairn tracking schema: per-block extremes of metric histories, for charts.
--
-- Charting a long metric (say 1,000,000 points) used to read every point
-- just to keep the min and max of each of ~1,000 pixel buckets. This table
-- keeps, for every 256-step block of a (run, metric) history, the point
-- count, the earliest timestamp and the points holding the smallest and the
-- largest finite value. It is maintained at write time (metric_blocks.rs,
-- one upsert per touched block per write), so a chart of a million points
-- reads ~4,000 rows; its extremes are real history points, so spikes stay.
--
-- Idempotent (IF NOT EXISTS, OR REPLACE): applying it again over the same
-- history rebuilds the same rows.

CREATE TABLE IF NOT EXISTS metric_blocks (
    run_key    INTEGER NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
    key        TEXT    NOT NULL,
    block      INTEGER NOT NULL,            -- step >> 8 (floor of step / 256)
    points     INTEGER NOT NULL,            -- history rows in the block, NaN included
    first_time INTEGER NOT NULL,            -- earliest timestamp in the block
    lo_value   REAL,                        -- smallest finite value (NULL: none)
    lo_step    INTEGER,
    lo_time    INTEGER,
    hi_value   REAL,                        -- largest finite value (NULL: none)
    hi_step    INTEGER,
    hi_time    INTEGER,
    PRIMARY KEY (run_key, key, block)
) WITHOUT ROWID;

-- Backfill from the existing history. SQLite's bare columns next to a
-- single min()/max() come from the row holding that extreme.
INSERT OR REPLACE INTO metric_blocks
    (run_key, key, block, points, first_time,
     lo_value, lo_step, lo_time, hi_value, hi_step, hi_time)
SELECT a.run_key, a.key, a.block, a.points, a.first_time,
       lo.v, lo.step, lo.timestamp, hi.v, hi.step, hi.timestamp
FROM (SELECT run_key, key, step >> 8 AS block, count(*) AS points,
             min(timestamp) AS first_time
      FROM metric_history GROUP BY run_key, key, step >> 8) a
LEFT JOIN (SELECT run_key, key, step >> 8 AS block, min(value) AS v, step, timestamp
           FROM metric_history WHERE is_nan = 0 AND abs(value) < 9e999
           GROUP BY run_key, key, step >> 8) lo
    ON lo.run_key = a.run_key AND lo.key = a.key AND lo.block = a.block
LEFT JOIN (SELECT run_key, key, step >> 8 AS block, max(value) AS v, step, timestamp
           FROM metric_history WHERE is_nan = 0 AND abs(value) < 9e999
           GROUP BY run_key, key, step >> 8) hi
    ON hi.run_key = a.run_key AND hi.key = a.key AND hi.block = a.block;
