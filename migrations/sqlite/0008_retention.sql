-- The raw-event retention horizon: events before it were pruned, so their duplicate check
-- is gone and ingest refuses events from before it.
CREATE TABLE retention (
    id            INTEGER NOT NULL PRIMARY KEY,
    pruned_before TEXT    NOT NULL
);
