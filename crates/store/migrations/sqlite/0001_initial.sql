-- Pacific store, SQLite schema v1.
--
-- Kept close to portable SQL so the PostgreSQL migrations can mirror it: booleans are BOOLEAN
-- columns tested bare (`WHERE is_latest`), times are stored twice (integer microseconds since
-- the Unix epoch for comparison and ordering, and the exact text for output).

-- Collections. `key` is a small integer surrogate so the large object tables and their
-- indexes carry 8 bytes per row rather than a 36-character UUID.
CREATE TABLE collections (
    key         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    description TEXT,
    alias       TEXT UNIQUE
);

-- Every version of every object of every collection.
--
-- `seq` is the global insertion order and the pagination cursor. AUTOINCREMENT guarantees a
-- seq is never reused, even after the highest row is deleted, so a cursor handed to a client
-- can never point past a version added later.
--
-- `date_added_us` is strictly increasing with `seq` (the store assigns both in one serialized
-- write path), which lets `added_after` be turned into a seq lower bound.
--
-- `is_latest` / `is_first` mark the newest / oldest version of each (collection, object_id)
-- and are maintained by every insert and delete.
CREATE TABLE object_versions (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    collection    INTEGER NOT NULL REFERENCES collections (key),
    object_id     TEXT NOT NULL,
    type          TEXT NOT NULL,
    spec_version  TEXT NOT NULL,
    version_us    INTEGER NOT NULL,
    version       TEXT NOT NULL,
    date_added_us INTEGER NOT NULL,
    date_added    TEXT NOT NULL,
    is_latest     BOOLEAN NOT NULL,
    is_first      BOOLEAN NOT NULL,
    -- Last, so metadata-only reads never touch its overflow pages.
    json          TEXT NOT NULL
);

-- One row per version of an object; also serves every lookup by (collection, object_id).
-- Named (not a table constraint) so queries can name it.
CREATE UNIQUE INDEX object_versions_object ON object_versions (collection, object_id, version_us);

-- Page scans in seq order: every version, latest versions only, first versions only. The
-- partial indexes make a `match[version]=last` (the default) page cost O(limit) however
-- many superseded versions the collection holds.
CREATE INDEX object_versions_all ON object_versions (collection, seq);
CREATE INDEX object_versions_latest ON object_versions (collection, seq) WHERE is_latest;
CREATE INDEX object_versions_first ON object_versions (collection, seq) WHERE is_first;
-- `match[type]` pages.
CREATE INDEX object_versions_type ON object_versions (collection, type, seq);
-- `added_after`: finds the first seq added after a time.
CREATE INDEX object_versions_added ON object_versions (collection, date_added_us);

-- Small named integers kept in the same transactions as the data they describe.
--   last_date_added_us: the highest date_added ever assigned (survives deletes, so a
--                       date_added is never handed out twice).
--   object_versions:    row count of object_versions, so stats need not scan.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('last_date_added_us', 0), ('object_versions', 0);

CREATE TABLE users (
    name       TEXT PRIMARY KEY,
    role       TEXT NOT NULL,
    token_id   TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL,
    created    TEXT NOT NULL
);

-- Explicit per-collection grants; one row per (user, collection), replaced on update.
CREATE TABLE grants (
    user_name     TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    collection_id TEXT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    can_read      BOOLEAN NOT NULL,
    can_write     BOOLEAN NOT NULL,
    PRIMARY KEY (user_name, collection_id)
);

-- TAXII status resources, as the JSON of pacific_core::taxii::Status.
CREATE TABLE statuses (
    id   TEXT PRIMARY KEY,
    json TEXT NOT NULL
);
