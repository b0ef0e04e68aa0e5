-- What pricing a cart line needs of its product, readable from the index alone.
CREATE INDEX IF NOT EXISTS products_by_id_covering ON products (id) INCLUDE (category_id, tax_category, status);
