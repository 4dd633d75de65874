-- tokentally schema (PostgreSQL). Money is TEXT holding an exact decimal; times are epoch
-- milliseconds; days are 'YYYY-MM-DD' (UTC); absent dimensions are '' so unique keys hold.

CREATE TABLE events (
    source              TEXT    NOT NULL,
    event_id            TEXT    NOT NULL,
    ts_ms               BIGINT NOT NULL,
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
    input_tokens        BIGINT NOT NULL,
    cached_input_tokens BIGINT NOT NULL,
    cache_write_tokens  BIGINT NOT NULL,
    output_tokens       BIGINT NOT NULL,
    reasoning_tokens    BIGINT NOT NULL,
    requests            BIGINT NOT NULL,
    service_tier        TEXT    NOT NULL,
    outcome             TEXT    NOT NULL,
    workflow_id         TEXT    NOT NULL,
    latency_ms          BIGINT,
    reported_cost       TEXT,
    received_ms         BIGINT NOT NULL,
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
    context_band         BIGINT NOT NULL,
    events               BIGINT NOT NULL,
    requests             BIGINT NOT NULL,
    input_tokens         BIGINT NOT NULL,
    cached_input_tokens  BIGINT NOT NULL,
    cache_write_tokens   BIGINT NOT NULL,
    output_tokens        BIGINT NOT NULL,
    reasoning_tokens     BIGINT NOT NULL,
    standalone_successes BIGINT NOT NULL,
    PRIMARY KEY (day, provider, model, api_key, team, feature, environment, tags, service_tier, outcome, context_band)
);

CREATE TABLE workflows (
    workflow_id      TEXT    NOT NULL PRIMARY KEY,
    calls            BIGINT NOT NULL,
    requests         BIGINT NOT NULL,
    input_tokens     BIGINT NOT NULL,
    first_ms         BIGINT NOT NULL,
    first_input      BIGINT NOT NULL,
    last_ms          BIGINT NOT NULL,
    last_event_id    TEXT    NOT NULL,
    last_outcome     TEXT    NOT NULL,
    last_input       BIGINT NOT NULL,
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
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider       TEXT    NOT NULL,
    model          TEXT    NOT NULL,
    effective_from TEXT    NOT NULL,
    card           TEXT    NOT NULL,
    origin         TEXT    NOT NULL,
    created_ms     BIGINT NOT NULL,
    UNIQUE (provider, model, effective_from)
);

CREATE TABLE key_mappings (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    api_key     TEXT    NOT NULL,
    team        TEXT    NOT NULL,
    feature     TEXT,
    environment TEXT,
    valid_from  TEXT    NOT NULL,
    created_ms  BIGINT NOT NULL,
    created_by  TEXT    NOT NULL,
    UNIQUE (api_key, valid_from)
);

CREATE TABLE rules (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    priority   BIGINT NOT NULL,
    provider   TEXT,
    model      TEXT,
    key_prefix TEXT,
    tag_key    TEXT,
    tag_value  TEXT,
    team       TEXT,
    feature    TEXT,
    created_ms BIGINT NOT NULL
);

CREATE TABLE overheads (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    month      TEXT    NOT NULL,
    category   TEXT    NOT NULL,
    amount     TEXT    NOT NULL,
    allocation TEXT    NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (month, category)
);

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    teams         TEXT    NOT NULL,
    created_ms    BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    role         TEXT    NOT NULL,
    teams        TEXT    NOT NULL,
    created_ms   BIGINT NOT NULL,
    last_used_ms BIGINT,
    revoked_ms   BIGINT
);

CREATE TABLE audit_log (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms   BIGINT NOT NULL,
    actor   TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    subject TEXT    NOT NULL,
    before  TEXT,
    after   TEXT
);
