//! A new market is configuration: a market file with a new currency, a new language and its own
//! tax rates, naming the region's warehouse that stocks it and the carrier service that ships
//! it, dropped into the regions folder, is served by the catalog, quotes and checkout after a
//! restart, with no code change and no other file touched. Run with `cargo xtask test`.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use stack_tests::{Stack, admin, get, request, shop};
use testkit::eventually;

/// Switzerland: Swiss francs and Italian are new to the platform; prices derived from Germany's
/// (EUR → CHF at 0.94, ending in .90), assortment taken from Germany's, Swiss VAT included,
/// stock from the region's Hamburg warehouse.
const SWITZERLAND: &str = r#"
id = "ch"
name = "Schweiz"
country = "CH"
currency = "CHF"
warehouses = ["eu-ham"]

[languages]
default = "de"
allowed = ["de", "fr", "it"]

[pricing]
prices_include_tax = true
rounding = { mode = "half-up", level = "line" }
derived = { from = "de", rate = "0.94", ending = "x.90" }

[tax]
regime = "vat"
name = "MWST"
[tax.rates]
standard = "8.1"
reduced = "2.6"
zero = "0"

[rules]
return_window_days = 14
omnibus = false
assortment_from = "de"

[[shipping]]
carrier = "parcelo"
service = "standard"
from = ["eu-ham"]
transit_days = { min = 2, max = 4 }
fallback = [{ up_to_grams = 20000, amount_minor = 1490 }]
"#;

