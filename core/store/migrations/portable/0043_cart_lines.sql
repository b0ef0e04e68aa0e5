CREATE TABLE IF NOT EXISTS cart_lines (
    cart_id UUID NOT NULL REFERENCES carts (id),
    variant_id UUID NOT NULL,
    quantity INT4 NOT NULL CHECK (quantity > 0),
    region TEXT NOT NULL,
    added_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (cart_id, variant_id)
);
