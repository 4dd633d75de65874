-- Governance: budgets, settings, unit-cost targets, showback publication, alerts, webhooks.

-- A month's budget for a team (blended cost) or an API key (token cost).
CREATE TABLE budgets (
    month      TEXT    NOT NULL,
    scope      TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    amount     TEXT    NOT NULL,
    thresholds TEXT    NOT NULL,
    created_ms BIGINT  NOT NULL,
    PRIMARY KEY (month, scope, subject)
);

-- Named JSON settings: scorecard thresholds, anomaly and waste settings, the webhook URL.
CREATE TABLE governance_settings (
    name       TEXT    NOT NULL PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_ms BIGINT  NOT NULL
);

-- Cost per successful outcome a feature should stay under.
CREATE TABLE unit_targets (
    team       TEXT    NOT NULL,
    feature    TEXT    NOT NULL,
    target     TEXT    NOT NULL,
    updated_ms BIGINT  NOT NULL,
    PRIMARY KEY (team, feature)
);

-- Finance published the month's showback (the scorecard's stage-2 criterion).
CREATE TABLE showback_publications (
    month        TEXT    NOT NULL PRIMARY KEY,
    published_ms BIGINT  NOT NULL,
    published_by TEXT    NOT NULL
);

-- One row per crossing: a budget threshold, a forecast over budget, or an anomalous day.
CREATE TABLE alerts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          TEXT    NOT NULL,
    scope         TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    team          TEXT    NOT NULL,
    period        TEXT    NOT NULL,
    level         BIGINT  NOT NULL,
    detail        TEXT    NOT NULL,
    amount        TEXT    NOT NULL,
    first_seen_ms BIGINT  NOT NULL,
    ack_by        TEXT,
    ack_ms        BIGINT ,
    UNIQUE (kind, scope, subject, period, level)
);

-- One webhook delivery per alert, retried with backoff until delivered or given up.
CREATE TABLE webhook_deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id        BIGINT  NOT NULL UNIQUE,
    url             TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    attempts        BIGINT  NOT NULL,
    last_code       BIGINT ,
    last_error      TEXT,
    next_attempt_ms BIGINT  NOT NULL,
    created_ms      BIGINT  NOT NULL,
    delivered_ms    BIGINT 
);
