-- What a snapshot of the matching index (issue 14, `<data>/match-index.snap`) is checked
-- against before it is used instead of the feed: `store_instance`, a random number drawn once
-- when this database gets the migration, so a snapshot taken of another database is refused;
-- `versions_deleted`, the number of object versions ever deleted, moved by the delete in the
-- same transaction (a deletion moves no `seq`, so only this shows one happened).
INSERT INTO counters (name, value) VALUES ('store_instance', random()), ('versions_deleted', 0);
