-- Partner events that verified (signed by the partner) but could not be applied: a payment for
-- an order we do not know, a shipment or tracking event for nothing of ours. They are
-- acknowledged, so that the partner stops retrying, and kept here for operators, once per
-- partner event id. `region` is the region of the core that received the event.
CREATE TABLE IF NOT EXISTS partner_events_unapplied (
    partner TEXT NOT NULL,
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    reference TEXT NULL,
    region TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partner, event_id)
);
CREATE INDEX IF NOT EXISTS partner_events_unapplied_by_time ON partner_events_unapplied (received_at);
