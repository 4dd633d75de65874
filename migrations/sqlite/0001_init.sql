-- tokentally schema (SQLite). Money is TEXT holding an exact decimal; times are epoch
-- milliseconds; days are 'YYYY-MM-DD' (UTC); absent dimensions are '' so unique keys hold.

CREATE TABLE events (
    source              TEXT    NOT NULL,
    event_id            TEXT    NOT NULL,
    ts_ms               INTEGER NOT NULL,
    day                 TEXT    NOT NULL,
    provider            TEXT    NOT NULL,
    model               TEXT    NOT NULL,
    api_key             TEXT    NOT NULL,
    team                TEXT    NOT NULL,
    feature             TEXT    NOT NULL,
    environment         TEXT    NOT NULL,
    user_id             TEXT    NOT NULL,
    customer            TEXT    NOT NULL,
    tags                TEXT    NOT NULL,
    input_tokens        INTEGER NOT NULL,
    cached_input_tokens INTEGER NOT NULL,
    cache_write_tokens  INTEGER NOT NULL,
    output_tokens       INTEGER NOT NULL,
    reasoning_tokens    INTEGER NOT NULL,
    requests            INTEGER NOT NULL,
    service_tier        TEXT    NOT NULL,
    outcome             TEXT    NOT NULL,
    workflow_id         TEXT    NOT NULL,
    latency_ms          INTEGER,
    reported_cost       TEXT,
    received_ms         INTEGER NOT NULL,
    PRIMARY KEY (source, event_id)
);
CREATE INDEX events_day ON events (day);

CREATE TABLE usage_rollups (
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
    events               INTEGER NOT NULL,
    requests             INTEGER NOT NULL,
    input_tokens         INTEGER NOT NULL,
    cached_input_tokens  INTEGER NOT NULL,
    cache_write_tokens   INTEGER NOT NULL,
    output_tokens        INTEGER NOT NULL,
    reasoning_tokens     INTEGER NOT NULL,
    standalone_successes INTEGER NOT NULL,
    PRIMARY KEY (day, provider, model, api_key, team, feature, environment, tags, service_tier, outcome, context_band)
);

CREATE TABLE workflows (
    workflow_id      TEXT    NOT NULL PRIMARY KEY,
    calls            INTEGER NOT NULL,
    requests         INTEGER NOT NULL,
    input_tokens     INTEGER NOT NULL,
    first_ms         INTEGER NOT NULL,
    first_input      INTEGER NOT NULL,
    last_ms          INTEGER NOT NULL,
    last_event_id    TEXT    NOT NULL,
    last_outcome     TEXT    NOT NULL,
    last_input       INTEGER NOT NULL,
    last_day         TEXT    NOT NULL,
    provider         TEXT    NOT NULL,
    model            TEXT    NOT NULL,
    api_key          TEXT    NOT NULL,
    team             TEXT    NOT NULL,
    feature          TEXT    NOT NULL,
    environment      TEXT    NOT NULL,
    tags             TEXT    NOT NULL,
    explicit_outcome TEXT
);
CREATE INDEX workflows_last_day ON workflows (last_day);

CREATE TABLE price_cards (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    provider       TEXT    NOT NULL,
    model          TEXT    NOT NULL,
    effective_from TEXT    NOT NULL,
    card           TEXT    NOT NULL,
    origin         TEXT    NOT NULL,
    created_ms     INTEGER NOT NULL,
    UNIQUE (provider, model, effective_from)
);

CREATE TABLE key_mappings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    api_key     TEXT    NOT NULL,
    team        TEXT    NOT NULL,
    feature     TEXT,
    environment TEXT,
    valid_from  TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL,
    created_by  TEXT    NOT NULL,
    UNIQUE (api_key, valid_from)
);

CREATE TABLE rules (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    priority   INTEGER NOT NULL,
    provider   TEXT,
    model      TEXT,
    key_prefix TEXT,
    tag_key    TEXT,
    tag_value  TEXT,
    team       TEXT,
    feature    TEXT,
    created_ms INTEGER NOT NULL
);

CREATE TABLE overheads (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    month      TEXT    NOT NULL,
    category   TEXT    NOT NULL,
    amount     TEXT    NOT NULL,
    allocation TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    UNIQUE (month, category)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    teams         TEXT    NOT NULL,
    created_ms    INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    role         TEXT    NOT NULL,
    teams        TEXT    NOT NULL,
    created_ms   INTEGER NOT NULL,
    last_used_ms INTEGER,
    revoked_ms   INTEGER
);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms   INTEGER NOT NULL,
    actor   TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    subject TEXT    NOT NULL,
    before  TEXT,
    after   TEXT
);
