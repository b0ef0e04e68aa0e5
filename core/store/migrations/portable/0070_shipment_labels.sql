-- Carrier labels, one per warehouse shipment (`shipment_id` unique: a repeated request records
-- nothing): the carrier chosen, its service and price (integer minor units of the order's
-- currency), the carrier's label id and tracking number, the ETA, and the parcel's canonical
-- tracking status as its events say (`label_created` … `delivered`).
CREATE TABLE IF NOT EXISTS shipment_labels (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    shipment_id UUID NOT NULL UNIQUE,
    order_id UUID NOT NULL,
    carrier TEXT NOT NULL,
    service TEXT NOT NULL,
    amount_minor INT8 NOT NULL,
    currency TEXT NOT NULL,
    carrier_label_id TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    label_url TEXT NOT NULL,
    eta DATE NULL,
    status TEXT NOT NULL,
    region TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (carrier, tracking_number)
);
CREATE INDEX IF NOT EXISTS shipment_labels_by_order ON shipment_labels (order_id);
