-- The lines of an order as quoted at checkout: prices, discounts and tax lines per line.
CREATE TABLE IF NOT EXISTS order_lines (
    order_id UUID NOT NULL REFERENCES orders (id),
    variant_id UUID NOT NULL,
    sku TEXT NOT NULL,
    product_id UUID NOT NULL,
    quantity INT4 NOT NULL CHECK (quantity > 0),
    unit_price_minor INT8 NOT NULL,
    subtotal_minor INT8 NOT NULL,
    discount_minor INT8 NOT NULL,
    total_minor INT8 NOT NULL,
    tax_minor INT8 NOT NULL,
    taxes JSONB NOT NULL,
    returned_quantity INT4 NOT NULL DEFAULT 0,
    region TEXT NOT NULL,
    PRIMARY KEY (order_id, variant_id)
);
