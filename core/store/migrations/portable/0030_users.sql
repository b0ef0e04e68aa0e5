-- Shoppers' accounts. `region` is the shopper's home region (the region of the market they
-- signed up in): on CockroachDB the row lives there, as do their sessions, addresses, carts
-- and orders. `email` is normalized to lower case and unique; an erased account keeps its row
-- (orders kept for tax evidence still point at it) with every personal field emptied and the
-- email replaced by a random placeholder. `failed_logins` counts consecutive failed logins
-- (an attempt counts when it starts, a success resets it); `locked_until` is set when they
-- reach the limit.
CREATE TABLE IF NOT EXISTS users (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    market TEXT NOT NULL,
    region TEXT NOT NULL,
    password_hash TEXT NULL,
    failed_logins INT4 NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until TIMESTAMPTZ NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    erased_at TIMESTAMPTZ NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS users_by_email ON users (email);
