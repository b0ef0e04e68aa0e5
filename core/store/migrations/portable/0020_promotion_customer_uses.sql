-- Per-customer redemption counts of the promotions with a `per_customer_limit` (kept only
-- while there is one). `region` is the customer's home region: on CockroachDB the row lives
-- there, beside the customer's orders.
CREATE TABLE IF NOT EXISTS promotion_customer_uses (
    promotion_id UUID NOT NULL REFERENCES promotions (id),
    customer_id TEXT NOT NULL,
    region TEXT NOT NULL,
    uses INT4 NOT NULL CHECK (uses >= 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (promotion_id, customer_id)
);
