-- Active users as words of bit sets instead of a row per user, day and owner dimensions.
-- Users are numbered once; user n is bit n % 63 of word n / 63 (63 bits, so that a word is a
-- positive 64-bit integer in both databases). A day's users under one set of dimensions are
-- then a few rows however many events they made, the union of sets is a bitwise or, and the
-- drill-downs read about one row per 63 users per day and owner instead of one per user.
-- Ingest ors its users into the words in the same transaction as the rollups.
CREATE TABLE user_numbers (
    n       INTEGER NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE
);

CREATE TABLE usage_user_words (
    day         TEXT    NOT NULL,
    provider    TEXT    NOT NULL,
    model       TEXT    NOT NULL,
    api_key     TEXT    NOT NULL,
    team        TEXT    NOT NULL,
    feature     TEXT    NOT NULL,
    environment TEXT    NOT NULL,
    tags        TEXT    NOT NULL,
    word        INTEGER NOT NULL,
    bits        INTEGER NOT NULL,
    PRIMARY KEY (day, provider, model, api_key, team, feature, environment, tags, word)
) WITHOUT ROWID;

INSERT INTO user_numbers (user_id)
SELECT DISTINCT user_id FROM usage_users ORDER BY user_id;

-- Each user is in a day's set once, so the bits of one word are distinct and their sum is
-- their or (SQLite has no bitwise aggregate).
INSERT INTO usage_user_words (day, provider, model, api_key, team, feature, environment, tags, word, bits)
SELECT u.day, u.provider, u.model, u.api_key, u.team, u.feature, u.environment, u.tags,
       n.n / 63, SUM(1 << (n.n % 63))
FROM usage_users u JOIN user_numbers n ON n.user_id = u.user_id
GROUP BY u.day, u.provider, u.model, u.api_key, u.team, u.feature, u.environment, u.tags, n.n / 63;

DROP TABLE usage_users;
