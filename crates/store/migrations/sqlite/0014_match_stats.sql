-- Matching statistics (issue 6): how many matches per UTC day, by dimension and key. One row
-- per (day, dimension, key); `Store::add_match_stats` adds counts in one transaction.
-- Dimensions (written by `pacific_node::matching`): `indicator` (indicator id),
-- `kill-chain-phase` (`<kill_chain_name>:<phase_name>`), `malware` and `campaign` (the ids an
-- indicator `indicates`), `sector` (of the affected asset, `unknown` when no asset matched),
-- `shared-by` (the party the indicator came from, `local` for this node's own).
CREATE TABLE match_stats (
    -- YYYY-MM-DD (UTC).
    day       TEXT NOT NULL,
    dimension TEXT NOT NULL,
    key       TEXT NOT NULL,
    count     INTEGER NOT NULL,
    PRIMARY KEY (day, dimension, key)
) WITHOUT ROWID;

-- The matching engine follows new versions of a few types (indicators, relationships) by
-- `seq`, across collections.
CREATE INDEX object_versions_type_seq ON object_versions (type, seq);
