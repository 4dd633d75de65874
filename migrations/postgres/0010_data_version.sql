-- A counter of changes to what reports read (usage, owners, prices, costs): bumped in the
-- transaction of every such change, so a computed report cached with the version it was read
-- at is stale exactly when the counter has moved. Servers sharing a database see each
-- other's changes through it.
CREATE TABLE data_version (
    id      BIGINT NOT NULL PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO data_version (id, version) VALUES (1, 0);
