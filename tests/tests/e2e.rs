//! End-to-end: every region's edge and core over one database, driven over HTTP.
//! Run with `cargo xtask test` (it builds the binaries and starts PostgreSQL).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stack_tests::{Stack, admin, get};
use testkit::{Wait, eventually};

/// Creates a small catalog through the eu-west core's staff listener and returns (shirt id, France-only id).
async fn catalog(stack: &Stack) -> (String, String) {
    let staff = stack.staff("eu-west");
    let ok = |a: stack_tests::Answer| {
        assert!((200..300).contains(&a.status), "{} {}", a.status, a.body);
        a.body
    };
    ok(admin(staff, "POST", "/admin/v1/categories", Some(&json!({
        "code": "tops",
        "translations": {"en": {"name": "Tops", "slug": "tops"}, "fr": {"name": "Hauts", "slug": "hauts"}, "ja": {"name": "トップス", "slug": "tops"}}
    }))).await.unwrap());
    let product = |code: &str, markets: Value, prices: Value| {
        json!({
            "code": code, "category": "tops", "markets": markets,
            "translations": {
                "en": {"name": format!("Linen shirt {code}"), "slug": format!("linen-shirt-{}", code.to_lowercase())},
                "fr": {"name": format!("Chemise en lin {code}"), "slug": format!("chemise-en-lin-{}", code.to_lowercase())},
                "ja": {"name": format!("リネンシャツ {code}"), "slug": format!("linen-shirt-{}", code.to_lowercase())},
                "es": {"name": format!("Camisa de lino {code}"), "slug": format!("camisa-de-lino-{}", code.to_lowercase())}
            },
            "variants": [{"sku": format!("{code}-M"), "prices": prices}]
        })
    };
    let shirt = ok(admin(staff, "POST", "/admin/v1/products", Some(&product(
        "SHIRT",
        json!(["fr", "us", "jp", "ca"]),
        json!({"fr": {"amount_minor": 2999}, "us": {"amount_minor": 3499}, "jp": {"amount_minor": 4980}, "ca": {"amount_minor": 3999}}),
    ))).await.unwrap())["id"].as_str().unwrap().to_string();
    let fr_only = ok(admin(
        staff,
        "POST",
        "/admin/v1/products",
        Some(&product("FRONLY", json!(["fr"]), json!({"fr": {"amount_minor": 1999}}))),
    )
    .await
    .unwrap())["id"]
        .as_str()
        .unwrap()
        .to_string();
    for id in [&shirt, &fr_only] {
        ok(admin(staff, "POST", &format!("/admin/v1/products/{id}/publish"), None).await.unwrap());
    }
    (shirt, fr_only)
}

