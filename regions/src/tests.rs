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
