-- Issue 16. What business transactions are worth: an amount per transaction or for the
-- period in the organisation's currency, so that value, margin and ROI can be read beside
-- cost. All three are NULL for a report that carries a count only (every report made before).
ALTER TABLE business_transactions ADD COLUMN value_amount TEXT;
ALTER TABLE business_transactions ADD COLUMN value_basis TEXT;
ALTER TABLE business_transactions ADD COLUMN value_currency TEXT;

-- Customers as a reporting dimension: the monthly rollup's key and sums, per customer, for the
-- events that name one. Apart from the rollups showback reads, so that 100k customers a month
-- never widen them; ingest adds to it in the same transaction.
CREATE TABLE usage_customers_monthly (
    month                     TEXT    NOT NULL,
    customer                  TEXT    NOT NULL,
    provider                  TEXT    NOT NULL,
    model                     TEXT    NOT NULL,
    api_key                   TEXT    NOT NULL,
    team                      TEXT    NOT NULL,
    feature                   TEXT    NOT NULL,
    environment               TEXT    NOT NULL,
    tags                      TEXT    NOT NULL,
    service_tier              TEXT    NOT NULL,
    outcome                   TEXT    NOT NULL,
    context_band              BIGINT NOT NULL,
    in_workflow               BIGINT NOT NULL,
    events                    BIGINT NOT NULL,
    requests                  BIGINT NOT NULL,
    input_tokens              BIGINT NOT NULL,
    cached_input_tokens       BIGINT NOT NULL,
    cache_write_tokens        BIGINT NOT NULL,
    output_tokens             BIGINT NOT NULL,
    reasoning_tokens          BIGINT NOT NULL,
    standalone_successes      BIGINT NOT NULL,
    cache_write_1h_tokens     BIGINT NOT NULL,
    audio_input_tokens        BIGINT NOT NULL,
    cached_audio_input_tokens BIGINT NOT NULL,
    image_input_tokens        BIGINT NOT NULL,
    audio_output_tokens       BIGINT NOT NULL,
    image_output_tokens       BIGINT NOT NULL,
    web_search_queries        BIGINT NOT NULL,
    file_search_calls         BIGINT NOT NULL,
    code_interpreter_sessions BIGINT NOT NULL,
    PRIMARY KEY (month, customer, provider, model, api_key, team, feature, environment, tags, service_tier, outcome, context_band, in_workflow)
);

-- The events already stored with a customer (those kept: pruned ones are gone), folded as
-- ingest folds them (the context band of each call's input per request, as in 0016).
INSERT INTO usage_customers_monthly (month, customer, provider, model, api_key, team, feature,
    environment, tags, service_tier, outcome, context_band, in_workflow, events, requests,
    input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
    standalone_successes, cache_write_1h_tokens, audio_input_tokens, cached_audio_input_tokens,
    image_input_tokens, audio_output_tokens, image_output_tokens, web_search_queries,
    file_search_calls, code_interpreter_sessions)
SELECT substr(day, 1, 7), customer, provider, model, api_key, team, feature, environment, tags,
       service_tier, outcome, band, in_workflow,
       COUNT(*), SUM(requests), SUM(input_tokens), SUM(cached_input_tokens),
       SUM(cache_write_tokens), SUM(output_tokens), SUM(reasoning_tokens),
       SUM(CASE WHEN outcome = 'success' AND in_workflow = 0 THEN requests ELSE 0 END),
       SUM(cache_write_1h_tokens), SUM(audio_input_tokens), SUM(cached_audio_input_tokens),
       SUM(image_input_tokens), SUM(audio_output_tokens), SUM(image_output_tokens),
       SUM(web_search_queries), SUM(file_search_calls), SUM(code_interpreter_sessions)
FROM (
    SELECT e.*,
           CASE WHEN input_tokens / requests > 512000 THEN 512000
                WHEN input_tokens / requests > 272000 THEN 272000
                WHEN input_tokens / requests > 200000 THEN 200000
                WHEN input_tokens / requests > 128000 THEN 128000
                WHEN input_tokens / requests > 100000 THEN 100000
                ELSE 0 END AS band,
           CASE WHEN workflow_id = '' THEN 0 ELSE 1 END AS in_workflow
    FROM events e
    WHERE e.customer <> ''
) AS split
GROUP BY substr(day, 1, 7), customer, provider, model, api_key, team, feature, environment, tags,
         service_tier, outcome, band, in_workflow;
