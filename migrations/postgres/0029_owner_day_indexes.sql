-- A drill-down reads the month's rows that can be one team's: those of the keys mapped to it
-- or tagged with its name (`Attributor::candidates`), or one key's or one model's. Without
-- these indexes PostgreSQL read every page of the month's rollups and user words to find
-- them, and ingest's updates leave those tables' pages sparse (each update writes a new row
-- version; vacuum frees the old one's space but does not give the pages back). At 1M events
-- the team read took 96 ms with a sequential scan and 57 ms with these (docs/BENCHMARKS.md).
-- SQLite keeps these tables clustered by day (WITHOUT ROWID), so a month is one dense range
-- there: its migration 0029 creates nothing (see the schema-parity test's allow-list).
CREATE INDEX usage_rollups_api_key_day ON usage_rollups (api_key, day);
CREATE INDEX usage_rollups_team_day ON usage_rollups (team, day);
CREATE INDEX usage_rollups_model_day ON usage_rollups (model, day);
CREATE INDEX usage_user_words_api_key_day ON usage_user_words (api_key, day);
CREATE INDEX usage_user_words_team_day ON usage_user_words (team, day);
CREATE INDEX usage_user_words_model_day ON usage_user_words (model, day);
