-- Coupon codes. `code` is stored upper-case (codes are matched case-insensitively); each
-- activates one promotion. `usage_limit` is the code's own limit (1 for single-use codes), on
-- top of the promotion's; `uses` counts against it and is kept only when there is one.
-- `batch_id` groups the codes added by one request (explicit or generated).
CREATE TABLE IF NOT EXISTS coupons (
    code TEXT NOT NULL PRIMARY KEY CHECK (code = upper(code) AND length(code) BETWEEN 3 AND 32),
    promotion_id UUID NOT NULL REFERENCES promotions (id),
    usage_limit INT8 NULL CHECK (usage_limit IS NULL OR usage_limit > 0),
    uses INT8 NOT NULL DEFAULT 0 CHECK (uses >= 0),
    batch_id UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS coupons_by_promotion ON coupons (promotion_id, code);
CREATE INDEX IF NOT EXISTS coupons_by_batch ON coupons (batch_id, code);
