use super::*;

fn tag(s: &str) -> LanguageTag {
    LanguageTag::parse(s).unwrap()
}

fn tags(chain: &[LanguageTag]) -> Vec<&str> {
    chain.iter().map(LanguageTag::as_str).collect()
}

#[test]
fn workspace_regions_load() {
    let catalog = Catalog::load_workspace().unwrap();
    let regions: Vec<_> = catalog.regions().map(|r| r.id.as_str()).collect();
    assert_eq!(regions, ["ap-southeast", "eu-west", "us-east"]);
    assert!(catalog.markets().count() >= 7);
    let currencies: BTreeSet<_> = catalog.markets().map(|m| m.currency.code()).collect();
    assert!(currencies.len() >= 5 && currencies.contains("JPY"), "{currencies:?}");
    assert!(catalog.languages().len() >= 5);
    for region in catalog.regions() {
        let default = catalog.market(region.default_market.as_str()).unwrap();
        assert_eq!(default.region, region.id);
    }
}

#[test]
fn fallback_chains() {
    let catalog = Catalog::load_workspace().unwrap();
    let ca = catalog.market("ca").unwrap();
    assert_eq!(tags(ca.fallback_chain(&tag("fr-CA")).unwrap()), ["fr-CA", "fr", "en"]);
    assert_eq!(tags(ca.fallback_chain(&tag("en")).unwrap()), ["en"]);
    let fr = catalog.market("FR").unwrap();
    assert_eq!(tags(fr.fallback_chain(&tag("en")).unwrap()), ["en", "fr"]);
    assert_eq!(fr.fallback_chain(&tag("de")), None);
    assert_eq!(catalog.market_for_country("jp").unwrap().id.as_str(), "jp");
}

#[test]
fn language_negotiation() {
    let catalog = Catalog::load_workspace().unwrap();
    let ca = catalog.market("ca").unwrap();
    let check = |header: &str, expected: Option<&str>| {
        assert_eq!(ca.negotiate_language(header).as_ref().map(LanguageTag::as_str), expected, "{header}");
    };
    check("fr-CA,fr;q=0.8", Some("fr-CA"));
    check("fr", Some("fr-CA"));
    check("de, en;q=0.5", Some("en"));
    check("en-GB;q=0.4, fr-FR;q=0.9", Some("fr-CA"));
    check("de", None);
    check("", None);
    check("fr;q=0", None);
}

/// Writes a regions folder with one region and the given market file, then loads it.
fn load_with(region_toml: &str, markets: &[(&str, &str)]) -> Result<Catalog, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let region_dir = dir.path().join("eu-west");
    std::fs::create_dir_all(region_dir.join("markets")).unwrap();
    std::fs::write(region_dir.join("region.toml"), region_toml).unwrap();
    for (name, text) in markets {
        std::fs::write(region_dir.join("markets").join(name), text).unwrap();
    }
    Catalog::load(dir.path())
}

const REGION: &str = r#"
id = "eu-west"
name = "Europe"
default_market = "fr"
[dev]
edge_port = 1
edge_tls_port = 3
core_port = 2
"#;

const FR: &str = r#"
id = "fr"
name = "France"
country = "FR"
currency = "EUR"
[languages]
default = "fr"
allowed = ["fr", "en"]
[pricing]
prices_include_tax = true
rounding = { mode = "half-up", level = "line" }
[tax]
regime = "vat"
name = "TVA"
[tax.rates]
standard = "20"
reduced = "5.5"
zero = "0"
[rules]
return_window_days = 14
omnibus = true
"#;

const XX: &str = r#"
id = "xx"
name = "Newland"
country = "XX"
currency = "KWD"
[languages]
default = "en"
allowed = ["en"]
[pricing]
prices_include_tax = false
rounding = { mode = "half-even", level = "total" }
derived = { from = "fr", rate = "0.33", ending = "exact" }
[tax]
regime = "sales_tax"
[tax.subdivisions.NO]
name = "North"
components = [{ name = "GST", rate = "5" }, { name = "PST", rate = "9.975" }]
shipping_taxable = true
exempt = ["zero"]
[rules]
return_window_days = 30
omnibus = false
assortment_from = "fr"
"#;

