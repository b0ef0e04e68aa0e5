//! Regions and markets as data.
//!
//! The folder `regions/` holds one directory per deployment region with a `region.toml` and a
//! `markets/` directory of one file per market. This crate loads them, checks them, and answers
//! the questions every process asks of them: which market is `fr`, which languages does it
//! offer, what is the fallback chain of `fr-CA`, which region serves a market.
//!
//! A bad file fails with the file, the field and why (see [`ConfigError`]).

mod currency;
mod language;
pub mod rules;
pub mod shipping;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use currency::Currency;
pub use language::{LanguageTag, ParseLanguageError, accept_language};
pub use rules::{MarketRules, Pricing, Rate, RoundingLevel, RoundingMode, TaxRegime, TaxRules};
pub use shipping::ShippingService;

/// Where loading or checking the regions folder went wrong: the file, the field and why.
#[derive(Debug, thiserror::Error)]
#[error("{}: {field}: {reason}", file.display())]
pub struct ConfigError {
    /// The file (or folder) at fault.
    pub file: PathBuf,
    /// The field at fault, as a dotted path (`languages.default`), or `-` for the whole file.
    pub field: String,
    /// Why it is wrong.
    pub reason: String,
}

impl ConfigError {
    fn new(file: &Path, field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { file: file.to_path_buf(), field: field.into(), reason: reason.into() }
    }
}

/// A market id: the lower-case identifier used in URLs and rows (`fr`, `us`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MarketId(String);

