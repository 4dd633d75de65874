-- Outcomes of single calls reported after the fact (`POST /api/v1/outcomes`): the latest
-- report per call, the outcome the call reported itself, and who reported it when. The
-- event's own outcome and its rollups are changed in the same transaction; this table says
-- which outcomes came late.
CREATE TABLE call_outcomes (
    source       TEXT   NOT NULL,
    event_id     TEXT   NOT NULL,
    outcome      TEXT   NOT NULL,
    call_outcome TEXT   NOT NULL,
    reported_ms  BIGINT NOT NULL,
    actor        TEXT   NOT NULL,
    PRIMARY KEY (source, event_id)
);
