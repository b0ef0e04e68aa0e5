-- Per-language content of a product. A slug is unique within its language.
CREATE TABLE IF NOT EXISTS product_translations (
    product_id UUID NOT NULL REFERENCES products (id),
    language TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    slug TEXT NOT NULL,
    PRIMARY KEY (product_id, language),
    UNIQUE (language, slug)
);
