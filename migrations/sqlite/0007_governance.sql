-- Governance: budgets, settings, unit-cost targets, showback publication, alerts, webhooks.

-- A month's budget for a team (blended cost) or an API key (token cost).
CREATE TABLE budgets (
    month      TEXT    NOT NULL,
    scope      TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    amount     TEXT    NOT NULL,
    thresholds TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (month, scope, subject)
);

-- Named JSON settings: scorecard thresholds, anomaly and waste settings, the webhook URL.
CREATE TABLE governance_settings (
    name       TEXT    NOT NULL PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_ms INTEGER NOT NULL
);

-- Cost per successful outcome a feature should stay under.
CREATE TABLE unit_targets (
    team       TEXT    NOT NULL,
    feature    TEXT    NOT NULL,
    target     TEXT    NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (team, feature)
);

-- Finance published the month's showback (the scorecard's stage-2 criterion).
CREATE TABLE showback_publications (
    month        TEXT    NOT NULL PRIMARY KEY,
    published_ms INTEGER NOT NULL,
    published_by TEXT    NOT NULL
);

-- One row per crossing: a budget threshold, a forecast over budget, or an anomalous day.
CREATE TABLE alerts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL,
    scope         TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    team          TEXT    NOT NULL,
    period        TEXT    NOT NULL,
    level         INTEGER NOT NULL,
    detail        TEXT    NOT NULL,
    amount        TEXT    NOT NULL,
    first_seen_ms INTEGER NOT NULL,
    ack_by        TEXT,
    ack_ms        INTEGER,
    UNIQUE (kind, scope, subject, period, level)
);

-- One webhook delivery per alert, retried with backoff until delivered or given up.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id        INTEGER NOT NULL UNIQUE,
    url             TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    last_code       INTEGER,
    last_error      TEXT,
    next_attempt_ms INTEGER NOT NULL,
    created_ms      INTEGER NOT NULL,
    delivered_ms    INTEGER
);
