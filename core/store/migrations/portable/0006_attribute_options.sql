-- The allowed values of `enum` attributes.
CREATE TABLE IF NOT EXISTS attribute_options (
    attribute_code TEXT NOT NULL REFERENCES attributes (code),
    value TEXT NOT NULL,
    position INT4 NOT NULL DEFAULT 0,
    PRIMARY KEY (attribute_code, value)
);
