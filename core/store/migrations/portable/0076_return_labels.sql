-- Carrier return labels, one per approved return (`return_id` is the key: a repeated request
-- records nothing): the carrier and service, the carrier's label id, tracking number and label
-- URL the shopper prints.
CREATE TABLE IF NOT EXISTS return_labels (
    return_id UUID NOT NULL PRIMARY KEY,
    order_id UUID NOT NULL,
    carrier TEXT NOT NULL,
    service TEXT NOT NULL,
    carrier_label_id TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    label_url TEXT NOT NULL,
    region TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (carrier, tracking_number)
);