#[tokio::test]
async fn the_same_product_through_each_region_in_its_market_currency_and_language() {
    let stack = Stack::start().await.unwrap();
    let (shirt, fr_only) = catalog(&stack).await;

    // No market in the URL: each edge resolves its region's default market and language.
    for (region, market, currency, amount, name, language) in [
        ("eu-west", "fr", "EUR", 2999, "Chemise en lin SHIRT", "fr"),
        ("us-east", "us", "USD", 3499, "Linen shirt SHIRT", "en"),
        ("ap-southeast", "jp", "JPY", 4980, "リネンシャツ SHIRT", "ja"),
    ] {
        let a = get(stack.edge(region), &format!("/v1/products/{shirt}"), &[]).await.unwrap();
        assert_eq!(a.status, 200, "{region}: {}", a.body);
        assert_eq!(a.body["market"], market, "{region}");
        assert_eq!(a.body["currency"], currency, "{region}");
        assert_eq!(a.body["variants"][0]["price"]["amount_minor"], amount, "{region}");
        assert_eq!(a.body["variants"][0]["price"]["currency"], currency, "{region}");
        assert_eq!(a.body["name"], name, "{region}");
        assert_eq!(a.header("content-language"), Some(language), "{region}");
        assert_eq!(a.header("x-market"), Some(market), "{region}");

        // A product not sold in the market is a 404 there.
        let a = get(stack.edge(region), &format!("/v1/products/{fr_only}"), &[]).await.unwrap();
        let expected = if market == "fr" { 200 } else { 404 };
        assert_eq!(a.status, expected, "{region}: {}", a.body);
        if expected == 404 {
            assert_eq!(a.body["code"], "product_not_found");
        }
    }

    // The country header picks the market; Accept-Language the language within it.
    let eu = stack.edge("eu-west");
    let a = get(eu, &format!("/v1/products/{shirt}"), &[("x-country", "CA"), ("accept-language", "fr-FR,fr;q=0.9")])
        .await
        .unwrap();
    assert_eq!((a.body["market"].as_str(), a.body["language"].as_str()), (Some("ca"), Some("fr-CA")));
    assert_eq!(a.body["content_language"], "fr", "fr-CA falls back to fr");
    assert_eq!(a.body["currency"], "CAD");
    let a = get(eu, &format!("/v1/products/{shirt}"), &[("x-country", "DE")]).await.unwrap();
    assert_eq!((a.status, a.body["code"].as_str()), (404, Some("product_not_found")), "not sold in Germany");
    let a = get(stack.edge("us-east"), &format!("/v1/products/{shirt}"), &[("accept-language", "es-MX,es;q=0.8")])
        .await
        .unwrap();
    assert_eq!((a.body["language"].as_str(), a.body["name"].as_str()), (Some("es"), Some("Camisa de lino SHIRT")));

    // Explicit URLs work through any edge, and bad ones get the core's stable codes.
    let a = get(stack.edge("ap-southeast"), &format!("/v1/FR/fr/products/{shirt}"), &[]).await.unwrap();
    assert_eq!((a.status, a.body["currency"].as_str()), (200, Some("EUR")));
    let a = get(eu, "/v1/xx/fr/categories", &[]).await.unwrap();
    assert_eq!((a.status, a.body["code"].as_str()), (404, Some("market_not_found")));
    let a = get(eu, "/v1/fr/ja/categories", &[]).await.unwrap();
    assert_eq!((a.status, a.body["code"].as_str()), (404, Some("language_not_available")));

    // Catalog written in one region is served by every region (metadata reloads in the others).
    let wait = Wait::new("ap-southeast serving the category", Duration::from_secs(20), Duration::from_millis(100));
    let seen = wait
        .until(async || {
            let tree = get(stack.edge("ap-southeast"), "/v1/categories", &[]).await.unwrap();
            let named = tree.body["categories"][0]["name"] == "トップス";
            if named { Ok(()) } else { Err(format!("{} {:?}", tree.body, tree.headers)) }
        })
        .await;
    if let Err(timed_out) = seen {
        let direct = get(stack.core("ap-southeast"), "/v1/jp/ja/categories", &[]).await.unwrap();
        panic!("{timed_out}; core says {}", direct.body);
    }
    let tree = get(stack.edge("ap-southeast"), "/v1/categories", &[]).await.unwrap();
    let tops = tree.body["categories"][0]["id"].as_str().unwrap().to_string();
    let page = get(stack.edge("ap-southeast"), &format!("/v1/products?category={tops}"), &[]).await.unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    let items = page.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only the shirt is sold in Japan");
    assert_eq!(items[0]["from_price"], json!({"currency": "JPY", "amount_minor": 4980}));
}

