-- Unit economics: rollups split by workflow membership (what workflows cost), and the costs
-- and counts beyond tokens: commitments, negotiated discounts, business transactions.

-- Rollups gain `in_workflow` in their key. They are rebuilt from the raw events, which hold
-- every accepted event, so the split is exact for what was stored before.
CREATE TABLE usage_rollups_v2 (
    day                  TEXT    NOT NULL,
    provider             TEXT    NOT NULL,
    model                TEXT    NOT NULL,
    api_key              TEXT    NOT NULL,
    team                 TEXT    NOT NULL,
    feature              TEXT    NOT NULL,
    environment          TEXT    NOT NULL,
    tags                 TEXT    NOT NULL,
    service_tier         TEXT    NOT NULL,
    outcome              TEXT    NOT NULL,
    context_band         BIGINT NOT NULL,
    in_workflow          BIGINT NOT NULL,
    events               BIGINT NOT NULL,
    requests             BIGINT NOT NULL,
    input_tokens         BIGINT NOT NULL,
    cached_input_tokens  BIGINT NOT NULL,
    cache_write_tokens   BIGINT NOT NULL,
    output_tokens        BIGINT NOT NULL,
    reasoning_tokens     BIGINT NOT NULL,
    standalone_successes BIGINT NOT NULL,
    PRIMARY KEY (day, provider, model, api_key, team, feature, environment, tags, service_tier, outcome, context_band, in_workflow)
);

INSERT INTO usage_rollups_v2
SELECT day, provider, model, api_key, team, feature, environment, tags, service_tier, outcome,
       band, in_workflow,
       COUNT(*), SUM(requests), SUM(input_tokens), SUM(cached_input_tokens),
       SUM(cache_write_tokens), SUM(output_tokens), SUM(reasoning_tokens),
       SUM(CASE WHEN outcome = 'success' AND in_workflow = 0 THEN requests ELSE 0 END)
FROM (
    SELECT e.*,
           CASE WHEN input_tokens / requests > 272000 THEN 272000
                WHEN input_tokens / requests > 200000 THEN 200000
                WHEN input_tokens / requests > 128000 THEN 128000
                ELSE 0 END AS band,
           CASE WHEN workflow_id = '' THEN 0 ELSE 1 END AS in_workflow
    FROM events e
) AS split
GROUP BY day, provider, model, api_key, team, feature, environment, tags, service_tier, outcome,
         band, in_workflow;

DROP TABLE usage_rollups;
ALTER TABLE usage_rollups_v2 RENAME TO usage_rollups;

-- A workflow's calls, for its cost.
CREATE INDEX events_workflow ON events (workflow_id) WHERE workflow_id <> '';

CREATE TABLE commitments (
    month             TEXT    NOT NULL,
    provider          TEXT    NOT NULL,
    model             TEXT    NOT NULL,
    fee               TEXT    NOT NULL,
    capacity_tokens   BIGINT NOT NULL,
    utilisation_floor TEXT    NOT NULL,
    created_ms        BIGINT NOT NULL,
    PRIMARY KEY (month, provider, model)
);

CREATE TABLE discounts (
    provider       TEXT    NOT NULL,
    effective_from TEXT    NOT NULL,
    percent        TEXT    NOT NULL,
    created_ms     BIGINT NOT NULL,
    PRIMARY KEY (provider, effective_from)
);

-- period is 'YYYY-MM' or 'YYYY-MM-DD'; month is the month it falls in; feature '' is team-wide.
CREATE TABLE business_transactions (
    period     TEXT    NOT NULL,
    month      TEXT    NOT NULL,
    team       TEXT    NOT NULL,
    feature    TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    count      BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (period, team, feature, name)
);
CREATE INDEX business_transactions_month ON business_transactions (month);
