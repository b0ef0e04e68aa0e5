-- Staff accounts (admin API users). `role` is what they may do; `region` is their home region.
-- The TOTP second factor: `totp_secret` (base32) is set at enrolment and becomes usable when a
-- code confirms it (`totp_confirmed_at`); `totp_last_step` is the time step of the last code
-- accepted, so that no code is accepted twice. Failed logins and locks as for shoppers.
CREATE TABLE IF NOT EXISTS staff (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'merchandiser', 'support')),
    region TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    totp_secret TEXT NULL,
    totp_confirmed_at TIMESTAMPTZ NULL,
    totp_last_step INT8 NULL,
    failed_logins INT4 NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until TIMESTAMPTZ NULL,
    disabled_at TIMESTAMPTZ NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS staff_by_email ON staff (email);
