-- Shipments the warehouse system reported for an order: its shipment id (`reference`, unique:
-- a repeated callback records nothing), the warehouse, and the parcels with their lines and
-- weights in grams.
CREATE TABLE IF NOT EXISTS shipments (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    order_id UUID NOT NULL,
    warehouse TEXT NOT NULL,
    reference TEXT NOT NULL UNIQUE,
    parcels JSONB NOT NULL,
    weight_grams INT8 NOT NULL,
    region TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS shipments_by_order ON shipments (order_id);
