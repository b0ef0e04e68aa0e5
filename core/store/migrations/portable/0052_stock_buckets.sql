-- Stock of a variant in a warehouse may be spread over several rows (buckets), so that as many
-- checkouts can reserve it at the same moment, each in its own bucket: for a flash sale, one
-- row would make every buyer wait for the one before. Available to promise is the sum over the
-- buckets; a reservation remembers its bucket.
ALTER TABLE stock ADD COLUMN IF NOT EXISTS bucket INT2 NOT NULL DEFAULT 0;
ALTER TABLE stock DROP CONSTRAINT stock_pkey, ADD CONSTRAINT stock_pkey PRIMARY KEY (warehouse, variant_id, bucket);
ALTER TABLE reservations ADD COLUMN IF NOT EXISTS bucket INT2 NOT NULL DEFAULT 0;
