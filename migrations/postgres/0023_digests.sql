-- The monthly digest by email (issue 17). One row per month the scheduler sends: the server
-- whose claim (lease_until_ms) takes sends it, as connections are claimed; done_ms marks it
-- sent, so several servers send it once.
CREATE TABLE digest_runs (
    month          TEXT    NOT NULL PRIMARY KEY,
    lease_until_ms BIGINT  NOT NULL,
    next_try_ms    BIGINT  NOT NULL,
    done_ms        BIGINT,
    last_error     TEXT
);

-- Who got a month's digest (by the schedule or on demand): a scheduled run that failed half
-- way sends only to those not reached yet.
CREATE TABLE digest_sends (
    month          TEXT    NOT NULL,
    recipient      TEXT    NOT NULL,
    scope          TEXT    NOT NULL,
    sent_ms        BIGINT  NOT NULL,
    sent_by        TEXT    NOT NULL,
    PRIMARY KEY (month, recipient)
);
