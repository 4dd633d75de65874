-- Issue 16. Customers and users as reporting dimensions, cheap at ingest.
--
-- Party rollups (per customer, per user) are keyed by integers: the month, an interned
-- dimension tuple (`party_dims`: what attribution and pricing need, without outcome or
-- workflow) and the party's number (`customer_numbers`, `user_numbers`). Ingest only appends
-- to `usage_party_log` (one narrow row per month, dimensions, customer and user of a batch:
-- the end of a table, a few pages a batch, where upserts into a keyed rollup touched a page
-- per row at random); a compaction folds the log into `usage_customers_monthly` and
-- `usage_users_monthly` and deletes what it folded, in one transaction. Readers sum both.
CREATE TABLE party_dims (
    id           INTEGER NOT NULL PRIMARY KEY,
    provider     TEXT    NOT NULL,
    model        TEXT    NOT NULL,
    api_key      TEXT    NOT NULL,
    team         TEXT    NOT NULL,
    feature      TEXT    NOT NULL,
    environment  TEXT    NOT NULL,
    tags         TEXT    NOT NULL,
    service_tier TEXT    NOT NULL,
    context_band INTEGER NOT NULL,
    UNIQUE (provider, model, api_key, team, feature, environment, tags, service_tier, context_band)
);

CREATE TABLE customer_numbers (
    n        INTEGER NOT NULL PRIMARY KEY,
    customer TEXT NOT NULL UNIQUE
);

-- 0 in `customer` or `user_n`: the events named none.
CREATE TABLE usage_party_log (
    id        INTEGER NOT NULL PRIMARY KEY,
    month     TEXT    NOT NULL,
    dims      INTEGER NOT NULL,
    customer  INTEGER NOT NULL,
    user_n    INTEGER NOT NULL,
    events                    INTEGER NOT NULL,
    requests                  INTEGER NOT NULL,
    input_tokens              INTEGER NOT NULL,
    cached_input_tokens       INTEGER NOT NULL,
    cache_write_tokens        INTEGER NOT NULL,
    output_tokens             INTEGER NOT NULL,
    reasoning_tokens          INTEGER NOT NULL,
    cache_write_1h_tokens     INTEGER NOT NULL,
    audio_input_tokens        INTEGER NOT NULL,
    cached_audio_input_tokens INTEGER NOT NULL,
    image_input_tokens        INTEGER NOT NULL,
    audio_output_tokens       INTEGER NOT NULL,
    image_output_tokens       INTEGER NOT NULL,
    web_search_queries        INTEGER NOT NULL,
    file_search_calls         INTEGER NOT NULL,
    code_interpreter_sessions INTEGER NOT NULL
);
CREATE INDEX usage_party_log_month ON usage_party_log (month);

CREATE TABLE usage_users_monthly (
    month     TEXT    NOT NULL,
    dims      INTEGER NOT NULL,
    user_n    INTEGER NOT NULL,
    events                    INTEGER NOT NULL,
    requests                  INTEGER NOT NULL,
    input_tokens              INTEGER NOT NULL,
    cached_input_tokens       INTEGER NOT NULL,
    cache_write_tokens        INTEGER NOT NULL,
    output_tokens             INTEGER NOT NULL,
    reasoning_tokens          INTEGER NOT NULL,
    cache_write_1h_tokens     INTEGER NOT NULL,
    audio_input_tokens        INTEGER NOT NULL,
    cached_audio_input_tokens INTEGER NOT NULL,
    image_input_tokens        INTEGER NOT NULL,
    audio_output_tokens       INTEGER NOT NULL,
    image_output_tokens       INTEGER NOT NULL,
    web_search_queries        INTEGER NOT NULL,
    file_search_calls         INTEGER NOT NULL,
    code_interpreter_sessions INTEGER NOT NULL,
    PRIMARY KEY (month, dims, user_n)
) WITHOUT ROWID;

-- The customer rollup of 0019 moves to the integer key: its dimension tuples and customers
-- are numbered, its rows summed over outcome and workflow (which token cost does not read).
INSERT INTO party_dims (provider, model, api_key, team, feature, environment, tags, service_tier, context_band)
SELECT provider, model, api_key, team, feature, environment, tags, service_tier, context_band FROM usage_customers_monthly
UNION
SELECT provider, model, api_key, team, feature, environment, tags, service_tier, CASE WHEN input_tokens / requests > 512000 THEN 512000
                WHEN input_tokens / requests > 272000 THEN 272000
                WHEN input_tokens / requests > 200000 THEN 200000
                WHEN input_tokens / requests > 128000 THEN 128000
                WHEN input_tokens / requests > 100000 THEN 100000
                ELSE 0 END
FROM events WHERE user_id <> ''
ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9;

INSERT INTO customer_numbers (customer)
SELECT DISTINCT customer FROM usage_customers_monthly ORDER BY customer;

