-- Stock feed deltas of the warehouse system already applied, by the system's delta id: a
-- delta received again (a retried or repeated feed) changes nothing.
CREATE TABLE IF NOT EXISTS stock_feed_deltas (
    warehouse TEXT NOT NULL,
    delta_id TEXT NOT NULL,
    region TEXT NOT NULL,
    change INT8 NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (warehouse, delta_id)
);
