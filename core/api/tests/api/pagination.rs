//! Keyset pagination stays stable while products are added.

use std::collections::HashSet;

use super::spawn_app;

#[tokio::test]
async fn pagination_is_stable_under_concurrent_inserts() {
    let app = spawn_app().await;
    app.fixture().await;
    let mut original = HashSet::new();
    for i in 0..40 {
        // Prices collide on purpose (ties are broken by id).
        original.insert(app.product(&format!("O{i}"), &["fr"], 1000 + (i % 7) * 100, "red").await);
    }
    let shirts = app.category_id("shirts").await;

    for (round, sort) in ["price_asc", "price_desc", "newest"].into_iter().enumerate() {
        // Insert products with prices all over the range while a shopper pages through.
        let writer = {
            let app = &app;
            async move {
                for i in 0..25 {
                    app.product(&format!("N{round}X{i}"), &["fr"], 950 + (i % 9) * 90, "blue").await;
                }
            }
        };
        let reader = {
            let app = &app;
            let shirts = shirts.clone();
            async move {
                let mut seen = Vec::new();
                let mut cursor: Option<String> = None;
                for _ in 0..100 {
                    let mut url = format!("/v1/fr/fr/products?category={shirts}&sort={sort}&limit=3");
                    if let Some(c) = &cursor {
                        url.push_str(&format!("&cursor={c}"));
                    }
                    let page = app.get(&url).await;
                    assert_eq!(page.status, 200, "{}", page.body);
                    for item in page.body["items"].as_array().unwrap() {
                        seen.push((
                            item["id"].as_str().unwrap().to_string(),
                            item["from_price"]["amount_minor"].as_i64().unwrap(),
                        ));
                    }
                    match page.body["next_cursor"].as_str() {
                        Some(c) => cursor = Some(c.to_string()),
                        None => return seen,
                    }
                    tokio::task::yield_now().await;
                }
                panic!("pagination did not end");
            }
        };
        let ((), seen) = tokio::join!(writer, reader);
        let ids: Vec<&String> = seen.iter().map(|(id, _)| id).collect();
        let unique: HashSet<&String> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "{sort}: a product was shown twice");
        for id in &original {
            assert!(unique.contains(id), "{sort}: product {id} that existed all along was skipped");
        }
        if sort != "newest" {
            let prices: Vec<i64> = seen.iter().map(|(_, p)| *p).collect();
            let mut sorted = prices.clone();
            sorted.sort();
            if sort == "price_desc" {
                sorted.reverse();
            }
            assert_eq!(prices, sorted, "{sort}: pages are in order");
        }
    }
    let total = app.sql_count("SELECT count(*) FROM products").await;
    assert_eq!(total, 40 + 75);
}

/// Walks a staff list page by page (`limit` per page): every item's id, in order.
async fn walk(app: &super::TestApp, path: &str, limit: u32) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let url = match &cursor {
            Some(c) => format!("{path}?limit={limit}&cursor={c}"),
            None => format!("{path}?limit={limit}"),
        };
        let page = app.admin("GET", &url, None).await;
        assert_eq!(page.status, 200, "{url}: {}", page.body);
        let items = page.body["items"].as_array().expect("items");
        assert!(items.len() <= limit as usize, "{}", page.body);
        ids.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_string()));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return ids,
        }
    }
    panic!("{path} never ended");
}

#[tokio::test]
async fn staff_lists_page_with_the_orders_cursor_and_refuse_bad_pages() {
    let app = spawn_app().await;
    for i in 0..23 {
        core_app::partner_events::record(&app.state, "payments", &format!("ev-{i}"), "payment", "unknown_order", None)
            .await
            .unwrap();
    }
    // Every unapplied event once, newest first, 10 at a time.
    let events = walk(&app, "/admin/v1/partner-events/unapplied", 10).await;
    assert_eq!((events.len(), events.iter().collect::<HashSet<_>>().len()), (23, 23), "{events:?}");
    let first = app.admin("GET", "/admin/v1/partner-events/unapplied", None).await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 20, "20 by default");

    // The audit log, which grows while it is read (each page is audited): no entry twice.
    for _ in 0..15 {
        app.admin("GET", "/admin/v1/outbox", None).await;
    }
    let entries = walk(&app, "/admin/v1/audit", 7).await;
    assert!(entries.len() >= 15, "{entries:?}");
    assert_eq!(entries.iter().collect::<HashSet<_>>().len(), entries.len(), "an entry seen twice");

    // Bad sizes and cursors are refused with their codes, as on `/v1/orders`.
    for path in ["/admin/v1/partner-events/unapplied", "/admin/v1/audit"] {
        for (query, code) in [
            ("limit=0", "invalid_query"),
            ("limit=101", "invalid_query"),
            ("limit=x", "invalid_query"),
            ("cursor=nope", "invalid_cursor"),
        ] {
            let a = app.admin("GET", &format!("{path}?{query}"), None).await;
            assert_eq!((a.status.as_u16(), a.code()), (400, code), "{path}?{query}: {}", a.body);
        }
    }
}