fn check_error(region: &str, markets: &[(&str, &str)], file: &str, field: &str, why: &str) {
    let err = load_with(region, markets).unwrap_err();
    assert!(err.file.ends_with(file), "file {:?} for {err}", err.file);
    assert_eq!(err.field, field, "{err}");
    assert!(err.reason.contains(why), "reason {:?} does not mention {why:?}", err.reason);
    let shown = err.to_string();
    assert!(shown.contains(file) && shown.contains(field), "{shown}");
}

#[test]
fn minimal_folder_loads() {
    let catalog = load_with(REGION, &[("fr.toml", FR)]).unwrap();
    assert_eq!(catalog.market("fr").unwrap().currency.exponent(), 2);
}

#[test]
fn market_rules_load() {
    let catalog = load_with(REGION, &[("fr.toml", FR), ("xx.toml", XX)]).unwrap();
    let fr = catalog.market("fr").unwrap();
    assert!(fr.pricing.prices_include_tax);
    assert_eq!(fr.rules.data_region, "eu-west");
    let TaxRegime::Vat { rates, .. } = &fr.tax.regime else { panic!("VAT") };
    assert_eq!(rates["reduced"], Rate::parse_percent("5.5").unwrap());
    let xx = catalog.market("xx").unwrap();
    assert_eq!(xx.currency.exponent(), 3);
    assert_eq!(xx.pricing.rounding_level, RoundingLevel::Total);
    assert_eq!(xx.pricing.derived.as_ref().unwrap().from.as_str(), "fr");
    let TaxRegime::SalesTax { subdivisions } = &xx.tax.regime else { panic!("sales tax") };
    assert_eq!(subdivisions["NO"].components.len(), 2);
    // The workspace's markets: Canada's Québec has GST and QST; Oregon no sales tax.
    let workspace = Catalog::load_workspace().unwrap();
    let TaxRegime::SalesTax { subdivisions } = &workspace.market("us").unwrap().tax.regime else { panic!() };
    assert!(subdivisions["OR"].components.is_empty());
    assert!(subdivisions.len() >= 5);
}

#[test]
fn bad_market_rules_name_file_field_and_reason() {
    let with = |from: &str, to: &str| FR.replace(from, to);
    check_error(
        REGION,
        &[("fr.toml", &with("standard = \"20\"", "standard = \"twenty\""))],
        "fr.toml",
        "tax.rates.standard",
        "percentage",
    );
    check_error(REGION, &[("fr.toml", &with("zero = \"0\"\n", ""))], "fr.toml", "tax.rates.zero", "missing");
    check_error(
        REGION,
        &[("fr.toml", &with("zero = \"0\"", "zero = \"0\"\nluxury = \"30\""))],
        "fr.toml",
        "tax.rates.luxury",
        "unknown tax category",
    );
    check_error(
        REGION,
        &[("fr.toml", &with("regime = \"vat\"", "regime = \"gst\""))],
        "fr.toml",
        "tax.regime",
        "expected vat or sales_tax",
    );
    check_error(REGION, &[("fr.toml", &with("half-up", "half-down"))], "fr.toml", "rounding", "unknown variant");
    check_error(
        REGION,
        &[("fr.toml", &with("omnibus = true", "omnibus = true\ndata_region = \"mars\""))],
        "fr.toml",
        "rules.data_region",
        "unknown region",
    );
    check_error(
        REGION,
        &[("fr.toml", FR), ("xx.toml", &XX.replace("from = \"fr\"", "from = \"zz\""))],
        "xx.toml",
        "pricing.derived.from",
        "unknown market",
    );
    check_error(
        REGION,
        &[("fr.toml", FR), ("xx.toml", &XX.replace("rate = \"0.33\"", "rate = \"0\""))],
        "xx.toml",
        "pricing.derived.rate",
        "positive",
    );
    check_error(
        REGION,
        &[("fr.toml", FR), ("xx.toml", &XX.replace("ending = \"exact\"", "ending = \"x.42\""))],
        "xx.toml",
        "pricing.derived.ending",
        "x.99",
    );
    check_error(
        REGION,
        &[("fr.toml", FR), ("xx.toml", &XX.replace("[tax.subdivisions.NO]", "[tax.subdivisions.north]"))],
        "xx.toml",
        "tax.subdivisions.north",
        "ISO 3166-2",
    );
    check_error(
        REGION,
        &[("fr.toml", FR), ("xx.toml", &XX.replace("exempt = [\"zero\"]", "exempt = [\"food\"]"))],
        "xx.toml",
        "tax.subdivisions.NO.exempt[0]",
        "unknown tax category",
    );
    check_error(
        REGION,
        &[("fr.toml", FR), ("xx.toml", &XX.replace("assortment_from = \"fr\"", "assortment_from = \"xx\""))],
        "xx.toml",
        "rules.assortment_from",
        "its own",
    );
}

