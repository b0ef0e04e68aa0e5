-- The price list of each market: one price per variant, in the market's currency, in integer
-- minor units (JPY 0 decimals, EUR 2, KWD 3). `compare_at_minor` is the "was" price.
CREATE TABLE IF NOT EXISTS prices (
    variant_id UUID NOT NULL REFERENCES variants (id),
    market TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor INT8 NOT NULL CHECK (amount_minor >= 0),
    compare_at_minor INT8 NULL CHECK (compare_at_minor IS NULL OR compare_at_minor > amount_minor),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (variant_id, market)
);
