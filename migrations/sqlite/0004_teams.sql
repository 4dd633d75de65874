-- Teams and features as admins manage them, and the names they had before a rename (so that
-- usage tagged with an old name still lands on the renamed owner).

CREATE TABLE teams (
    name        TEXT    NOT NULL PRIMARY KEY,
    created_ms  INTEGER NOT NULL,
    archived_ms INTEGER
);

CREATE TABLE features (
    team        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL,
    archived_ms INTEGER,
    PRIMARY KEY (team, name)
);

-- kind is 'team' (team = '') or 'feature' (team = the feature's team).
CREATE TABLE owner_aliases (
    kind       TEXT    NOT NULL,
    team       TEXT    NOT NULL,
    old_name   TEXT    NOT NULL,
    new_name   TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (kind, team, old_name)
);
