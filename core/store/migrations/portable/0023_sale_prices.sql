-- Dated sale prices: while a sale runs, the variant sells at `amount_minor` in the market
-- (in the market's currency, minor units) and shows its regular price as the "was" price.
CREATE TABLE IF NOT EXISTS sale_prices (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    variant_id UUID NOT NULL REFERENCES variants (id),
    market TEXT NOT NULL,
    amount_minor INT8 NOT NULL CHECK (amount_minor >= 0),
    starts_at TIMESTAMPTZ NOT NULL,
    ends_at TIMESTAMPTZ NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX IF NOT EXISTS sale_prices_by_variant ON sale_prices (variant_id, market);
