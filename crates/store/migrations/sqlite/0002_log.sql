-- Pacific store, SQLite schema v2: the transparency log (see `pacific-tlog`).
--
-- Every log entry is written in the same transaction as the change it records.

-- The entries, in log order: `idx` is the leaf index, `entry` the canonical entry bytes
-- (`pacific_tlog::entry::Entry::encode`), `leaf_hash` its RFC 9162 leaf hash, i.e. the level-0
-- node `(0, idx)` of the tree (kept here rather than as a `log_nodes` row: one row per entry
-- instead of two).
CREATE TABLE log_entries (
    idx       INTEGER PRIMARY KEY,
    entry     BLOB NOT NULL,
    leaf_hash BLOB NOT NULL
);

-- The hash of every complete subtree above the leaves (`pacific_tlog::merkle::NodeId`, level
-- >= 1; level 0 is `log_entries.leaf_hash`). A row never changes once written.
CREATE TABLE log_nodes (
    level INTEGER NOT NULL CHECK (level >= 1),
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;

-- The right edge of the tree (`Frontier::to_bytes`: 8-byte size, then the hashes), so an
-- append reads one row. Always equal to what `log_entries`/`log_nodes` give for that size.
CREATE TABLE log_frontier (
    id       INTEGER PRIMARY KEY CHECK (id = 0),
    frontier BLOB NOT NULL
);
INSERT INTO log_frontier (id, frontier) VALUES (0, X'0000000000000000');

-- This node's published checkpoints (signed notes), by tree size.
CREATE TABLE log_checkpoints (
    size INTEGER PRIMARY KEY,
    note TEXT NOT NULL
);

-- As a witness: the latest checkpoint seen (and cosigned) of each other log, by origin.
CREATE TABLE witnessed_checkpoints (
    origin TEXT PRIMARY KEY,
    size   INTEGER NOT NULL,
    note   TEXT NOT NULL
);

-- As a witness: evidence that a log showed two histories (two signed checkpoints that cannot
-- both be true). Never deleted.
CREATE TABLE split_view_evidence (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    origin    TEXT NOT NULL,
    detected  TEXT NOT NULL,
    reason    TEXT NOT NULL,
    kept_note TEXT NOT NULL,
    new_note  TEXT NOT NULL
);
CREATE INDEX split_view_evidence_origin ON split_view_evidence (origin, id);
