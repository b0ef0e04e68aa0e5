-- Promotions, as merchandisers define them. `definition` holds the kind's parameters as the
-- admin API writes them (target, discount, thresholds, buy/get): percentages as decimal
-- strings, amounts as integer minor units of `currency`, which every market of the promotion
-- uses (a promotion with amounts names its markets). `uses` counts redemptions against
-- `usage_limit` and is kept only while there is a limit: an unlimited promotion is never
-- written at checkout (its redemptions are in `promotion_redemptions`). A promotion is never
-- deleted, only archived.
CREATE TABLE IF NOT EXISTS promotions (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    name TEXT NOT NULL,
    priority INT4 NOT NULL DEFAULT 0,
    exclusive BOOL NOT NULL DEFAULT false,
    kind TEXT NOT NULL CHECK (kind IN ('catalog', 'order', 'buy_x_get_y', 'free_shipping')),
    definition JSONB NOT NULL,
    currency TEXT NULL,
    markets TEXT[] NOT NULL DEFAULT '{}',
    starts_at TIMESTAMPTZ NULL,
    ends_at TIMESTAMPTZ NULL,
    requires_coupon BOOL NOT NULL DEFAULT false,
    usage_limit INT8 NULL CHECK (usage_limit IS NULL OR usage_limit > 0),
    per_customer_limit INT4 NULL CHECK (per_customer_limit IS NULL OR per_customer_limit > 0),
    uses INT8 NOT NULL DEFAULT 0 CHECK (uses >= 0),
    archived_at TIMESTAMPTZ NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at)
);
-- Admin listings, newest first, keyset-paginated.
CREATE INDEX IF NOT EXISTS promotions_by_created ON promotions (created_at, id);
-- What every quote reads: the automatic promotions that are not archived.
CREATE INDEX IF NOT EXISTS promotions_automatic ON promotions (id)
    WHERE archived_at IS NULL AND requires_coupon = false;
