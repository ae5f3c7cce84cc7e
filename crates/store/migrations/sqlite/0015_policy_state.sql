-- The SHA-256 of the export policy last recorded in the transparency log (a `policy-changed`
-- entry), so that a node notices, at start, a policy file edited while it was stopped.
CREATE TABLE federation_policy_state (
    id            INTEGER PRIMARY KEY CHECK (id = 0),
    policy_sha256 BLOB NOT NULL
);
