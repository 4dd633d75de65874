-- Admins disable, re-enable and delete people. A disabled account keeps its row (and its
-- email) but no session or token of it works; `disabled_ms` says since when.
ALTER TABLE users ADD COLUMN disabled_ms BIGINT;

-- A token may belong to a person: it then acts as that person (their role and teams as they
-- are now) and stops when they are disabled or deleted. Tokens without an owner are service
-- tokens (gateways, exporters) and keep their own role.
ALTER TABLE api_tokens ADD COLUMN owner_id BIGINT;
