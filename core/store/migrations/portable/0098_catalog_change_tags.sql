-- What each catalog change affects, for the edges' purges by tag (core_domain::cache_tags):
-- `tags`, NULL for a change of everything; `metadata`, whether it changed the catalog metadata
-- (categories, attributes) that every core keeps in memory; `subject`, what changed (product,
-- category, promotion…), recorded in the writing transaction instead of the admin URL (`path`,
-- kept for the rows written before).
ALTER TABLE catalog_changes ADD COLUMN IF NOT EXISTS subject TEXT NULL;
ALTER TABLE catalog_changes ADD COLUMN IF NOT EXISTS tags TEXT[] NULL;
ALTER TABLE catalog_changes ADD COLUMN IF NOT EXISTS metadata BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE catalog_changes ALTER COLUMN path DROP NOT NULL;
