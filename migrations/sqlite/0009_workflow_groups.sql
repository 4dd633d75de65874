-- Workflows summed by how they ended: the day of their final call, its owner dimensions and
-- the workflow's outcome (explicit, else the final call's). Showback counts completed
-- workflows from these sums, so a month's read does not grow with its workflows.
--
-- Triggers keep the sums: every change to a workflow row takes its old contribution out of
-- its old group and adds the new one to its (possibly new) group, in the same transaction.
-- A group whose workflows all moved away keeps a row of zeros, which reads skip. The key is
-- the table (WITHOUT ROWID): one B-tree to search and write, not a table and its key's index.
CREATE TABLE workflow_groups (
    day          TEXT    NOT NULL,
    provider     TEXT    NOT NULL,
    model        TEXT    NOT NULL,
    api_key      TEXT    NOT NULL,
    team         TEXT    NOT NULL,
    feature      TEXT    NOT NULL,
    environment  TEXT    NOT NULL,
    tags         TEXT    NOT NULL,
    outcome      TEXT    NOT NULL,
    workflows    INTEGER NOT NULL,
    calls        INTEGER NOT NULL,
    -- Over workflows of two calls or more: input tokens of their first and final call.
    first_input  INTEGER NOT NULL,
    last_input   INTEGER NOT NULL,
    PRIMARY KEY (day, provider, model, api_key, team, feature, environment, tags, outcome)
) WITHOUT ROWID;

INSERT INTO workflow_groups
SELECT last_day, provider, model, api_key, team, feature, environment, tags,
       COALESCE(explicit_outcome, last_outcome),
       COUNT(*), SUM(calls),
       SUM(CASE WHEN calls > 1 THEN first_input ELSE 0 END),
       SUM(CASE WHEN calls > 1 THEN last_input ELSE 0 END)
FROM workflows
GROUP BY last_day, provider, model, api_key, team, feature, environment, tags,
         COALESCE(explicit_outcome, last_outcome);

-- The same sums per month, for a month's showback (see usage_rollups_monthly in 0012).
CREATE TABLE workflow_groups_monthly (
    month        TEXT    NOT NULL,
    provider     TEXT    NOT NULL,
    model        TEXT    NOT NULL,
    api_key      TEXT    NOT NULL,
    team         TEXT    NOT NULL,
    feature      TEXT    NOT NULL,
    environment  TEXT    NOT NULL,
    tags         TEXT    NOT NULL,
    outcome      TEXT    NOT NULL,
    workflows    INTEGER NOT NULL,
    calls        INTEGER NOT NULL,
    first_input  INTEGER NOT NULL,
    last_input   INTEGER NOT NULL,
    PRIMARY KEY (month, provider, model, api_key, team, feature, environment, tags, outcome)
) WITHOUT ROWID;

INSERT INTO workflow_groups_monthly
SELECT substr(day, 1, 7), provider, model, api_key, team, feature, environment, tags, outcome,
       SUM(workflows), SUM(calls), SUM(first_input), SUM(last_input)
FROM workflow_groups
GROUP BY substr(day, 1, 7), provider, model, api_key, team, feature, environment, tags, outcome;

-- Contributions go through this view: its trigger adds each to its daily and its monthly
-- group, as PostgreSQL's workflow_groups_add does (SQLite has no functions to share code).
CREATE VIEW workflow_group_parts AS SELECT * FROM workflow_groups WHERE 0;

CREATE TRIGGER workflow_group_parts_add INSTEAD OF INSERT ON workflow_group_parts
BEGIN
    INSERT INTO workflow_groups VALUES (
        NEW.day, NEW.provider, NEW.model, NEW.api_key, NEW.team, NEW.feature, NEW.environment,
        NEW.tags, NEW.outcome, NEW.workflows, NEW.calls, NEW.first_input, NEW.last_input)
    ON CONFLICT (day, provider, model, api_key, team, feature, environment, tags, outcome)
    DO UPDATE SET workflows = workflows + excluded.workflows, calls = calls + excluded.calls,
        first_input = first_input + excluded.first_input,
        last_input = last_input + excluded.last_input;
    INSERT INTO workflow_groups_monthly VALUES (
        substr(NEW.day, 1, 7), NEW.provider, NEW.model, NEW.api_key, NEW.team, NEW.feature,
        NEW.environment, NEW.tags, NEW.outcome,
        NEW.workflows, NEW.calls, NEW.first_input, NEW.last_input)
    ON CONFLICT (month, provider, model, api_key, team, feature, environment, tags, outcome)
    DO UPDATE SET workflows = workflows + excluded.workflows, calls = calls + excluded.calls,
        first_input = first_input + excluded.first_input,
        last_input = last_input + excluded.last_input;
END;

-- A workflow row's contribution is its final day, dims and outcome, one workflow, its calls,
-- and its first and final input when it has two calls or more; an old row's, the same negated.
CREATE TRIGGER workflow_groups_insert AFTER INSERT ON workflows
BEGIN
    INSERT INTO workflow_group_parts VALUES (
        NEW.last_day, NEW.provider, NEW.model, NEW.api_key, NEW.team, NEW.feature,
        NEW.environment, NEW.tags, COALESCE(NEW.explicit_outcome, NEW.last_outcome),
        1, NEW.calls,
        CASE WHEN NEW.calls > 1 THEN NEW.first_input ELSE 0 END,
        CASE WHEN NEW.calls > 1 THEN NEW.last_input ELSE 0 END);
END;

CREATE TRIGGER workflow_groups_update AFTER UPDATE ON workflows
BEGIN
    INSERT INTO workflow_group_parts VALUES (
        OLD.last_day, OLD.provider, OLD.model, OLD.api_key, OLD.team, OLD.feature,
        OLD.environment, OLD.tags, COALESCE(OLD.explicit_outcome, OLD.last_outcome),
        -1, -OLD.calls,
        CASE WHEN OLD.calls > 1 THEN -OLD.first_input ELSE 0 END,
        CASE WHEN OLD.calls > 1 THEN -OLD.last_input ELSE 0 END);
    INSERT INTO workflow_group_parts VALUES (
        NEW.last_day, NEW.provider, NEW.model, NEW.api_key, NEW.team, NEW.feature,
        NEW.environment, NEW.tags, COALESCE(NEW.explicit_outcome, NEW.last_outcome),
        1, NEW.calls,
        CASE WHEN NEW.calls > 1 THEN NEW.first_input ELSE 0 END,
        CASE WHEN NEW.calls > 1 THEN NEW.last_input ELSE 0 END);
END;

CREATE TRIGGER workflow_groups_delete AFTER DELETE ON workflows
BEGIN
    INSERT INTO workflow_group_parts VALUES (
        OLD.last_day, OLD.provider, OLD.model, OLD.api_key, OLD.team, OLD.feature,
        OLD.environment, OLD.tags, COALESCE(OLD.explicit_outcome, OLD.last_outcome),
        -1, -OLD.calls,
        CASE WHEN OLD.calls > 1 THEN -OLD.first_input ELSE 0 END,
        CASE WHEN OLD.calls > 1 THEN -OLD.last_input ELSE 0 END);
END;