impl MarketId {
    /// Parses a market id: 2 to 16 lower-case ASCII letters, digits or `-`, starting with a
    /// letter. Upper case input is folded to lower case.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = (2..=16).contains(&s.len())
            && s.as_bytes()[0].is_ascii_alphabetic()
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        ok.then(|| Self(s.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MarketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A market: a country the retailer sells in, with its currency and languages.
#[derive(Clone, Debug)]
pub struct Market {
    pub id: MarketId,
    /// Display name, in the market's own language.
    pub name: String,
    /// ISO 3166-1 alpha-2 country code, upper case.
    pub country: String,
    /// The market's currency; prices in this market are always in it.
    pub currency: Currency,
    /// The region whose core owns this market's shoppers and orders.
    pub region: String,
    /// The language used when the shopper names none this market offers.
    pub default_language: LanguageTag,
    /// The languages this market offers, default first.
    pub languages: Vec<LanguageTag>,
    /// For each offered language, the languages to try for content, in order; starts with the
    /// language itself (`fr-CA` → `fr` → `en`).
    fallback: BTreeMap<LanguageTag, Vec<LanguageTag>>,
    /// How prices are entered, shown, rounded, and possibly derived from another market's.
    pub pricing: Pricing,
    /// How the market taxes.
    pub tax: TaxRules,
    /// Withdrawal window, Omnibus display, data residency, invoice fields, assortment source.
    pub rules: MarketRules,
    /// The carrier services shipping to the market (none: nothing is charged for shipping).
    pub shipping: Vec<ShippingService>,
    /// The file this market was loaded from, for error messages.
    pub source: PathBuf,
}

impl Market {
    /// Whether the market offers `language`.
    pub fn offers(&self, language: &LanguageTag) -> bool {
        self.languages.contains(language)
    }

    /// The content fallback chain for an offered language, starting with the language itself.
    /// `None` when the market does not offer the language.
    pub fn fallback_chain(&self, language: &LanguageTag) -> Option<&[LanguageTag]> {
        self.fallback.get(language).map(Vec::as_slice)
    }

    /// Picks the offered language that best matches an `Accept-Language` header value, if any
    /// does. Exact matches win, then a requested language whose base matches an offered one
    /// (`fr-CH` → `fr`), then an offered language sharing the requested base (`fr` → `fr-CA`).
    pub fn negotiate_language(&self, accept_language: &str) -> Option<LanguageTag> {
        let mut best: Option<(u16, u8, &LanguageTag)> = None;
        for (requested, q) in language::parse_accept_language(accept_language) {
            if q == 0 {
                continue;
            }
            let candidate = if let Some(l) = self.languages.iter().find(|l| **l == requested) {
                Some((3, l))
            } else if let Some(l) = self.languages.iter().find(|l| l.as_str() == requested.base()) {
                Some((2, l))
            } else {
                self.languages.iter().find(|l| l.base() == requested.base()).map(|l| (1, l))
            };
            if let Some((rank, l)) = candidate
                && best.is_none_or(|(bq, br, _)| (q, rank) > (bq, br))
            {
                best = Some((q, rank, l));
            }
        }
        best.map(|(_, _, l)| l.clone())
    }
}

/// Ports used by `cargo xtask up` for a region's processes on this machine.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevPorts {
    /// The edge's HTTP port.
    pub edge_port: u16,
    /// The edge's HTTPS port (TLS with the development CA of `cargo xtask up`).
    pub edge_tls_port: u16,
    pub core_port: u16,
}

/// A warehouse of a region, and the markets it ships to.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Warehouse {
    /// Stable id (`eu-par`), used in stock rows.
    pub id: String,
    pub name: String,
    /// Markets it serves.
    pub markets: Vec<String>,
    /// Lower first when several warehouses could ship a line.
    #[serde(default)]
    pub priority: i32,
}

/// A deployment region: one edge fleet and one core fleet, serving the markets in its folder.
#[derive(Clone, Debug)]
pub struct Region {
    pub id: String,
    pub name: String,
    /// Market used when the request names none.
    pub default_market: MarketId,
    /// Regions to fail over to, nearest first.
    pub failover: Vec<String>,
    /// The markets whose shoppers this region is home to, in id order.
    pub markets: Vec<MarketId>,
    /// Its warehouses.
    pub warehouses: Vec<Warehouse>,
    pub dev: DevPorts,
}

/// Everything in the regions folder, checked.
#[derive(Clone, Debug)]
pub struct Catalog {
    regions: BTreeMap<String, Region>,
    markets: BTreeMap<MarketId, Market>,
    by_country: BTreeMap<String, MarketId>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionFile {
    id: String,
    name: String,
    default_market: String,
    #[serde(default)]
    failover: Vec<String>,
    #[serde(default)]
    warehouses: Vec<Warehouse>,
    dev: DevPorts,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MarketFile {
    id: String,
    name: String,
    country: String,
    currency: String,
    languages: LanguagesFile,
    pricing: rules::PricingFile,
    tax: rules::TaxFile,
    rules: rules::RulesFile,
    #[serde(default)]
    shipping: Vec<shipping::ServiceFile>,
    /// Warehouses of the region that stock the market, besides those whose `region.toml` lists
    /// it: a market opened in a region with stock already there is one file.
    #[serde(default)]
    warehouses: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LanguagesFile {
    default: String,
    allowed: Vec<String>,
    #[serde(default)]
    fallback: BTreeMap<String, Vec<String>>,
}

fn read_toml<T: serde::de::DeserializeOwned>(file: &Path) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(file).map_err(|e| ConfigError::new(file, "-", format!("cannot read: {e}")))?;
    toml::from_str(&text).map_err(|e| {
        // toml reports the offending key in its message; keep the first line and the span.
        let message = e.message().to_string();
        let field = field_from_toml_error(&text, &e).unwrap_or_else(|| "-".into());
        ConfigError::new(file, field, message)
    })
}

/// Best effort: the key on the line the parser points at.
fn field_from_toml_error(text: &str, e: &toml::de::Error) -> Option<String> {
    let span = e.span()?;
    let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next()?;
    let key = line.split('=').next()?.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_string())
}

fn parse_tag(file: &Path, field: &str, s: &str) -> Result<LanguageTag, ConfigError> {
    LanguageTag::parse(s).map_err(|e| ConfigError::new(file, field, format!("`{s}`: {e}")))
}

impl Catalog {
    /// Loads and checks every region and market under `dir`.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let dir = dir.as_ref();
        let entries =
            std::fs::read_dir(dir).map_err(|e| ConfigError::new(dir, "-", format!("cannot read folder: {e}")))?;
        let mut region_dirs: Vec<PathBuf> =
            entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.join("region.toml").is_file()).collect();
        region_dirs.sort();
        if region_dirs.is_empty() {
            return Err(ConfigError::new(dir, "-", "no region folder (with a region.toml) found"));
        }

