-- Rollups summed per month as well as per day. A month's showback reads these (a few thousand
-- rows) instead of grouping the month's daily rows (tens of thousands) on every read, unless a
-- key mapping, price card or discount takes effect inside the month: then it reads the daily
-- rows by stretch, as before. Ingest adds to both in the same transaction.
CREATE TABLE usage_rollups_monthly (
    month                TEXT    NOT NULL,
    provider             TEXT    NOT NULL,
    model                TEXT    NOT NULL,
    api_key              TEXT    NOT NULL,
    team                 TEXT    NOT NULL,
    feature              TEXT    NOT NULL,
    environment          TEXT    NOT NULL,
    tags                 TEXT    NOT NULL,
    service_tier         TEXT    NOT NULL,
    outcome              TEXT    NOT NULL,
    context_band         INTEGER NOT NULL,
    in_workflow          INTEGER NOT NULL,
    events               INTEGER NOT NULL,
    requests             INTEGER NOT NULL,
    input_tokens         INTEGER NOT NULL,
    cached_input_tokens  INTEGER NOT NULL,
    cache_write_tokens   INTEGER NOT NULL,
    output_tokens        INTEGER NOT NULL,
    reasoning_tokens     INTEGER NOT NULL,
    standalone_successes INTEGER NOT NULL,
    PRIMARY KEY (month, provider, model, api_key, team, feature, environment, tags, service_tier, outcome, context_band, in_workflow)
) WITHOUT ROWID;

INSERT INTO usage_rollups_monthly
SELECT substr(day, 1, 7), provider, model, api_key, team, feature, environment, tags,
       service_tier, outcome, context_band, in_workflow,
       SUM(events), SUM(requests), SUM(input_tokens), SUM(cached_input_tokens),
       SUM(cache_write_tokens), SUM(output_tokens), SUM(reasoning_tokens), SUM(standalone_successes)
FROM usage_rollups
GROUP BY substr(day, 1, 7), provider, model, api_key, team, feature, environment, tags,
         service_tier, outcome, context_band, in_workflow;
