-- Rollups and user-days keyed WITHOUT ROWID: their key is the table, so an upsert writes one
-- B-tree instead of the table and its key's index, and a month's range of days is read in
-- key order without a lookup per row. Rows are copied as they are.
CREATE TABLE usage_rollups_v3 (
    day                  TEXT    NOT NULL,
    provider             TEXT    NOT NULL,
    model                TEXT    NOT NULL,
    api_key              TEXT    NOT NULL,
    team                 TEXT    NOT NULL,
    feature              TEXT    NOT NULL,
    environment          TEXT    NOT NULL,
    tags                 TEXT    NOT NULL,
    service_tier         TEXT    NOT NULL,
    outcome              TEXT    NOT NULL,
    context_band         INTEGER NOT NULL,
    in_workflow          INTEGER NOT NULL,
    events               INTEGER NOT NULL,
    requests             INTEGER NOT NULL,
    input_tokens         INTEGER NOT NULL,
    cached_input_tokens  INTEGER NOT NULL,
    cache_write_tokens   INTEGER NOT NULL,
    output_tokens        INTEGER NOT NULL,
    reasoning_tokens     INTEGER NOT NULL,
    standalone_successes INTEGER NOT NULL,
    PRIMARY KEY (day, provider, model, api_key, team, feature, environment, tags, service_tier, outcome, context_band, in_workflow)
) WITHOUT ROWID;
INSERT INTO usage_rollups_v3 (day, provider, model, api_key, team, feature, environment, tags,
    service_tier, outcome, context_band, in_workflow, events, requests, input_tokens,
    cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, standalone_successes)
SELECT day, provider, model, api_key, team, feature, environment, tags,
    service_tier, outcome, context_band, in_workflow, events, requests, input_tokens,
    cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, standalone_successes
FROM usage_rollups;
DROP TABLE usage_rollups;
ALTER TABLE usage_rollups_v3 RENAME TO usage_rollups;

CREATE TABLE usage_users_v2 (
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
) WITHOUT ROWID;
INSERT INTO usage_users_v2 (day, provider, model, api_key, team, feature, environment, tags, user_id)
SELECT day, provider, model, api_key, team, feature, environment, tags, user_id FROM usage_users;
DROP TABLE usage_users;
ALTER TABLE usage_users_v2 RENAME TO usage_users;
