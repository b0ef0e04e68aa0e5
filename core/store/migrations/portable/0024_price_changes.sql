-- Every change of a regular price, for the EU "lowest price of the previous 30 days" shown next
-- to reduced prices (Omnibus directive).
CREATE TABLE IF NOT EXISTS price_changes (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    variant_id UUID NOT NULL REFERENCES variants (id),
    market TEXT NOT NULL,
    amount_minor INT8 NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS price_changes_by_variant ON price_changes (variant_id, market, changed_at);
