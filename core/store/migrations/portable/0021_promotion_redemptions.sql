-- The redemption log: one row per promotion applied to an order, written in the order's
-- transaction (`code` is the coupon that activated it, if any). At most one per order and
-- promotion. `region` is the region of the order (the shopper's home region).
CREATE TABLE IF NOT EXISTS promotion_redemptions (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    promotion_id UUID NOT NULL REFERENCES promotions (id),
    code TEXT NULL REFERENCES coupons (code),
    customer_id TEXT NULL,
    order_ref TEXT NOT NULL,
    region TEXT NOT NULL,
    redeemed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS promotion_redemptions_by_order ON promotion_redemptions (order_ref, promotion_id);
CREATE INDEX IF NOT EXISTS promotion_redemptions_by_promotion ON promotion_redemptions (promotion_id, customer_id);
CREATE INDEX IF NOT EXISTS promotion_redemptions_by_code ON promotion_redemptions (code);
