-- Orders. Amounts are integer minor units of `currency` (the market's). `checkout_key` is the
-- Idempotency-Key of the checkout that created it (unique per cart), `request_hash` what that
-- checkout asked for. Personal data (email, name, address) is erased on request; amounts, tax
-- and the destination country stay as tax evidence.
CREATE TABLE IF NOT EXISTS orders (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    cart_id UUID NOT NULL,
    checkout_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    user_id UUID NULL,
    guest_token_hash TEXT NULL,
    market TEXT NOT NULL,
    region TEXT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    prices_include_tax BOOL NOT NULL,
    subtotal_minor INT8 NOT NULL,
    discount_minor INT8 NOT NULL,
    shipping_minor INT8 NOT NULL,
    tax_minor INT8 NOT NULL,
    total_minor INT8 NOT NULL,
    email TEXT NULL,
    ship_to JSONB NULL,
    country TEXT NOT NULL,
    subdivision TEXT NULL,
    quote JSONB NOT NULL,
    shipped_at TIMESTAMPTZ NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (cart_id, checkout_key)
);
CREATE INDEX IF NOT EXISTS orders_by_user ON orders (user_id, created_at);
CREATE INDEX IF NOT EXISTS orders_by_status ON orders (status, updated_at);
