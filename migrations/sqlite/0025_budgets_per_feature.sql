-- Issue 16. Budgets per feature (scope `feature`: `subject` is the team, `feature` the
-- feature; empty for team and key budgets), and recurring budgets (1: the budget holds every
-- later month until the subject gets another). The key gains the feature, so SQLite rebuilds
-- the table.
CREATE TABLE budgets_by_feature (
    month      TEXT    NOT NULL,
    scope      TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    amount     TEXT    NOT NULL,
    thresholds TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    feature    TEXT    NOT NULL DEFAULT '',
    recurring  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, scope, subject, feature)
);
INSERT INTO budgets_by_feature (month, scope, subject, amount, thresholds, created_ms)
    SELECT month, scope, subject, amount, thresholds, created_ms FROM budgets;
DROP TABLE budgets;
ALTER TABLE budgets_by_feature RENAME TO budgets;
