-- PostgreSQL's migration 0029 indexes the rollups and user words by key, team tag and model,
-- so that a drill-down finds its rows in tables that ingest's updates leave sparse. SQLite
-- keeps those tables clustered by day (WITHOUT ROWID): a month is one dense range, read in
-- order. The same indexes made the team's read slower here (each row found costs a lookup
-- into the clustered table; docs/DECISIONS.md). Nothing to create; the number is kept so
-- that both databases record the same migrations.
SELECT 1;
