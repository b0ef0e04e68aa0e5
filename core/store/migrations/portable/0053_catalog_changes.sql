-- Catalog and price changes, for the edges: every edge follows this feed and purges what it
-- cached. A row is written once a merchandiser's change has committed; edges read the rows
-- newer than the last time they asked (with an overlap, deduplicated by id).
CREATE TABLE IF NOT EXISTS catalog_changes (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    path TEXT NOT NULL,
    product_id UUID NULL,
    changed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS catalog_changes_by_time ON catalog_changes (changed_at);
