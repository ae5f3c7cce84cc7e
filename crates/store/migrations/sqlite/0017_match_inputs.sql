-- Inputs matching recorded (issue 12): the SHA-256 of each input's bytes as read, so that
-- recording the same input again (`pacific match --record`, `POST /match`) adds nothing to the
-- sightings and statistics unless forced. `recorded_at` is the latest recording (RFC 3339).
CREATE TABLE match_inputs (
    sha256      TEXT PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    matches     INTEGER NOT NULL
) WITHOUT ROWID;