#[tokio::test]
async fn the_edge_fails_over_to_the_next_region_then_answers_stale_when_every_core_is_gone() {
    let mut stack = Stack::start().await.unwrap();
    let edge = stack.edge("eu-west");
    let before = get(edge, "/v1/markets", &[]).await.unwrap();
    assert_eq!(before.status, 200);
    // eu-west's core is gone: reads through the eu-west edge keep succeeding, answered by the
    // nearest other region's core (its region file's order: us-east first).
    stack.procs.get_mut("eu-west").unwrap().stop_core();
    for path in ["/v1/fr/fr/categories", "/v1/de/de/categories", "/v1/gb/en/categories"] {
        let a = get(edge, path, &[]).await.unwrap();
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        assert_eq!(a.header("x-failover-region"), Some("us-east"), "{path}");
        assert_eq!(a.header("x-edge-region"), Some("eu-west"));
    }
    // Every core is gone: what the edge has cached it still answers; anything else gets the
    // stable error.
    for region in ["us-east", "ap-southeast"] {
        stack.procs.get_mut(region).unwrap().stop_core();
    }
    let cached = get(edge, "/v1/markets", &[]).await.unwrap();
    assert_eq!(cached.status, 200, "{}", cached.body);
    assert!(matches!(cached.header("x-cache"), Some("hit" | "stale")), "{:?}", cached.header("x-cache"));
    assert_eq!(cached.body, before.body);
    let a = get(edge, "/v1/us/en/categories", &[]).await.unwrap();
    assert_eq!((a.status, a.body["code"].as_str()), (503, Some("upstream_unavailable")), "{}", a.body);
}

#[tokio::test]
async fn a_price_change_reaches_every_region_s_edge_cache() {
    let stack = Stack::start().await.unwrap();
    let (shirt, other) = catalog(&stack).await;
    // Another product's page, cached on eu-west once the catalog's creation has been purged
    // (the edge purges everything again 2.5 s after a change): a hit for 3 s in a row.
    let other_path = format!("/v1/fr/fr/products/{other}");
    let mut hit_since = None;
    let what = format!("{other_path} a hit for 3 s in a row");
    eventually(&what, Duration::from_secs(30), Duration::from_millis(100), async || {
        let a = get(stack.edge("eu-west"), &other_path, &[]).await.unwrap();
        assert_eq!(a.status, 200, "{}", a.body);
        match (a.header("x-cache"), hit_since) {
            (Some("hit"), Some(since)) if Instant::now().duration_since(since) > Duration::from_secs(3) => {
                return Ok(());
            }
            (Some("hit"), None) => hit_since = Some(Instant::now()),
            (Some("hit"), Some(_)) => {}
            _ => hit_since = None,
        }
        Err(format!("x-cache {:?}, a hit since {:?}", a.header("x-cache"), hit_since.map(|s| s.elapsed())))
    })
    .await;
    let regions = [("eu-west", "fr"), ("us-east", "us"), ("ap-southeast", "jp")];
    // Each edge caches the product page: the second read is a hit.
    for (region, _) in regions {
        let path = format!("/v1/products/{shirt}");
        let _ = get(stack.edge(region), &path, &[]).await.unwrap();
        let again = get(stack.edge(region), &path, &[]).await.unwrap();
        assert_eq!(again.header("x-cache"), Some("hit"), "{region}");
    }
    let detail =
        ok_body(admin(stack.staff("eu-west"), "GET", &format!("/admin/v1/products/{shirt}"), None).await.unwrap());
    let variant = detail["variants"][0]["id"].as_str().unwrap().to_string();
    // One price per region's market, each change acknowledged by the admin API before the next.
    let mut acknowledged = Vec::new();
    for ((_, market), amount) in regions.iter().zip([2499, 2999, 3980]) {
        let path = format!("/admin/v1/variants/{variant}/prices/{market}");
        ok_body(admin(stack.staff("eu-west"), "PUT", &path, Some(&json!({"amount_minor": amount}))).await.unwrap());
        acknowledged.push((Instant::now(), amount));
    }
    // Every region's edge serves its new price within 2 s of the change's acknowledgement (its
    // change feed is read every 250 ms, so a quarter of a second is usual). The wait lasts longer,
    // so that a late edge says how late it was.
    for ((region, _), (changed, amount)) in regions.iter().zip(acknowledged) {
        // Within 15 s of the change.
        let timeout = Duration::from_secs(15).saturating_sub(changed.elapsed());
        let what = format!("{region} serving the new price");
        let served = eventually(&what, timeout, Duration::from_millis(20), async || {
            let a = get(stack.edge(region), &format!("/v1/products/{shirt}"), &[]).await.unwrap();
            let price = &a.body["variants"][0]["price"];
            if price["amount_minor"] == amount { Ok(changed.elapsed()) } else { Err(price.clone()) }
        })
        .await;
        println!("{region}: new price served {served:?} after the change was acknowledged");
        assert!(served <= Duration::from_secs(2), "{region} served the new price only after {served:?}");
    }
    // A price change purges that product's pages (and the listings), not the others'.
    let a = get(stack.edge("eu-west"), &other_path, &[]).await.unwrap();
    assert_eq!(a.header("x-cache"), Some("hit"), "another product's page was purged");
}