        let mut regions = BTreeMap::new();
        let mut markets: BTreeMap<MarketId, Market> = BTreeMap::new();
        let mut by_country: BTreeMap<String, MarketId> = BTreeMap::new();

        for region_dir in &region_dirs {
            let region_file = region_dir.join("region.toml");
            let mut raw: RegionFile = read_toml(&region_file)?;
            let folder = region_dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if raw.id != folder {
                return Err(ConfigError::new(
                    &region_file,
                    "id",
                    format!("`{}` does not match its folder name `{folder}`", raw.id),
                ));
            }
            let default_market = MarketId::parse(&raw.default_market)
                .ok_or_else(|| ConfigError::new(&region_file, "default_market", "not a valid market id"))?;

            let mut region_markets = Vec::new();
            let markets_dir = region_dir.join("markets");
            let mut market_files: Vec<PathBuf> = match std::fs::read_dir(&markets_dir) {
                Ok(entries) => entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                    .collect(),
                Err(e) => {
                    return Err(ConfigError::new(&markets_dir, "-", format!("cannot read markets folder: {e}")));
                }
            };
            market_files.sort();
            for file in market_files {
                let (market, warehouses) = load_market(&file, &raw.id)?;
                for (i, named) in warehouses.iter().enumerate() {
                    let Some(w) = raw.warehouses.iter_mut().find(|w| &w.id == named) else {
                        return Err(ConfigError::new(
                            &file,
                            format!("warehouses[{i}]"),
                            format!("`{named}` is not a warehouse of region `{}`", raw.id),
                        ));
                    };
                    if !w.markets.iter().any(|m| m == market.id.as_str()) {
                        w.markets.push(market.id.to_string());
                    }
                }
                if let Some(other) = by_country.get(&market.country) {
                    return Err(ConfigError::new(
                        &file,
                        "country",
                        format!("`{}` is already the country of market `{other}`", market.country),
                    ));
                }
                if let Some(other) = markets.get(&market.id) {
                    return Err(ConfigError::new(
                        &file,
                        "id",
                        format!("market `{}` is also defined in {}", market.id, other.source.display()),
                    ));
                }
                by_country.insert(market.country.clone(), market.id.clone());
                region_markets.push(market.id.clone());
                markets.insert(market.id.clone(), market);
            }
            if !region_markets.contains(&default_market) {
                return Err(ConfigError::new(
                    &region_file,
                    "default_market",
                    format!("`{default_market}` is not one of this region's markets"),
                ));
            }
            region_markets.sort();
            regions.insert(
                raw.id.clone(),
                Region {
                    id: raw.id,
                    name: raw.name,
                    default_market,
                    failover: raw.failover,
                    markets: region_markets,
                    warehouses: raw.warehouses,
                    dev: raw.dev,
                },
            );
        }

