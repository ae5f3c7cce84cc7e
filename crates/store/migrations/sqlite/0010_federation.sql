-- Federation: peers, per-link delivery state, provenance of received objects, rejection counts.
--
-- The object_versions table is the outbox: every version has a strictly increasing seq, and
-- each peer link keeps the last seq delivered to (and acknowledged by) that peer.

-- The parties this node federates with, and the state of the link to each.
--   out_cursor: highest local object_versions.seq the peer has acknowledged (or that the gate
--               held back from it); the outbox resumes after it.
--   out_seq:    the last envelope sequence number used towards the peer (every send attempt
--               takes a new one, so a retry is never a replay).
--   in_seq:     the highest envelope sequence number accepted from the peer (replay guard).
--   pull_after: catch-up: the last date_added seen when pulling the peer's TAXII collection.
CREATE TABLE federation_peers (
    party_id         TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    stakeholder_type TEXT NOT NULL,
    jurisdiction     TEXT,
    organisation     TEXT,
    url              TEXT NOT NULL,
    public_key       TEXT NOT NULL UNIQUE,
    added            TEXT NOT NULL,
    out_cursor       INTEGER NOT NULL DEFAULT 0,
    out_seq          INTEGER NOT NULL DEFAULT 0,
    in_seq           INTEGER NOT NULL DEFAULT 0,
    pull_after       TEXT
);

-- Where each received object version came from. Written before the object itself, so an
-- object received from a peer never exists without its provenance. `version_us` is the
-- object's own version (modified, else created) in microseconds, 0 for objects without one.
CREATE TABLE federation_provenance (
    collection_id TEXT NOT NULL,
    object_id     TEXT NOT NULL,
    version_us    INTEGER NOT NULL,
    received_from TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    origin        TEXT NOT NULL,
    PRIMARY KEY (collection_id, object_id, version_us)
);

-- The party that first brought each received object id to this node: only it may add
-- versions (others may relay them).
CREATE TABLE federation_origins (
    object_id TEXT PRIMARY KEY,
    origin    TEXT NOT NULL
);

-- Rejected envelopes and objects, by (claimed) sender and reason label.
CREATE TABLE federation_rejections (
    peer   TEXT NOT NULL,
    reason TEXT NOT NULL,
    count  INTEGER NOT NULL,
    last   TEXT NOT NULL,
    PRIMARY KEY (peer, reason)
);
