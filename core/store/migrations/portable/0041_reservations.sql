-- Stock held for an order: `held` until the order ships (`committed`: taken off on_hand) or
-- fails, is cancelled or expires (`released`: given back).
CREATE TABLE IF NOT EXISTS reservations (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    order_id UUID NOT NULL,
    warehouse TEXT NOT NULL,
    variant_id UUID NOT NULL,
    quantity INT8 NOT NULL CHECK (quantity > 0),
    state TEXT NOT NULL CHECK (state IN ('held', 'committed', 'released')),
    region TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS reservations_by_order ON reservations (order_id);
CREATE INDEX IF NOT EXISTS reservations_by_expiry ON reservations (state, expires_at);
