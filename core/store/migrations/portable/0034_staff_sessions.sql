-- Staff sessions. `stage` is `full` (the admin API) or `enrolment` (a short session that may
-- only enrol the TOTP second factor: staff get no full session until it is enrolled and a
-- code is given). `region` is the staff member's home region.
CREATE TABLE IF NOT EXISTS staff_sessions (
    id UUID NOT NULL PRIMARY KEY,
    staff_id UUID NOT NULL REFERENCES staff (id),
    region TEXT NOT NULL,
    stage TEXT NOT NULL CHECK (stage IN ('full', 'enrolment')),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ NULL
);
CREATE INDEX IF NOT EXISTS staff_sessions_by_staff ON staff_sessions (staff_id);
