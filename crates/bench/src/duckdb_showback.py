"""The raw-event GROUP BY that showback stands for, in DuckDB; run by tokentally-bench.

usage: duckdb_showback.py EVENTS_CSV MONTH_FIRST MONTH_END RUNS

Loads the CSV into a DuckDB table (untimed), then runs the two queries RUNS times and prints
one JSON line: load seconds, every run's milliseconds, and the result sizes.
"""

import json
import sys
import time

import duckdb

csv, first, end, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

COLUMNS = {
    "source": "VARCHAR", "event_id": "VARCHAR", "ts_ms": "BIGINT", "day": "VARCHAR",
    "provider": "VARCHAR", "model": "VARCHAR", "api_key": "VARCHAR", "team": "VARCHAR",
    "feature": "VARCHAR", "environment": "VARCHAR", "user_id": "VARCHAR",
    "customer": "VARCHAR", "tags": "VARCHAR", "input_tokens": "BIGINT",
    "cached_input_tokens": "BIGINT", "cache_write_tokens": "BIGINT",
    "output_tokens": "BIGINT", "reasoning_tokens": "BIGINT", "requests": "BIGINT",
    "service_tier": "VARCHAR", "outcome": "VARCHAR", "workflow_id": "VARCHAR",
    "latency_ms": "BIGINT", "reported_cost": "VARCHAR", "received_ms": "BIGINT",
    # The billable classes after the first five (migration 0016), as the events table ends.
    "cache_write_1h_tokens": "BIGINT", "audio_input_tokens": "BIGINT",
    "cached_audio_input_tokens": "BIGINT", "image_input_tokens": "BIGINT",
    "audio_output_tokens": "BIGINT", "image_output_tokens": "BIGINT",
    "web_search_queries": "BIGINT", "file_search_calls": "BIGINT",
    "code_interpreter_sessions": "BIGINT",
}

# What showback sums: the month's token classes per owner dimensions, model, tier, outcome,
# context band and workflow membership (the key of usage_rollups without the day, as
# migrations/*/0005_unit_economics.sql builds it from raw events).
ROLLUP = """
SELECT provider, model, api_key, team, feature, environment, tags, service_tier, outcome,
       CASE WHEN input_tokens // requests > 512000 THEN 512000
            WHEN input_tokens // requests > 272000 THEN 272000
            WHEN input_tokens // requests > 200000 THEN 200000
            WHEN input_tokens // requests > 128000 THEN 128000
            WHEN input_tokens // requests > 100000 THEN 100000
            ELSE 0 END AS band,
       workflow_id <> '' AS in_workflow,
       COUNT(*), SUM(requests), SUM(input_tokens), SUM(cached_input_tokens),
       SUM(cache_write_tokens), SUM(output_tokens), SUM(reasoning_tokens),
       SUM(CASE WHEN outcome = 'success' AND workflow_id = '' THEN requests ELSE 0 END),
       SUM(cache_write_1h_tokens), SUM(audio_input_tokens), SUM(cached_audio_input_tokens),
       SUM(image_input_tokens), SUM(audio_output_tokens), SUM(image_output_tokens),
       SUM(web_search_queries), SUM(file_search_calls), SUM(code_interpreter_sessions)
FROM events
WHERE day >= $first AND day < $end
GROUP BY ALL
"""

# And the month's workflows (showback's outcomes): per workflow, its calls, requests, input,
# first and last call, and the last call's outcome.
WORKFLOWS = """
SELECT workflow_id, COUNT(*), SUM(requests), SUM(input_tokens), MIN(ts_ms), MAX(ts_ms),
       arg_max(outcome, ts_ms), arg_max(day, ts_ms)
FROM events
WHERE workflow_id <> '' AND day >= $first AND day < $end
GROUP BY workflow_id
"""

con = duckdb.connect()
started = time.perf_counter()
con.execute(
    "CREATE TABLE events AS SELECT * FROM read_csv($csv, header = true, columns = $columns)",
    {"csv": csv, "columns": COLUMNS},
)
load_s = time.perf_counter() - started
params = {"first": first, "end": end}
times_ms = []
groups = workflows = 0
for _ in range(runs):
    started = time.perf_counter()
    groups = len(con.execute(ROLLUP, params).fetchall())
    workflows = len(con.execute(WORKFLOWS, params).fetchall())
    times_ms.append((time.perf_counter() - started) * 1000.0)
rows = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
print(json.dumps({
    "version": duckdb.__version__,
    "threads": con.execute("SELECT current_setting('threads')").fetchone()[0],
    "rows": rows,
    "load_s": load_s,
    "times_ms": times_ms,
    "groups": groups,
    "workflows": workflows,
}))