        for (id, region) in &regions {
            let file = dir.join(id).join("region.toml");
            for (i, other) in region.failover.iter().enumerate() {
                if other == id {
                    return Err(ConfigError::new(
                        &file,
                        format!("failover[{i}]"),
                        "a region cannot fail over to itself",
                    ));
                }
                if !regions.contains_key(other) {
                    return Err(ConfigError::new(&file, format!("failover[{i}]"), format!("unknown region `{other}`")));
                }
            }
        }
        check_market_references(&regions, &markets)?;
        let mut warehouse_ids = BTreeMap::new();
        for (id, region) in &regions {
            let file = dir.join(id).join("region.toml");
            for (i, w) in region.warehouses.iter().enumerate() {
                let field = format!("warehouses[{i}]");
                let id_ok = (2..=32).contains(&w.id.len())
                    && w.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                if !id_ok {
                    return Err(ConfigError::new(
                        &file,
                        format!("{field}.id"),
                        "2-32 lower-case letters, digits and '-'",
                    ));
                }
                if let Some(other) = warehouse_ids.insert(w.id.clone(), id.clone()) {
                    return Err(ConfigError::new(
                        &file,
                        format!("{field}.id"),
                        format!("`{}` is also a warehouse of `{other}`", w.id),
                    ));
                }
                for (j, m) in w.markets.iter().enumerate() {
                    if MarketId::parse(m).is_none_or(|m| !markets.contains_key(&m)) {
                        return Err(ConfigError::new(
                            &file,
                            format!("{field}.markets[{j}]"),
                            format!("unknown market `{m}`"),
                        ));
                    }
                }
            }
        }
        check_shipping_origins(&regions, &markets)?;
        let mut ports = BTreeMap::new();
        for (id, region) in &regions {
            for (field, port) in [
                ("dev.edge_port", region.dev.edge_port),
                ("dev.edge_tls_port", region.dev.edge_tls_port),
                ("dev.core_port", region.dev.core_port),
            ] {
                if let Some(other) = ports.insert(port, id.clone()) {
                    let file = dir.join(id).join("region.toml");
                    return Err(ConfigError::new(
                        &file,
                        field,
                        format!("port {port} is also used by region `{other}`"),
                    ));
                }
            }
        }

        Ok(Self { regions, markets, by_country })
    }

    /// Loads the regions folder of this repository (for tests and tools run from the workspace).
    pub fn load_workspace() -> Result<Self, ConfigError> {
        Self::load(workspace_regions_dir())
    }

    pub fn region(&self, id: &str) -> Option<&Region> {
        self.regions.get(id)
    }

    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.regions.values()
    }

    pub fn market(&self, id: &str) -> Option<&Market> {
        self.markets.get(&MarketId::parse(id)?)
    }

    pub fn markets(&self) -> impl Iterator<Item = &Market> {
        self.markets.values()
    }

    /// The market selling in a country (ISO 3166-1 alpha-2, any case).
    pub fn market_for_country(&self, country: &str) -> Option<&Market> {
        let id = self.by_country.get(&country.to_ascii_uppercase())?;
        self.markets.get(id)
    }

    /// Warehouses serving `market`, by priority then id, with their region.
    pub fn warehouses_for(&self, market: &str) -> Vec<(&Region, &Warehouse)> {
        let mut out: Vec<(&Region, &Warehouse)> = self
            .regions
            .values()
            .flat_map(|r| r.warehouses.iter().map(move |w| (r, w)))
            .filter(|(_, w)| w.markets.iter().any(|m| m == market))
            .collect();
        out.sort_by(|a, b| (a.1.priority, &a.1.id).cmp(&(b.1.priority, &b.1.id)));
        out
    }

    /// A warehouse by id, with its region.
    pub fn warehouse(&self, id: &str) -> Option<(&Region, &Warehouse)> {
        self.regions.values().flat_map(|r| r.warehouses.iter().map(move |w| (r, w))).find(|(_, w)| w.id == id)
    }

    /// Every language any market offers or falls back to, sorted.
    pub fn languages(&self) -> BTreeSet<LanguageTag> {
        self.markets.values().flat_map(|m| m.fallback.values().flatten().cloned()).collect()
    }
}

