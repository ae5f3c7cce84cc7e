-- Receipts: each peer's signed acknowledgement of an envelope this node sent, bound to the
-- peer's transparency log (its object-received entries and their indices). Kept whole so the
-- sender can later show them and prove, with the peer's checkpoints, what the peer received.
CREATE TABLE federation_receipts (
    peer        TEXT NOT NULL,
    -- The outbound envelope sequence number the receipt acknowledges.
    out_seq     INTEGER NOT NULL,
    -- The peer's log size just after its entries for the envelope.
    log_size    INTEGER NOT NULL,
    -- The receipt exactly as the peer sent it (signed JSON).
    receipt     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (peer, out_seq)
);
