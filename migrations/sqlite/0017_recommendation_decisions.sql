-- What an owner decided about a recommendation (issue 15): accepted or dismissed, with a
-- note. The id is the recommendation's stable id (its month and a hash of lever and owner);
-- the owner, lever and expected saving are copied here so that the follow-up of an accepted
-- one reads this row alone, whatever the month's recommendations become later.
CREATE TABLE recommendation_decisions (
    id              TEXT    NOT NULL PRIMARY KEY,
    month           TEXT    NOT NULL,
    lever           TEXT    NOT NULL,
    team            TEXT    NOT NULL,
    feature         TEXT    NOT NULL,
    api_key         TEXT    NOT NULL,
    model           TEXT    NOT NULL,
    decision        TEXT    NOT NULL,
    note            TEXT    NOT NULL,
    expected_saving TEXT    NOT NULL,
    decided_day     TEXT    NOT NULL,
    decided_by      TEXT    NOT NULL,
    decided_ms      INTEGER NOT NULL
);
CREATE INDEX recommendation_decisions_owner ON recommendation_decisions (team, feature);