/// The workspace's regions folder plus the new market file.
fn regions_with_switzerland() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let workspace = regions::workspace_regions_dir();
    for entry in std::fs::read_dir(&workspace).unwrap() {
        let region = entry.unwrap().path();
        if !region.join("region.toml").exists() {
            continue;
        }
        let to = dir.path().join(region.file_name().unwrap());
        std::fs::create_dir_all(to.join("markets")).unwrap();
        std::fs::copy(region.join("region.toml"), to.join("region.toml")).unwrap();
        for market in std::fs::read_dir(region.join("markets")).unwrap() {
            let market = market.unwrap().path();
            std::fs::copy(&market, to.join("markets").join(market.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(dir.path().join("eu-west/markets/ch.toml"), SWITZERLAND).unwrap();
    dir
}

fn assert_no_code_knows_switzerland() {
    // The market exists only in the temporary folder.
    assert!(regions::Catalog::load_workspace().unwrap().market("ch").is_none());
    assert!(!Path::new(&regions::workspace_regions_dir()).join("eu-west/markets/ch.toml").exists());
}

#[tokio::test]
async fn a_new_market_file_is_served_with_no_code_change() {
    assert_no_code_knows_switzerland();
    let dir = regions_with_switzerland();
    // A catalog exists before the market does: its listing is built when the cores start.
    let stack = Stack::builder().regions_dir(dir.path()).seeded_skus(600).start().await.unwrap();
    let edge = stack.edge("eu-west");
    let staff = stack.staff("eu-west");

    // A product sold in Germany at 29.99 EUR, added after the start.
    let ok = |a: stack_tests::Answer| {
        assert!((200..300).contains(&a.status), "{} {}", a.status, a.body);
        a.body
    };
    let categories = ok(get(edge, "/v1/de/de/categories", &[]).await.unwrap());
    let leaf = &categories["categories"][0]["children"][0]["children"][0];
    let created = ok(admin(
        staff,
        "POST",
        "/admin/v1/products",
        Some(&json!({
            "code": "CH-TEST", "category": leaf["code"], "markets": ["de"],
            "translations": {
                "de": {"name": "Wanderschuh", "slug": "wanderschuh-ch-test"},
                "en": {"name": "Hiking boot", "slug": "hiking-boot-ch-test"},
                "fr": {"name": "Chaussure de randonnée", "slug": "chaussure-ch-test"}
            },
            "variants": [{"sku": "CH-TEST-42", "prices": {"de": {"amount_minor": 2999}}}]
        })),
    )
    .await
    .unwrap());
    let id = created["id"].as_str().unwrap().to_string();
    let variant = created["variants"][0]["id"].as_str().unwrap().to_string();
    ok(admin(staff, "POST", &format!("/admin/v1/products/{id}/publish"), None).await.unwrap());

    // Detail in the new market and language: Swiss francs, derived from the German price with
    // German VAT (19 %) taken out and Swiss VAT (8.1 %) put in (29.99 → 27.24), converted
    // (× 0.94 = 25.61) and ended (25.90); Italian falling back to German.
    let a = ok(get(edge, &format!("/v1/ch/it/products/{id}"), &[]).await.unwrap());
    assert_eq!((a["currency"].as_str(), a["language"].as_str()), (Some("CHF"), Some("it")));
    assert_eq!(a["content_language"], "de");
    assert_eq!(a["name"], "Wanderschuh");
    assert_eq!(a["variants"][0]["price"]["amount_minor"], 2590);
    assert_eq!(a["variants"][0]["price_derived"], true);
    assert_eq!(a["included_tax"], json!({"name": "MWST", "rate_percent": "8.1"}));
    // The edge resolves Swiss shoppers to it.
    let a = ok(get(edge, &format!("/v1/products/{id}"), &[("x-country", "CH"), ("accept-language", "fr-CH")])
        .await
        .unwrap());
    assert_eq!(
        (a["market"].as_str(), a["language"].as_str(), a["name"].as_str()),
        (Some("ch"), Some("fr"), Some("Chaussure de randonnée"))
    );
    let markets = ok(get(edge, "/v1/markets", &[]).await.unwrap());
    assert!(markets.as_array().unwrap().iter().any(|m| m["id"] == "ch" && m["currency"] == "CHF"));

    // A quote in the new market: francs, VAT included (51.80 × 8.1/108.1 = 3.88).
    let q = ok(request(
        edge,
        "POST",
        "/v1/ch/de/quote",
        &[],
        Some(&json!({
            "lines": [{"variant_id": variant, "quantity": 2}],
            "destination": {"country": "CH"}
        })),
    )
    .await
    .unwrap());
    assert_eq!(
        (
            q["currency"].as_str(),
            q["totals"]["total"]["amount_minor"].as_i64(),
            q["totals"]["tax"]["amount_minor"].as_i64()
        ),
        (Some("CHF"), Some(5180), Some(388))
    );
    assert_eq!(q["lines"][0]["taxes"][0]["name"], "MWST");
    let wrong = request(
        edge,
        "POST",
        "/v1/ch/de/quote",
        &[],
        Some(&json!({
            "lines": [{"variant_id": variant, "quantity": 1}], "destination": {"country": "CH"}, "currency": "EUR"
        })),
    )
    .await
    .unwrap();
    assert_eq!((wrong.status, wrong.body["code"].as_str()), (422, Some("currency_mismatch")));

    // Stock in Hamburg, which the market file names, sells to Swiss shoppers: a guest's order
    // in francs, shipped from there.
    let stocked =
        admin(staff, "PUT", &format!("/admin/v1/stock/eu-ham/{variant}"), Some(&json!({"on_hand": 5}))).await.unwrap();
    assert_eq!(stocked.status, 204, "{}", stocked.body);
    let (cart, guest) = shop::cart(edge, None, "ch", "de", &[(&variant, 2)]).await.unwrap();
    let card = shop::card_token(stack.payments_port, shop::APPROVED_CARD).await.unwrap();
    let mut body = shop::checkout_body(&card, Some("gast@example.com"));
    body["ship_to"] = json!({"name": "Lea Meier", "line1": "Bahnhofstrasse 1", "city": "Zürich", "postal_code": "8001", "country": "CH"});
    let placed = shop::call(
        edge,
        &guest,
        "POST",
        &format!("/v1/carts/{cart}/checkout"),
        &[("idempotency-key", "ch-1")],
        Some(&body),
    )
    .await
    .unwrap();
    assert_eq!(placed.status, 201, "{}", placed.body);
    assert_eq!((placed.body["status"].as_str(), placed.body["currency"].as_str()), (Some("confirmed"), Some("CHF")));

    // An explicit Swiss price overrides the derived one, on the page and in the listing.
    ok(admin(staff, "PUT", &format!("/admin/v1/variants/{variant}/prices/ch"), Some(&json!({"amount_minor": 2700})))
        .await
        .unwrap());
    let a = ok(get(edge, &format!("/v1/ch/de/products/{id}"), &[]).await.unwrap());
    assert_eq!(
        (a["variants"][0]["price"]["amount_minor"].as_i64(), a["variants"][0]["price_derived"].as_bool()),
        (Some(2700), Some(false))
    );
    let leaf_id = leaf["id"].as_str().unwrap();
    let listed = ok(get(edge, &format!("/v1/ch/de/products?category={leaf_id}&limit=100"), &[]).await.unwrap());
    let mine = listed["items"].as_array().unwrap().iter().find(|i| i["id"] == id.as_str()).cloned().unwrap();
    assert_eq!(mine["from_price"], json!({"currency": "CHF", "amount_minor": 2700}));

    // Listings of the new market: the seeded catalog, built at start, in francs.
    let top = categories["categories"][0]["id"].as_str().unwrap().to_string();
    let page = eventually("the Swiss listing built", Duration::from_secs(60), Duration::from_millis(200), async || {
        let page = ok(get(edge, &format!("/v1/ch/de/products?category={top}&limit=5"), &[]).await.unwrap());
        if page["items"].as_array().is_some_and(|i| i.len() == 5) { Ok(page) } else { Err(page) }
    })
    .await;
    for item in page["items"].as_array().unwrap().iter().filter(|i| i["id"] != id.as_str()) {
        assert_eq!(item["from_price"]["currency"], "CHF");
        assert_eq!(item["from_price"]["amount_minor"].as_i64().unwrap() % 100, 90, "x.90 ending: {item}");
    }
}

/// The shipped Austrian market file takes Germany's assortment and prices (`assortment_from`,
/// `derived`): with a catalog seeded for the other markets only, Austria sells what Germany
/// sells, at Germany's prices with Austria's VAT, from the cores' first start.
#[tokio::test]
async fn the_shipped_austrian_market_sells_germany_s_assortment_at_germany_s_prices() {
    let austria = regions::Catalog::load_workspace().unwrap();
    let austria = austria.market("at").expect("regions/eu-west/markets/at.toml");
    assert_eq!(austria.rules.assortment_from.as_ref().map(|m| m.as_str()), Some("de"));
    assert_eq!(austria.pricing.derived.as_ref().map(|d| d.from.as_str()), Some("de"));
    let stack = Stack::builder().seeded_skus(300).start().await.unwrap();
    let edge = stack.edge("eu-west");
    let ok = |a: stack_tests::Answer| {
        assert!((200..300).contains(&a.status), "{} {}", a.status, a.body);
        a.body
    };
    let tree = ok(get(edge, "/v1/de/de/categories", &[]).await.unwrap());
    let department = tree["categories"][0]["code"].as_str().unwrap().to_string();
    let german = ok(get(edge, &format!("/v1/de/de/products?category={department}&limit=5"), &[]).await.unwrap());
    let product = german["items"][0]["id"].as_str().expect("a seeded product sold in Germany").to_string();
    let listing = |body: &serde_json::Value| -> Vec<String> {
        body["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
    };

    // The listing is Germany's, built by the cores when they started.
    let austrian =
        eventually("Austria's listing built", Duration::from_secs(30), Duration::from_millis(200), async || {
            let a = get(edge, &format!("/v1/at/de/products?category={department}&limit=5"), &[]).await.unwrap();
            if a.status == 200 && !a.body["items"].as_array().unwrap().is_empty() { Ok(a.body) } else { Err(a.body) }
        })
        .await;
    assert_eq!(listing(&austrian), listing(&german));

    // The page: Germany's price without its 19 % VAT, with Austria's 20 %.
    let de = ok(get(edge, &format!("/v1/de/de/products/{product}"), &[]).await.unwrap());
    let at = ok(get(edge, &format!("/v1/at/de/products/{product}"), &[]).await.unwrap());
    assert_eq!((at["market"].as_str(), at["currency"].as_str()), (Some("at"), Some("EUR")));
    assert_eq!(at["included_tax"], json!({"name": "USt", "rate_percent": "20"}));
    assert_eq!(at["variants"][0]["price_derived"], true, "{at}");
    let gross_de = de["variants"][0]["price"]["amount_minor"].as_i64().unwrap();
    let gross_at = at["variants"][0]["price"]["amount_minor"].as_i64().unwrap();
    // 120/119 of the German price, to the cent (half-up).
    assert_eq!(gross_at, (gross_de * 120 * 2 + 119) / (119 * 2), "{gross_de} in Germany");
    // Austrian shoppers are sent to it.
    let a = ok(get(edge, &format!("/v1/products/{product}"), &[("x-country", "AT")]).await.unwrap());
    assert_eq!(a["market"], "at");
}
