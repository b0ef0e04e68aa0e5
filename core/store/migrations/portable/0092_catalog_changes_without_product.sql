-- Changes about no single product (categories, attributes, their translations): every core
-- checks this small range every few seconds and reloads its catalog metadata only when it
-- moved, instead of reading all of the metadata each time.
CREATE INDEX IF NOT EXISTS catalog_changes_without_product ON catalog_changes (changed_at) WHERE product_id IS NULL;
