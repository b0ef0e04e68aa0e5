//! Store tests against a real PostgreSQL (run with `cargo xtask test`): migrations and the
//! transaction helper's retry path.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use core_store::migrate::{self, PORTABLE, POSTGRES};
use core_store::{Store, StoreConfig, StoreError};
use tokio_postgres::NoTls;

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(conn);
    client
}

#[tokio::test]
async fn migrations_apply_twice_and_concurrently() {
    let db = testkit::TestDb::empty().await.unwrap();
    let regions = vec!["eu-west".to_string()];
    // Three cores starting at once all migrate.
    let runs = futures::future::join_all((0..3).map(|_| {
        let url = db.url.clone();
        let regions = regions.clone();
        async move {
            let mut client = connect(&url).await;
            migrate::migrate(&mut client, &regions).await
        }
    }))
    .await;
    let applied: usize = runs.into_iter().map(|r| r.expect("concurrent migration").applied.len()).sum();
    assert_eq!(applied, PORTABLE.len() + POSTGRES.len(), "each file applied exactly once");

    let mut client = connect(&db.url).await;
    let again = migrate::migrate(&mut client, &regions).await.unwrap();
    assert!(again.applied.is_empty(), "a second run applies nothing");
    assert!(migrate::pending(&client).await.unwrap().is_empty());
    // Every file is idempotent on its own too (IF NOT EXISTS), even without the bookkeeping.
    for m in PORTABLE.iter().chain(POSTGRES) {
        client.batch_execute(m.sql).await.unwrap_or_else(|e| panic!("{} is not idempotent: {e}", m.name));
    }
}

#[tokio::test]
async fn a_fresh_database_reports_pending_migrations() {
    let db = testkit::TestDb::empty().await.unwrap();
    let client = connect(&db.url).await;
    assert_eq!(migrate::pending(&client).await.unwrap().len(), PORTABLE.len() + POSTGRES.len());
}

/// Two transactions that each read what the other writes (write skew) cannot both commit
/// under SERIALIZABLE: PostgreSQL aborts one with 40001, the helper retries it, and the retry
/// sees the other's write.
#[tokio::test]
async fn serialization_failures_are_retried() {
    let db = testkit::TestDb::empty().await.unwrap();
    let setup = connect(&db.url).await;
    setup
        .batch_execute(
            "CREATE TABLE on_call (doctor TEXT PRIMARY KEY, on_duty BOOL NOT NULL); \
             INSERT INTO on_call VALUES ('alice', true), ('bob', true);",
        )
        .await
        .unwrap();
    let store = Store::connect(&StoreConfig::new(db.url.clone())).unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(2));

    let go_off_duty = |doctor: &'static str| {
        let store = store.clone();
        let barrier = barrier.clone();
        let attempts = Arc::new(AtomicU32::new(0));
        async move {
            let taken = store
                .transaction(|tx| {
                    let barrier = barrier.clone();
                    let attempt = attempts.fetch_add(1, Ordering::SeqCst) + 1;
                    Box::pin(async move {
                        let n: i64 = tx.query_one("SELECT count(*) FROM on_call WHERE on_duty", &[]).await?.get(0);
                        if attempt == 1 {
                            // Both have read before either writes.
                            barrier.wait().await;
                        }
                        if n >= 2 {
                            tx.execute("UPDATE on_call SET on_duty = false WHERE doctor = $1", &[&doctor]).await?;
                            return Ok::<_, StoreError>(true);
                        }
                        Ok(false)
                    })
                })
                .await
                .unwrap();
            (taken, attempts.load(Ordering::SeqCst))
        }
    };
    let ((a, a_attempts), (b, b_attempts)) = tokio::join!(go_off_duty("alice"), go_off_duty("bob"));
    assert!(a ^ b, "exactly one doctor went off duty (alice {a}, bob {b})");
    assert_eq!(a_attempts + b_attempts, 3, "one transaction ran twice");
    assert_eq!(store.stats().serialization_retries(), 1);
    let on_duty: i64 = setup.query_one("SELECT count(*) FROM on_call WHERE on_duty", &[]).await.unwrap().get(0);
    assert_eq!(on_duty, 1);
}

/// Filtered listings examine a bounded stretch of the listing per page: with a tiny budget,
/// pages come back short (even empty) with a cursor, and walking them all yields exactly the
/// matching products, in order, once each.
#[tokio::test]
async fn filtered_pages_have_a_bounded_cost_and_walk_the_whole_listing() {
    use core_domain::attributes::AttrValue;
    use core_domain::listing::{After, Filters, Sort};
    use core_store::catalog::{ListingQuery, listing};

    let db = testkit::TestDb::migrated().await.unwrap();
    let regions = regions::Catalog::load_workspace().unwrap();
    core_seed::seed_catalog(&db.url, &regions, &core_seed::SeedOptions { skus: 900, seed: 7 }, &|_| {}).await.unwrap();
    let store = Store::connect(&StoreConfig::new(db.url.clone())).unwrap();
    let client = store.client().await.unwrap();
    // The biggest top-level category in France, and its most common colour.
    let row = client
        .query_one(
            "SELECT l.category_id, count(*) FROM catalog_listing l JOIN categories c ON c.id = l.category_id \
             WHERE l.market = 'fr' AND c.parent_id IS NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
            &[],
        )
        .await
        .unwrap();
    let category: uuid::Uuid = row.get(0);
    let color: String = client
        .query_one(
            "SELECT k FROM catalog_listing l, unnest(l.facet_keys) AS k WHERE l.market = 'fr' AND l.category_id = $1 \
             AND k LIKE 'color=%' GROUP BY k ORDER BY count(*) DESC LIMIT 1",
            &[&category],
        )
        .await
        .unwrap()
        .get(0);
    let value = color.trim_start_matches("color=").to_string();
    let expected: Vec<uuid::Uuid> = client
        .query(
            "SELECT product_id FROM catalog_listing WHERE market = 'fr' AND category_id = $1 AND $2 = ANY(facet_keys) \
             ORDER BY from_price_minor, product_id",
            &[&category, &color],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(expected.len() >= 3, "the fixture has matches");

    let filters = Filters([("color".to_string(), vec![AttrValue::Enum(value)])].into_iter().collect());
    let languages = vec!["fr".to_string()];
    let (mut seen, mut after, mut pages, mut short_pages) = (Vec::new(), None, 0, 0);
    loop {
        let q = ListingQuery {
            market: "fr",
            category,
            sort: Sort::PriceAsc,
            filters: &filters,
            after,
            limit: 4,
            budget: 6,
            languages: &languages,
        };
        let page = listing(&client, &q).await.unwrap();
        pages += 1;
        assert!(pages < 10_000, "the walk ends");
        assert!(page.rows.len() <= 4);
        for row in &page.rows {
            assert!(row.translations.iter().any(|t| t.language == "fr"), "cards carry their names");
        }
        seen.extend(page.rows.iter().map(|r| r.product_id));
        let Some(next) = page.next_after else { break };
        if page.rows.len() < 4 {
            short_pages += 1;
        }
        after = Some(After::Price(next.from_price_minor, next.product_id));
    }
    assert_eq!(seen, expected, "every match once, in price order");
    assert!(short_pages > 0, "a budget of 6 rows per page gives short pages");
}
