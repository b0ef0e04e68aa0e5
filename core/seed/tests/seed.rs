//! The synthetic catalog seed against a real PostgreSQL (`$SHOP_TEST_PG`): row counts, the
//! listing read model, prices per market, regional translations, and identical reseeds.

use std::collections::HashSet;
use std::sync::Mutex;

use core_seed::{Phase, Progress, SeedOptions, seed_catalog};
use testkit::TestDb;
use tokio_postgres::{Client, NoTls};

/// A fresh migrated database: cloned from `$SHOP_TEST_TEMPLATE` when `cargo xtask test` made
/// one, else created empty and migrated here.
async fn fresh_db() -> TestDb {
    if std::env::var(testkit::TEST_TEMPLATE_ENV).is_ok() {
        return TestDb::migrated().await.expect("cloning the template database");
    }
    let db = TestDb::empty().await.expect("creating a database");
    let mut client = connect(&db.url).await;
    core_store::migrate::migrate(&mut client, &[]).await.expect("migrating");
    db
}

async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.expect("connecting");
    tokio::spawn(connection);
    client
}

async fn count(client: &Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap_or_else(|e| panic!("{sql}: {e}")).get(0)
}

/// A digest of the ids, codes and amounts of the catalog.
async fn checksum(client: &Client) -> String {
    let sql = "SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
        SELECT id::text || code || category_id::text || attributes::text || facets::text
            || coalesce(published_at::text, '-') AS x FROM products
        UNION ALL SELECT id::text || product_id::text || sku || attributes::text FROM variants
        UNION ALL SELECT variant_id::text || market || currency || amount_minor::text
            || coalesce(compare_at_minor::text, '-') FROM prices
        UNION ALL SELECT product_id::text || language || name || description || slug FROM product_translations
        UNION ALL SELECT market || category_id::text || product_id::text || from_price_minor::text FROM catalog_listing
        UNION ALL SELECT id::text || code || coalesce(parent_id::text, '-') FROM categories
        UNION ALL SELECT warehouse || variant_id::text || on_hand::text FROM stock
    ) rows";
    client.query_one(sql, &[]).await.expect("checksum").get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeds_a_consistent_catalog_and_reseeds_identically() {
    let db = fresh_db().await;
    let catalog = regions::Catalog::load_workspace().expect("regions");
    let opts = SeedOptions { skus: 300, seed: 42 };
    let phases = Mutex::new(HashSet::new());
    let progress = |p: Progress| {
        assert!(p.done <= p.total, "{p:?}");
        phases.lock().expect("lock").insert(p.phase);
    };

    let report = seed_catalog(&db.url, &catalog, &opts, &progress).await.expect("seeding");
    eprintln!("seeded 300 SKUs in {:.2} s", report.seconds);
    assert_eq!(report.skus, 300);
    assert!(report.seconds < 10.0, "small seeds are fast: {} s", report.seconds);
    for phase in [Phase::Categories, Phase::Products, Phase::Prices, Phase::Listing, Phase::Analyze] {
        assert!(phases.lock().expect("lock").contains(&phase), "{phase:?} reported");
    }

    let client = connect(&db.url).await;
    assert_eq!(count(&client, "SELECT count(*) FROM variants").await, 300);
    assert_eq!(count(&client, "SELECT count(*) FROM products").await as u64, report.products);
    assert_eq!(count(&client, "SELECT count(*) FROM prices").await as u64, report.prices);
    assert_eq!(count(&client, "SELECT count(*) FROM catalog_listing").await as u64, report.listing_rows);
    assert!((80..=120).contains(&report.products), "{} products", report.products);

    // Products sit in leaf categories; the closure has one row per ancestor-or-self.
    let in_inner =
        "SELECT count(*) FROM products p WHERE EXISTS (SELECT 1 FROM categories c WHERE c.parent_id = p.category_id)";
    assert_eq!(count(&client, in_inner).await, 0);
    let closure = "SELECT count(*) FROM categories c
        WHERE (SELECT count(*) FROM category_ancestors a WHERE a.category_id = c.id)
           <> CASE WHEN c.parent_id IS NULL THEN 1
                   WHEN (SELECT parent_id FROM categories p WHERE p.id = c.parent_id) IS NULL THEN 2 ELSE 3 END";
    assert_eq!(count(&client, closure).await, 0);

    // The listing is exactly: published products × sold and priced markets × ancestors, at the
    // lowest variant price.
    let expected = "SELECT pm.market, a.ancestor_id, p.id, p.published_at, min(pr.amount_minor)
        FROM products p
        JOIN product_markets pm ON pm.product_id = p.id
        JOIN variants v ON v.product_id = p.id
        JOIN prices pr ON pr.variant_id = v.id AND pr.market = pm.market
        JOIN category_ancestors a ON a.category_id = p.category_id
        WHERE p.status = 'published'
        GROUP BY pm.market, a.ancestor_id, p.id, p.published_at";
    let listing = "SELECT market, category_id, product_id, published_at, from_price_minor FROM catalog_listing";
    assert_eq!(count(&client, &format!("SELECT count(*) FROM ({expected} EXCEPT {listing}) d")).await, 0);
    assert_eq!(count(&client, &format!("SELECT count(*) FROM ({listing} EXCEPT {expected}) d")).await, 0);
    let drafts =
        "SELECT count(*) FROM catalog_listing l JOIN products p ON p.id = l.product_id WHERE p.status <> 'published'";
    assert_eq!(count(&client, drafts).await, 0);

    // Every variant has a price in every market of its product, and only there.
    let missing = "SELECT count(*) FROM variants v JOIN product_markets pm ON pm.product_id = v.product_id
        WHERE NOT EXISTS (SELECT 1 FROM prices pr WHERE pr.variant_id = v.id AND pr.market = pm.market)";
    assert_eq!(count(&client, missing).await, 0);
    let stray = "SELECT count(*) FROM prices pr JOIN variants v ON v.id = pr.variant_id
        WHERE NOT EXISTS (SELECT 1 FROM product_markets pm WHERE pm.product_id = v.product_id AND pm.market = pr.market)";
    assert_eq!(count(&client, stray).await, 0);

    // Prices are in the market's currency, with its exponent's endings.
    let rows =
        client.query("SELECT market, currency, amount_minor, compare_at_minor FROM prices", &[]).await.expect("prices");
    for row in &rows {
        let (market, currency, amount, was): (String, String, i64, Option<i64>) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        let m = catalog.market(&market).expect("known market");
        assert_eq!(currency, m.currency.code(), "{market}");
        match m.currency.exponent() {
            0 => assert_eq!(amount % 10, 0, "{market} {amount}"),
            _ => assert!(matches!(amount % 100, 0 | 95 | 99), "{market} {amount}"),
        }
        if let Some(was) = was {
            assert!(was > amount, "{market}: {was} <= {amount}");
        }
    }
    assert!(rows.iter().any(|r| r.get::<_, String>(0) == "jp"), "some prices in yen");

    // Each reduction has the history behind its EU prior price: its compare-at price before it
    // was set, and nothing else.
    let reduced = count(&client, "SELECT count(*) FROM prices WHERE compare_at_minor IS NOT NULL").await;
    assert!(reduced > 0, "some seeded reductions");
    let backed = "SELECT count(*) FROM prices pr JOIN price_changes c ON c.variant_id = pr.variant_id
        AND c.market = pr.market AND c.amount_minor = pr.compare_at_minor AND c.changed_at < pr.updated_at";
    assert_eq!(count(&client, backed).await, reduced);
    assert_eq!(count(&client, "SELECT count(*) FROM price_changes").await, reduced);

    // fr-CA copy for a subset of products; categories and the other languages for all.
    let products = report.products as i64;
    let fr_ca = count(&client, "SELECT count(*) FROM product_translations WHERE language = 'fr-CA'").await;
    assert!(fr_ca > 0 && fr_ca < products / 2, "{fr_ca} fr-CA of {products}");
    assert_eq!(count(&client, "SELECT count(*) FROM product_translations WHERE language = 'fr'").await, products);
    let categories = count(&client, "SELECT count(*) FROM categories").await;
    assert_eq!(count(&client, "SELECT count(*) FROM category_translations WHERE language = 'fr-CA'").await, categories);

    // Stock: every variant in the stocking warehouse of each region, in that region, nothing
    // reserved; a few sold out there, most not.
    let regions = catalog.regions().count() as i64;
    assert_eq!(count(&client, "SELECT count(*) FROM stock").await, 300 * regions);
    let misplaced = "SELECT count(DISTINCT warehouse) FROM stock";
    assert_eq!(count(&client, misplaced).await, regions);
    for row in client.query("SELECT DISTINCT warehouse, region FROM stock", &[]).await.expect("stock") {
        let (warehouse, region): (String, String) = (row.get(0), row.get(1));
        let (home, _) = catalog.warehouse(&warehouse).expect("known warehouse");
        assert_eq!(home.id, region, "{warehouse}");
    }
    assert_eq!(count(&client, "SELECT count(*) FROM stock WHERE reserved <> 0").await, 0);
    let in_stock = count(&client, "SELECT count(*) FROM stock WHERE on_hand > 0").await;
    assert!(in_stock > 300 * regions * 8 / 10 && in_stock < 300 * regions, "{in_stock} in stock");

    // Same size and seed: the same rows, ids included. Another seed: other rows.
    let first = checksum(&client).await;
    seed_catalog(&db.url, &catalog, &opts, &|_| {}).await.expect("reseeding");
    assert_eq!(checksum(&client).await, first);
    seed_catalog(&db.url, &catalog, &SeedOptions { skus: 300, seed: 7 }, &|_| {}).await.expect("reseeding");
    assert_ne!(checksum(&client).await, first);
    assert_eq!(count(&client, "SELECT count(*) FROM variants").await, 300);
}
