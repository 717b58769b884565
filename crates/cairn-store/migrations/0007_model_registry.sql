-- Cairn schema, version 7: the model registry.
--
-- Child tables are keyed by the model's integer `model_key`, not its name,
-- so a rename is one UPDATE and versions, tags and aliases move with it.
-- `last_version` keeps version numbers from being reused after a delete.

CREATE TABLE registered_models (
    model_key              INTEGER PRIMARY KEY,
    name                   TEXT    NOT NULL UNIQUE,
    creation_timestamp     INTEGER NOT NULL,
    last_updated_timestamp INTEGER NOT NULL,
    description            TEXT    NOT NULL DEFAULT '',
    last_version           INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE registered_model_tags (
    model_key INTEGER NOT NULL REFERENCES registered_models (model_key) ON DELETE CASCADE,
    key       TEXT    NOT NULL,
    value     TEXT    NOT NULL,
    PRIMARY KEY (model_key, key)
) WITHOUT ROWID;

CREATE TABLE model_versions (
    model_key              INTEGER NOT NULL REFERENCES registered_models (model_key) ON DELETE CASCADE,
    version                INTEGER NOT NULL,
    creation_timestamp     INTEGER NOT NULL,
    last_updated_timestamp INTEGER NOT NULL,
    description            TEXT    NOT NULL DEFAULT '',
    source                 TEXT    NOT NULL,
    run_id                 TEXT,
    run_link               TEXT,
    current_stage          TEXT    NOT NULL
        CHECK (current_stage IN ('None', 'Staging', 'Production', 'Archived')),
    PRIMARY KEY (model_key, version)
);
CREATE INDEX model_versions_by_run ON model_versions (run_id);

CREATE TABLE model_version_tags (
    model_key INTEGER NOT NULL,
    version   INTEGER NOT NULL,
    key       TEXT    NOT NULL,
    value     TEXT    NOT NULL,
    PRIMARY KEY (model_key, version, key),
    FOREIGN KEY (model_key, version) REFERENCES model_versions (model_key, version) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE registered_model_aliases (
    model_key INTEGER NOT NULL,
    alias     TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    PRIMARY KEY (model_key, alias),
    FOREIGN KEY (model_key, version) REFERENCES model_versions (model_key, version) ON DELETE CASCADE
) WITHOUT ROWID;
