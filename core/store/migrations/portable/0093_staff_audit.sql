-- Every request made on the staff listener (the admin API), and every staff change made from
-- the server's console: who (a staff member and their session, the development service token,
-- the console, or nobody yet), what (method, route template, the
-- redacted target, the answer's status), when, and from where (the client address). Rows are
-- only ever inserted; `region` is the region of the core that served the request.
CREATE TABLE IF NOT EXISTS staff_audit (
    id UUID NOT NULL PRIMARY KEY DEFAULT gen_random_uuid(),
    at TIMESTAMPTZ NOT NULL,
    region TEXT NOT NULL,
    actor TEXT NOT NULL CHECK (actor IN ('staff', 'service_token', 'console', 'anonymous')),
    staff_id UUID NULL,
    session_id UUID NULL,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    target TEXT NOT NULL,
    status INT4 NOT NULL,
    client TEXT NOT NULL,
    request_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS staff_audit_by_time ON staff_audit (at);
CREATE INDEX IF NOT EXISTS staff_audit_by_staff ON staff_audit (staff_id, at);
