-- Pull connectors: an organisation's usage and cost pulled from a provider's admin API
-- (OpenAI Usage and Costs APIs, Anthropic usage and cost reports), one connection per
-- provider account. The admin key is sealed with the server secret (ChaCha20-Poly1305,
-- a random nonce per seal) and never read back out of the server.
CREATE TABLE connections (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    provider       TEXT    NOT NULL,
    name           TEXT    NOT NULL UNIQUE,
    sealed_key     TEXT    NOT NULL,
    start_day      TEXT    NOT NULL,
    base_url       TEXT    NOT NULL,
    -- The first day not yet pulled complete: a pull starts here (less the re-pull window).
    cursor_day     TEXT    NOT NULL,
    last_sync_ms   INTEGER,
    rows_pulled    INTEGER  NOT NULL,
    next_run_ms    INTEGER  NOT NULL,
    last_error     TEXT,
    -- A server pulling this connection holds it until then (the leader's claim).
    lease_until_ms INTEGER  NOT NULL,
    created_ms     INTEGER  NOT NULL,
    created_by     TEXT    NOT NULL
);

-- The provider's own cost per day and model (its Costs API or cost report), beside the
-- cost tokentally computes; replaced with each pull of the day.
CREATE TABLE provider_costs (
    connection_id  INTEGER  NOT NULL,
    day            TEXT    NOT NULL,
    provider       TEXT    NOT NULL,
    model          TEXT    NOT NULL,
    amount         TEXT    NOT NULL,
    currency       TEXT    NOT NULL,
    PRIMARY KEY (connection_id, day, model)
);
