-- Tracking events of carrier labels, once per carrier event id (a repeated webhook records
-- nothing): the canonical status, the carrier's own code, the carrier's event time (which
-- orders the timeline, whatever the arrival order) and when it reached us.
CREATE TABLE IF NOT EXISTS tracking_events (
    carrier TEXT NOT NULL,
    event_id TEXT NOT NULL,
    label_id UUID NOT NULL,
    order_id UUID NOT NULL,
    status TEXT NOT NULL,
    carrier_status TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    eta DATE NULL,
    region TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (carrier, event_id)
);
CREATE INDEX IF NOT EXISTS tracking_events_by_order ON tracking_events (order_id, occurred_at);
