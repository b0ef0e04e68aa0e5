//! Table-driven tests of market and language resolution against the workspace `regions/`.

use std::sync::OnceLock;

use super::*;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::load_workspace().expect("the workspace regions folder loads"))
}

/// One request as the edge of `region` sees it.
struct Req {
    region: &'static str,
    method: Method,
    target: &'static str,
    country: Option<&'static str>,
    accept_language: Option<&'static str>,
}

fn get(region: &'static str, target: &'static str) -> Req {
    Req { region, method: Method::GET, target, country: None, accept_language: None }
}

impl Req {
    fn country(mut self, country: &'static str) -> Self {
        self.country = Some(country);
        self
    }
    fn lang(mut self, accept_language: &'static str) -> Self {
        self.accept_language = Some(accept_language);
        self
    }
    fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }
}

/// One line per outcome: `edge-health`, `unscoped PATH`, `explicit MARKET PATH`,
/// `resolved MARKET LANGUAGE SOURCE PATH`.
fn describe(route: &Route) -> String {
    match route {
        Route::EdgeHealth => "edge-health".into(),
        Route::NotServed => "not served".into(),
        Route::Forward(f) => match &f.scope {
            Scope::Unscoped => format!("unscoped {}", f.path_and_query),
            Scope::Explicit { market } => format!("explicit {market} {}", f.path_and_query),
            Scope::Resolved { market, language, by } => {
                format!("resolved {market} {language} {} {}", by.as_str(), f.path_and_query)
            }
        },
    }
}

fn check(input: Req, expected: &str) {
    let region = catalog().region(input.region).expect("known region");
    let (path, query) = match input.target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (input.target, None),
    };
    let signals = Signals { country: input.country, accept_language: input.accept_language };
    let route = route(catalog(), region, &input.method, path, query, signals);
    assert_eq!(
        describe(&route),
        expected,
        "{} {} country={:?} accept-language={:?}",
        input.region,
        input.target,
        input.country,
        input.accept_language
    );
}

#[test]
fn explicit_paths_are_normalized() {
    check(get("eu-west", "/v1/fr/fr/products"), "explicit fr /v1/fr/fr/products");
    check(get("eu-west", "/v1/FR/fr-ca/products?x=1"), "explicit fr /v1/fr/fr-CA/products?x=1");
    check(get("eu-west", "/v1/De/DE/categories"), "explicit de /v1/de/de/categories");
    check(get("eu-west", "/v1/fr"), "explicit fr /v1/fr");
    check(get("eu-west", "/v1/fr/"), "explicit fr /v1/fr/");
    // A market of another region is still explicit: the catalog is global.
    check(get("eu-west", "/v1/JP/JA/products/42"), "explicit jp /v1/jp/ja/products/42");
    // Headers never override an explicit URL.
    check(get("eu-west", "/v1/fr/fr/products").country("DE").lang("de-DE"), "explicit fr /v1/fr/fr/products");
}

#[test]
fn explicit_paths_with_bad_languages_are_forwarded_for_core_to_answer() {
    check(get("eu-west", "/v1/fr/not_a-tag!/products"), "explicit fr /v1/fr/not_a-tag!/products");
    check(get("eu-west", "/v1/fr/de/products"), "explicit fr /v1/fr/de/products");
    check(get("eu-west", "/v1/fr//products"), "explicit fr /v1/fr//products");
    check(get("eu-west", "/v1/fr/fr%2DCA/products"), "explicit fr /v1/fr/fr%2DCA/products");
}

#[test]
fn other_paths_are_forwarded_unchanged() {
    check(get("eu-west", "/v1/markets"), "unscoped /v1/markets");
    check(get("eu-west", "/v1/zz/fr/products"), "unscoped /v1/zz/fr/products");
    check(get("eu-west", "/v1/productsfoo"), "unscoped /v1/productsfoo");
    check(get("eu-west", "/v1/Products"), "unscoped /v1/Products");
    check(get("eu-west", "/v1/"), "unscoped /v1/");
    check(get("eu-west", "/v1"), "unscoped /v1");
    check(get("eu-west", "/openapi.json"), "unscoped /openapi.json");
    check(get("eu-west", "/readyz"), "unscoped /readyz");
    check(get("eu-west", "/admin/v1/products?x=1").country("DE"), "not served");
    check(get("eu-west", "/"), "unscoped /");
}

#[test]
fn healthz_is_answered_by_the_edge() {
    check(get("eu-west", "/healthz"), "edge-health");
    check(get("eu-west", "/healthz").method(Method::HEAD), "edge-health");
    check(get("eu-west", "/internal/v1/catalog-changes?since=0"), "not served");
    check(get("eu-west", "/healthz").method(Method::POST), "unscoped /healthz");
    check(get("eu-west", "/healthz/more"), "unscoped /healthz/more");
}

