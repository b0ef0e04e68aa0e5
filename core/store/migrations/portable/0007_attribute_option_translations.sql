CREATE TABLE IF NOT EXISTS attribute_option_translations (
    attribute_code TEXT NOT NULL,
    value TEXT NOT NULL,
    language TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (attribute_code, value, language),
    FOREIGN KEY (attribute_code, value) REFERENCES attribute_options (attribute_code, value)
);
