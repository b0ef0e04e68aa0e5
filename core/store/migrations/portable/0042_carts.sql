-- Carts: a shopper's (user_id) or a guest's (token_hash: SHA-256 of the cart token the guest
-- holds). Owned by one or the other; merged into the shopper's cart at login.
CREATE TABLE IF NOT EXISTS carts (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    user_id UUID NULL,
    token_hash TEXT NULL,
    market TEXT NOT NULL,
    language TEXT NOT NULL,
    region TEXT NOT NULL,
    coupons TEXT[] NOT NULL DEFAULT '{}',
    country TEXT NULL,
    subdivision TEXT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'checked_out', 'merged', 'expired')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS carts_by_user ON carts (user_id, status);
