-- Issue 23. The provider's cost per unit it bills (`input`, `cached input`, `output`,
-- `web_search`, Anthropic's token types, ...; empty for costs pulled before), so that a
-- difference with the computed cost points at its unit. The key gains the unit, so SQLite
-- rebuilds the table.
CREATE TABLE provider_costs_by_unit (
    connection_id  INTEGER NOT NULL,
    day            TEXT    NOT NULL,
    provider       TEXT    NOT NULL,
    model          TEXT    NOT NULL,
    amount         TEXT    NOT NULL,
    currency       TEXT    NOT NULL,
    unit           TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (connection_id, day, model, unit)
);
INSERT INTO provider_costs_by_unit (connection_id, day, provider, model, amount, currency)
    SELECT connection_id, day, provider, model, amount, currency FROM provider_costs;
DROP TABLE provider_costs;
ALTER TABLE provider_costs_by_unit RENAME TO provider_costs;
