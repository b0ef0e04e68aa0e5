-- Shoppers' sessions. The signed token carries the id; every authenticated request checks
-- the row, so a logout or a revocation takes effect at once. `region` is the shopper's home
-- region.
CREATE TABLE IF NOT EXISTS sessions (
    id UUID NOT NULL PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    region TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id);