/// Rules that name other markets or regions name existing ones: a derived price list comes from
/// a market with its own prices, an assortment from another market, personal data lives in a
/// known region.
fn check_market_references(
    regions: &BTreeMap<String, Region>,
    markets: &BTreeMap<MarketId, Market>,
) -> Result<(), ConfigError> {
    for market in markets.values() {
        let file = &market.source;
        if let Some(derived) = &market.pricing.derived {
            let Some(base) = markets.get(&derived.from) else {
                return Err(ConfigError::new(
                    file,
                    "pricing.derived.from",
                    format!("unknown market `{}`", derived.from),
                ));
            };
            if base.id == market.id {
                return Err(ConfigError::new(
                    file,
                    "pricing.derived.from",
                    "a market cannot derive its prices from itself",
                ));
            }
            if base.pricing.derived.is_some() {
                return Err(ConfigError::new(
                    file,
                    "pricing.derived.from",
                    format!("`{}` derives its own prices; derive from a market with explicit prices", base.id),
                ));
            }
        }
        if let Some(from) = &market.rules.assortment_from {
            match markets.get(from) {
                None => {
                    return Err(ConfigError::new(file, "rules.assortment_from", format!("unknown market `{from}`")));
                }
                Some(base) if base.id == market.id => {
                    return Err(ConfigError::new(
                        file,
                        "rules.assortment_from",
                        "a market cannot take its own assortment",
                    ));
                }
                Some(base) if base.rules.assortment_from.is_some() => {
                    return Err(ConfigError::new(
                        file,
                        "rules.assortment_from",
                        format!("`{}` takes its assortment from another market; name that one", base.id),
                    ));
                }
                Some(_) => {}
            }
        }
        if !regions.contains_key(&market.rules.data_region) {
            return Err(ConfigError::new(
                file,
                "rules.data_region",
                format!("unknown region `{}`", market.rules.data_region),
            ));
        }
    }
    Ok(())
}

