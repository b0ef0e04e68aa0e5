-- One payment per order: the provider's authorization, captured, voided or refunded.
-- `provider_event_at` orders the provider's events, so a late one never undoes a newer state.
CREATE TABLE IF NOT EXISTS payments (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    order_id UUID NOT NULL UNIQUE REFERENCES orders (id),
    provider TEXT NOT NULL,
    provider_ref TEXT NULL,
    status TEXT NOT NULL,
    amount_minor INT8 NOT NULL,
    captured_minor INT8 NOT NULL DEFAULT 0,
    refunded_minor INT8 NOT NULL DEFAULT 0,
    currency TEXT NOT NULL,
    next_action JSONB NULL,
    decline_code TEXT NULL,
    region TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS payments_by_provider_ref ON payments (provider_ref);