#[test]
fn bad_files_name_file_field_and_reason() {
    check_error(REGION, &[("fr.toml", &FR.replace("EUR", "EUX"))], "fr.toml", "currency", "ISO 4217");
    check_error(
        REGION,
        &[("fr.toml", &FR.replace("default = \"fr\"", "default = \"de\""))],
        "fr.toml",
        "languages.default",
        "not in languages.allowed",
    );
    check_error(
        REGION,
        &[("fr.toml", &FR.replace("\"en\"]", "\"en-\"]"))],
        "fr.toml",
        "languages.allowed[1]",
        "language tag",
    );
    check_error(
        REGION,
        &[("fr.toml", &FR.replace("country = \"FR\"", "country = \"France\""))],
        "fr.toml",
        "country",
        "ISO 3166",
    );
    check_error(
        REGION,
        &[("fr.toml", &FR.replace("currency = \"EUR\"", "currency = \"EUR\"\nvat = 20"))],
        "fr.toml",
        "vat",
        "unknown field",
    );
    check_error(
        REGION,
        &[("fr.toml", &FR.replace("currency = \"EUR\"\n", ""))],
        "fr.toml",
        "-",
        "missing field `currency`",
    );
    check_error(REGION, &[("france.toml", FR)], "france.toml", "id", "file name");
    check_error(
        REGION,
        &[("fr.toml", FR), ("de.toml", &FR.replace("\"fr\"\nname", "\"de\"\nname"))],
        "fr.toml",
        "country",
        "already",
    );
    check_error(
        &REGION.replace("default_market = \"fr\"", "default_market = \"de\""),
        &[("fr.toml", FR)],
        "region.toml",
        "default_market",
        "not one of this region's markets",
    );
    check_error(
        &REGION.replace("name = \"Europe\"", "name = \"Europe\"\nfailover = [\"mars\"]"),
        &[("fr.toml", FR)],
        "region.toml",
        "failover[0]",
        "unknown region",
    );
    check_error(
        REGION,
        &[("fr.toml", &format!("{FR}[languages.fallback]\n\"de\" = [\"en\"]\n"))],
        "fr.toml",
        "languages.fallback.\"de\"",
        "not in languages.allowed",
    );
}

const REGION_WITH_WAREHOUSES: &str = r#"
id = "eu-west"
name = "Europe"
default_market = "fr"
[[warehouses]]
id = "eu-par"
name = "Paris"
markets = ["fr"]
[[warehouses]]
id = "eu-ham"
name = "Hamburg"
markets = ["xx"]
[dev]
edge_port = 1
edge_tls_port = 3
core_port = 2
"#;

const FR_SHIPPING: &str = r#"
[[shipping]]
carrier = "parcelo"
service = "express"
from = ["eu-par"]
transit_days = { min = 1, max = 2 }
fallback = [{ up_to_grams = 1000, amount_minor = 990 }, { up_to_grams = 5000, amount_minor = 1490 }]
"#;

#[test]
fn shipping_services_load_with_their_bands() {
    let catalog =
        load_with(REGION_WITH_WAREHOUSES, &[("fr.toml", &format!("{FR}{FR_SHIPPING}")), ("xx.toml", XX)]).unwrap();
    let fr = catalog.market("fr").unwrap();
    assert_eq!(fr.shipping.len(), 1);
    let express = &fr.shipping[0];
    assert_eq!(express.option_id(), "parcelo:express");
    assert_eq!(express.band(1).map(|b| b.amount_minor), Some(990));
    assert_eq!(express.band(1000).map(|b| b.amount_minor), Some(990));
    assert_eq!(express.band(1001).map(|b| b.amount_minor), Some(1490));
    assert_eq!(express.band(5001), None);
    // Every shipped market ships, and at least one is served by both carriers.
    let workspace = Catalog::load_workspace().unwrap();
    for market in workspace.markets() {
        assert!(!market.shipping.is_empty(), "market {} has no shipping service", market.id);
    }
    let both =
        workspace.markets().any(|m| shipping::CARRIERS.iter().all(|c| m.shipping.iter().any(|s| s.carrier == *c)));
    assert!(both, "no market is served by both carriers");
}

