-- Users seen per day and owner dimensions, for active-user counts. Kept out of rollups so that
-- many user ids do not multiply rollup rows.

CREATE TABLE usage_users (
    day         TEXT NOT NULL,
    provider    TEXT NOT NULL,
    model       TEXT NOT NULL,
    api_key     TEXT NOT NULL,
    team        TEXT NOT NULL,
    feature     TEXT NOT NULL,
    environment TEXT NOT NULL,
    tags        TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    PRIMARY KEY (day, provider, model, api_key, team, feature, environment, tags, user_id)
);
