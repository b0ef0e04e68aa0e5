-- PostgreSQL only: the outbox is a queue. Each event is updated twice soon after it is written
-- (leased, then delivered or skipped), and every old version leaves an entry at the front of
-- the index range the dispatchers scan for due events (`outbox_due`, status 'pending'), until
-- vacuum removes it. With the default trigger (a fifth of the table changed), tens of thousands
-- of such entries piled up and every claim stepped over them, busy or idle. Vacuum the outbox
-- after a few thousand changed rows instead. (CockroachDB collects old versions on its own
-- schedule; see its queue guidance before tuning gc.ttlseconds.)
ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
    autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 5000);
