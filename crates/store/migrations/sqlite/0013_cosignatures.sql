-- Witnesses' cosignatures of this node's checkpoints (C2SP tlog-cosignature/v1), pushed by
-- peers with `POST /log/cosignatures` and checked before they are kept: the peer is
-- registered, its identity key signed the statement binding the cosignature key to it, the
-- checkpoint is one this node signed with this log's root at that size, and the cosignature
-- verifies. One row per witness: its latest cosignature (a larger tree, or the same tree at a
-- later time, replaces it; an older one never does).
CREATE TABLE log_cosignatures (
    -- The witness's party id.
    witness       TEXT PRIMARY KEY,
    -- The witness's cosignature verifier key (vkey, signature type 0x04).
    cosigner_vkey TEXT NOT NULL,
    -- Standard base64 Ed25519 signature, by the witness's registered identity key, of the
    -- statement binding `cosigner_vkey` to the witness (`pacific_node::log`).
    key_statement TEXT NOT NULL,
    -- The tree size of the cosigned checkpoint.
    size          INTEGER NOT NULL,
    -- This node's signed checkpoint of that size (its own signature line only).
    checkpoint    TEXT NOT NULL,
    -- The cosignature line, with its final newline.
    cosignature   TEXT NOT NULL,
    -- The cosignature's own timestamp (Unix seconds).
    cosigned_at   INTEGER NOT NULL,
    -- When this node received it.
    received_at   TEXT NOT NULL
);
CREATE INDEX log_cosignatures_size ON log_cosignatures (size DESC, witness);
