-- Issue 23. The provider's cost per unit it bills (`input`, `cached input`, `output`,
-- `web_search`, Anthropic's token types, ...; empty for costs pulled before), so that a
-- difference with the computed cost points at its unit. The key gains the unit.
ALTER TABLE provider_costs ADD COLUMN unit TEXT NOT NULL DEFAULT '';
ALTER TABLE provider_costs DROP CONSTRAINT provider_costs_pkey;
ALTER TABLE provider_costs ADD PRIMARY KEY (connection_id, day, model, unit);
