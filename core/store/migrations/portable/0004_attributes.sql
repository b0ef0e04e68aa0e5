-- Typed attributes. `kind` is the value type; `level` says whether products or variants carry
-- the attribute; filterable attributes can be used in listing filters.
CREATE TABLE IF NOT EXISTS attributes (
    code TEXT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('text', 'enum', 'number', 'boolean')),
    level TEXT NOT NULL CHECK (level IN ('product', 'variant')),
    filterable BOOL NOT NULL DEFAULT false,
    unit TEXT NULL,
    position INT4 NOT NULL DEFAULT 0
);