#[test]
fn market_from_the_country_header() {
    check(get("eu-west", "/v1/products").country("DE"), "resolved de de country-header /v1/de/de/products");
    check(get("eu-west", "/v1/products").country("de"), "resolved de de country-header /v1/de/de/products");
    check(get("eu-west", "/v1/products").country(" GB "), "resolved gb en country-header /v1/gb/en/products");
    // Any region's market: the catalog is global.
    check(get("eu-west", "/v1/products/x").country("CA"), "resolved ca en country-header /v1/ca/en/products/x");
    check(
        get("eu-west", "/v1/products/x").country("CA").lang("fr"),
        "resolved ca fr-CA country-header /v1/ca/fr-CA/products/x",
    );
    // Country beats the Accept-Language region.
    check(
        get("eu-west", "/v1/products").country("GB").lang("de-DE"),
        "resolved gb en country-header /v1/gb/en/products",
    );
}

#[test]
fn unknown_countries_fall_through() {
    check(get("eu-west", "/v1/products").country("ZZ"), "resolved fr fr region-default /v1/fr/fr/products");
    check(get("eu-west", "/v1/products").country("T1"), "resolved fr fr region-default /v1/fr/fr/products");
    check(get("eu-west", "/v1/products").country("FRA"), "resolved fr fr region-default /v1/fr/fr/products");
    check(get("eu-west", "/v1/products").country(""), "resolved fr fr region-default /v1/fr/fr/products");
    check(
        get("eu-west", "/v1/products").country("XX").lang("de-DE"),
        "resolved de de accept-language /v1/de/de/products",
    );
}

#[test]
fn market_from_the_accept_language_region_of_this_region_only() {
    check(get("eu-west", "/v1/products").lang("de-DE"), "resolved de de accept-language /v1/de/de/products");
    check(get("eu-west", "/v1/products").lang("en-GB,en;q=0.8"), "resolved gb en accept-language /v1/gb/en/products");
    // Highest weight first, whatever the order in the header.
    check(
        get("eu-west", "/v1/products").lang("fr-FR;q=0.5, de-DE;q=0.9"),
        "resolved de de accept-language /v1/de/de/products",
    );
    // q=0 means "not this one".
    check(get("eu-west", "/v1/products").lang("en-GB;q=0, de-DE"), "resolved de de accept-language /v1/de/de/products");
    // US is not a market of eu-west: the region default, with the negotiated language.
    check(get("eu-west", "/v1/products").lang("en-US"), "resolved fr en region-default /v1/fr/en/products");
    check(get("us-east", "/v1/products").lang("fr-CA"), "resolved ca fr-CA accept-language /v1/ca/fr-CA/products");
    check(get("ap-southeast", "/v1/products").lang("zh-Hans-SG"), "resolved sg zh accept-language /v1/sg/zh/products");
    // A numeric region names no country.
    check(get("us-east", "/v1/products").lang("es-419"), "resolved us es region-default /v1/us/es/products");
}

#[test]
fn region_default_market_and_language() {
    check(get("eu-west", "/v1/products"), "resolved fr fr region-default /v1/fr/fr/products");
    check(get("us-east", "/v1/categories"), "resolved us en region-default /v1/us/en/categories");
    check(get("ap-southeast", "/v1/categories"), "resolved jp ja region-default /v1/jp/ja/categories");
    check(get("eu-west", "/v1/products").lang("garbage,,;q=,*"), "resolved fr fr region-default /v1/fr/fr/products");
    check(get("eu-west", "/v1/products").lang("ja"), "resolved fr fr region-default /v1/fr/fr/products");
    check(get("eu-west", "/v1/products").lang("en"), "resolved fr en region-default /v1/fr/en/products");
}

#[test]
fn resolved_paths_keep_the_rest_and_the_query() {
    check(
        get("eu-west", "/v1/products?category=shoes&sort=price&limit=5&cursor=abc&attr.color=red"),
        "resolved fr fr region-default /v1/fr/fr/products?category=shoes&sort=price&limit=5&cursor=abc&attr.color=red",
    );
    check(
        get("eu-west", "/v1/products/by-slug/pull-rouge").lang("en"),
        "resolved fr en region-default /v1/fr/en/products/by-slug/pull-rouge",
    );
    check(get("eu-west", "/v1/products/"), "resolved fr fr region-default /v1/fr/fr/products/");
    check(get("eu-west", "/v1/categories?"), "resolved fr fr region-default /v1/fr/fr/categories?");
}

#[test]
fn accept_language_is_ordered_by_weight() {
    fn check(header: &str, expected: &[&str]) {
        let tags: Vec<String> = accept_language(header).iter().map(|t| t.to_string()).collect();
        assert_eq!(tags, expected, "{header}");
    }
    check("de;q=0.5, fr-CH, en;q=0.9, *;q=0.1, bad tag, ja;q=1.5", &["fr-CH", "en", "de"]);
    check("fr-ca;q=0.800, en-us;q=0.8", &["fr-CA", "en-US"]);
    check("en;q=0, de;q=0.001", &["de"]);
    check("", &[]);
    check(&"en,".repeat(100), &["en"; 16]);
}
