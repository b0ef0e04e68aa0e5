-- An id for each unapplied partner event, so that operators page through them with a cursor
-- (received_at, id), newest first, like every other list of the API.
ALTER TABLE partner_events_unapplied ADD COLUMN IF NOT EXISTS id UUID NOT NULL DEFAULT gen_random_uuid();