/// Reads each page (edge and path) until every one is a hit for 3 s in a row: the changes made
/// so far have been purged, the second time too (2.5 s after each).
async fn settled_hits(pages: &[(u16, &str)]) {
    let mut hit_since: Vec<Option<Instant>> = vec![None; pages.len()];
    let settled = Duration::from_secs(3);
    eventually("every page a hit for 3 s in a row", Duration::from_secs(45), Duration::from_millis(100), async || {
        for ((edge, path), since) in pages.iter().zip(hit_since.iter_mut()) {
            let a = get(*edge, path, &[]).await.unwrap();
            assert_eq!(a.status, 200, "{path}: {}", a.body);
            *since = if a.header("x-cache") == Some("hit") { since.or(Some(Instant::now())) } else { None };
        }
        let unsettled: Vec<&str> = pages
            .iter()
            .zip(&hit_since)
            .filter(|(_, since)| !since.is_some_and(|s| s.elapsed() > settled))
            .map(|((_, path), _)| *path)
            .collect();
        if unsettled.is_empty() { Ok(()) } else { Err(format!("not yet hits for 3 s: {unsettled:?}")) }
    })
    .await;
}

/// Waits until `edge` answers `path` from core again (its cached page purged): the read that
/// finds it purged refreshes it.
async fn purged(edge: u16, path: &str) {
    eventually(&format!("{path} purged"), Duration::from_secs(10), Duration::from_millis(50), async || {
        let a = get(edge, path, &[]).await.unwrap();
        match a.header("x-cache") {
            Some("miss" | "stale") => Ok(()),
            other => Err(format!("x-cache {other:?}")),
        }
    })
    .await;
}

/// Asserts that `edge` still answers each of `paths` from its cache.
async fn kept(edge: u16, paths: &[&str], after: &str) {
    for path in paths {
        let a = get(edge, path, &[]).await.unwrap();
        assert_eq!(a.header("x-cache"), Some("hit"), "{path} kept after {after}");
    }
}

