-- The origin's signature of each received object version (Ed25519 over the object's exact
-- text, see the node's federation envelope), kept so that the version can be relayed to other
-- peers with proof of who made it. Empty when the version came without one (a catch-up pull
-- over TAXII); a later envelope carrying the signature fills it in.
ALTER TABLE federation_provenance ADD COLUMN origin_signature TEXT NOT NULL DEFAULT '';
