-- SQLite only (its rollups and user-days become WITHOUT ROWID tables, keyed by their primary
-- key). PostgreSQL's tables are heaps with the key's index already; nothing changes here. The
-- migration exists so that both databases count the same versions.
SELECT 1;