CREATE TABLE customers_0027 AS
SELECT o.month AS month, d.id AS dims, c.n AS customer, SUM(o.events) AS events, SUM(o.requests) AS requests, SUM(o.input_tokens) AS input_tokens, SUM(o.cached_input_tokens) AS cached_input_tokens, SUM(o.cache_write_tokens) AS cache_write_tokens, SUM(o.output_tokens) AS output_tokens, SUM(o.reasoning_tokens) AS reasoning_tokens, SUM(o.cache_write_1h_tokens) AS cache_write_1h_tokens, SUM(o.audio_input_tokens) AS audio_input_tokens, SUM(o.cached_audio_input_tokens) AS cached_audio_input_tokens, SUM(o.image_input_tokens) AS image_input_tokens, SUM(o.audio_output_tokens) AS audio_output_tokens, SUM(o.image_output_tokens) AS image_output_tokens, SUM(o.web_search_queries) AS web_search_queries, SUM(o.file_search_calls) AS file_search_calls, SUM(o.code_interpreter_sessions) AS code_interpreter_sessions
FROM usage_customers_monthly o
JOIN party_dims d ON d.provider = o.provider AND d.model = o.model AND d.api_key = o.api_key AND d.team = o.team AND d.feature = o.feature AND d.environment = o.environment AND d.tags = o.tags AND d.service_tier = o.service_tier AND d.context_band = o.context_band
JOIN customer_numbers c ON c.customer = o.customer
GROUP BY o.month, d.id, c.n;

DROP TABLE usage_customers_monthly;

CREATE TABLE usage_customers_monthly (
    month     TEXT    NOT NULL,
    dims      INTEGER NOT NULL,
    customer  INTEGER NOT NULL,
    events                    INTEGER NOT NULL,
    requests                  INTEGER NOT NULL,
    input_tokens              INTEGER NOT NULL,
    cached_input_tokens       INTEGER NOT NULL,
    cache_write_tokens        INTEGER NOT NULL,
    output_tokens             INTEGER NOT NULL,
    reasoning_tokens          INTEGER NOT NULL,
    cache_write_1h_tokens     INTEGER NOT NULL,
    audio_input_tokens        INTEGER NOT NULL,
    cached_audio_input_tokens INTEGER NOT NULL,
    image_input_tokens        INTEGER NOT NULL,
    audio_output_tokens       INTEGER NOT NULL,
    image_output_tokens       INTEGER NOT NULL,
    web_search_queries        INTEGER NOT NULL,
    file_search_calls         INTEGER NOT NULL,
    code_interpreter_sessions INTEGER NOT NULL,
    PRIMARY KEY (month, dims, customer)
) WITHOUT ROWID;

INSERT INTO usage_customers_monthly (month, dims, customer, events, requests, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, cache_write_1h_tokens, audio_input_tokens, cached_audio_input_tokens, image_input_tokens, audio_output_tokens, image_output_tokens, web_search_queries, file_search_calls, code_interpreter_sessions)
SELECT month, dims, customer, events, requests, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, cache_write_1h_tokens, audio_input_tokens, cached_audio_input_tokens, image_input_tokens, audio_output_tokens, image_output_tokens, web_search_queries, file_search_calls, code_interpreter_sessions FROM customers_0027;

DROP TABLE customers_0027;

-- Users from the raw events still kept (pruned events are gone: their users' history with them).
INSERT INTO usage_users_monthly (month, dims, user_n, events, requests, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, cache_write_1h_tokens, audio_input_tokens, cached_audio_input_tokens, image_input_tokens, audio_output_tokens, image_output_tokens, web_search_queries, file_search_calls, code_interpreter_sessions)
SELECT substr(s.day, 1, 7), d.id, u.n, COUNT(*), SUM(s.requests), SUM(s.input_tokens), SUM(s.cached_input_tokens), SUM(s.cache_write_tokens), SUM(s.output_tokens), SUM(s.reasoning_tokens), SUM(s.cache_write_1h_tokens), SUM(s.audio_input_tokens), SUM(s.cached_audio_input_tokens), SUM(s.image_input_tokens), SUM(s.audio_output_tokens), SUM(s.image_output_tokens), SUM(s.web_search_queries), SUM(s.file_search_calls), SUM(s.code_interpreter_sessions)
FROM (
    SELECT e.*, CASE WHEN input_tokens / requests > 512000 THEN 512000
                WHEN input_tokens / requests > 272000 THEN 272000
                WHEN input_tokens / requests > 200000 THEN 200000
                WHEN input_tokens / requests > 128000 THEN 128000
                WHEN input_tokens / requests > 100000 THEN 100000
                ELSE 0 END AS band
    FROM events e
    WHERE e.user_id <> ''
) AS s
JOIN party_dims d ON d.provider = s.provider AND d.model = s.model AND d.api_key = s.api_key AND d.team = s.team AND d.feature = s.feature AND d.environment = s.environment AND d.tags = s.tags AND d.service_tier = s.service_tier AND d.context_band = s.band
JOIN user_numbers u ON u.user_id = s.user_id
GROUP BY substr(s.day, 1, 7), d.id, u.n;
