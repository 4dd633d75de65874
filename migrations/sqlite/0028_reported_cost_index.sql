-- Reconciliation sets the cost senders reported beside tokentally's price of the same calls.
-- It reads the month's events that carry a reported cost; through `events_day` alone that
-- was a lookup of every event of the month (600 ms at a million events on SQLite, whether
-- or not any reported a cost). A partial index holds only the events that did.
CREATE INDEX events_reported_day ON events (day) WHERE reported_cost IS NOT NULL;
