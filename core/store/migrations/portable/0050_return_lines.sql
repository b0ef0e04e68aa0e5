CREATE TABLE IF NOT EXISTS return_lines (
    return_id UUID NOT NULL REFERENCES returns (id),
    variant_id UUID NOT NULL,
    quantity INT4 NOT NULL CHECK (quantity > 0),
    refund_minor INT8 NOT NULL,
    region TEXT NOT NULL,
    PRIMARY KEY (return_id, variant_id)
);
