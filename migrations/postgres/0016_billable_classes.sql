-- Billable classes beyond the first five (issue 23): 1-hour cache writes, audio and image
-- tokens (parts of input and output), and units that are not tokens (web search queries,
-- file search calls, code interpreter sessions). Events stored before carried none of them,
-- so 0 is exact for every stored row.
ALTER TABLE events ADD COLUMN cache_write_1h_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN audio_input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN cached_audio_input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN image_input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN audio_output_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN image_output_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN web_search_queries BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN file_search_calls BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN code_interpreter_sessions BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups ADD COLUMN cache_write_1h_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups ADD COLUMN audio_input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups ADD COLUMN cached_audio_input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups ADD COLUMN image_input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups ADD COLUMN audio_output_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups ADD COLUMN image_output_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups ADD COLUMN web_search_queries BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups ADD COLUMN file_search_calls BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups ADD COLUMN code_interpreter_sessions BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups_monthly ADD COLUMN cache_write_1h_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups_monthly ADD COLUMN audio_input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups_monthly ADD COLUMN cached_audio_input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups_monthly ADD COLUMN image_input_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups_monthly ADD COLUMN audio_output_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups_monthly ADD COLUMN image_output_tokens BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups_monthly ADD COLUMN web_search_queries BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups_monthly ADD COLUMN file_search_calls BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups_monthly ADD COLUMN code_interpreter_sessions BIGINT NOT NULL DEFAULT 0;

-- Context bands gain 100k and 512k: the daily rollups of every day whose raw events are all
-- kept (from the retention horizon on) are rebuilt from them, as ingest folds them
-- (price_card::context_band of each call's input per request). Days before the horizon keep
-- their rollups and bands: their events are gone.
DELETE FROM usage_rollups
WHERE day >= COALESCE((SELECT pruned_before FROM retention WHERE id = 1), '')
  AND day IN (SELECT day FROM events);

INSERT INTO usage_rollups (day, provider, model, api_key, team, feature, environment, tags,
    service_tier, outcome, context_band, in_workflow, events, requests, input_tokens,
    cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, standalone_successes,
    cache_write_1h_tokens, audio_input_tokens, cached_audio_input_tokens, image_input_tokens,
    audio_output_tokens, image_output_tokens, web_search_queries, file_search_calls,
    code_interpreter_sessions)
SELECT day, provider, model, api_key, team, feature, environment, tags, service_tier, outcome,
       band, in_workflow,
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
    WHERE e.day >= COALESCE((SELECT pruned_before FROM retention WHERE id = 1), '')
) AS split
GROUP BY day, provider, model, api_key, team, feature, environment, tags, service_tier, outcome,
         band, in_workflow;

-- The monthly rollups are the sums of the daily ones.
DELETE FROM usage_rollups_monthly;
INSERT INTO usage_rollups_monthly (month, provider, model, api_key, team, feature, environment,
    tags, service_tier, outcome, context_band, in_workflow, events, requests, input_tokens,
    cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, standalone_successes,
    cache_write_1h_tokens, audio_input_tokens, cached_audio_input_tokens, image_input_tokens,
    audio_output_tokens, image_output_tokens, web_search_queries, file_search_calls,
    code_interpreter_sessions)
SELECT substr(day, 1, 7), provider, model, api_key, team, feature, environment, tags,
       service_tier, outcome, context_band, in_workflow,
       SUM(events), SUM(requests), SUM(input_tokens), SUM(cached_input_tokens),
       SUM(cache_write_tokens), SUM(output_tokens), SUM(reasoning_tokens), SUM(standalone_successes),
       SUM(cache_write_1h_tokens), SUM(audio_input_tokens), SUM(cached_audio_input_tokens),
       SUM(image_input_tokens), SUM(audio_output_tokens), SUM(image_output_tokens),
       SUM(web_search_queries), SUM(file_search_calls), SUM(code_interpreter_sessions)
FROM usage_rollups
GROUP BY substr(day, 1, 7), provider, model, api_key, team, feature, environment, tags,
         service_tier, outcome, context_band, in_workflow;
