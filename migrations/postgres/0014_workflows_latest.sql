-- The latest workflows of a month are read from this index (the workflows list answers the
-- latest 100 of tens of thousands), not by reading and sorting the month's every workflow.
CREATE INDEX workflows_last_ms ON workflows (last_ms);
