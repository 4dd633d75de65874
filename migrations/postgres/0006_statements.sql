-- Statements, month close, late events and provider invoices.

-- A closed month: events for it that arrive later are stored and noted as late.
CREATE TABLE month_closes (
    month     TEXT    NOT NULL PRIMARY KEY,
    closed_ms BIGINT NOT NULL,
    closed_by TEXT    NOT NULL
);

-- An event stored after its month was closed, and the first month then open, whose
-- statements carry it as an adjustment.
CREATE TABLE late_events (
    source        TEXT NOT NULL,
    event_id      TEXT NOT NULL,
    belongs_month TEXT NOT NULL,
    target_month  TEXT NOT NULL,
    PRIMARY KEY (source, event_id)
);
CREATE INDEX late_events_target ON late_events (target_month);

-- Issued statements are frozen snapshots: content is never changed, only the status (void).
CREATE TABLE statements (
    team        TEXT    NOT NULL,
    month       TEXT    NOT NULL,
    version     BIGINT NOT NULL,
    status      TEXT    NOT NULL,
    content     TEXT    NOT NULL,
    sha256      TEXT    NOT NULL,
    issued_ms   BIGINT NOT NULL,
    issued_by   TEXT    NOT NULL,
    void_ms     BIGINT,
    void_by     TEXT,
    void_reason TEXT,
    PRIMARY KEY (team, month, version)
);

-- Whether a team's statements charge it or only inform it.
CREATE TABLE statement_modes (
    team TEXT NOT NULL PRIMARY KEY,
    mode TEXT NOT NULL
);

-- What providers invoiced for a month, entered by finance for reconciliation.
CREATE TABLE provider_invoices (
    month      TEXT    NOT NULL,
    provider   TEXT    NOT NULL,
    amount     TEXT    NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (month, provider)
);
