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
