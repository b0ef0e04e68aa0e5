-- The history of every order, payment and return state change.
CREATE TABLE IF NOT EXISTS state_transitions (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    entity TEXT NOT NULL CHECK (entity IN ('order', 'payment', 'return')),
    entity_id UUID NOT NULL,
    from_state TEXT NULL,
    to_state TEXT NOT NULL,
    reason TEXT NOT NULL,
    region TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS state_transitions_by_entity ON state_transitions (entity_id, at);
