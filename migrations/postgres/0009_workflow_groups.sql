-- Workflows summed by how they ended: the day of their final call, its owner dimensions and
-- the workflow's outcome (explicit, else the final call's). Showback counts completed
-- workflows from these sums, so a month's read does not grow with its workflows.
--
-- Statement triggers keep the sums: each statement that changes workflow rows takes the old
-- rows' contributions out and adds the new ones, in the same transaction, one upsert per
-- statement in key order (so concurrent batches lock group rows in one order). A group whose
-- workflows all moved away keeps a row of zeros, which reads skip.
CREATE TABLE workflow_groups (
    day          TEXT   NOT NULL,
    provider     TEXT   NOT NULL,
    model        TEXT   NOT NULL,
    api_key      TEXT   NOT NULL,
    team         TEXT   NOT NULL,
    feature      TEXT   NOT NULL,
    environment  TEXT   NOT NULL,
    tags         TEXT   NOT NULL,
    outcome      TEXT   NOT NULL,
    workflows    BIGINT NOT NULL,
    calls        BIGINT NOT NULL,
    -- Over workflows of two calls or more: input tokens of their first and final call.
    first_input  BIGINT NOT NULL,
    last_input   BIGINT NOT NULL,
    PRIMARY KEY (day, provider, model, api_key, team, feature, environment, tags, outcome)
);

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
    month        TEXT   NOT NULL,
    provider     TEXT   NOT NULL,
    model        TEXT   NOT NULL,
    api_key      TEXT   NOT NULL,
    team         TEXT   NOT NULL,
    feature      TEXT   NOT NULL,
    environment  TEXT   NOT NULL,
    tags         TEXT   NOT NULL,
    outcome      TEXT   NOT NULL,
    workflows    BIGINT NOT NULL,
    calls        BIGINT NOT NULL,
    first_input  BIGINT NOT NULL,
    last_input   BIGINT NOT NULL,
    PRIMARY KEY (month, provider, model, api_key, team, feature, environment, tags, outcome)
);

INSERT INTO workflow_groups_monthly
SELECT substr(day, 1, 7), provider, model, api_key, team, feature, environment, tags, outcome,
       SUM(workflows), SUM(calls), SUM(first_input), SUM(last_input)
FROM workflow_groups
GROUP BY substr(day, 1, 7), provider, model, api_key, team, feature, environment, tags, outcome;

-- One workflow row's contribution to its group, times `sign`.
CREATE FUNCTION workflow_group_part(w workflows, sign BIGINT) RETURNS workflow_groups
LANGUAGE sql IMMUTABLE AS $$
    SELECT ROW(w.last_day, w.provider, w.model, w.api_key, w.team, w.feature, w.environment,
               w.tags, COALESCE(w.explicit_outcome, w.last_outcome), sign, sign * w.calls,
               CASE WHEN w.calls > 1 THEN sign * w.first_input ELSE 0 END,
               CASE WHEN w.calls > 1 THEN sign * w.last_input ELSE 0 END)::workflow_groups
$$;

-- Adds contributions to their groups, daily and monthly: one upsert each, in key order.
CREATE FUNCTION workflow_groups_add(parts workflow_groups[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO workflow_groups_monthly
    SELECT substr(day, 1, 7), provider, model, api_key, team, feature, environment, tags, outcome,
           SUM(workflows), SUM(calls), SUM(first_input), SUM(last_input)
    FROM unnest(parts)
    GROUP BY substr(day, 1, 7), provider, model, api_key, team, feature, environment, tags, outcome
    ORDER BY substr(day, 1, 7), provider, model, api_key, team, feature, environment, tags, outcome
    ON CONFLICT (month, provider, model, api_key, team, feature, environment, tags, outcome)
    DO UPDATE SET workflows = workflow_groups_monthly.workflows + excluded.workflows,
        calls = workflow_groups_monthly.calls + excluded.calls,
        first_input = workflow_groups_monthly.first_input + excluded.first_input,
        last_input = workflow_groups_monthly.last_input + excluded.last_input;
    INSERT INTO workflow_groups
    SELECT day, provider, model, api_key, team, feature, environment, tags, outcome,
           SUM(workflows), SUM(calls), SUM(first_input), SUM(last_input)
    FROM unnest(parts)
    GROUP BY day, provider, model, api_key, team, feature, environment, tags, outcome
    ORDER BY day, provider, model, api_key, team, feature, environment, tags, outcome
    ON CONFLICT (day, provider, model, api_key, team, feature, environment, tags, outcome)
    DO UPDATE SET workflows = workflow_groups.workflows + excluded.workflows,
        calls = workflow_groups.calls + excluded.calls,
        first_input = workflow_groups.first_input + excluded.first_input,
        last_input = workflow_groups.last_input + excluded.last_input
$$;

-- Each branch names only the transition tables its event has.
CREATE FUNCTION workflow_groups_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM workflow_groups_add(ARRAY(SELECT workflow_group_part(n, 1) FROM new_rows n));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM workflow_groups_add(ARRAY(
            SELECT workflow_group_part(o, -1) FROM old_rows o
            UNION ALL SELECT workflow_group_part(n, 1) FROM new_rows n));
    ELSE
        PERFORM workflow_groups_add(ARRAY(SELECT workflow_group_part(o, -1) FROM old_rows o));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER workflow_groups_insert AFTER INSERT ON workflows
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION workflow_groups_track();
CREATE TRIGGER workflow_groups_update AFTER UPDATE ON workflows
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION workflow_groups_track();
CREATE TRIGGER workflow_groups_delete AFTER DELETE ON workflows
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION workflow_groups_track();
