-- What each order line showed the shopper when the order was placed, in their language: the
-- product's name and the variant's options (`{"name": …, "options": [{"name": …, "value": …}]}`),
-- kept so that renaming a product does not rewrite past orders. NULL for orders placed before.
ALTER TABLE order_lines ADD COLUMN IF NOT EXISTS label JSONB NULL;