#[test]
fn bad_shipping_config_names_file_field_and_reason() {
    let bad = |from: &str, to: &str| format!("{FR}{}", FR_SHIPPING.replace(from, to));
    let check = |text: String, field: &str, why: &str| {
        check_error(REGION_WITH_WAREHOUSES, &[("fr.toml", &text), ("xx.toml", XX)], "fr.toml", field, why);
    };
    check(bad("\"parcelo\"", "\"fastparcel\""), "shipping[0].carrier", "unknown carrier `fastparcel`");
    check(bad("\"express\"", "\"two days\""), "shipping[0].service", "lowercase snake case");
    check(bad("\"express\"", "\"PRIO\""), "shipping[0].service", "lowercase snake case");
    check(format!("{FR}{FR_SHIPPING}{FR_SHIPPING}"), "shipping[1].service", "listed twice");
    check(bad("[\"eu-par\"]", "[]"), "shipping[0].from", "at least one warehouse");
    check(bad("[\"eu-par\"]", "[\"eu-mad\"]"), "shipping[0].from[0]", "unknown warehouse `eu-mad`");
    check(bad("[\"eu-par\"]", "[\"eu-par\", \"eu-ham\"]"), "shipping[0].from[1]", "does not ship to market `fr`");
    check(bad("min = 1, max = 2", "min = 3, max = 2"), "shipping[0].transit_days", "min is more than max");
    check(
        bad(
            "{ up_to_grams = 1000, amount_minor = 990 }, { up_to_grams = 5000",
            "{ up_to_grams = 5000, amount_minor = 990 }, { up_to_grams = 1000",
        ),
        "shipping[0].fallback[1].up_to_grams",
        "each above the previous",
    );
    check(bad("amount_minor = 990", "amount_minor = -1"), "shipping[0].fallback[0].amount_minor", "0 or more");
    check(bad("fallback = [", "fallback = [] #"), "shipping[0].fallback", "at least one weight band");
    check(bad("amount_minor = 990", "amount_minor = 9.90"), "fallback", "invalid type");
}

#[test]
fn the_default_regions_folder_is_found_from_the_working_folder_or_the_executable() {
    let root = tempfile::tempdir().unwrap();
    let install = root.path().join("opt").join("shop");
    std::fs::create_dir_all(install.join("bin")).unwrap();
    std::fs::create_dir_all(install.join("regions").join("eu-west")).unwrap();
    std::fs::write(install.join("regions").join("eu-west").join("region.toml"), "").unwrap();
    // A `regions` folder without a region is not one.
    let elsewhere = root.path().join("home").join("regions");
    std::fs::create_dir_all(&elsewhere).unwrap();

    let found = crate::find_regions_dir_from([root.path().join("home"), install.join("bin")]);
    assert_eq!(found, Some(install.join("regions")));
    assert_eq!(crate::find_regions_dir_from([install.join("regions").join("eu-west")]), Some(install.join("regions")));
    assert_eq!(crate::find_regions_dir_from([root.path().join("home")]), None);
}

#[test]
fn a_market_file_names_the_region_s_warehouses_that_stock_it() {
    // Hamburg's region.toml lists only `xx`; France's file adds itself, and ships from there.
    let fr = FR.replacen("currency = \"EUR\"", "currency = \"EUR\"\nwarehouses = [\"eu-ham\"]", 1);
    let ships_from_hamburg = FR_SHIPPING.replace("[\"eu-par\"]", "[\"eu-par\", \"eu-ham\"]");
    let catalog =
        load_with(REGION_WITH_WAREHOUSES, &[("fr.toml", &format!("{fr}{ships_from_hamburg}")), ("xx.toml", XX)])
            .unwrap();
    let hamburg = catalog.region("eu-west").unwrap().warehouses.iter().find(|w| w.id == "eu-ham").unwrap();
    assert_eq!(hamburg.markets, ["xx", "fr"]);

    let unknown = FR.replacen("currency = \"EUR\"", "currency = \"EUR\"\nwarehouses = [\"eu-par\", \"eu-mad\"]", 1);
    check_error(
        REGION_WITH_WAREHOUSES,
        &[("fr.toml", &unknown), ("xx.toml", XX)],
        "fr.toml",
        "warehouses[1]",
        "`eu-mad` is not a warehouse of region `eu-west`",
    );
}
