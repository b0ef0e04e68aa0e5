-- CockroachDB only: localities of the pricing tables (sale prices, price history, backfills).
ALTER TABLE sale_prices SET LOCALITY GLOBAL;
ALTER TABLE price_changes SET LOCALITY GLOBAL;
ALTER TABLE market_backfills SET LOCALITY GLOBAL;
