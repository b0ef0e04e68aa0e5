-- The shipping option the shopper chose for a cart (`carrier:service`); none: the cheapest.
ALTER TABLE carts ADD COLUMN IF NOT EXISTS shipping_option TEXT NULL;
