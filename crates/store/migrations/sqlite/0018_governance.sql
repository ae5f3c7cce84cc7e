-- What this node last logged of its federation's governance: the charter it installed (key
-- `charter`) and each proposal's tally (key: the proposal's id), by SHA-256, so a fact is
-- logged once, and again only if it changes (a vote delivered late changes a tally).
CREATE TABLE federation_governance (
    key    TEXT PRIMARY KEY,
    sha256 BLOB NOT NULL
);
