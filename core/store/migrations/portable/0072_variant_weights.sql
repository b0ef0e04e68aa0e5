-- Shipping weight of one unit of a variant, in grams: carts are quoted shipping by their weight.
-- Variants created before weights were known weigh 500 g until a merchandiser says otherwise.
ALTER TABLE variants ADD COLUMN IF NOT EXISTS weight_grams INT8 NOT NULL DEFAULT 500;
