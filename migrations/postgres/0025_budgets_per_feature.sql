-- Issue 16. Budgets per feature (scope `feature`: `subject` is the team, `feature` the
-- feature; empty for team and key budgets), and recurring budgets (1: the budget holds every
-- later month until the subject gets another). The key gains the feature.
ALTER TABLE budgets ADD COLUMN feature TEXT NOT NULL DEFAULT '';
ALTER TABLE budgets ADD COLUMN recurring BIGINT NOT NULL DEFAULT 0;
ALTER TABLE budgets DROP CONSTRAINT budgets_pkey;
ALTER TABLE budgets ADD PRIMARY KEY (month, scope, subject, feature);
