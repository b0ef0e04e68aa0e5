-- The carrier and service an order was charged for; its parcels are labelled with them (orders
-- placed before shipping options have none, and are labelled with the cheapest offer).
ALTER TABLE orders ADD COLUMN IF NOT EXISTS shipping_carrier TEXT NULL, ADD COLUMN IF NOT EXISTS shipping_service TEXT NULL;
