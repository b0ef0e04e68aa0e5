-- Shoppers' addresses (shipping and billing). `lines` holds 1 to 3 street lines; `country` is
-- ISO 3166-1 alpha-2. At most one default address per shopper. `region` is the shopper's home
-- region.
CREATE TABLE IF NOT EXISTS addresses (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    lines TEXT[] NOT NULL,
    city TEXT NOT NULL,
    postal_code TEXT NULL,
    subdivision TEXT NULL,
    country TEXT NOT NULL,
    phone TEXT NULL,
    is_default BOOL NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS addresses_by_user ON addresses (user_id, created_at);
CREATE UNIQUE INDEX IF NOT EXISTS addresses_one_default ON addresses (user_id) WHERE is_default;
