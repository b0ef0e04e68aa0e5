-- The changes written before `metadata` existed: those about no single product were the
-- metadata's (and purged everything). Cores watch the metadata's changes through this index.
UPDATE catalog_changes SET metadata = true WHERE product_id IS NULL AND subject IS NULL;
CREATE INDEX IF NOT EXISTS catalog_changes_of_metadata ON catalog_changes (changed_at) WHERE metadata;
-- Replaced by the one above: a change about no single product is no longer the metadata's.
DROP INDEX IF EXISTS catalog_changes_without_product;
