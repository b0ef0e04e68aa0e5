CREATE TABLE IF NOT EXISTS category_translations (
    category_id UUID NOT NULL REFERENCES categories (id),
    language TEXT NOT NULL,
    name TEXT NOT NULL,
    slug TEXT NOT NULL,
    PRIMARY KEY (category_id, language),
    UNIQUE (language, slug)
);
