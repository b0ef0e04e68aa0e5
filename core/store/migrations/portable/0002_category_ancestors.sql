-- Closure of the category tree: one row per (category, ancestor-or-self), so that listing a
-- category includes its descendants without recursive queries.
CREATE TABLE IF NOT EXISTS category_ancestors (
    category_id UUID NOT NULL REFERENCES categories (id),
    ancestor_id UUID NOT NULL REFERENCES categories (id),
    depth INT4 NOT NULL,
    PRIMARY KEY (category_id, ancestor_id)
);
