-- Listing backfills of markets whose rows are built from other markets' data (a market added
-- by configuration that takes another's assortment or derives its prices): one core builds
-- them; `config` is the market's pricing and assortment rules the rows were built for, so a
-- changed rule rebuilds them.
CREATE TABLE IF NOT EXISTS market_backfills (
    market TEXT NOT NULL PRIMARY KEY,
    config TEXT NOT NULL,
    claimed_by TEXT NOT NULL,
    claimed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ NULL,
    listing_rows INT8 NOT NULL DEFAULT 0
);
