-- Returns of shipped orders, within the market's withdrawal window.
CREATE TABLE IF NOT EXISTS returns (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    order_id UUID NOT NULL REFERENCES orders (id),
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    refund_minor INT8 NOT NULL,
    region TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS returns_by_order ON returns (order_id);