#[tokio::test]
async fn a_change_purges_what_shows_it_at_every_edge_and_nothing_else() {
    let stack = Stack::start().await.unwrap();
    let (shirt, fr_only) = catalog(&stack).await;
    let staff = stack.staff("eu-west");
    // Trousers, in a category of their own, sold in France.
    ok_body(admin(staff, "POST", "/admin/v1/categories", Some(&json!({
        "code": "trousers", "translations": {"fr": {"name": "Pantalons", "slug": "pantalons"}, "en": {"name": "Trousers", "slug": "trousers"}}
    }))).await.unwrap());
    let trousers = ok_body(
        admin(
            staff,
            "POST",
            "/admin/v1/products",
            Some(&json!({
                "code": "CHINO", "category": "trousers", "markets": ["fr"],
                "translations": {"fr": {"name": "Chino", "slug": "chino"}},
                "variants": [{"sku": "CHINO-40", "prices": {"fr": {"amount_minor": 4900}}}]
            })),
        )
        .await
        .unwrap(),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok_body(admin(staff, "POST", &format!("/admin/v1/products/{trousers}/publish"), None).await.unwrap());

    let (eu, us, ap) = (stack.edge("eu-west"), stack.edge("us-east"), stack.edge("ap-southeast"));
    let shirt_fr = format!("/v1/fr/fr/products/{shirt}");
    let shirt_en = format!("/v1/fr/en/products/{shirt}");
    let shirt_slug = "/v1/fr/fr/products/by-slug/chemise-en-lin-shirt".to_string();
    let shirt_us = format!("/v1/us/en/products/{shirt}");
    let shirt_jp = format!("/v1/jp/ja/products/{shirt}");
    let fr_only_page = format!("/v1/fr/fr/products/{fr_only}");
    let trousers_page = format!("/v1/fr/fr/products/{trousers}");
    let (tops, trousers_list) = ("/v1/fr/fr/products?category=tops", "/v1/fr/fr/products?category=trousers");
    let (tree, markets) = ("/v1/fr/fr/categories", "/v1/markets");
    let eu_pages = [&shirt_fr, &shirt_en, &shirt_slug, &fr_only_page, &trousers_page];
    let eu_pages: Vec<&str> = eu_pages.iter().map(|p| p.as_str()).chain([tops, trousers_list, tree, markets]).collect();
    let mut every_page: Vec<(u16, &str)> = eu_pages.iter().map(|p| (eu, *p)).collect();
    every_page.extend([(us, shirt_us.as_str()), (ap, shirt_jp.as_str())]);
    settled_hits(&every_page).await;

    // A catalog promotion on the shirt: its pages in every market and language, on every
    // region's edge, and the listing showing it.
    ok_body(
        admin(
            staff,
            "POST",
            "/admin/v1/promotions",
            Some(&json!({
                "name": "Shirt days", "priority": 10, "kind": "catalog", "target": {"type": "products", "ids": [shirt]},
                "discount": {"type": "percent", "percent": "10"}, "starts_at": "2020-01-01T00:00:00Z"
            })),
        )
        .await
        .unwrap(),
    );
    for (edge, path) in [(eu, &shirt_fr), (eu, &shirt_en), (eu, &shirt_slug), (us, &shirt_us), (ap, &shirt_jp)] {
        purged(edge, path).await;
    }
    purged(eu, tops).await;
    let reduced = get(eu, &shirt_fr, &[]).await.unwrap();
    assert_eq!(reduced.body["variants"][0]["price"]["amount_minor"], 2699, "{}", reduced.body);
    kept(eu, &[&fr_only_page, &trousers_page, trousers_list, tree, markets], "the shirt's promotion").await;

    // A category renamed: its listing, the category tree and the pages whose breadcrumbs name
    // it; not the other category's.
    settled_hits(&every_page).await;
    let rename = json!({"name": "Pantalons & chinos", "slug": "pantalons"});
    ok_body(admin(staff, "PUT", "/admin/v1/categories/trousers/translations/fr", Some(&rename)).await.unwrap());
    for path in [trousers_list, tree, trousers_page.as_str()] {
        purged(eu, path).await;
    }
    kept(eu, &[&shirt_fr, &fr_only_page, tops, markets], "the trousers' rename").await;
    let breadcrumbs = get(eu, &trousers_page, &[]).await.unwrap();
    assert_eq!(breadcrumbs.body["breadcrumbs"][0]["name"], "Pantalons & chinos", "{}", breadcrumbs.body);

    // An attribute definition: every page may show it, every page is purged.
    settled_hits(&every_page).await;
    ok_body(
        admin(
            staff,
            "POST",
            "/admin/v1/attributes",
            Some(&json!({
                "code": "fabric", "kind": "text", "level": "product", "labels": {"en": "Fabric", "fr": "Tissu"}
            })),
        )
        .await
        .unwrap(),
    );
    for path in &eu_pages {
        purged(eu, path).await;
    }
    purged(us, &shirt_us).await;
}

fn ok_body(a: stack_tests::Answer) -> Value {
    assert!((200..300).contains(&a.status), "{} {}", a.status, a.body);
    a.body
}
