-- CockroachDB only: the change feed is read by every region's edges: GLOBAL. (A changefeed can
-- replace the table later.)
ALTER TABLE catalog_changes SET LOCALITY GLOBAL;
