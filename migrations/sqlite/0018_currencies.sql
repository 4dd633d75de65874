-- Currencies (issue 18): exchange rates, one per month and currency pair, with where each
-- came from; the organisation's reporting currency; a team's statement currency. Prices and
-- statements stay in the billing currency; these only convert what is shown.
CREATE TABLE fx_rates (
    base TEXT NOT NULL,
    quote TEXT NOT NULL,
    month TEXT NOT NULL,
    rate TEXT NOT NULL,
    source TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (base, quote, month)
);

CREATE TABLE currency_settings (
    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    reporting_currency TEXT NOT NULL
);

CREATE TABLE team_currencies (
    team TEXT NOT NULL PRIMARY KEY,
    currency TEXT NOT NULL
);
