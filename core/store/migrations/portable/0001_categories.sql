-- The category tree. `code` is the merchandiser's stable key (used in imports and URLs of the
-- admin API); `id` is the public identifier.
CREATE TABLE IF NOT EXISTS categories (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    parent_id UUID NULL REFERENCES categories (id),
    position INT4 NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS categories_by_parent ON categories (parent_id, position);
