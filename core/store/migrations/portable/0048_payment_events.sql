-- Provider webhook events already applied, by the provider's event id: a duplicate is
-- acknowledged and ignored.
CREATE TABLE IF NOT EXISTS payment_events (
    event_id TEXT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL,
    order_id UUID NULL,
    region TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
