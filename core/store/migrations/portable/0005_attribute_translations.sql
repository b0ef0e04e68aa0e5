CREATE TABLE IF NOT EXISTS attribute_translations (
    attribute_code TEXT NOT NULL REFERENCES attributes (code),
    language TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (attribute_code, language)
);
