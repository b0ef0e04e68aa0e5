-- Stock of each variant in each warehouse (warehouses are data in regions/<region>/region.toml).
-- Available to promise = on_hand - reserved - safety_stock; a reservation is one conditional
-- update of `reserved`, so stock can never be promised twice. `region` is the warehouse's
-- region: the row lives there on CockroachDB.
CREATE TABLE IF NOT EXISTS stock (
    warehouse TEXT NOT NULL,
    variant_id UUID NOT NULL REFERENCES variants (id),
    region TEXT NOT NULL,
    on_hand INT8 NOT NULL CHECK (on_hand >= 0),
    reserved INT8 NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    safety_stock INT8 NOT NULL DEFAULT 0 CHECK (safety_stock >= 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (warehouse, variant_id),
    CHECK (reserved <= on_hand)
);
CREATE INDEX IF NOT EXISTS stock_by_variant ON stock (variant_id);
