-- Revocation and expiry of users' API tokens (issue 11).
--   expires: when the token stops working (RFC 3339 UTC text), NULL for never.
--   revoked: when the token was revoked (RFC 3339 UTC text), NULL while it is valid. A revoked
--            user stays, with no valid token, until a new token is issued (which clears it).
ALTER TABLE users ADD COLUMN expires TEXT;
ALTER TABLE users ADD COLUMN revoked TEXT;