/// Every warehouse a market's shipping services collect from exists and ships to the market.
fn check_shipping_origins(
    regions: &BTreeMap<String, Region>,
    markets: &BTreeMap<MarketId, Market>,
) -> Result<(), ConfigError> {
    for market in markets.values() {
        for (i, service) in market.shipping.iter().enumerate() {
            for (j, id) in service.from.iter().enumerate() {
                let field = format!("shipping[{i}].from[{j}]");
                let warehouse = regions.values().flat_map(|r| r.warehouses.iter()).find(|w| &w.id == id);
                match warehouse {
                    None => return Err(ConfigError::new(&market.source, field, format!("unknown warehouse `{id}`"))),
                    Some(w) if !w.markets.iter().any(|m| m == market.id.as_str()) => {
                        return Err(ConfigError::new(
                            &market.source,
                            field,
                            format!("warehouse `{id}` does not ship to market `{}`", market.id),
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
    }
    Ok(())
}

/// The regions folder a process uses when none is given: the first `regions/` folder holding a
/// region (a folder with `region.toml`) in the working folder or one of its parents, else beside
/// the executable or one of its parents (`/opt/shop/bin/core-server` finds `/opt/shop/regions`;
/// `target/release/core-server` finds the checkout's). Nothing of the build is compiled in.
pub fn find_regions_dir() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok();
    let exe = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf));
    find_regions_dir_from([cwd, exe].into_iter().flatten())
}

/// [`find_regions_dir`] from these starting folders, in order.
pub fn find_regions_dir_from(starts: impl IntoIterator<Item = PathBuf>) -> Option<PathBuf> {
    starts.into_iter().find_map(|start| {
        start.ancestors().map(|dir| dir.join("regions")).find(|candidate| {
            std::fs::read_dir(candidate)
                .map(|entries| entries.flatten().any(|e| e.path().join("region.toml").is_file()))
                .unwrap_or(false)
        })
    })
}

/// The `regions/` folder of this repository, for tests and tools built in it.
pub fn workspace_regions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// A market file: the market, and the region's warehouses it names.
fn load_market(file: &Path, region: &str) -> Result<(Market, Vec<String>), ConfigError> {
    let raw: MarketFile = read_toml(file)?;
    let id = MarketId::parse(&raw.id)
        .filter(|id| id.as_str() == raw.id)
        .ok_or_else(|| ConfigError::new(file, "id", format!("`{}` is not a lower-case market id", raw.id)))?;
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    if stem != id.as_str() {
        return Err(ConfigError::new(file, "id", format!("`{id}` does not match the file name `{stem}.toml`")));
    }
    if raw.name.trim().is_empty() {
        return Err(ConfigError::new(file, "name", "must not be empty"));
    }
    let country_ok = raw.country.len() == 2 && raw.country.bytes().all(|b| b.is_ascii_uppercase());
    if !country_ok {
        return Err(ConfigError::new(
            file,
            "country",
            format!("`{}` is not an upper-case ISO 3166-1 alpha-2 code", raw.country),
        ));
    }
    let currency = Currency::from_code(&raw.currency).ok_or_else(|| {
        ConfigError::new(file, "currency", format!("`{}` is not a known ISO 4217 currency", raw.currency))
    })?;

    let default_language = parse_tag(file, "languages.default", &raw.languages.default)?;
    if raw.languages.allowed.is_empty() {
        return Err(ConfigError::new(file, "languages.allowed", "must list at least one language"));
    }
    let mut languages = Vec::new();
    for (i, s) in raw.languages.allowed.iter().enumerate() {
        let tag = parse_tag(file, &format!("languages.allowed[{i}]"), s)?;
        if languages.contains(&tag) {
            return Err(ConfigError::new(file, format!("languages.allowed[{i}]"), format!("`{tag}` is listed twice")));
        }
        languages.push(tag);
    }
    if !languages.contains(&default_language) {
        return Err(ConfigError::new(
            file,
            "languages.default",
            format!("`{default_language}` is not in languages.allowed"),
        ));
    }
    // Default language first, then the others in file order.
    languages.retain(|l| *l != default_language);
    languages.insert(0, default_language.clone());

    let mut explicit = BTreeMap::new();
    for (key, chain) in &raw.languages.fallback {
        let field = format!("languages.fallback.\"{key}\"");
        let tag = parse_tag(file, &field, key)?;
        if !languages.contains(&tag) {
            return Err(ConfigError::new(file, &field, format!("`{tag}` is not in languages.allowed")));
        }
        let mut full = vec![tag.clone()];
        for (i, s) in chain.iter().enumerate() {
            let next = parse_tag(file, &format!("{field}[{i}]"), s)?;
            if full.contains(&next) {
                return Err(ConfigError::new(
                    file,
                    format!("{field}[{i}]"),
                    format!("`{next}` appears twice in the chain"),
                ));
            }
            full.push(next);
        }
        explicit.insert(tag, full);
    }
    let fallback = languages
        .iter()
        .map(|l| {
            let chain = explicit.remove(l).unwrap_or_else(|| default_chain(l, &default_language));
            (l.clone(), chain)
        })
        .collect();
    let field_error = |(field, reason): rules::FieldError| ConfigError::new(file, field, reason);
    let pricing = raw.pricing.check().map_err(field_error)?;
    let tax = raw.tax.check().map_err(field_error)?;
    let rules = raw.rules.check(region).map_err(field_error)?;
    let shipping = shipping::check(raw.shipping).map_err(field_error)?;

    let market = Market {
        id,
        name: raw.name,
        country: raw.country,
        currency,
        region: region.to_string(),
        default_language,
        languages,
        fallback,
        pricing,
        tax,
        rules,
        shipping,
        source: file.to_path_buf(),
    };
    Ok((market, raw.warehouses))
}

/// The implicit chain: the language, its base language, then the market's default language.
fn default_chain(language: &LanguageTag, market_default: &LanguageTag) -> Vec<LanguageTag> {
    let mut chain = vec![language.clone()];
    if let Ok(base) = LanguageTag::parse(language.base())
        && !chain.contains(&base)
    {
        chain.push(base);
    }
    if !chain.contains(market_default) {
        chain.push(market_default.clone());
    }
    chain
}

#[cfg(test)]
mod tests;
