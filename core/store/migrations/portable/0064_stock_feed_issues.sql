-- What a stock feed held that could not be applied (an unknown SKU, a count below what is
-- reserved), reported once per feed item for staff to resolve, never silently dropped.
-- `source` is `snapshot` or `delta`, `reference` the snapshot's or the delta's id.
CREATE TABLE IF NOT EXISTS stock_feed_issues (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    warehouse TEXT NOT NULL,
    source TEXT NOT NULL,
    reference TEXT NOT NULL,
    sku TEXT NOT NULL,
    reason TEXT NOT NULL,
    region TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (warehouse, source, reference, sku)
);
